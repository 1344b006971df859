"""The unit overview's figures: where a unit's active retirees live, how many registered
with a community, how often they took part and whether their care visits are on time.

Aggregates only, never a name (docs/privacy/data-inventory.md): whoever may read the
unit's work (its liaison, the district the unit belongs to, the city) sees its retirees
counted per district wherever they live; the street and community rows below a district
are shown to the unit's liaison and to staff whose own area covers that district.

Each page is a fixed set of aggregate queries grouped by community of residence, summed
up to the level shown in Python: the count does not grow with the data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from activities.care.models import CareNeed
from activities.care.selectors import COVERED, with_visit_state
from activities.meetings.models import Attendance, MeetingStatus
from activities.meetings.selectors import Tally, format_rate, tally_annotations, tally_from
from branches.access import VIEW_UNIT_WORK, Scope
from branches.models import Level, Organization, OriginalUnit
from members.models import REGISTERED, Member, MemberStatus, RegistrationStatus

# Organisation levels by depth of their path: city 1, district 2, street 3, community 4.
DEPTH = {Level.CITY: 1, Level.DISTRICT: 2, Level.STREET: 3, Level.COMMUNITY: 4}
# Levels one may drill into (their children are listed).
DRILLABLE = (Level.DISTRICT, Level.STREET)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date


def default_period(today: datetime.date) -> Period:
    """This year to date."""
    return Period(datetime.date(today.year, 1, 1), today)


def covers_districts(scope: Scope) -> bool:
    """A grant over a whole district or the city (units belong to districts). No query."""
    return any(
        len(Organization.path_prefixes(path)) <= DEPTH[Level.DISTRICT]
        for path in scope.paths(VIEW_UNIT_WORK)
    )


def reaches_units(scope: Scope) -> bool:
    """Whether the user has units to look at: a liaison's unit grant, or an area over a
    district. Street and community staff read units' work elsewhere, not here."""
    return bool(scope.unit_ids(VIEW_UNIT_WORK)) or covers_districts(scope)


def visible_units(user) -> list[OriginalUnit]:
    return list(
        OriginalUnit.objects.visible_to(user, VIEW_UNIT_WORK)
        .select_related("district")
        .order_by("name", "pk")
    )


def may_drill(scope: Scope, unit: OriginalUnit, node: Organization) -> bool:
    """Streets and communities of an area: for the unit's liaison, or staff over it."""
    return unit.pk in scope.unit_ids(VIEW_UNIT_WORK) or scope.covers_path(node.path, VIEW_UNIT_WORK)


@dataclass
class Figures:
    total: int = 0
    registered: int = 0
    reported: int = 0
    unregistered: int = 0
    tally: Tally = field(default_factory=Tally)
    care_needs: int = 0
    care_on_time: int = 0

    @property
    def registered_share(self) -> float | None:
        return self.registered / self.total if self.total else None

    @property
    def care_share(self) -> float | None:
        return self.care_on_time / self.care_needs if self.care_needs else None

    @property
    def registered_label(self) -> str:
        return format_rate(self.registered_share)

    @property
    def care_label(self) -> str:
        return format_rate(self.care_share)

    def add(self, other: Figures) -> None:
        self.total += other.total
        self.registered += other.registered
        self.reported += other.reported
        self.unregistered += other.unregistered
        for name in ("expected", "present", "remote", "excused", "absent", "made_up"):
            setattr(self.tally, name, getattr(self.tally, name) + getattr(other.tally, name))
        self.care_needs += other.care_needs
        self.care_on_time += other.care_on_time


def _retirees(unit_filter: Q):
    return Member.objects.filter(unit_filter, status=MemberStatus.ACTIVE)


def _registration_counts():
    return {
        "total": Count("pk"),
        "registered": Count("pk", filter=Q(registration_status__in=REGISTERED)),
        "reported": Count("pk", filter=Q(registration_status=RegistrationStatus.REPORTED)),
        "unregistered": Count("pk", filter=Q(registration_status__isnull=True)),
    }


