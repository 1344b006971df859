"""The street and district staff's panel (and the city's): their area's figures."""

from branches.access import VIEW_DASHBOARD, Role

STAFF_ROLES = {Role.CITY_ADMIN, Role.DISTRICT_STAFF, Role.STREET_STAFF}


def panel(request, scope, today):
    if not (scope.roles & STAFF_ROLES and scope.has(VIEW_DASHBOARD)):
        return None
    return {}
