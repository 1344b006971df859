"""Dates are bounded to what makes sense for each field (issue 13, item 27), with a
Chinese error, on every form that takes them: a meeting planned for 0001-01-01 or
9999-12-31, a branch founded in 2200, a member born in 1800 are refused."""

import datetime

import pytest
from django.utils import translation
from django.utils.timezone import localdate as today

from activities.care.forms import ActivityForm, CareVisitForm
from activities.meetings.forms import AttendanceSheetForm, MeetingForm
from activities.meetings.models import Meeting
from branches.forms import BranchForm
from branches.models import Organization
from members.forms.member import MemberForm
from members.forms.registrations import RegistrationReportForm

pytestmark = pytest.mark.django_db

TOO_EARLY, TOO_LATE = "日期不能早于", "日期不能晚于"  # a day, or 今天 (today)


def forms(cast):
    """form name -> (a way to build it with data, {field: [(typed date, what it gets)]})."""
    user = cast.user("district_staff")
    ahead = (today() + datetime.timedelta(days=3 * 366)).isoformat()
    return {
        "meeting plan": (
            lambda data: MeetingForm(data, branch=cast.branch_a),
            {
                "planned_on": [
                    ("0001-01-01", TOO_EARLY),
                    ("1999-12-31", TOO_EARLY),
                    ("9999-12-31", TOO_LATE),
                    (ahead, TOO_LATE),
                    (today().isoformat(), None),
                    ((today() + datetime.timedelta(days=300)).isoformat(), None),
                ]
            },
        ),
        "meeting record": (
            lambda data: AttendanceSheetForm(data, roster=[]),
            {
                "held_on": [
                    ("0001-01-01", TOO_EARLY),
                    ("9999-12-31", "召开日期不能晚于今天"),
                    ("2010-05-04", None),
                ]
            },
        ),
        "care visit": (
            lambda data: CareVisitForm(
                data, meetings=Meeting.objects.none(), user=user, sensitive=True
            ),
            {"visited_on": [("0001-01-01", TOO_EARLY), ("9999-12-31", TOO_LATE)]},
        ),
        "activity": (
            lambda data: ActivityForm(data),
            {
                "held_on": [
                    ("0001-01-01", TOO_EARLY),
                    ("9999-12-31", TOO_LATE),
                    (today().isoformat(), None),
                ]
            },
        ),
        "branch": (
            lambda data: BranchForm(data, user=user),
            {
                "established_on": [
                    ("2200-01-01", TOO_LATE),
                    ("1921-06-30", TOO_EARLY),
                    ("1956-03-01", None),
                ],
                "dissolved_on": [("2200-01-01", TOO_LATE)],
            },
        ),
        "member": (
            lambda data: MemberForm(data, user=user),
            {
                "birth_date": [
                    ("1800-01-01", TOO_EARLY),
                    ("9999-12-31", TOO_LATE),
                    ("1940-02-29", None),
                ],
                "joined_party_on": [("1900-01-01", TOO_EARLY), ("1965-07-01", None)],
            },
        ),
        "registration": (
            lambda data: RegistrationReportForm(data, communities=Organization.objects.all()),
            {"reported_on": [("0001-01-01", TOO_EARLY), ("9999-12-31", TOO_LATE)]},
        ),
    }


def test_every_form_bounds_its_dates_with_a_chinese_error(cast):
    wrong = []
    with translation.override("zh-hans"):
        for name, (build, fields) in forms(cast).items():
            for field, cases in fields.items():
                for typed, expected in cases:
                    form = build({field: typed})
                    form.is_valid()
                    errors = " ".join(str(e) for e in form.errors.get(field, []))
                    if expected is None and (TOO_EARLY in errors or TOO_LATE in errors):
                        wrong.append(f"{name}.{field}={typed}: refused ({errors})")
                    if expected is not None and expected not in errors:
                        wrong.append(f"{name}.{field}={typed}: {errors or 'accepted'}")
    assert wrong == []


def test_the_date_picker_offers_only_the_allowed_days(cast):
    html = str(MeetingForm(branch=cast.branch_a)["planned_on"])
    assert 'min="2000-01-01"' in html and f'max="{today().year + 2}-' in html
    html = str(BranchForm(user=cast.user("district_staff"))["established_on"])
    assert 'min="1921-07-01"' in html and f'max="{today().isoformat()}"' in html
