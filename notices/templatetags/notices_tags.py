"""The receipts work's part of a notice's page (the `_receipts.html` and `_respond.html`
includes): counts and links for the sender, the state and buttons for a recipient.
Each costs at most two queries, and none for a user with nothing to do there."""

from django import template

from branches.access import ANSWER_NOTICES, scope_for

from .. import receipt_selectors as selectors
from ..models import NoticeState, ResponseKind

register = template.Library()


@register.inclusion_tag("notices/includes/receipts_summary.html", takes_context=True)
def receipts_summary(context, notice):
    """For a sender: opened / confirmed / replied of N, with the receipts page."""
    user = context["request"].user
    if not selectors.follows_receipts(user, notice):
        return {"show": False}
    return {
        "show": True,
        "notice": notice,
        "total": selectors.counts(notice),
        "asks_reply": notice.response == ResponseKind.REPLY,
        "asks_answer": notice.response != ResponseKind.NONE,
    }


@register.inclusion_tag("notices/includes/respond_actions.html", takes_context=True)
def respond_actions(context, notice):
    """For a recipient: their branches' state, "confirm" (one POST), "reply", and for
    staff inside the audience "forward"."""
    request = context["request"]
    user = request.user
    if notice.state != NoticeState.SENT:
        return {"show": False}
    mine = []
    if scope_for(user).has(ANSWER_NOTICES):
        mine = list(selectors.answerable(user, notice))
    nodes = selectors.forwarding_nodes(user, notice)
    return {
        "show": bool(mine or nodes),
        "notice": notice,
        "mine": mine,
        "open": [r for r in mine if r.confirmed_at is None],
        "waiting_reply": notice.response == ResponseKind.REPLY
        and any(r.replied_at is None for r in mine),
        "asks_answer": notice.response != ResponseKind.NONE,
        "can_forward": bool(nodes),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
