"""seed_demo's unit events: the demo liaison's unit has told the demo community of a
newly retired cadre (open) and of its retirees in the other states; both demo logins see
them on their list."""

import pytest
from django.core.management import call_command
from django.test import Client

from branches.models import StaffRole
from units.events.models import UnitEvent

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_events_in_every_state_for_the_demo_liaison_and_community():
    call_command("seed_demo", size="small", meeting_years=1)
    unit = StaffRole.objects.get(user__username="liaison").original_unit
    community = StaffRole.objects.get(user__username="community").organization
    events = UnitEvent.objects.filter(unit=unit)
    assert set(events.values_list("state", flat=True)) == {"open", "accepted", "done", "declined"}
    assert events.get(kind="newly_retired").community == community
    for username in ("liaison", "community"):
        client = Client()
        client.force_login(StaffRole.objects.get(user__username=username).user)
        listed = client.get("/units/events/").context["page"].object_list
        assert any(e.kind == "newly_retired" for e in listed), username
