"""Study materials (学习资料) of a branch and of its meetings: the branch's library, and
linking a material to a meeting or unlinking it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from branches.access import RECORD_MEETING, VIEW_MEMBERS, VIEW_STRUCTURE, get_for_user, scope_for
from branches.models import Branch
from notices.library_selectors import branch_library, forwards_to
from notices.models import Notice, NoticeReceipt

from . import materials
from .forms import MaterialForm
from .models import Meeting, MeetingMaterial
from .views import get_meeting_for_user

LIBRARY_PAGE = 20


@dataclass
class LibraryEntry:
    receipt: NoticeReceipt
    forwards: list[Notice] = field(default_factory=list)  # who passed it down to the branch
    meetings: list[Meeting] = field(default_factory=list)  # the branch's meetings that used it

    @property
    def notice(self) -> Notice:
        return self.receipt.notice


def library(request, branch_pk):
    """学习资料库: the study materials addressed to the branch, newest first, whether the
    branch opened and confirmed each, and which of its meetings used it. Readable by
    whoever covers the branch; its meetings are named to those who may read them. A
    fixed number of queries per page (tests/notices/test_library.py)."""
    branch = get_for_user(
        request, Branch.objects.select_related("organization"), branch_pk, read=VIEW_STRUCTURE
    )
    scope = scope_for(request.user)
    page = Paginator(branch_library(branch.pk), LIBRARY_PAGE).get_page(request.GET.get("page"))
    receipts = list(page.object_list)
    ids = [receipt.notice_id for receipt in receipts]
    forwards = forwards_to(branch, ids)
    sees_meetings = scope.covers_branch(branch, VIEW_MEMBERS)
    uses = materials.uses_at(branch.pk, ids) if sees_meetings else {}
    entries = [
        LibraryEntry(r, forwards.get(r.notice_id, []), uses.get(r.notice_id, [])) for r in receipts
    ]
    return render(
        request,
        "activities/library.html",
        {
            "branch": branch,
            "page": page,
            "entries": entries,
            "sees_meetings": sees_meetings,
            "can_record": scope.covers_branch(branch, RECORD_MEETING),
        },
    )


def material_link(request, pk):
    """Use a study material of the branch's library at this meeting."""
    meeting = get_meeting_for_user(request, pk, write=True)
    form = MaterialForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        notice = form.cleaned_data["notice"]
        try:
            linked = materials.material_link(
                meeting=meeting, notice=notice, actor=request.user, request=request
            )
        except materials.MaterialError as error:
            messages.error(request, str(error))
        else:
            if linked:
                messages.success(
                    request, _("Study material added: %(title)s") % {"title": notice.title}
                )
        return redirect("activities:meeting_detail", pk=meeting.pk)
    return render(request, "activities/material_form.html", {"form": form, "meeting": meeting})


def material_unlink(request, pk, notice_pk):
    """Stop using a study material at this meeting (asks first; removing twice is fine)."""
    meeting = get_meeting_for_user(request, pk, write=True)
    material = (
        MeetingMaterial.objects.filter(meeting=meeting, notice_id=notice_pk)
        .select_related("notice")
        .first()
    )
    if request.method == "POST":
        if materials.material_unlink(
            meeting=meeting, notice_id=notice_pk, actor=request.user, request=request
        ):
            messages.success(request, _("The study material is no longer listed for this meeting."))
        return redirect("activities:meeting_detail", pk=meeting.pk)
    if material is None:
        return redirect("activities:meeting_detail", pk=meeting.pk)
    return render(
        request, "activities/material_unlink.html", {"meeting": meeting, "material": material}
    )
