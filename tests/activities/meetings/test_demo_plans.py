"""seed_demo plans every branch's meetings for the next 30 days (the home page's list), the
demo branch secretary's included."""

import datetime
import random

from activities.meetings.demo import seed_meetings
from activities.meetings.models import Meeting, MeetingStatus
from branches.demo import seed_structure
from branches.models import Branch
from members.demo import seed_members
from retiree_party.management.commands.seed_demo import demo_logins


def test_every_branch_with_members_has_meetings_planned_for_the_next_30_days(db):
    today = datetime.date(2026, 12, 2)  # next month's meetings are mostly beyond 30 days
    rng = random.Random(2026)
    structure = seed_structure(rng=rng, size="small", today=today)
    seed_members(rng=rng, structure=structure, today=today)
    seed_meetings(rng=rng, today=today, years=1)
    soon = Meeting.objects.filter(
        status=MeetingStatus.PLANNED,
        planned_on__gt=today,
        planned_on__lte=today + datetime.timedelta(days=30),
    )
    with_members = set(
        Branch.objects.filter(home_members__isnull=False, dissolved_on__isnull=True).values_list(
            "pk", flat=True
        )
    )
    assert with_members and with_members <= set(soon.values_list("branch_id", flat=True))
    # Among them the branch of seed_demo's branch secretary login.
    login_branch = next(node for *_, node in demo_logins(structure) if isinstance(node, Branch))
    assert login_branch.pk in with_members
    assert not Meeting.objects.filter(
        status=MeetingStatus.PLANNED, planned_on__gt=today + datetime.timedelta(days=30)
    ).exists()
