"""The header's link to the reminder inbox: `{% load reminder_tags %}{% reminder_nav %}`.

No queries: the unread count is fetched by the page after it loads (htmx GET of
reminders:unread_badge), so pages keep their query counts; without JavaScript the link
still leads to the inbox. Not before the log-in is complete (accounts'
login_state context processor): the badge would only be refused then."""

from django import template

register = template.Library()


@register.inclusion_tag("activities/reminders/nav.html", takes_context=True)
def reminder_nav(context):
    return {"show": bool(context.get("login_complete"))}
