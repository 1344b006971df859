"""The three administrators' panel (三权分立): each sees their own queue only."""

from branches.access import MANAGE_ROLES, MANAGE_USERS, READ_AUDIT


def panel(request, scope, today):
    flags = {
        "reads_audit": scope.has(READ_AUDIT),
        "manages_users": scope.has(MANAGE_USERS),
        "manages_roles": scope.has(MANAGE_ROLES),
    }
    return flags if any(flags.values()) else None
