"""Notice pages. Thin: resolve through the access helpers, validate with a form, call a
service or selector, render or redirect."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csp import csp_override

from accounts import audit, stored_files
from accounts.models import AuditAction
from branches.access import (
    ANSWER_NOTICES,
    SEND_NOTICES,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import BranchKind

from . import selectors, services, text
from .forms import BODY_MAX, NoticeForm, ReceivedFilterForm, SendForm, SentFilterForm
from .models import Notice, NoticeAttachment, NoticeState, ResponseKind

PER_PAGE = 20


# --- Access helpers: every notice a view touches comes through one of these ------------


def get_notice_for_user(request, pk, *, write=False):
    """Read: the sender's side or the recipients' (404 for anybody else). Write (a
    draft's edit and send): only from the node it is written at (403 for a reader)."""
    notice = get_for_user(request, Notice.objects.select_related("organization", "author"), pk)
    if write and notice.organization.path not in selectors.sending_paths(request.user):
        raise PermissionDenied
    return notice


def _require_notices(request):
    """The notice pages are for those who send or answer notices; 404 for the rest."""
    scope = scope_for(request.user)
    if not (scope.has(SEND_NOTICES) or scope.has(ANSWER_NOTICES)):
        raise Http404
    return scope


# --- Lists -----------------------------------------------------------------------------


def received_list(request):
    scope = _require_notices(request)
    form = ReceivedFilterForm(request.GET)
    today = timezone.localdate()
    qs = selectors.received(request.user, today=today, **form.filters())
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    for notice in page.object_list:
        notice.my_state = _receipt_state(notice)
        notice.late = _late(notice, notice.mine_open, today)
    return render(
        request,
        "notices/received.html",
        {
            "page": page,
            "form": form,
            "answers": scope.has(ANSWER_NOTICES),
            "sends": scope.has(SEND_NOTICES),
            "tab": "received",
        },
    )


def _receipt_state(notice) -> str:
    if not notice.mine:
        return ""
    if notice.mine_unopened:
        return "unread"
    return "opened" if notice.mine_open else "confirmed"


def _late(notice, still_open: int, today) -> bool:
    return bool(
        notice.deadline
        and notice.deadline < today
        and notice.response != ResponseKind.NONE
        and still_open
    )


def sent_list(request):
    require_capability(request, SEND_NOTICES)
    form = SentFilterForm(request.GET)
    today = timezone.localdate()
    page = Paginator(selectors.sent(request.user, **form.filters()), PER_PAGE).get_page(
        request.GET.get("page")
    )
    for notice in page.object_list:
        notice.late = notice.state == NoticeState.SENT and _late(
            notice, notice.total - notice.confirmed, today
        )
    return render(
        request,
        "notices/sent.html",
        {
            "page": page,
            "form": form,
            "answers": scope_for(request.user).has(ANSWER_NOTICES),
            "sends": True,
            "tab": "sent",
        },
    )


def unread_badge(request):
    """The menu's count of notices not opened yet, fetched by the page after it loads
    (htmx) so that no page pays a query for it."""
    scope = _require_notices(request)
    return render(
        request,
        "notices/unread_badge.html",
        {"answers": scope.has(ANSWER_NOTICES), "count": selectors.unread_count(request.user)},
    )


# --- Writing ---------------------------------------------------------------------------


def _preview(request) -> str:
    return text.render(request.POST.get("body", "")[:BODY_MAX])


def notice_create(request):
    require_capability(request, SEND_NOTICES)
    nodes = selectors.sending_nodes(request.user)
    if not nodes:
        raise Http404
    form = NoticeForm(request.POST or None, request.FILES or None, nodes=nodes)
    preview = None
    if request.method == "POST":
        if "preview" in request.POST:
            preview = _preview(request)
        elif form.is_valid():
            notice = services.create_draft(
                organization=form.sending_node(),
                details=form.details(),
                audience=form.cleaned_data["audience"],
                uploads=form.cleaned_data["files"],
                client_key=form.cleaned_data["client_key"],
                actor=request.user,
                request=request,
            )
            return _saved(request, notice)
    return render(
        request,
        "notices/form.html",
        {"form": form, "preview": preview, "title": _("Write a notice"), "notice": None},
    )


def _saved(request, notice):
    if "send" in request.POST:
        return redirect("notices:send", pk=notice.pk)
    messages.success(
        request, _("The draft is saved. Check it below, then send it when it is ready.")
    )
    return redirect("notices:detail", pk=notice.pk)


def notice_edit(request, pk):
    notice = get_notice_for_user(request, pk, write=True)
    if notice.state != NoticeState.DRAFT:
        messages.error(request, _("This notice has already been sent: it can no longer be edited."))
        return redirect("notices:detail", pk=notice.pk)
    nodes = selectors.sending_nodes(request.user)
    form = NoticeForm(request.POST or None, request.FILES or None, nodes=nodes, notice=notice)
    preview = conflict = None
    if request.method == "POST":
        if "preview" in request.POST:
            preview = _preview(request)
        elif form.is_valid():
            try:
                notice = services.update_draft(
                    notice=notice,
                    details=form.details(),
                    audience=form.cleaned_data["audience"],
                    uploads=form.cleaned_data["files"],
                    remove=form.cleaned_data["remove"],
                    version=form.cleaned_data["version"],
                    actor=request.user,
                    request=request,
                )
            except services.NoticeConflict as error:
                # The user's input stays; the form moves on to the saved version, so
                # saving again is a choice made knowing the draft changed.
                conflict = error.notice
                form.data = form.data.copy()
                form.data["version"] = conflict.version
            except services.NoticeError as error:
                messages.error(request, str(error))
                return redirect("notices:detail", pk=notice.pk)
            else:
                return _saved(request, notice)
    return render(
        request,
        "notices/form.html",
        {
            "form": form,
            "preview": preview,
            "conflict": conflict,
            "title": _("Edit the draft"),
            "notice": notice,
        },
        status=409 if conflict is not None else 200,
    )


def notice_send(request, pk):
    """Confirm, then send: the page says how many branches it will reach."""
    notice = get_notice_for_user(request, pk, write=True)
    if notice.state != NoticeState.DRAFT:
        messages.error(request, _("This notice has already been sent."))
        return redirect("notices:detail", pk=notice.pk)
    data = request.POST if request.method == "POST" else None
    form = SendForm(data, initial={"version": notice.version})
    if request.method == "POST" and form.is_valid():
        try:
            count = services.send(
                notice=notice,
                actor=request.user,
                request=request,
                version=form.cleaned_data["version"],
            )
        except services.NoticeConflict:
            messages.error(
                request,
                _(
                    "Someone else changed this draft after you opened this page. "
                    "Check it and send again."
                ),
            )
            return redirect("notices:send", pk=notice.pk)
        except services.NoticeError as error:
            messages.error(request, str(error))
            return redirect("notices:detail", pk=notice.pk)
        messages.success(
            request,
            ngettext("Sent to %(count)d branch.", "Sent to %(count)d branches.", count)
            % {"count": count},
        )
        return redirect("notices:detail", pk=notice.pk)
    return render(
        request,
        "notices/send.html",
        {
            "form": form,
            "notice": notice,
            "branch_count": services.audience_branches(notice).count(),
            "audience": list(notice.audience.all()),
            "kinds": [BranchKind(kind).label for kind in notice.branch_kinds],
        },
    )


# --- Reading ---------------------------------------------------------------------------


def notice_detail(request, pk):
    notice = get_notice_for_user(request, pk)
    services.mark_opened(notice=notice, user=request.user)
    chain = selectors.forward_chain(notice)
    # On an original: the notes of the levels that passed it on to this reader (their
    # own forwards for the sender's side, the forwards above their branches for a
    # recipient), so a secretary reading the district's notice sees the street's note.
    passed_on = [] if notice.is_forward else selectors.forwards_seen(notice, request.user)
    scope = scope_for(request.user)
    is_sender = scope.covers_path(notice.organization.path, SEND_NOTICES)
    is_recipient = (
        notice.state == NoticeState.SENT
        and Notice.objects.addressed_to(request.user).filter(pk=notice.pk).exists()
    )
    return render(
        request,
        "notices/detail.html",
        {
            "notice": notice,
            "chain": chain,
            "passed_on": passed_on,
            "attachments": selectors.attachments_of([*chain, notice, *passed_on]),
            "is_sender": is_sender,
            "is_recipient": is_recipient,
            "can_edit": notice.state == NoticeState.DRAFT
            and notice.organization.path in selectors.sending_paths(request.user),
            "past_deadline": bool(notice.deadline and notice.deadline < timezone.localdate()),
        },
    )


# The site's policy plus `sandbox`: were a file ever rendered by the browser after all, it
# would run as an opaque origin with no scripts, forms or access to the portal.
@csp_override({**settings.SECURE_CSP, "sandbox": True})
def attachment_download(request, pk):
    """A notice's file, only to those who may read the notice, always as a download
    (never shown inline: a file is never rendered as a page of the portal). It counts
    as opening the notice, and is audited like an export."""
    attachment = get_for_user(
        request, NoticeAttachment.objects.select_related("notice", "notice__organization"), pk
    )
    services.mark_opened(notice=attachment.notice, user=request.user)
    extension = attachment.original_name.rsplit(".", 1)[-1].lower()
    audit.record(
        AuditAction.EXPORT,
        attachment,
        request=request,
        after={"format": extension, "notice": attachment.notice_id},
    )
    return stored_files.download(
        request,
        attachment.file.name,
        content_type=attachment.content_type,
        filename=attachment.original_name,
    )
