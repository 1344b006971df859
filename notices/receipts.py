"""Writes of the receipts work: confirm (回执), reply (反馈), remind (催办), forward (转发).

Each is one transaction, audited, and safe to submit twice: a confirmation or a reply
is a conditional UPDATE on rows locked first (a second submit finds nothing open and
changes nothing), a reminder round is refused when a newer one exists than the sender
saw, and a node forwards a notice once.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.audit import Change
from accounts.models import AuditAction
from branches.models import Organization

from . import text
from .models import (
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    NoticeReminder,
    NoticeState,
    ResponseKind,
)
from .signals import receipts_confirmed


class ReceiptError(Exception):
    """A write refused for a reason the user can act on (the message is for them)."""


def _confirming(user, now) -> dict:
    """The UPDATE's fields that confirm (and open, if not yet) a receipt."""

    def first(field: str, when_null: str, value):
        # The value only where `when_null` is still empty: a row confirmed (or opened)
        # already keeps who did it and when.
        return Case(
            When(**{f"{when_null}__isnull": True}, then=Value(value)),
            default=F(field),
            output_field=NoticeReceipt._meta.get_field(field),
        )

    return {
        "confirmed_at": first("confirmed_at", "confirmed_at", now),
        "confirmed_by": first("confirmed_by", "confirmed_at", user.pk),
        "opened_at": first("opened_at", "opened_at", now),
        "opened_by": first("opened_by", "opened_at", user.pk),
    }


def mark_opened(*, receipts, user, request=None) -> int:
    """Note the first opening of `receipts` (the user's answerable receipts of a notice
    they are reading); later visits write nothing. Returns how many were opened now."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            receipts.filter(opened_at__isnull=True)
            .select_for_update(of=("self",))
            .values_list("pk", "notice_id", "branch_id")
        )
        if not rows:
            return 0
        NoticeReceipt.objects.filter(
            pk__in=[pk for pk, _n, _b in rows], opened_at__isnull=True
        ).update(opened_at=now, opened_by=user)
        audit.record_many(
            [
                Change(
                    AuditAction.UPDATE,
                    object_type="notices.noticereceipt",
                    object_id=str(pk),
                    object_repr=f"{notice_id} · {branch_id}",
                    before={"opened_at": None},
                    after={"opened_at": now.isoformat(), "opened_by": user.pk},
                )
                for pk, notice_id, branch_id in rows
            ],
            actor=user,
            request=request,
        )
    return len(rows)


def confirm(*, receipts, user, request=None) -> int:
    """Confirm the open ones of `receipts` (the user's answerable receipts of one
    notice, maybe narrowed to one). Returns how many were confirmed now: 0 means all were
    already (a double submit), and nothing changed."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            receipts.filter(confirmed_at__isnull=True)
            .select_for_update(of=("self",))
            .values_list("pk", "notice_id", "branch_id")
        )
        if not rows:
            return 0
        NoticeReceipt.objects.filter(
            pk__in=[pk for pk, _n, _b in rows], confirmed_at__isnull=True
        ).update(**_confirming(user, now))
        audit.record_many(
            [
                Change(
                    AuditAction.UPDATE,
                    object_type="notices.noticereceipt",
                    object_id=str(pk),
                    object_repr=f"{notice_id} · {branch_id}",
                    before={"confirmed_at": None},
                    after={"confirmed_at": now.isoformat(), "confirmed_by": user.pk},
                )
                for pk, notice_id, branch_id in rows
            ],
            actor=user,
            request=request,
        )
        receipts_confirmed.send(
            sender=NoticeReceipt,
            notice_id=rows[0][1],
            branch_ids=[branch_id for _pk, _n, branch_id in rows],
        )
    return len(rows)


def reply(*, notice: Notice, receipt: NoticeReceipt, user, text_: str, files, request=None):
    """Reply for one branch: the text and files in one transaction, confirming the
    receipt too. A branch replies once; a second submit is refused (ReceiptError) and
    changes nothing. `files`: (upload, content type) pairs, already checked."""
    if notice.response != ResponseKind.REPLY:
        raise ReceiptError(_("This notice asks for no reply."))
    now = timezone.now()
    with transaction.atomic():
        locked = (
            NoticeReceipt.objects.select_for_update()
            .filter(pk=receipt.pk)
            .values_list("replied_at", "confirmed_at")
        ).first()
        if locked is None:
            raise ReceiptError(_("This notice is no longer addressed to your branch."))
        replied_at, confirmed_at = locked
        if replied_at is not None:
            raise ReceiptError(_("Your branch has already replied to this notice."))
        NoticeReceipt.objects.filter(pk=receipt.pk, replied_at__isnull=True).update(
            reply=text_.strip(), replied_at=now, **_confirming(user, now)
        )
        for upload, content_type in files:
            NoticeAttachment.objects.create(
                receipt_id=receipt.pk,
                file=upload,
                original_name=upload.name[:120],
                content_type=content_type,
                size=upload.size,
                uploaded_by=user,
                uploaded_at=now,
            )
        after = {"replied_at": now.isoformat(), "files": len(files)}
        if confirmed_at is None:
            after.update(confirmed_at=now.isoformat(), confirmed_by=user.pk)
        audit.record(
            AuditAction.UPDATE,
            object_type="notices.noticereceipt",
            object_id=str(receipt.pk),
            object_repr=f"{receipt.notice_id} · {receipt.branch_id}",
            actor=user,
            request=request,
            before={"replied_at": None},
            after=after,
        )
        if confirmed_at is None:
            receipts_confirmed.send(
                sender=NoticeReceipt, notice_id=receipt.notice_id, branch_ids=[receipt.branch_id]
            )


