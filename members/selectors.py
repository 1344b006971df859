"""Reads shared by the roster pages, prints, exports and the branch page.

Every list starts from `Member.objects.visible_to(user)`. `MemberGate` decides, per
member and without queries, what the user may see of them: everything (sensitive
scope), the ordinary fields (member scope), or only registration status (a unit
liaison's view of the unit's retirees).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import shared_cache
from branches.access import (
    EDIT_MEMBERS,
    MANAGE_REGISTRATIONS,
    VIEW_MEMBERS,
    VIEW_SENSITIVE,
    scope_for,
)
from branches.models import Branch, BranchKind, Level, Organization

from .models import (
    CommitteeTerm,
    CommunityRegistration,
    GroupLeader,
    Member,
    MemberStatus,
    Position,
    Post,
    RegistrationStatus,
    SecondedMember,
    SecondmentRole,
)

# Structure rules (DOMAIN.md): warn before they are broken.
MIN_FULL_MEMBERS = 3
MAX_MEMBERS = 50
COMMITTEE_FROM = 7
TERM_WARNING_DAYS = 183  # about six months
SECONDMENT_WARNING_DAYS = 30  # warn a month before a seconded member's time runs out

AGE_BANDS = {
    "lt70": (None, 69),
    "70s": (70, 79),
    "80s": (80, 89),
    "90plus": (90, None),
}


class MemberGate:
    """What one user may see and do for each member, decided from the scope in memory.

    The member's community must be loaded (select_related("community")): the path
    decides area grants, `home_branch_id` decides branch grants.
    """

    def __init__(self, user):
        self.scope = scope_for(user)
        self._cache: dict[str, tuple[list[str], set[int]]] = {}

    def _grants(self, capability):
        if capability not in self._cache:
            self._cache[capability] = (
                self.scope.paths(capability),
                set(self.scope.branch_ids(capability)),
            )
        return self._cache[capability]

    def covers(self, member: Member, capability: str) -> bool:
        paths, branch_ids = self._grants(capability)
        if member.home_branch_id and member.home_branch_id in branch_ids:
            return True
        return any(member.community.path.startswith(path) for path in paths)

    def full_view(self, member: Member) -> bool:
        """False for members seen only through a unit liaison grant."""
        return self.covers(member, VIEW_MEMBERS)

    def sensitive(self, member: Member) -> bool:
        return self.covers(member, VIEW_SENSITIVE)

    def can_edit(self, member: Member) -> bool:
        return self.covers(member, EDIT_MEMBERS)

    def can_manage_registration(self, member: Member) -> bool:
        return self.covers(member, MANAGE_REGISTRATIONS)

    def sensitive_q(self, prefix: str = "") -> Q | None:
        """A filter for members whose sensitive data the user may see."""
        return self.scope.q(
            VIEW_SENSITIVE,
            path_field=f"{prefix}community__path",
            branch_field=f"{prefix}home_branch_id",
        )

    def decorate(self, members):
        """Set `full_view`, `show_health` and `can_edit` on each member (for templates)."""
        for member in members:
            member.full_view = self.full_view(member)
            member.show_health = self.sensitive(member)
            member.can_edit = self.can_edit(member)
        return members


@dataclass
class RosterFilters:
    q: str = ""
    community: int | None = None
    branch: int | None = None
    party_group: int | None = None
    original_unit: int | None = None
    retirement_type: str = ""
    health: str = ""
    mobility: str = ""  # "1" limited mobility, "0" not
    age_band: str = ""
    registration: str = ""  # a RegistrationStatus value, or "none"
    status: str = MemberStatus.ACTIVE  # "" for every status
    extra: dict = field(default_factory=dict)


def birth_date_range(band: str, today: datetime.date):
    """(born_after, born_on_or_before) for an age band; either may be None."""
    low, high = AGE_BANDS[band]
    latest = _years_before(today, low) if low is not None else None  # at least `low`
    earliest = (
        _years_before(today, high + 1) + datetime.timedelta(days=1) if high is not None else None
    )
    return earliest, latest


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# What the roster page reads of each member (members_extras.roster_rows, MemberGate): the
# other columns, ID number and address among them (not decrypted), are not loaded. A
# field missing here costs a query per row: tests/members/test_roster_queries.py.
ROSTER_PAGE_FIELDS = (
    "name",
    "status",
    "gender",
    "birth_date",
    "retirement_type",
    "health",
    "mobility_impaired",
    "phone",
    "community__name",
    "community__path",
    "home_branch__name",
    "party_group__name",
    "original_unit__name",
)


# What the roster shows of its area whatever the filters: the count of its active
# members (the unfiltered roster's paginator: a district's 9,579 counted, ~11 ms) and the
# filter's communities and branches (~600 names). Kept under the figures version of the
# reader's nodes, which every audited write of members, branches and the tree moves
# (reports.freshness), the day (branches dissolved), the language and the reader's grants.
# Only for readers whose grants are all on organisation nodes: the version of a branch's
# or a unit's grant would be that of wherever its members live.
ROSTER_AREA_PREFIX = "roster-area:v1"


@dataclass
class RosterArea:
    active_count: int
    communities: list[tuple[int, str]]
    branches: list[tuple[int, str]]


def roster_area(user, *, today=None) -> RosterArea | None:
    """The roster's area as kept (one query: the version), or None when the reader's
    grants are not all on organisation nodes (then the page reads it itself)."""
    scope = scope_for(user)
    if not scope.has(VIEW_MEMBERS) or any(not g.path for g in scope.grants):
        return None
    today = today or timezone.localdate()
    key = shared_cache.kept_key(
        ROSTER_AREA_PREFIX,
        version=Organization.figures_key_at([g.path for g in scope.grants]),
        today=today,
        grants=scope.digest(),
    )
    return shared_cache.kept_value(
        key,
        lambda: RosterArea(
            active_count=Member.objects.visible_to(user).active().count(),
            communities=list(
                Organization.objects.visible_to(user, VIEW_MEMBERS)
                .filter(level=Level.COMMUNITY)
                .values_list("pk", "name")
            ),
            branches=list(
                Branch.objects.visible_to(user, VIEW_MEMBERS)
                .active(today)
                .values_list("pk", "name")
            ),
        ),
        settings.DASHBOARD_CACHE_SECONDS,
    )


def roster(user, filters: RosterFilters | None = None, *, today=None):
    """The members a user sees, filtered, with everything a roster row shows joined in
    (community, branch, group, unit, live registration status): one query per page."""
    filters = filters or RosterFilters()
    today = today or timezone.localdate()
    qs = (
        Member.objects.visible_to(user)
        .select_related("community", "home_branch", "party_group", "original_unit")
        .with_registration()
        .order_by("community__path", "name", "pk")
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.community:
        qs = qs.filter(community_id=filters.community)
    if filters.branch:
        qs = qs.filter(home_branch_id=filters.branch)
    if filters.party_group:
        qs = qs.filter(party_group_id=filters.party_group)
    if filters.original_unit:
        qs = qs.filter(original_unit_id=filters.original_unit)
    if filters.retirement_type:
        qs = qs.filter(retirement_type=filters.retirement_type)
    if filters.age_band in AGE_BANDS:
        earliest, latest = birth_date_range(filters.age_band, today)
        if earliest:
            qs = qs.filter(birth_date__gte=earliest)
        if latest:
            qs = qs.filter(birth_date__lte=latest)
    if filters.registration == "none":
        qs = qs.filter(registration_status__isnull=True)
    elif filters.registration in RegistrationStatus.values:
        qs = qs.filter(registration_status=filters.registration)
    if filters.health or filters.mobility:
        # Health is sensitive: filtering by it only ever finds members whose health the
        # user may see, so a filter cannot be used to learn it.
        gate = MemberGate(user).sensitive_q()
        qs = qs.filter(gate) if gate is not None else qs.none()
        if filters.health:
            qs = qs.with_health(filters.health)  # stored encrypted: by its keyed hash
        if filters.mobility in {"0", "1"}:
            qs = qs.filter(mobility_impaired=filters.mobility == "1")
    return qs


def member_detail_queryset():
    return Member.objects.select_related(
        "community",
        "community__parent",
        "home_branch",
        "party_group",
        "original_unit",
        "relation_branch",
    )


def member_history(member: Member):
    """Registrations, service roles, honours, posts and functional branches of a member:
    five queries."""
    return {
        "registrations": list(
            member.registrations.select_related("community", "branch", "party_group").order_by(
                "-reported_on", "-pk"
            )
        ),
        "service_roles": list(member.service_roles.order_by("-starts_on")),
        "recognitions": list(member.recognitions.order_by("-conferred_on")),
        "positions": list(
            member.positions.select_related("term", "term__branch").order_by("-term__starts_on")
        ),
        "memberships": list(member.memberships.select_related("branch").order_by("-joined_on")),
    }


@dataclass(frozen=True)
class StructureWarning:
    code: str
    message: str


@dataclass
class BranchStructure:
    member_count: int
    full_member_count: int
    current_term: CommitteeTerm | None
    positions: list
    warnings: list[StructureWarning]
    group_leaders: list = field(default_factory=list)
    # The seconded members currently sent to the branch, and those of them whose
    # secondment ends within SECONDMENT_WARNING_DAYS.
    seconded: list = field(default_factory=list)
    seconded_ending: list = field(default_factory=list)


def branch_members(branch: Branch):
    """The active members a branch counts: its home members, or for a functional branch
    the members taking part in it (whose attendance still counts at home)."""
    qs = Member.objects.filter(status=MemberStatus.ACTIVE)
    if branch.kind == BranchKind.FUNCTIONAL:
        return qs.filter(memberships__branch=branch, memberships__left_on__isnull=True)
    return qs.filter(home_branch=branch)


def committee_seconded(branch: Branch, on: datetime.date | None = None):
    """The seconded members who may be given a post on the branch's committee: sent onto
    its committee (a liaison is not), their secondment running on `on`."""
    return SecondedMember.objects.current(on).filter(branch=branch, role=SecondmentRole.COMMITTEE)


def ending_soon(seconded, today: datetime.date) -> list:
    """Those of these current seconded members whose secondment ends within
    SECONDMENT_WARNING_DAYS (pure)."""
    horizon = today + datetime.timedelta(days=SECONDMENT_WARNING_DAYS)
    return [s for s in seconded if s.ends_on is not None and s.ends_on <= horizon]


def branch_seconded(branch: Branch, today: datetime.date):
    """The branch's current seconded members, with their units (one query)."""
    return (
        SecondedMember.objects.current(today)
        .filter(branch=branch)
        .select_related("unit")
        .order_by("role", "name", "pk")
    )


