"""Who records the meetings of a functional branch that sits directly on a street
(functional_a): its own branch secretary, and the staff of that street. Street staff
still only read the meetings of the branches in the street's communities."""

import datetime
import random
import uuid

import pytest
from django.urls import reverse

from activities.meetings.models import Meeting, MeetingStatus
from branches.access import RECORD_MEETING, Role, scope_for
from branches.demo import seed_structure
from branches.models import Branch, BranchKind, Level
from retiree_party.management.commands.seed_demo import demo_logins
from tests import factories as f

pytestmark = pytest.mark.django_db


def record_form(topic):
    return {
        "record_key": str(uuid.uuid4()),
        "topic": topic,
        "held_on": "2025-06-01",
        "mode": "on_site",
        "kind": "theme_day",
    }


def post_record(client, branch, topic):
    url = reverse("activities:meeting_record_new", args=[branch.pk]) + "?kind=theme_day"
    return client.post(url, record_form(topic))


def test_street_staff_record_for_the_streets_functional_branch_not_for_a_communitys(
    cast, client_for
):
    street = client_for("street_staff")

    answer = post_record(street, cast.functional_a, "志愿服务队主题党日")
    assert answer.status_code == 302
    meeting = Meeting.objects.get(topic="志愿服务队主题党日")
    assert (meeting.branch, meeting.status) == (cast.functional_a, MeetingStatus.HELD)
    assert post_record(street, cast.branch_a, "社区支部主题党日").status_code == 403
    assert not Meeting.objects.filter(topic="社区支部主题党日").exists()
    # Another street's staff do not even see it.
    other = client_for("street_a2_staff")
    assert post_record(other, cast.functional_a, "别的街道").status_code == 404


def test_the_scope_grants_the_street_its_own_branches_only(cast):
    scope = scope_for(cast.user("street_staff"))
    assert scope.has(RECORD_MEETING)
    assert scope.covers_branch(cast.functional_a, RECORD_MEETING)
    assert not scope.covers_branch(cast.branch_a, RECORD_MEETING)
    recordable = Branch.objects.visible_to(cast.user("street_staff"), RECORD_MEETING)
    assert list(recordable) == [cast.functional_a]
    # A district grant reads the street's branches but records none of them.
    district = scope_for(cast.user("district_staff"))
    assert not district.covers_branch(cast.functional_a, RECORD_MEETING)


def test_a_branch_secretary_of_the_functional_branch_records_its_meetings(cast, client):
    secretary = f.user(
        username="functional_secretary", role=Role.BRANCH_SECRETARY, node=cast.functional_a
    )
    client.force_login(secretary)
    assert post_record(client, cast.functional_a, "志愿队学习").status_code == 302
    assert Meeting.objects.filter(branch=cast.functional_a, topic="志愿队学习").exists()
    assert post_record(client, cast.branch_a, "越权").status_code == 404


def test_the_demo_has_a_secretary_for_a_street_level_functional_branch():
    structure = seed_structure(
        rng=random.Random(2026), size="small", today=datetime.date(2026, 11, 29)
    )
    logins = {username: (role, node) for username, _name, role, node in demo_logins(structure)}
    role, branch = logins["functional"]
    assert role == Role.BRANCH_SECRETARY
    assert branch.kind == BranchKind.FUNCTIONAL
    street = logins["street"][1]
    assert branch.organization_id == street.pk and street.level == Level.STREET
