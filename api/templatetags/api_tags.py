"""The main menu's entries to the API's pages: `{% load api_tags %}{% api_nav %}`.
No queries: the capabilities are already loaded (`caps`)."""

from django import template

from accounts.access import MANAGE_ROLES, MANAGE_USERS, READ_AUDIT

register = template.Library()


@register.inclusion_tag("api/nav.html", takes_context=True)
def api_nav(context):
    caps = context.get("caps") or frozenset()
    return {
        "clients": bool(caps & {MANAGE_USERS, MANAGE_ROLES}),
        "requests": READ_AUDIT in caps,
    }
