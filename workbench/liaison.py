"""The original-unit liaison's panel: their units' retirees."""

from branches.access import VIEW_UNIT_MEMBERS
from branches.models import OriginalUnit


def panel(request, scope, today):
    if not scope.has(VIEW_UNIT_MEMBERS):
        return None
    units = OriginalUnit.objects.filter(pk__in=scope.unit_ids(VIEW_UNIT_MEMBERS))
    return {"units": list(units.order_by("name"))}