# The panel names the holders of posts: their encrypted fields are not read (decrypting
# them was ~5% of the branch page).
_SEALED_MEMBER_FIELDS = ("member__id_number", "member__phone", "member__address", "member__health")


def branch_structure(branch: Branch, *, today: datetime.date | None = None) -> BranchStructure:
    """Counts, the current committee, group leaders, seconded members and the structure
    warnings of one branch: five queries (counts, current term, its posts, group
    leaders, seconded members)."""
    today = today or timezone.localdate()
    counts = branch_members(branch).aggregate(
        members=Count("pk"),
        full=Count("pk", filter=Q(full_member_on__lte=today)),
    )
    term = CommitteeTerm.objects.current(today).filter(branch=branch).order_by("-starts_on").first()
    positions = (
        list(
            Position.objects.filter(term=term)
            .select_related("member", "seconded", "seconded__unit")
            .defer(*_SEALED_MEMBER_FIELDS, "seconded__phone")
            .order_by("pk")
        )
        if term
        else []
    )
    warnings = structure_warnings(
        members=counts["members"],
        full_members=counts["full"],
        term=term,
        positions=positions,
        today=today,
        kind=branch.kind,
    )
    leaders = list(
        GroupLeader.objects.filter(group__branch=branch, ends_on__isnull=True)
        .select_related("group", "member")
        .defer(*_SEALED_MEMBER_FIELDS)
        .order_by("group__number")
    )
    seconded = list(branch_seconded(branch, today))
    return BranchStructure(
        counts["members"],
        counts["full"],
        term,
        positions,
        warnings,
        group_leaders=leaders,
        seconded=seconded,
        seconded_ending=ending_soon(seconded, today),
    )


