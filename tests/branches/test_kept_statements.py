"""Statements every request runs, built by the ORM once per process and run with each
request's values: the user's grants (branches.access._grant_rows) and the figures
versions (Organization.figures_key_at)."""

import pytest

from branches import access
from branches import models as branch_models
from branches.access import Role
from branches.models import Organization

from .. import factories as f

pytestmark = pytest.mark.django_db


def test_each_user_reads_their_own_grants_with_the_statement_built_once():
    city = f.org(level="city", name="市")
    district = f.org(level="district", name="区", parent=city)
    first = f.user(username="first", role=Role.DISTRICT_STAFF, node=district)
    second = f.user(username="second", role=Role.CITY_ADMIN, node=city)
    f.grant(second, Role.DISTRICT_STAFF, district)
    assert access._grant_rows(first) == [(Role.DISTRICT_STAFF, district.path, None, None)]
    assert access._GRANTS_SQL
    assert sorted(access._grant_rows(second)) == sorted(
        second.staff_roles.values_list(*access.GRANT_FIELDS)
    )
    assert len(access._grant_rows(second)) == 2
    assert access._grant_rows(f.user(username="nobody")) == []


def test_the_figures_versions_are_read_with_the_kept_statement_as_the_orm_reads_them():
    city = f.org(level="city", name="市")
    district = f.org(level="district", name="区", parent=city)
    other = f.org(level="district", name="另一区", parent=city)
    street = f.org(level="street", name="街道", parent=district)
    for paths in ([district.path], [street.path], [city.path], [street.path, other.path]):
        paths = sorted(paths)
        prefixes = sorted({p for path in paths for p in Organization.path_prefixes(path)})
        kept = branch_models._figures_rows(paths, prefixes)
        assert kept == list(branch_models._figures_query(paths, prefixes))
    assert len(branch_models._FIGURES_SQL) >= 3
    before = Organization.figures_key_at([street.path, other.path])
    Organization.objects.filter(pk=other.pk).touch_figures()
    after = Organization.figures_key_at([street.path, other.path])
    assert before.split("+")[0] == after.split("+")[0] and before != after
