"""The grants every request reads (branches.access._grant_rows): SQL built once per
process, each user's own rows read with it."""

import pytest

from branches import access
from branches.access import Role

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