def remind(*, notice: Notice, user, seen_round: int, request=None) -> NoticeReminder:
    """A reminder round for the branches under the notice's node not yet confirmed. The
    reminders app writes one inbox item per secretary of each (activities.messaging
    .hooks, in this transaction). Refused when a newer round exists than the sender saw
    (`seen_round`: a double submit) or when nobody is left to remind."""
    if notice.response == ResponseKind.NONE:
        raise ReceiptError(_("This notice asks for no confirmation."))
    with transaction.atomic():
        Notice.objects.select_for_update().filter(pk=notice.pk).values_list("pk").first()
        latest = NoticeReminder.objects.filter(notice=notice).order_by("-pk").first()
        if (latest.pk if latest else 0) != seen_round:
            raise ReceiptError(
                _("A reminder has just been sent; there is no need to send it again.")
            )
        open_count = NoticeReceipt.objects.filter(
            notice_id=notice.original_id,
            path__startswith=notice.organization.path,
            confirmed_at__isnull=True,
        ).count()
        if not open_count:
            raise ReceiptError(_("Every branch has confirmed: there is nobody to remind."))
        reminder = NoticeReminder.objects.create(
            notice=notice, requested_by=user, branch_count=open_count
        )
        audit.record(
            AuditAction.CREATE,
            reminder,
            actor=user,
            request=request,
            after={"notice": notice.pk, "branches": open_count},
        )
    return reminder


def forward(
    *,
    notice: Notice,
    user,
    node: Organization,
    note: str,
    audience: list[Organization],
    deadline: datetime.date | None,
    files,
    request=None,
) -> Notice:
    """Pass `notice` down from `node` (a node strictly inside the notice's node, which
    the caller checked the user may send from): a sent Notice with the note, the
    audience (inside `node`), an earlier deadline if any, and the files. It writes no
    receipts: the original's receipts of the branches under `node` are its receipts.
    A node forwards a notice once (a second submit is refused)."""
    original = notice.root or notice
    if not audience or any(not org.path.startswith(node.path) for org in audience):
        raise ReceiptError(_("A notice can only be forwarded inside your own area."))
    if not node.path.startswith(notice.organization.path) or node.pk == notice.organization_id:
        raise ReceiptError(_("A notice can only be forwarded inside your own area."))
    if deadline and notice.deadline and deadline > notice.deadline:
        raise ReceiptError(_("The deadline can only be earlier than the notice's own."))
    now = timezone.now()
    with transaction.atomic():
        Notice.objects.select_for_update().filter(pk=original.pk).values_list("pk").first()
        if Notice.objects.filter(root=original, organization=node).exists():
            raise ReceiptError(
                _("%(node)s has already forwarded this notice.") % {"node": node.name}
            )
        reached = Q()
        for org in audience:
            reached |= Q(path__startswith=org.path)
        count = NoticeReceipt.objects.filter(notice=original).filter(reached).count()
        if not count:
            raise ReceiptError(_("No branch under the chosen areas has this notice."))
        forwarded = Notice.objects.create(
            organization=node,
            author=user,
            kind=original.kind,
            title=original.title,
            body=note,
            body_html=text.render(note),
            response=original.response,
            deadline=deadline or notice.deadline,
            branch_kinds=original.branch_kinds,
            forwarded_from=notice,
            root=original,
            state=NoticeState.SENT,
            recipient_count=count,
            sent_at=now,
            created_at=now,
        )
        forwarded.audience.set(audience)
        for upload, content_type in files:
            NoticeAttachment.objects.create(
                notice=forwarded,
                file=upload,
                original_name=upload.name[:120],
                content_type=content_type,
                size=upload.size,
                uploaded_by=user,
                uploaded_at=now,
            )
        audit.record(
            AuditAction.CREATE,
            forwarded,
            actor=user,
            request=request,
            after={
                "forwarded_from": notice.pk,
                "organization": node.pk,
                "audience": sorted(org.pk for org in audience),
                "deadline": forwarded.deadline.isoformat() if forwarded.deadline else None,
                "files": len(files),
                "branches": count,
            },
        )
    return forwarded
