"""`{% kept_per_grants "name" %}...{% endkept_per_grants %}`: a fragment rendered once per
process for each set of grants, language and login state (the main menu: its ~20 links
and six menu tags were ~1.3 ms of every page).

What is inside may depend on the reader's scope (`caps`, `scope_for`), the language and
`login_complete` only: two readers with the very same grants get the very same bytes. So
nothing else from the user or the database, and no per-request value (a CSRF token, the
path), or another reader would be shown it. The entries hold no data but markup; a
change of grants is a new key, a deploy a new process."""

from __future__ import annotations

from django import template
from django.urls import get_script_prefix
from django.utils.translation import get_language

from ..access import scope_for

register = template.Library()

KEEP_AT_MOST = 1000  # distinct (grants, language) pairs; then start over
_kept: dict[tuple, str] = {}


@register.tag
def kept_per_grants(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('Use {% kept_per_grants "name" %}.')
    nodelist = parser.parse(("endkept_per_grants",))
    parser.delete_first_token()
    return KeptPerGrantsNode(bits[1][1:-1], nodelist)


class KeptPerGrantsNode(template.Node):
    def __init__(self, name: str, nodelist):
        self.name = name
        self.nodelist = nodelist

    def render(self, context):
        request = context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.nodelist.render(context)
        key = (
            self.name,
            get_language(),
            get_script_prefix(),
            bool(context.get("login_complete")),
            frozenset(scope_for(user).grants),
        )
        html = _kept.get(key)
        if html is None:
            html = self.nodelist.render(context)
            if len(_kept) >= KEEP_AT_MOST:
                _kept.clear()
            _kept[key] = html
        return html
