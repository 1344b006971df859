"""Study materials (学习资料) used at meetings: linking a material of the branch's library
to one of its meetings, unlinking it, and the reads the pages need.

The library is the branch's (notices.library_selectors): only a study material addressed
to the meeting's branch can be linked. Linking twice is a no-op (the unique constraint),
unlinking what is gone too: a doubled POST changes nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from notices.library_selectors import library_notices
from notices.models import Notice

from .models import Meeting, MeetingMaterial, MeetingStatus


class MaterialError(ValueError):
    """A link the rules do not allow; the message is for the page."""


def meeting_materials(meeting: Meeting) -> list[MeetingMaterial]:
    """The materials of a meeting, in the order they were linked (one query)."""
    return list(
        MeetingMaterial.objects.filter(meeting=meeting)
        .select_related("notice", "notice__organization")
        .order_by("linked_at", "pk")
    )


def materials_of(meeting_ids: list[int]) -> dict[int, list[Notice]]:
    """{meeting id: its materials' notices} for many meetings (one query)."""
    found: dict[int, list[Notice]] = defaultdict(list)
    rows = (
        MeetingMaterial.objects.filter(meeting_id__in=meeting_ids)
        .select_related("notice")
        .order_by("linked_at", "pk")
    )
    for row in rows:
        found[row.meeting_id].append(row.notice)
    return dict(found)


def uses_at(branch_id: int, notice_ids: list[int]) -> dict[int, list[Meeting]]:
    """{notice id: the branch's meetings that used it}, newest meeting first (one query)."""
    found: dict[int, list[Meeting]] = defaultdict(list)
    rows = (
        MeetingMaterial.objects.filter(meeting__branch_id=branch_id, notice_id__in=notice_ids)
        .select_related("meeting")
        .order_by("-meeting__planned_on", "-meeting_id")
    )
    for row in rows:
        found[row.notice_id].append(row.meeting)
    return dict(found)


def linkable(meeting: Meeting) -> QuerySet[Notice]:
    """The branch's study materials not yet linked to this meeting."""
    return library_notices(meeting.branch_id).exclude(meeting_uses__meeting=meeting)


def make_up_choices(meeting: Meeting) -> QuerySet[Notice]:
    """What a make-up of this meeting may record as taken to the member: the branch's
    library, the meeting's own materials first (`at_meeting`)."""
    at_meeting = MeetingMaterial.objects.filter(meeting=meeting, notice=OuterRef("pk"))
    return (
        library_notices(meeting.branch_id)
        .annotate(at_meeting=Exists(at_meeting))
        .order_by("-at_meeting", "-sent_at", "-pk")
    )


def material_link(*, meeting: Meeting, notice: Notice, actor, request=None) -> bool:
    """Use a study material of the branch's library at the meeting. Returns whether it
    was linked now (False: it already was)."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise MaterialError(_("A cancelled meeting has no study materials."))
    if not library_notices(meeting.branch_id).filter(pk=notice.pk).exists():
        raise MaterialError(_("Choose a study material from this branch's library."))
    with transaction.atomic():
        material, created = MeetingMaterial.objects.get_or_create(
            meeting=meeting, notice=notice, defaults={"linked_by": actor}
        )
        if created:
            audit.record(
                AuditAction.CREATE,
                material,
                actor=actor,
                request=request,
                object_repr=f"{meeting.day:%Y-%m-%d} {meeting.topic} · {notice.title}"[:200],
                after={"meeting": meeting.pk, "notice": notice.pk, "title": notice.title},
            )
    return created


def material_unlink(*, meeting: Meeting, notice_id: int, actor, request=None) -> bool:
    """Stop using a material at the meeting. Returns whether a link was removed."""
    with transaction.atomic():
        material = (
            MeetingMaterial.objects.select_for_update()
            .select_related("notice")
            .filter(meeting=meeting, notice_id=notice_id)
            .first()
        )
        if material is None:
            return False
        audit.record(
            AuditAction.DELETE,
            material,
            actor=actor,
            request=request,
            object_repr=f"{meeting.day:%Y-%m-%d} {meeting.topic} · {material.notice.title}"[:200],
            before={"meeting": meeting.pk, "notice": notice_id, "title": material.notice.title},
        )
        material.delete()
    return True
