"""The main menu's entry to the unit overview: `{% load unit_overview_tags %}` then
`{% unit_overview_nav %}`. Shown to whoever has units to look at (a unit's liaison, the
district, the city); no queries, the user's scope is already loaded."""

from django import template

from branches.access import scope_for
from units.overview.selectors import reaches_units

register = template.Library()


@register.inclusion_tag("units/overview/_nav.html", takes_context=True)
def unit_overview_nav(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"show": user is not None and reaches_units(scope_for(user))}
