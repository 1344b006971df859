"""seed_demo's care data: needs with "1+X" carers, visits with festival rounds,
hospital visits and home study linked to the meetings' make-ups, follow-ups in every
state, and activities of every kind (a functional branch drawing on other branches'
members)."""

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from activities.care.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    CareNeed,
    Carer,
    CareVisit,
    CareVisitKind,
    FollowUpState,
)
from activities.meetings.models import MakeUp, MakeUpKind
from branches.models import BranchKind

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_care_and_activities(capsys):
    call_command("seed_demo", size="small", meeting_years=1)
    assert "Care (" in capsys.readouterr().out

    assert CareNeed.objects.count() > 50
    assert (
        not CareNeed.objects.annotate(leads=Count("carers", filter=Q(carers__is_lead=True)))
        .exclude(leads=1)
        .exists()
    )  # every need has exactly one lead carer (the "1")
    assert Carer.objects.filter(is_lead=False, helper_member__isnull=False).exists()  # "X"
    assert Carer.objects.filter(user__username="community").exists()

    occasions = set(CareVisit.objects.values_list("occasion", flat=True))
    assert {"春节", "七一", "重阳"} <= occasions
    kinds = set(CareVisit.objects.values_list("kind", flat=True))
    assert set(CareVisitKind.values) <= kinds
    home = CareVisit.objects.filter(kind=CareVisitKind.HOME_STUDY)
    assert home.exists()
    assert not home.filter(make_up__isnull=True).exists()
    assert not home.exclude(make_up__attendance__meeting=F("meeting")).exists()
    assert not home.exclude(make_up__attendance__member=F("member")).exists()
    assert MakeUp.objects.filter(kind=MakeUpKind.HOME_DELIVERY, care_visit__isnull=False).exists()

    states = set(
        CareVisit.objects.filter(follow_ups__isnull=False).values_list(
            "follow_ups__state", flat=True
        )
    )
    assert states == set(FollowUpState.values)

    assert set(Activity.objects.values_list("kind", flat=True)) == set(ActivityKind.values)
    assert (
        ActivityParticipant.objects.filter(activity__branch__kind=BranchKind.FUNCTIONAL)
        .exclude(member__home_branch=F("activity__branch"))
        .exists()
    )
