"""The standing cast: one user per role in district A, with a sibling district B beside it.

滨海市 (city)
├── 东城区 district_a
│   ├── 和平街道 street_a ── 翠园社区 community_a ── branch_a (group_a, venue_a)
│   │                      └── functional_a (a street-level functional branch)
│   └── 新华街道 street_a2 ── 枫林社区 community_a2 ── branch_a2
└── 西湖区 district_b
    └── 长江街道 street_b ── 梅岭社区 community_b ── branch_b (group_b, venue_b)
"""

import os
from dataclasses import dataclass, field

import pytest

from branches.models import BranchKind

from . import factories as f
from .factories import Level, Role

# Browser tests run the ORM from Playwright's event-loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROLE_USERS = {
    # key: (role, attribute of the cast naming the covered node)
    "city_admin": (Role.CITY_ADMIN, "city"),
    "district_staff": (Role.DISTRICT_STAFF, "district_a"),
    "street_staff": (Role.STREET_STAFF, "street_a"),
    "community_secretary": (Role.COMMUNITY_SECRETARY, "community_a"),
    "branch_secretary": (Role.BRANCH_SECRETARY, "branch_a"),
    "unit_liaison": (Role.UNIT_LIAISON, "unit_a"),
    "system_admin": (Role.SYSTEM_ADMIN, "city"),
    "security_admin": (Role.SECURITY_ADMIN, "city"),
    "auditor": (Role.AUDITOR, "city"),
    # The same jobs one district over: they must see nothing of district A.
    "district_b_staff": (Role.DISTRICT_STAFF, "district_b"),
    "community_b_secretary": (Role.COMMUNITY_SECRETARY, "community_b"),
    "street_a2_staff": (Role.STREET_STAFF, "street_a2"),
}


@dataclass
class Cast:
    city: object
    district_a: object
    street_a: object
    community_a: object
    street_a2: object
    community_a2: object
    district_b: object
    street_b: object
    community_b: object
    venue_a: object
    venue_b: object
    branch_a: object
    branch_a2: object
    functional_a: object
    branch_b: object
    group_a: object
    group_b: object
    unit_a: object
    unit_b: object
    users: dict = field(default_factory=dict)

    def user(self, key):
        return self.users[key]


def build_cast() -> Cast:
    city = f.org(name="滨海市", level=Level.CITY, code="3199")
    district_a = f.org(name="东城区", level=Level.DISTRICT, parent=city, code="319901")
    street_a = f.org(name="和平街道", level=Level.STREET, parent=district_a, code="319901001")
    community_a = f.org(
        name="翠园社区", level=Level.COMMUNITY, parent=street_a, code="319901001001"
    )
    street_a2 = f.org(name="新华街道", level=Level.STREET, parent=district_a, code="319901002")
    community_a2 = f.org(
        name="枫林社区", level=Level.COMMUNITY, parent=street_a2, code="319901002001"
    )
    district_b = f.org(name="西湖区", level=Level.DISTRICT, parent=city, code="319902")
    street_b = f.org(name="长江街道", level=Level.STREET, parent=district_b, code="319902001")
    community_b = f.org(
        name="梅岭社区", level=Level.COMMUNITY, parent=street_b, code="319902001001"
    )
    venue_a = f.venue(organization=community_a)
    venue_b = f.venue(organization=community_b)
    branch_a = f.branch(organization=community_a, venue=venue_a)
    cast = Cast(
        city=city,
        district_a=district_a,
        street_a=street_a,
        community_a=community_a,
        street_a2=street_a2,
        community_a2=community_a2,
        district_b=district_b,
        street_b=street_b,
        community_b=community_b,
        venue_a=venue_a,
        venue_b=venue_b,
        branch_a=branch_a,
        branch_a2=f.branch(organization=community_a2),
        functional_a=f.branch(
            organization=street_a,
            name="和平街道银发志愿服务队功能型党支部",
            kind=BranchKind.FUNCTIONAL,
        ),
        branch_b=f.branch(organization=community_b, venue=venue_b),
        group_a=f.group(branch=branch_a),
        group_b=None,
        unit_a=f.unit(name="东城区教育局", district=district_a),
        unit_b=f.unit(name="西湖区财政局", district=district_b),
    )
    cast.group_b = f.group(branch=cast.branch_b)
    for key, (role, node_attr) in ROLE_USERS.items():
        cast.users[key] = f.user(username=key, role=role, node=getattr(cast, node_attr))
    cast.users["outsider"] = f.user(username="outsider")  # an account with no role at all
    return cast


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def client_for(client, cast):
    """client_for("community_secretary") -> a client logged in as that member of the cast."""

    def login(key):
        client.force_login(cast.user(key))
        return client

    return login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast creates a dozen users per test; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
