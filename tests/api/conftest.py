"""API clients mirroring the standing cast: `api_for("community_secretary")` is a DRF test
client holding a fresh token of an API client whose account has exactly the roles of that
cast member (the admin roles cannot be given to an API client, so they have no twin)."""

import pytest
from rest_framework.test import APIClient

from api import services
from branches.models import StaffRole

from ..security.matrix import ROLES

ADMIN_KEYS = {"system_admin", "security_admin", "auditor"}
# Every cast member an API client can mirror.
API_ROLES = tuple(r for r in ROLES if r not in ADMIN_KEYS)


def make_api_client(*, name, roles_of=None, creator, rate_per_minute=600, days=30):
    """An API client with the roles of `roles_of` (a user, or None for no roles) and a
    token; returns (ApiClient, raw token)."""
    client = services.client_create(name=name, rate_per_minute=rate_per_minute, actor=creator)
    if roles_of is not None:
        for staff_role in roles_of.staff_roles.all():
            StaffRole.objects.create(
                user=client.user,
                role=staff_role.role,
                organization=staff_role.organization,
                branch=staff_role.branch,
                original_unit=staff_role.original_unit,
            )
    _, raw = services.token_issue(client=client, days=days, actor=creator)
    return client, raw


def bearer(raw: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def api_for(cast):
    """api_for(key) -> an APIClient for the API twin of cast member `key`;
    api_for("anonymous") -> a client with no token."""
    made = {}

    def get(key):
        if key == "anonymous":
            return APIClient()
        if key not in made:
            roles_of = None if key == "outsider" else cast.user(key)
            _, raw = make_api_client(
                name=f"twin of {key}", roles_of=roles_of, creator=cast.user("system_admin")
            )
            made[key] = bearer(raw)
        return made[key]

    return get
