"""The main menu's entry to the notices: `{% load notice_tags %}{% notice_nav %}`.

No queries: the scope is already loaded, and the unread count is fetched by the page
after it loads (htmx GET of notices:unread_badge), so pages keep their query counts."""

from django import template

from branches.access import ANSWER_NOTICES, SEND_NOTICES, scope_for

register = template.Library()


@register.inclusion_tag("notices/nav.html", takes_context=True)
def notice_nav(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not context.get("login_complete"):
        return {"show": False}
    scope = scope_for(user)
    return {"show": scope.has(SEND_NOTICES) or scope.has(ANSWER_NOTICES)}
