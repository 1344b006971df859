"""Unit messages seen from other rooms' templates (members cannot import units):

- `{% unit_messages_nav %}`: the header's links (no queries: the scope is loaded once
  per request already);
- `{% registration_delivery registration %}`: on a member's page, how the original unit
  was told of the accepted registration (in the liaison's inbox / e-mail sent / failed
  with the reason / waiting). Two queries per registration shown (a member has few)."""

from django import template

from branches.access import MANAGE_UNIT_CONTACTS, VIEW_UNIT_WORK, scope_for
from units.messages import selectors

register = template.Library()


@register.inclusion_tag("units/messages/nav.html", takes_context=True)
def unit_messages_nav(context):
    request = context.get("request")
    if request is None or not context.get("login_complete"):
        return {"show": False}
    scope = scope_for(request.user)
    return {
        "show": True,
        "inbox": bool(scope.unit_ids(VIEW_UNIT_WORK)),
        "sent": bool(scope.paths(VIEW_UNIT_WORK)),
        "contacts": scope.has(MANAGE_UNIT_CONTACTS),
    }


@register.inclusion_tag("units/messages/_registration.html", takes_context=True)
def registration_delivery(context, registration):
    message = selectors.registration_message(registration.pk)
    request = context.get("request")
    return {
        "message": message,
        "deliveries": list(message.deliveries.all()) if message else [],
        # Who fixes the unit's channels may send a failed delivery again (the page
        # refuses others anyway).
        "can_resend": request is not None
        and message is not None
        and _fixes_channels(scope_for(request.user), message.unit),
    }


def _fixes_channels(scope, unit) -> bool:
    if unit.pk in scope.unit_ids(MANAGE_UNIT_CONTACTS):
        return True
    return unit.district is not None and scope.covers_path(unit.district.path, MANAGE_UNIT_CONTACTS)
