"""What a reviewer is shown before accepting a return: figures that changed since it
was submitted (recomputed now and compared) and figures that break a rule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from branches.models import Organization

from ..models import AnnualReturnVersion, ReturnState
from . import definitions as d
from . import figures as f


@dataclass(frozen=True)
class Flag:
    key: str
    label: str
    text: str


def latest_versions(orgs, year: int) -> dict[int, AnnualReturnVersion]:
    """The latest submitted version of each organisation's return for the year: one query."""
    versions = (
        AnnualReturnVersion.objects.filter(
            annual_return__organization__in=orgs, annual_return__year=year
        )
        .exclude(annual_return__state=ReturnState.DRAFT)
        .select_related("annual_return")
        .order_by("annual_return_id", "number")
    )
    return {v.annual_return.organization_id: v for v in versions}


def changed_since(snapshot: dict, live: dict) -> list[Flag]:
    labels = {figure.key: figure.label for figure in d.FIGURES}
    return [
        Flag(
            key,
            str(labels[key]),
            _("%(then)s when submitted, %(now)s now.")
            % {"then": snapshot.get(key, 0), "now": live.get(key, 0)},
        )
        for key in labels
        if int(snapshot.get(key, 0) or 0) != live.get(key, 0)
    ]


def rule_flags(snapshot: dict, last_year: dict | None) -> list[Flag]:
    """Rules a return must keep. Members fall only by deaths and moves out: a fall from
    last year's submitted return larger than both together needs an explanation."""
    flags = []
    if last_year is not None:
        fall = int(last_year.get("members", 0)) - snapshot.get("members", 0)
        gone = snapshot.get("deaths", 0) + snapshot.get("moved_out", 0)
        if fall > gone:
            flags.append(
                Flag(
                    "members",
                    _("Members on the rolls"),
                    _(
                        "%(fall)s fewer than last year's return (%(last)s), but only "
                        "%(gone)s deaths and moves out."
                    )
                    % {"fall": fall, "last": last_year.get("members", 0), "gone": gone},
                )
            )
    if snapshot.get("registered", 0) > snapshot.get("members", 0):
        flags.append(
            Flag(
                "registered",
                _("Members registered"),
                _("More members registered than members on the rolls."),
            )
        )
    return flags


def review_flags(
    node: Organization, year: int, snapshot: dict, *, today: datetime.date
) -> list[Flag]:
    """Changed figures and broken rules of a submitted return (AREA_QUERIES + 1 queries)."""
    live = f.node_figures(node, year, today=today)
    last = latest_versions([node], year - 1).get(node.pk)
    return changed_since(snapshot, live) + rule_flags(snapshot, last.figures if last else None)
