"""A branch's library of study materials (学习资料库): every sent notice of kind 学习资料
addressed to the branch, whichever level passed it down.

A forward (转发) writes no receipts of its own (notices.models): the branch holds a
receipt of the original, so the library is read from the branch's receipts, and the
forwards that reached it (by a node above the branch) are named beside each entry.
Reads only; the meetings that used a material are the meetings room's to add
(activities.meetings.materials), since a notice knows nothing of meetings.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from branches.models import Branch, Organization

from .models import Notice, NoticeKind, NoticeReceipt, NoticeState


def branch_library(branch_id: int) -> QuerySet[NoticeReceipt]:
    """The branch's receipts of sent study materials, newest first, with the notice and
    its sender (one query per page)."""
    return (
        NoticeReceipt.objects.filter(
            branch_id=branch_id,
            notice__kind=NoticeKind.STUDY,
            notice__state=NoticeState.SENT,
            notice__root__isnull=True,
        )
        .select_related("notice", "notice__organization")
        .order_by("-notice__sent_at", "-notice_id")
    )


def library_notices(branch_id: int) -> QuerySet[Notice]:
    """The study materials of the branch's library, as notices (for choosers)."""
    return (
        Notice.objects.filter(
            kind=NoticeKind.STUDY,
            state=NoticeState.SENT,
            root__isnull=True,
            receipts__branch_id=branch_id,
        )
        .select_related("organization")
        .order_by("-sent_at", "-pk")
    )


def forwards_to(branch: Branch, notice_ids: list[int]) -> dict[int, list[Notice]]:
    """{original notice id: its sent forwards by a node above `branch`} in the order they
    were sent: who passed each material down to the branch. One query."""
    if not notice_ids:
        return {}
    found: dict[int, list[Notice]] = defaultdict(list)
    forwards = (
        Notice.objects.filter(
            root_id__in=notice_ids,
            state=NoticeState.SENT,
            organization__path__in=Organization.path_prefixes(branch.organization.path),
        )
        .select_related("organization")
        .order_by("sent_at", "pk")
    )
    for forward in forwards:
        found[forward.root_id].append(forward)
    return dict(found)
