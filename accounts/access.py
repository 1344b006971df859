"""What accounts needs to know about a user's capabilities.

The one capability table lives in branches.access, a layer above accounts, which accounts
must not import. It asks through settings.ACCESS_SCOPE_FUNCTION ("branches.access.scope_for"),
the way Django asks for AUTH_USER_MODEL. The names below are the same strings as there
(tests/accounts/test_access.py checks that they exist in the table).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import Http404
from django.utils.module_loading import import_string

MANAGE_USERS = "can_manage_users"
MANAGE_ROLES = "can_manage_roles"
READ_AUDIT = "can_read_audit"
# The three separated admin jobs (三权分立): holding any of them needs a second factor.
ADMIN_CAPABILITIES = frozenset({MANAGE_USERS, MANAGE_ROLES, READ_AUDIT})


@cache
def _scope_function():
    return import_string(settings.ACCESS_SCOPE_FUNCTION)


def capabilities(user) -> frozenset[str]:
    """The user's capabilities (one query, cached on the user for the request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    return _scope_function()(user).capabilities


def has_capability(user, capability: str) -> bool:
    return capability in capabilities(user)


def require_capability(request, capability: str) -> None:
    """Pages of the admin jobs: anybody without the capability gets 404."""
    if not has_capability(request.user, capability):
        raise Http404


def needs_second_factor(user) -> bool:
    """Admin-role holders and Django-admin staff must pass a TOTP second factor."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or bool(capabilities(user) & ADMIN_CAPABILITIES)
