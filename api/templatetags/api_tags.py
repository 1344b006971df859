"""The main menu's entries to the API's pages: `{% load api_tags %}{% api_nav %}`.
No queries: the capabilities are already loaded (`caps`)."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from accounts.access import MANAGE_ROLES, MANAGE_USERS, READ_AUDIT

register = template.Library()


@register.inclusion_tag("api/nav.html", takes_context=True)
def api_nav(context):
    caps = context.get("caps") or frozenset()
    return {
        "clients": bool(caps & {MANAGE_USERS, MANAGE_ROLES}),
        "requests": READ_AUDIT in caps,
    }


_CODE_SPAN = re.compile(r"`([^`]*)`")


@register.filter
def api_text(text) -> str:
    """A schema description as the docs page shows it: `code` spans (field names, enum
    codes: wire values, not wording) marked translate="no", line breaks kept."""
    parts = _CODE_SPAN.split(str(text or ""))
    html = "".join(
        format_html('<code translate="no">{}</code>', part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )
    # Every piece above is escaped (escape, format_html): only the <br>s are markup.
    return mark_safe(html.replace("\n", "<br>"))  # noqa: S308
