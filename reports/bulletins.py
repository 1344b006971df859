"""定期通报: a periodic bulletin of a district's (or a street's) figures for a month or a
quarter, drafted as a notice (kind 通报) from the dashboard's own cached figures.

The figures are read through `reports.cache.node_figures`, the dashboard's source, so a
bulletin says exactly what the dashboard says for the same node, period and day. They
are kept on the notice (`bulletin_figures`) as they were when drafted: the staff member
reviews and edits the text (notices' draft editing), the PDF prints the table from the
kept figures and the edited text, and sending goes through notices.services like any
notice, to the whole node.
"""

from __future__ import annotations

import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from accounts.models import AuditAction
from activities.meetings.periods import Period
from activities.meetings.selectors import format_rate
from branches.exporting import pdf_from_template
from branches.models import Level, Organization
from notices import text
from notices.models import Notice, NoticeKind, NoticeState, ResponseKind

from . import cache
from .selectors.figures import Figures
from .selectors.periods import PeriodChoice

# Levels that publish bulletins about their children (a district its streets, a street
# its communities).
LEVELS = (Level.DISTRICT, Level.STREET)
PERIODS = (Period.MONTH, Period.QUARTER)
# The four figures, in the order the table shows them.
FIGURES = {
    "coverage": gettext_lazy("Registration coverage"),
    "compliance": gettext_lazy("Compliance rate"),
    "attendance": gettext_lazy("Attendance rate"),
    "care": gettext_lazy("Care visits on time"),
}


def period_code(choice: PeriodChoice) -> str:
    """ "2026-11" for a month, "2026-Q3" for a quarter (Notice.bulletin_period)."""
    span = choice.span
    if span.period == Period.MONTH:
        return f"{span.start:%Y-%m}"
    return f"{span.start.year}-Q{span.quarter}"


def _values(f: Figures) -> dict:
    """A unit's four rates (None: nothing to rate) and what each is a share of."""
    return {
        "coverage": f.coverage,
        "compliance": f.compliance,
        "attendance": f.attendance,
        "care": f.care_coverage,
        "counts": {
            "coverage": [f.registered, f.residents],
            "compliance": [f.cells_met, f.cells_met + f.cells_behind],
            "attendance": [f.tally.attended + f.tally.made_up, f.tally.expected],
            "care": [f.care_covered, f.care_needs],
        },
    }


def ranks(values: list[float | None]) -> list[int | None]:
    """Rank by value, highest first; equal values share a rank (1, 2, 2, 4); a unit
    with nothing to rate has no rank."""
    rated = sorted((v for v in values if v is not None), reverse=True)
    return [None if v is None else rated.index(v) + 1 for v in values]


def figures_for(node: Organization, choice: PeriodChoice, *, today: datetime.date) -> dict:
    """The bulletin's figures: the node's total and each child's four rates with its
    rank among the children (branches sitting on the node itself are shown, unranked).
    Read from the dashboard's cache (computed and cached if missing)."""
    dashboard = cache.node_figures(node, choice, today=today)
    units = [
        {
            "key": unit.key,
            "name": unit.name or _("Directly under this node"),
            "ranked": unit.level != "direct",
            **_values(unit.figures),
        }
        for unit in dashboard.units
    ]
    ranked = [u for u in units if u["ranked"]]
    for name in FIGURES:
        for unit, rank in zip(ranked, ranks([u[name] for u in ranked]), strict=True):
            unit.setdefault("ranks", {})[name] = rank
    return {
        "node": {"id": node.pk, "name": node.name, "level": node.level},
        "period": period_code(choice),
        "period_label": choice.span.label,
        "start": choice.span.start.isoformat(),
        "end": choice.span.end.isoformat(),
        "computed_on": today.isoformat(),
        "unit_label": dashboard.unit_label,
        "total": _values(dashboard.total),
        "units": units,
    }


# --- The table and the text --------------------------------------------------------


def table(figures: dict) -> dict:
    """The figures as the table prints them: a header and one row per unit (rate and
    rank for each figure), the total last."""
    header = [figures.get("unit_label") or _("Unit")]
    for label in FIGURES.values():
        header += [str(label), _("Rank")]
    rows = []
    for unit in figures["units"]:
        row = [unit["name"]]
        for name in FIGURES:
            rank = (unit.get("ranks") or {}).get(name)
            row += [format_rate(unit[name]), str(rank) if rank else "—"]
        rows.append(row)
    total = [_("Total")]
    for name in FIGURES:
        total += [format_rate(figures["total"][name]), ""]
    return {"header": header, "rows": rows, "total": total}


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown_table(figures: dict) -> str:
    shown = table(figures)
    lines = [
        "| " + " | ".join(_cell(h) for h in shown["header"]) + " |",
        "| --- |" + " ---: |" * (len(shown["header"]) - 1),
    ]
    for row in [*shown["rows"], shown["total"]]:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(lines)


