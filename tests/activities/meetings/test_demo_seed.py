"""seed_demo's meetings: three years that follow the cadence, with realistic gaps."""

import datetime
import random
from collections import defaultdict

import pytest
from django.db.models import F, Q

from activities.meetings.compliance import CellStatus, compliance
from activities.meetings.demo import seed_meetings
from activities.meetings.models import Attendance, MakeUp, Meeting, MeetingStatus
from branches.demo import seed_structure
from branches.models import Branch
from members.demo import seed_members
from members.models import Health, health_in

TODAY = datetime.date(2026, 11, 29)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            rng = random.Random(2026)
            structure = seed_structure(rng=rng, size="small", today=TODAY)
            seed_members(rng=rng, structure=structure, today=TODAY)
            stats = seed_meetings(rng=rng, today=TODAY, years=3)
            yield stats
            transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_seed_writes_three_years_of_meetings_with_attendance(seeded):
    assert seeded.meetings > 1000 and seeded.attendances > 10000
    first = Meeting.objects.order_by("planned_on").first().planned_on
    assert first >= datetime.date(2024, 1, 1)
    assert not Meeting.objects.filter(status=MeetingStatus.HELD, held_on__gt=TODAY).exists()
    assert Meeting.objects.filter(status=MeetingStatus.PLANNED, planned_on__gt=TODAY).exists()
    assert Meeting.objects.filter(status=MeetingStatus.CANCELLED).exists()


@pytest.mark.django_db
def test_every_line_belongs_to_the_members_home_branch_while_they_were_there(seeded):
    assert not Attendance.objects.exclude(member__home_branch=F("meeting__branch")).exists()
    gone_after = Attendance.objects.filter(
        ~Q(member__status="active"), meeting__held_on__gte=F("member__status_on")
    )
    assert not gone_after.exists()


@pytest.mark.django_db
def test_bedridden_members_are_excused_and_mostly_get_home_study(seeded):
    lines = Attendance.objects.filter(health_in(Health.BEDRIDDEN, prefix="member__"))
    assert lines.exists()
    assert set(lines.values_list("status", "reason").distinct()) == {("excused", "卧床")}
    delivered = MakeUp.objects.filter(attendance__in=lines, kind="home_delivery").count()
    assert delivered > 0.6 * lines.count()


@pytest.mark.django_db
def test_make_ups_close_only_gaps_and_come_after_the_meeting(seeded):
    assert MakeUp.objects.exists()
    assert not MakeUp.objects.filter(attendance__status__in=["present", "remote"]).exists()
    assert not MakeUp.objects.filter(made_up_on__lt=F("attendance__meeting__held_on")).exists()
    assert not MakeUp.objects.filter(made_up_on__gt=TODAY).exists()


@pytest.mark.django_db
def test_most_branches_keep_the_cadence_and_some_fall_behind(seeded):
    branches = list(Branch.objects.select_related("organization"))
    cells = compliance(
        branches, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), today=TODAY
    )
    statuses = [c.status for by_kind in cells.values() for kind in by_kind.values() for c in kind]
    met, behind = statuses.count(CellStatus.MET), statuses.count(CellStatus.BEHIND)
    assert met > behind > 0


@pytest.mark.django_db
def test_some_members_are_often_away(seeded):
    from django.db.models import Count

    rates = (
        Attendance.objects.exclude(health_in(Health.BEDRIDDEN, prefix="member__"))
        .values("member_id")
        .annotate(n=Count("pk"), missed=Count("pk", filter=Q(status__in=["excused", "absent"])))
        .filter(n__gte=20)
    )
    shares = [row["missed"] / row["n"] for row in rates]
    assert sum(1 for s in shares if s > 0.15) >= 3
    assert sum(1 for s in shares if s < 0.1) > len(shares) / 2


@pytest.mark.django_db
def test_minutes_describe_their_own_meetings_topic(seeded):
    held = Meeting.objects.filter(status=MeetingStatus.HELD).values_list("topic", "minutes")
    assert held.exists()
    assert [(t, m) for t, m in held if f"“{t}”" not in m] == []


@pytest.mark.django_db
def test_hosts_recorders_and_deliverers_are_members_of_the_branch_by_name(seeded):
    from members.models import Member

    names = defaultdict(set)
    for branch_id, name in Member.objects.values_list("home_branch_id", "name"):
        names[branch_id].add(name)
    meetings = Meeting.objects.exclude(status=MeetingStatus.CANCELLED)
    wrong = [
        (branch_id, host, recorder)
        for branch_id, host, recorder in meetings.values_list("branch_id", "host", "recorder")
        if host not in names[branch_id] or recorder not in names[branch_id]
    ]
    assert wrong == []
    assert meetings.exclude(host=F("recorder")).count() > 0.95 * meetings.count()
    assert all(
        f"{host}主持，{recorder}记录" in minutes
        for host, recorder, minutes in meetings.filter(status=MeetingStatus.HELD).values_list(
            "host", "recorder", "minutes"
        )
    )
    by = MakeUp.objects.values_list("attendance__meeting__branch_id", "delivered_by")
    assert by.exists() and all(name in names[branch_id] for branch_id, name in by)
