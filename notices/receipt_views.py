"""Pages of the receipts work.

Recipients (ANSWER_NOTICES over a branch of the notice): confirm (回执), reply (反馈).
Staff of a node inside the audience (SEND_NOTICES there): forward (转发).
Senders (SEND_NOTICES over the node that sent or forwarded it): the receipts page with
its drill-down and Excel export, and "remind those who have not confirmed" (催办).
A notice outside one's view answers 404; one seen but not answerable (or forwardable)
by the user answers 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from accounts import audit, stored_files
from accounts.models import AuditAction
from branches.access import SEND_NOTICES
from branches.exporting import Sheet, xlsx_response

from . import receipt_selectors as selectors
from . import receipts as services
from .models import Notice, NoticeState, ResponseKind
from .receipt_forms import ConfirmForm, ForwardForm, ReceiptFilterForm, RemindForm, ReplyForm

PAGE_SIZE = 50


def _sent_notice(request, pk, capability=None) -> Notice:
    """A sent notice the user sees (recipients' side too unless `capability`), or 404."""
    notice = (
        Notice.objects.visible_to(request.user, capability)
        .filter(pk=pk, state=NoticeState.SENT)
        .select_related("organization", "root", "root__organization")
        .first()
    )
    if notice is None:
        raise Http404
    return notice


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _posted(request):
    """The POST data for a form (bound even when empty: "confirm all" posts nothing)."""
    return request.POST if request.method == "POST" else None


def _original(notice: Notice) -> Notice:
    return notice.root or notice


# --- The recipient's side -------------------------------------------------------------------


def confirm(request, pk):
    notice = _sent_notice(request, pk)
    receipts = selectors.answerable(request.user, notice)
    mine = list(receipts)
    if not mine:
        raise PermissionDenied
    form = ConfirmForm(_posted(request), receipts=receipts)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["receipt"]
        target = receipts.filter(pk=chosen.pk) if chosen else receipts
        done = services.confirm(receipts=target, user=request.user, request=request)
        if done:
            messages.success(
                request,
                ngettext(
                    "Receipt confirmed for %(n)d branch.",
                    "Receipt confirmed for %(n)d branches.",
                    done,
                )
                % {"n": done},
            )
        else:
            messages.info(request, _("Already confirmed: there is no need to confirm again."))
        return redirect(_back(request, reverse("notices:confirm", args=[notice.pk])))
    original = _original(notice)
    # The page shows the notice's text: reading it here opens it.
    services.mark_opened(receipts=receipts, user=request.user, request=request)
    # The notes of the forwards on the way down to the user's branches, in order.
    notes = (
        Notice.objects.visible_to(request.user)
        .filter(root=original)
        .select_related("organization")
        .order_by("sent_at", "pk")
    )
    return render(
        request,
        "notices/receipts/confirm.html",
        {
            "notice": notice,
            "original": original,
            "notes": notes,
            "form": form,
            "mine": mine,
            "open": [r for r in mine if r.confirmed_at is None],
            "deadline": notice.deadline or original.deadline,
            "today": timezone.localdate(),
        },
    )


def reply(request, pk):
    notice = _sent_notice(request, pk)
    if notice.response != ResponseKind.REPLY:
        raise Http404
    receipts = selectors.answerable(request.user, notice)
    mine = list(receipts)
    if not mine:
        raise PermissionDenied
    waiting = [r for r in mine if r.replied_at is None]
    form = ReplyForm(_posted(request), request.FILES or None, receipts=receipts)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply(
                notice=notice,
                receipt=form.cleaned_data["receipt"],
                user=request.user,
                text_=form.cleaned_data["text"],
                files=form.cleaned_data["files"],
                request=request,
            )
        except services.ReceiptError as error:
            messages.info(request, str(error))
        else:
            messages.success(request, _("Your reply has been sent."))
        return redirect("notices:reply", pk=notice.pk)
    if request.method == "GET" and waiting:
        form.fields["receipt"].initial = waiting[0].pk
    deadline = notice.deadline or _original(notice).deadline
    return render(
        request,
        "notices/receipts/reply.html",
        {
            "notice": notice,
            "form": form,
            "mine": mine,
            "waiting": waiting,
            "deadline": deadline,
            "late": bool(deadline and timezone.localdate() > deadline),
        },
    )


def forward(request, pk):
    notice = _sent_notice(request, pk)
    nodes = selectors.forwarding_nodes(request.user, notice)
    if not nodes:
        raise PermissionDenied
    form = ForwardForm(
        _posted(request),
        request.FILES or None,
        nodes=nodes,
        audience=selectors.audience_choices(notice, nodes),
        latest=notice.deadline,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            forwarded = services.forward(
                notice=notice,
                user=request.user,
                node=data["node"],
                note=data["note"],
                audience=list(data["audience"]),
                deadline=data["deadline"],
                files=data["files"],
                request=request,
            )
        except services.ReceiptError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Forwarded to %(n)d branches.") % {"n": forwarded.recipient_count},
            )
            return redirect("notices:receipts", pk=forwarded.pk)
    return render(request, "notices/receipts/forward.html", {"notice": notice, "form": form})


def reply_file(request, pk):
    """A reply's file: always a download, never shown inline; audited as an export."""
    attachment = selectors.reply_attachment(request.user, pk)
    if attachment is None:
        raise Http404
    audit.record(
        AuditAction.EXPORT,
        attachment,
        request=request,
        after={
            "format": attachment.content_type,
            "branch": attachment.receipt.branch_id,
            "notice": attachment.receipt.notice_id,
        },
    )
    return stored_files.download(
        request,
        attachment.file.name,
        content_type=attachment.content_type,
        filename=attachment.original_name,
    )


# --- The sender's side ----------------------------------------------------------------------


def _following(request, pk) -> Notice:
    notice = _sent_notice(request, pk, SEND_NOTICES)
    if not selectors.follows_receipts(request.user, notice):
        raise Http404
    return notice


def _filters(request, notice):
    form = ReceiptFilterForm(request.GET)
    node = selectors.node_for(notice, form.value("node"))
    if node is None:
        raise Http404
    return form, node, form.value("state") or ""


def receipts(request, pk):
    notice = _following(request, pk)
    form, node, state = _filters(request, notice)
    parts, total = selectors.parts(notice, node)
    rows = Paginator(selectors.branch_receipts(notice, node, state), PAGE_SIZE).get_page(
        form.value("page") or 1
    )
    deadline = notice.deadline
    for receipt in rows:
        receipt.late_confirmed = selectors.is_late(receipt.confirmed_at, deadline)
        receipt.late_reply = selectors.is_late(receipt.replied_at, deadline)
    latest = selectors.last_round(notice)
    return render(
        request,
        "notices/receipts/receipts.html",
        {
            "notice": notice,
            "node": node,
            "trail": selectors.trail(notice, node),
            "parts": parts,
            "total": total,
            "page": rows,
            "state": state,
            "states": form.fields["state"].choices,
            "asks_reply": notice.response == ResponseKind.REPLY,
            "can_remind": notice.response != ResponseKind.NONE and node == notice.organization,
            "latest_round": latest,
        },
    )


def receipts_export(request, pk):
    notice = _following(request, pk)
    _form, node, state = _filters(request, notice)
    rows = list(selectors.branch_receipts(notice, node, state))
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="notices.receipts",
        object_id=str(notice.pk),
        object_repr=f"{notice.title} · {node.name}"[:200],
        after={"format": "xlsx", "node": node.pk, "state": state, "rows": len(rows)},
    )
    when = lambda value: (  # noqa: E731
        timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
    )
    header = [
        _("Branch"),
        pgettext("receipts", "Area"),
        pgettext("receipts", "Opened at"),
        pgettext("receipts", "Confirmed at"),
        pgettext("receipts", "Confirmed by"),
        pgettext("receipts", "Replied at"),
        pgettext("receipts", "Reply"),
        pgettext("receipts", "Files"),
        pgettext("receipts", "Late"),
    ]
    sheet = Sheet(
        title=pgettext("receipts", "Receipts"),
        heading=[
            notice.title,
            _("%(node)s · exported %(day)s")
            % {"node": node.name, "day": timezone.localdate().isoformat()},
        ],
        header=header,
        widths=[34, 16, 18, 18, 12, 18, 40, 30, 8],
        rows=[
            [
                r.branch.name,
                r.branch.organization.name,
                when(r.opened_at),
                when(r.confirmed_at),
                r.confirmed_by.display_name if r.confirmed_by else "",
                when(r.replied_at),
                r.reply,
                "、".join(a.original_name for a in r.attachments.all()),
                _("Yes")
                if selectors.is_late(r.replied_at or r.confirmed_at, notice.deadline)
                else "",
            ]
            for r in rows
        ],
    )
    return xlsx_response([sheet], f"{notice.title[:40]}-回执.xlsx")


def remind(request, pk):
    notice = _following(request, pk)
    if notice.response == ResponseKind.NONE:
        raise Http404
    latest = selectors.last_round(notice)
    total = selectors.counts(notice)
    form = RemindForm(_posted(request), initial={"last_round": latest.pk if latest else 0})
    if request.method == "POST" and form.is_valid():
        try:
            reminder = services.remind(
                notice=notice,
                user=request.user,
                seen_round=form.cleaned_data["last_round"] or 0,
                request=request,
            )
        except services.ReceiptError as error:
            messages.info(request, str(error))
        else:
            messages.success(
                request,
                ngettext(
                    "Reminder sent to the secretaries of %(n)d branch.",
                    "Reminder sent to the secretaries of %(n)d branches.",
                    reminder.branch_count,
                )
                % {"n": reminder.branch_count},
            )
        return redirect("notices:receipts", pk=notice.pk)
    return render(
        request,
        "notices/receipts/remind.html",
        {
            "notice": notice,
            "form": form,
            "total": total,
            "latest_round": latest,
            "unreachable": selectors.unreachable(notice),
        },
    )
