"""Reads of unit events: the task list (the community's tasks, the liaison's reported
events: one list, the user's scope decides which), the workbench section, and the
choices the forms offer."""

from __future__ import annotations

import datetime

from django.db.models import Case, Count, IntegerField, Min, Q, Value, When

from branches.access import HANDLE_UNIT_EVENTS, REPORT_UNIT_EVENTS, VIEW_UNIT_WORK, scope_for
from branches.models import Level, Organization, OriginalUnit
from members.models import Member, MemberStatus

from .models import OPEN_STATES, TaskState, UnitEvent

RECENT_OUTCOMES = 5

# The list's state filter: a name -> the rows it keeps (given today).
STATE_FILTERS = {
    "open": lambda qs, today: qs.open(),
    "overdue": lambda qs, today: qs.overdue(today),
    "done": lambda qs, today: qs.filter(state=TaskState.DONE),
    "declined": lambda qs, today: qs.filter(state=TaskState.DECLINED),
}


def events_for(user):
    """Every event the user reads: their area's communities' tasks, their unit's reports."""
    return UnitEvent.objects.visible_to(user, VIEW_UNIT_WORK)


def task_list(user, *, state: str = "", kind: str = "", today: datetime.date):
    """Open tasks first (soonest due first), then the closed ones, latest first."""
    rows = events_for(user)
    if state:
        rows = STATE_FILTERS[state](rows, today)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.select_related("unit", "community", "member").order_by(
        Case(
            When(state__in=OPEN_STATES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        Case(When(state__in=OPEN_STATES, then="due_on"), default=None),
        "-handled_at",
        "-pk",
    )


def may_handle(user, event: UnitEvent) -> bool:
    return UnitEvent.objects.visible_to(user, HANDLE_UNIT_EVENTS).filter(pk=event.pk).exists()


def reporting_units(user):
    """The units whose events the user reports (their liaison grants)."""
    return OriginalUnit.objects.filter(
        pk__in=scope_for(user).unit_ids(REPORT_UNIT_EVENTS)
    ).order_by("name")


def unit_retirees(user, unit):
    """The unit's active retirees the user reads (the roster's scope)."""
    return (
        Member.objects.visible_to(user)
        .filter(original_unit=unit, status=MemberStatus.ACTIVE)
        .select_related("community")
    )


def receiving_communities(unit):
    """The communities a newly retired cadre of `unit` may be sent to: those of the
    unit's district (every community when the unit names no district), with their street,
    ordered for a select grouped by street."""
    rows = Organization.objects.filter(level=Level.COMMUNITY).select_related("parent")
    if unit.district_id:
        rows = rows.filter(path__startswith=unit.district.path)
    return rows.order_by("path")


def workbench_section(request, scope, today):
    """The events that concern the user: open tasks (how many, how many overdue, the next
    due day) and, for a liaison, the latest outcomes. Two queries at most; None when the
    user reads no unit work."""
    if not scope.has(VIEW_UNIT_WORK):
        return None
    rows = events_for(request.user)
    counts = rows.aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_on__lt=today)),
        next_due=Min("due_on", filter=Q(state__in=OPEN_STATES)),
    )
    reporter = scope.has(REPORT_UNIT_EVENTS)
    if not counts["open"] and not reporter:
        return None
    recent = []
    if reporter:
        recent = list(
            rows.exclude(state__in=OPEN_STATES)
            .select_related("member")
            .order_by("-handled_at", "-pk")[:RECENT_OUTCOMES]
        )
    return {**counts, "reporter": reporter, "recent": recent, "today": today}
