"""The care part of the dashboards' summaries: each care need's latest in-person visit
(CareNeed.last_visit_on), rewritten from the visits, never incremented (the rules of
activities.meetings.summaries). The care services call `refresh` inside the transaction
that changed a member's visits; activities.summaries.rebuild recomputes all of them.
"""

from __future__ import annotations

from django.db.models import DateField, OuterRef, Subquery

from .models import IN_PERSON_VISITS, CareNeed, CareVisit


def _last_visit(visits):
    """The latest in-person visit of the need's member (phone calls are not visits)."""
    latest = (
        visits.filter(member_id=OuterRef("member_id"), kind__in=IN_PERSON_VISITS)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    return Subquery(latest, output_field=DateField())


def refresh(*, cared) -> None:
    """Rewrite the last visit on the care needs of the `cared` member ids."""
    if cared:
        CareNeed.objects.filter(member_id__in=set(cared)).update(
            last_visit_on=_last_visit(CareVisit.objects.all())
        )


def rebuild() -> None:
    CareNeed.objects.update(last_visit_on=_last_visit(CareVisit.objects.all()))
