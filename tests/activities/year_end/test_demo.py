"""seed_demo's year ends: the demo street's branches done, in progress and not started,
the demo secretary's branch in progress with last year's open item carried over."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from activities.year_end import selectors
from activities.year_end.models import RectificationItem, YearEndCycle
from branches.models import StaffRole

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_year_ends_in_every_state(capsys):
    call_command("seed_demo", size="small", meeting_years=1)
    assert "Year end: " in capsys.readouterr().out
    today = timezone.localdate()
    own = StaffRole.objects.get(user__username="branch").branch
    street = StaffRole.objects.get(user__username="street").organization
    branches = list(
        own.__class__.objects.active(today).filter(organization__path__startswith=street.path)
    )
    found = selectors.year_end_status([b.pk for b in branches], today.year, today)
    states = {s.state for s in found.values()}
    assert states >= {selectors.NOT_STARTED, selectors.IN_PROGRESS}
    # The "done" branches: done but for the 组织生活会 when it is still ahead this December.
    assert any(
        s.steps["talks"] == s.steps["appraisal"] == s.steps["rectification"] == selectors.DONE
        and s.state == (selectors.DONE if s.meeting_held else selectors.IN_PROGRESS)
        for s in found.values()
    )
    assert found[own.pk].state == selectors.IN_PROGRESS
    assert found[own.pk].open_items >= 1
    assert RectificationItem.objects.filter(branch=own, year=today.year - 1).still_open()
    assert YearEndCycle.objects.filter(branch=own, year=today.year).exists()