def _attendance(member_filter: Q, period: Period, key: str):
    """Tallies of held meetings in the period over the retirees' attendances: one query."""
    rows = (
        Attendance.objects.filter(
            member_filter,
            member__status=MemberStatus.ACTIVE,
            meeting__status=MeetingStatus.HELD,
            meeting__held_on__gte=period.start,
            meeting__held_on__lte=period.end,
        )
        .values(key)
        .annotate(**tally_annotations())
        .order_by()
    )
    return {row[key]: tally_from(row) for row in rows}


def _care(member_filter: Q, today: datetime.date, key: str):
    """Open care needs and those visited on time (activities.care's rule on the stored
    last visit, as the dashboards and the liaison's panel read it): one query."""
    rows = (
        with_visit_state(
            CareNeed.objects.open().filter(member_filter), today, last_visit=F("last_visit_on")
        )
        .values(key)
        .annotate(n=Count("pk"), on_time=Count("pk", filter=COVERED))
        .order_by()
    )
    return {row[key]: (row["n"], row["on_time"]) for row in rows}


@dataclass
class UnitLine:
    unit: OriginalUnit
    figures: Figures


def unit_lines(units: list[OriginalUnit], period: Period, today: datetime.date) -> list[UnitLine]:
    """Each unit with its retirees' figures: 3 queries, however many units."""
    ids = [unit.pk for unit in units]
    figures = {pk: Figures() for pk in ids}
    counts = (
        _retirees(Q(original_unit_id__in=ids))
        .with_registration()
        .values("original_unit_id")
        .annotate(**_registration_counts())
        .order_by()
    )
    for row in counts:
        _fill(figures[row["original_unit_id"]], row)
    key = "member__original_unit_id"
    for pk, tally in _attendance(Q(member__original_unit_id__in=ids), period, key).items():
        figures[pk].tally = tally
    for pk, (needs, on_time) in _care(Q(member__original_unit_id__in=ids), today, key).items():
        figures[pk].care_needs, figures[pk].care_on_time = needs, on_time
    return [UnitLine(unit, figures[unit.pk]) for unit in units]


def _fill(figures: Figures, row: dict) -> None:
    for name in ("total", "registered", "reported", "unregistered"):
        setattr(figures, name, row[name])


@dataclass
class AreaLine:
    node: Organization | None  # None: the retiree's community is not on the tree below
    figures: Figures
    drillable: bool = False


@dataclass
class AreaTable:
    node: Organization | None  # the area whose parts are listed (None: all districts)
    lines: list[AreaLine]
    total: Figures


def area_table(
    unit: OriginalUnit,
    period: Period,
    today: datetime.date,
    *,
    node: Organization | None = None,
    scope: Scope,
) -> AreaTable:
    """The unit's retirees per district (or per street / community of `node`): four
    aggregate queries grouped by community path and one for the areas' names."""
    depth = DEPTH[node.level] + 1 if node else DEPTH[Level.DISTRICT]
    where = Q(original_unit=unit)
    attendance_where = Q(member__original_unit=unit)
    if node is not None:
        where &= Q(community__path__startswith=node.path)
        attendance_where &= Q(member__community__path__startswith=node.path)
    by_path: dict[str, Figures] = defaultdict(Figures)
    counts = (
        _retirees(where)
        .with_registration()
        .values("community__path")
        .annotate(**_registration_counts())
        .order_by()
    )
    for row in counts:
        _fill(by_path[row["community__path"]], row)
    key = "member__community__path"
    for path, tally in _attendance(attendance_where, period, key).items():
        by_path[path].tally = tally
    for path, (needs, on_time) in _care(attendance_where, today, key).items():
        by_path[path].care_needs, by_path[path].care_on_time = needs, on_time

    parts: dict[str, Figures] = defaultdict(Figures)
    total = Figures()
    for path, figures in by_path.items():
        prefixes = Organization.path_prefixes(path)
        parts[prefixes[depth - 1] if len(prefixes) >= depth else ""].add(figures)
        total.add(figures)
    nodes = {o.path: o for o in Organization.objects.filter(path__in=[p for p in parts if p])}
    lines = []
    for path in sorted(parts):
        area = nodes.get(path)
        drillable = area is not None and area.level in DRILLABLE and may_drill(scope, unit, area)
        lines.append(AreaLine(area, parts[path], drillable))
    return AreaTable(node, lines, total)
