"""Writes of notices: sending (the audience resolved to one receipt per branch)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch

from . import text
from .models import Notice, NoticeReceipt, NoticeState


class NoticeError(Exception):
    """A write refused for a reason the user can act on (the message is for them)."""


def audience_branches(notice: Notice, *, on=None):
    """The active branches a notice reaches: under its audience nodes (inside the
    sender's node), of its kinds when any are chosen. One query when iterated."""
    nodes = list(notice.audience.values_list("path", flat=True))
    if not nodes:
        return Branch.objects.none()
    where = Q()
    for path in nodes:
        if path.startswith(notice.organization.path):
            where |= Q(organization__path__startswith=path)
    branches = Branch.objects.active(on or timezone.localdate()).filter(where)
    if notice.branch_kinds:
        branches = branches.filter(kind__in=notice.branch_kinds)
    return branches


def send(*, notice: Notice, actor, request=None) -> int:
    """Send a draft: one receipt per branch of its audience, written in one INSERT, the
    state moved under a row lock (sending twice sends once). Returns the branch count."""
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.state != NoticeState.DRAFT:
            raise NoticeError(_("This notice has already been sent."))
        rows = list(audience_branches(locked).values_list("pk", "organization__path"))
        if not rows:
            raise NoticeError(_("No branch is in the chosen audience."))
        NoticeReceipt.objects.bulk_create(
            [NoticeReceipt(notice=locked, branch_id=pk, path=path) for pk, path in rows],
            batch_size=1000,
        )
        now = timezone.now()
        locked.state = NoticeState.SENT
        locked.sent_at = now
        locked.recipient_count = len(rows)
        locked.body_html = text.render(locked.body)
        locked.version += 1
        locked.save(update_fields=["state", "sent_at", "recipient_count", "body_html", "version"])
        audit.record(
            AuditAction.UPDATE,
            locked,
            actor=actor,
            request=request,
            before={"state": NoticeState.DRAFT},
            after={"state": NoticeState.SENT, "branches": len(rows)},
        )
    notice.refresh_from_db()
    return len(rows)