def highlights(figures: dict) -> list[str]:
    """For each figure, the highest and lowest ranked units ("报到覆盖率：甲街道最高
    （90.0%），乙街道最低（60.0%）。"); nothing for a figure fewer than two units rate."""
    ranked = [u for u in figures["units"] if u["ranked"]]
    lines = []
    for name, label in FIGURES.items():
        rated = [u for u in ranked if u[name] is not None]
        if len(rated) < 2:
            continue
        top = max(u[name] for u in rated)
        bottom = min(u[name] for u in rated)
        if top == bottom:
            lines.append(
                _("%(figure)s: every unit stands at %(rate)s.")
                % {"figure": label, "rate": format_rate(top)}
            )
            continue
        lines.append(
            _("%(figure)s: highest %(top)s (%(top_rate)s), lowest %(bottom)s (%(bottom_rate)s).")
            % {
                "figure": label,
                "top": "、".join(u["name"] for u in rated if u[name] == top),
                "top_rate": format_rate(top),
                "bottom": "、".join(u["name"] for u in rated if u[name] == bottom),
                "bottom_rate": format_rate(bottom),
            }
        )
    return lines


# The generated table sits between these comments in the body: the PDF prints the kept
# figures there (what was reviewed), whatever became of the table's text. Readers never
# see the comments (notices.text drops them).
TABLE_START = "<!-- {label} -->"
TABLE_END = "<!-- /{label} -->"
TABLE_BLOCK = re.compile(r"<!--\s*(?P<label>[^>]*?)\s*-->.*?<!--\s*/(?P=label)\s*-->", re.DOTALL)


def title_for(node: Organization, choice: PeriodChoice) -> str:
    return _("%(node)s: bulletin of retired cadres' party work, %(period)s") % {
        "node": node.name,
        "period": choice.span.label,
    }


def body_for(figures: dict) -> str:
    label = _("Figures table")
    parts = [
        _(
            "The portal's figures of %(node)s for %(period)s (as of %(day)s): registration "
            "coverage, cadence compliance, attendance and care visits on time of each %(unit)s."
        )
        % {
            "node": figures["node"]["name"],
            "period": figures["period_label"],
            "day": figures["computed_on"],
            "unit": figures.get("unit_label") or _("Unit"),
        },
        "\n".join(
            [
                TABLE_START.format(label=label),
                markdown_table(figures),
                TABLE_END.format(label=label),
            ]
        ),
    ]
    lines = highlights(figures)
    if lines:
        parts.append("\n".join(f"- {line}" for line in lines))
    parts.append(
        _("Units behind are asked to find the causes and catch up within the next period.")
    )
    return "\n\n".join(parts)


def body_parts(body: str) -> tuple[str, str, bool]:
    """The body's HTML before and after the generated table, and whether the table was
    found (if not, the PDF prints the figures first and the whole text after them)."""
    found = TABLE_BLOCK.search(body or "")
    if found is None:
        return "", text.render(body), False
    return text.render(body[: found.start()]), text.render(body[found.end() :]), True


# --- Writes ----------------------------------------------------------------------------


def draft_bulletin(
    *, node: Organization, choice: PeriodChoice, today: datetime.date, actor, request=None
) -> tuple[Notice, bool]:
    """Draft the node's bulletin for the period: a notice of kind 通报 to the whole node,
    its figures kept. One draft per node and period: asking again (a doubled submit)
    returns the draft there is. Returns (notice, created)."""
    code = period_code(choice)
    drafts = Notice.objects.filter(
        organization=node, kind=NoticeKind.BULLETIN, state=NoticeState.DRAFT, bulletin_period=code
    )
    existing = drafts.first()
    if existing is not None:
        return existing, False
    # Computed before the lock: a district's figures may take a while when not cached.
    figures = figures_for(node, choice, today=today)
    body = body_for(figures)
    with transaction.atomic():
        # Twin requests queue here; the second finds the first's draft.
        Organization.objects.select_for_update().filter(pk=node.pk).values_list("pk").first()
        existing = drafts.first()
        if existing is not None:
            return existing, False
        notice = Notice.objects.create(
            organization=node,
            author=actor,
            kind=NoticeKind.BULLETIN,
            title=title_for(node, choice)[:120],
            body=body,
            body_html=text.render(body),
            response=ResponseKind.NONE,
            bulletin_period=code,
            bulletin_figures=figures,
        )
        notice.audience.set([node])
        audit.record(
            AuditAction.CREATE,
            notice,
            actor=actor,
            request=request,
            after={
                "kind": NoticeKind.BULLETIN,
                "organization": node.pk,
                "period": code,
                "title": notice.title,
            },
        )
    return notice, True


# --- The PDF -------------------------------------------------------------------------


def sheet_context(notice: Notice) -> dict:
    """What the bulletin's sheet shows (the page and the PDF alike)."""
    before, after, placed = body_parts(notice.body)
    return {
        "notice": notice,
        "title": notice.title,
        "figures": notice.bulletin_figures,
        "table": table(notice.bulletin_figures) if notice.bulletin_figures else None,
        "before_html": before,
        "after_html": after,
        "table_placed": placed,
    }


def pdf(notice: Notice, *, request=None) -> bytes:
    """The bulletin on A4: the kept figures' table and the edited text. The caller audits
    the export."""
    return pdf_from_template(
        "reports/bulletin_sheet.html",
        {**sheet_context(notice), "printed_on": timezone.localdate()},
        request=request,
        wide=True,
    )
