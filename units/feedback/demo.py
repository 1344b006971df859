"""Demo feedback reports: the demo liaison's unit gets one acknowledged report (with a
reply), one sent and waiting, and one draft its community has yet to review."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from branches.models import Organization
from members.models import REGISTERED, CommunityRegistration, MemberStatus

from . import services
from .selectors import last_finished_half


@dataclass
class DemoFeedback:
    letters: int = 0


def _previous(year: int, half: int) -> tuple[int, int]:
    return (year, 1) if half == 2 else (year - 1, 2)


def _communities(unit, community) -> list:
    """The communities where the unit's retirees are registered, the demo community
    first, then by number of retirees. One query."""
    rows = (
        CommunityRegistration.objects.filter(
            member__original_unit=unit, member__status=MemberStatus.ACTIVE, status__in=REGISTERED
        )
        .values("community")
        .annotate(n=Count("pk"))
        .order_by("-n", "community")
    )
    ids = [row["community"] for row in rows]
    ids.sort(key=lambda pk: pk != community.pk)
    return ids


def seed_feedback(*, unit, community, secretary, liaison, today) -> DemoFeedback:
    ids = _communities(unit, community)
    if not ids:
        return DemoFeedback()
    places = Organization.objects.in_bulk(ids[:2])
    first = places[ids[0]]
    last = last_finished_half(today)
    before = _previous(*last)

    def reviewed(where, year, half):
        letter = services.letter_generate(
            unit=unit, community=where, year=year, half=half, actor=secretary
        )
        return services.letter_review(
            letter=letter,
            remarks="该同志积极参加组织生活，发挥作用明显。",
            line_remarks={},
            version=letter.version,
            actor=secretary,
        )

    done = reviewed(first, *before)
    done = services.letter_send(letter=done, version=done.version, actor=secretary)
    services.letter_acknowledge(
        letter=done, reply="感谢社区对我单位离退休干部的关心，我们将配合做好走访。", actor=liaison
    )
    waiting = reviewed(first, *last)
    services.letter_send(letter=waiting, version=waiting.version, actor=secretary)
    second = places[ids[1]] if len(ids) > 1 else first
    draft_half = last if second != first else _previous(*before)
    services.letter_generate(unit=unit, community=second, year=draft_half[0], half=draft_half[1])
    return DemoFeedback(letters=3)
