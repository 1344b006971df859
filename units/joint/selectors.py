"""Reads of the joint meetings: who may record where, what a recorder may name as a
party, the items a user owns (their list and their workbench section)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.access import CLOSE_ACTION_ITEMS, RECORD_JOINT_MEETINGS, VIEW_UNIT_WORK, scope_for
from branches.models import Branch, Level, Organization, OriginalUnit

from .models import ActionItem, JointMeeting, Party

# A node's level gives the party it stands for.
LEVEL_PARTY = {
    Level.DISTRICT: Party.BUREAU,
    Level.STREET: Party.STREET,
    Level.COMMUNITY: Party.COMMUNITY,
}
AREA_LEVELS = tuple(LEVEL_PARTY)
WORKBENCH_SHOWN = 10
ITEMS_SHOWN = 200  # "my action items": nobody owns more open ones; closed ones newest first
AREAS_SHOWN = 50


def recording_areas(user):
    """The nodes `user` convenes joint meetings for: those their grants sit on (district,
    street, community), not every node below (a street's staff record the street's)."""
    paths = scope_for(user).paths(RECORD_JOINT_MEETINGS)
    return Organization.objects.filter(path__in=paths, level__in=AREA_LEVELS).order_by("path")


def can_record(user, meeting: JointMeeting) -> bool:
    return scope_for(user).covers_path(meeting.area.path, RECORD_JOINT_MEETINGS)


def can_read_list(user) -> bool:
    scope = scope_for(user)
    return scope.has(VIEW_UNIT_WORK) or scope.has(CLOSE_ACTION_ITEMS)


def can_own_items(user) -> bool:
    return scope_for(user).has(CLOSE_ACTION_ITEMS)


def chosen_area(pk: int | None, areas: list[Organization]) -> Organization:
    """The area named in the query string if the user may record there, else the first."""
    return next((a for a in areas if a.pk == pk), areas[0])


def party_choices(area: Organization) -> tuple[list, dict]:
    """What a recorder may name as a party (or an owner) at a meeting of `area`: grouped
    choices of keys "org:<pk>", "unit:<pk>", "branch:<pk>" and the objects by key. The
    area's district bureau,
    the streets and communities from the district down to the area and below it, the
    units of the district, the active branches of the area. Three queries."""
    ancestors = Organization.path_prefixes(area.path)
    district_path = ancestors[1]  # city/district/...: the area is a district or below
    nodes = Organization.objects.filter(
        Q(path__in=ancestors) | Q(path__startswith=area.path), level__in=AREA_LEVELS
    ).order_by("path")
    units = OriginalUnit.objects.filter(district__path=district_path).order_by("name")
    branches = (
        Branch.objects.active()
        .filter(organization__path__startswith=area.path)
        .order_by("organization__path", "name")
    )
    grouped: dict[str, list] = {party: [] for party in Party}
    objects = {}
    for prefix, party, rows in (
        *(("org", LEVEL_PARTY[n.level], [n]) for n in nodes),
        ("unit", Party.UNIT, units),
        ("branch", Party.BRANCH, branches),
    ):
        for obj in rows:
            key = f"{prefix}:{obj.pk}"
            objects[key] = obj
            grouped[party].append((key, obj.name))
    return [(Party(p).label, rows) for p, rows in grouped.items() if rows], objects


def open_items_of(user):
    """The open items `user` owns, overdue first (the earliest deadline first)."""
    return (
        ActionItem.objects.owned_by(user)
        .open()
        .select_related("meeting", "organization", "unit", "branch")
        .order_by("due_on", "pk")
    )


def my_items(user, show: str):
    items = ActionItem.objects.owned_by(user).select_related(
        "meeting", "organization", "unit", "branch", "closed_by"
    )
    if show == "open":
        return items.open().order_by("due_on", "pk")
    if show == "closed":
        return items.filter(closed_at__isnull=False).order_by("-closed_at", "-pk")
    return items.order_by("closed_at", "due_on", "pk")


def workbench_section(request, scope, today):
    """The user's open action items, overdue first, and for recorders the way to record
    a meeting: two queries (the count and the first rows; one when nothing is open),
    None when the user neither owns items nor records meetings. The count is that of
    the list it links to."""
    records = scope.has(RECORD_JOINT_MEETINGS)
    if not (scope.has(CLOSE_ACTION_ITEMS) or records):
        return None
    items = open_items_of(request.user)
    total = items.count()
    if not (total or records):
        return None
    shown = list(items[:WORKBENCH_SHOWN]) if total else []
    return {
        "total": total,
        "items": [(item, item.due_on < today) for item in shown],
        "more": total - len(shown),
        "records": records,
        "title": _("Action items from joint meetings"),
    }
