"""The bench's city files at a small size: they import cleanly, a second import changes
nothing, and each mistakes file writes nothing and names every planted mistake at its row
(bench/city_files.py runs the same at the city's size)."""

import io
import random

import pytest

from bench import city_files
from branches.models import Branch, Level, Organization, OriginalUnit, PartyGroup
from rollout.jobs import services
from rollout.jobs.plan import Action
from rollout.jobs.registry import get_kind

from ..conftest import xlsx

pytestmark = pytest.mark.django_db


def imported(kind, rows, node, *, write=True):
    plan = services.check_file(get_kind(kind), io.BytesIO(xlsx(rows)), node=node)
    if write and plan.ok:
        services.write_plan(get_kind(kind), plan, node=node)
    return plan


def counts():
    return tuple(m.objects.count() for m in (Organization, Branch, PartyGroup, OriginalUnit))


def test_a_small_city_imports_and_each_mistake_is_named_at_its_row():
    rng = random.Random(1)
    city_node = Organization.objects.create(
        code=city_files.CITY, name=city_files.CITY_NAME, level=Level.CITY
    )
    city = city_files.city_codes(2, 3, 2)
    files = {
        "structure": city_files.tree_rows(city),
        "branches": city_files.branch_rows(city, rng),
        "units": city_files.unit_rows(city, 20, rng),
    }
    for kind, rows in files.items():
        plan = imported(kind, rows, city_node)
        assert plan.ok, plan.errors
        assert plan.count(Action.ADD) == len(rows) - (2 if kind == "structure" else 1)
    before = counts()
    for kind, rows in files.items():  # a re-import leaves everything as it is
        plan = imported(kind, rows, city_node)
        assert plan.count(Action.LEAVE) == len(plan.rows) and not plan.count(Action.CHANGE)
    assert counts() == before
    for kind, (rows, expected) in city_files.mistake_files(city).items():
        plan = imported(kind, rows, city_node)
        assert {e["row"]: e["column"] for e in plan.errors} == expected, (kind, plan.errors)
        assert counts() == before, kind