def structure_warnings(*, members, full_members, term, positions, today, kind=None):
    """The structure rules of DOMAIN.md as warnings (pure: no queries)."""
    warnings = []
    if full_members < MIN_FULL_MEMBERS:
        warnings.append(
            StructureWarning(
                "too_few",
                _(
                    "Only %(n)d full members: a branch needs at least %(min)d. Consider "
                    "merging it into a joint branch."
                )
                % {"n": full_members, "min": MIN_FULL_MEMBERS},
            )
        )
    if members > MAX_MEMBERS:
        warnings.append(
            StructureWarning(
                "too_many",
                _(
                    "%(n)d members: a branch generally has no more than %(max)d. "
                    "Consider splitting it."
                )
                % {"n": members, "max": MAX_MEMBERS},
            )
        )
    has_committee = term is not None and term.has_committee
    if full_members >= COMMITTEE_FROM and not has_committee:
        warnings.append(
            StructureWarning(
                "no_committee",
                _("%(n)d full members but no branch committee: with %(min)d or more it elects one.")
                % {"n": full_members, "min": COMMITTEE_FROM},
            )
        )
    if term is None:
        warnings.append(
            StructureWarning("no_term", _("No current term: record the branch's secretary."))
        )
    else:
        for position in positions:
            if position.vacant_on(today):
                warnings.append(
                    StructureWarning(
                        "vacant",
                        _("The post of %(post)s is vacant.")
                        % {"post": position.get_post_display()},
                    )
                )
        if not any(p.post == Post.SECRETARY for p in positions):
            warnings.append(StructureWarning("vacant", _("The term has no secretary recorded.")))
        days_left = (term.ends_on - today).days
        if days_left <= TERM_WARNING_DAYS:
            warnings.append(
                StructureWarning(
                    "term_ending",
                    _("The term ends on %(date)s (in %(days)d days): prepare the election.")
                    % {"date": term.ends_on.isoformat(), "days": days_left},
                )
            )
    return warnings


def term_years(branch: Branch) -> int:
    """Committee terms: 5 years for community branches, 3 for others (DOMAIN.md)."""
    return 5 if branch.kind == BranchKind.COMMUNITY else 3


def pending_registrations(user):
    """Registrations a user can act on, newest first (for the registrations page)."""
    return (
        CommunityRegistration.objects.visible_to(user, MANAGE_REGISTRATIONS)
        .select_related("member", "community", "branch", "party_group")
        .order_by("-reported_on", "-pk")
    )
