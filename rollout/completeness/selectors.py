"""数据完整率: how complete an area's data is, and the list of what to fix.

Three kinds of things are checked, each where it is fixed:
- active members missing an ID number, phone, address, joined-party date, party relation
  (held by a unit with no unit named, or "elsewhere" with no note) or home branch, and
  retirees of an original unit not registered (accepted) with any community: counted in
  their community of residence and their home branch;
- active branches with no secretary (no current term with a secretary in post) or, with
  COMMITTEE_FROM or more full members, no committee (DOMAIN.md's structure rules);
- communities without any active branch.

The completeness rate of an area is the share of its active members with none of the
member problems. An area's figures come from one set of AREA_QUERIES queries whatever
its size (grouped rows, no loop over members), kept in the cache under the figures
version of the dashboards (Organization.figures_version, bumped by every audited write:
reports.freshness), the day and the area.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts import shared_cache
from branches.access import VIEW_COMPLETENESS, scope_for
from branches.models import Branch, BranchKind, Level, Organization
from members.models import (
    REGISTERED,
    BranchMembership,
    CommitteeTerm,
    Member,
    MemberStatus,
    Position,
    Post,
    RelationKind,
)
from members.selectors import COMMITTEE_FROM


class Problem(models.TextChoices):
    """The problem kinds, in page order (the values are the query string's codes)."""

    ID_NUMBER = "id_number", _("No ID number")
    PHONE = "phone", _("No phone")
    ADDRESS = "address", _("No address")
    JOINED_PARTY = "joined_party", _("No joined-party date")
    RELATION = "relation", _("Party relation not named")
    HOME_BRANCH = "home_branch", _("No home branch")
    UNREGISTERED = "unregistered", _("Unit retiree not registered")
    NO_SECRETARY = "no_secretary", _("Branch without a secretary")
    NO_COMMITTEE = "no_committee", _("Branch needs a committee")
    NO_BRANCH = "no_branch", _("Community without a branch")


# A member's missing fields: a member with none of them is complete.
FIELD_PROBLEMS = (
    Problem.ID_NUMBER,
    Problem.PHONE,
    Problem.ADDRESS,
    Problem.JOINED_PARTY,
    Problem.RELATION,
    Problem.HOME_BRANCH,
)
MEMBER_PROBLEMS = (*FIELD_PROBLEMS, Problem.UNREGISTERED)
BRANCH_PROBLEMS = (Problem.NO_SECRETARY, Problem.NO_COMMITTEE)
ALL_PROBLEMS = tuple(Problem)


def member_problem_q(problem: str) -> Q:
    """Active members with this problem. Encrypted fields are tested for emptiness only
    (accounts.crypto: empty stays empty in the column), never decrypted."""
    return {
        Problem.ID_NUMBER: Q(id_number=""),
        Problem.PHONE: Q(phone=""),
        Problem.ADDRESS: Q(address=""),
        Problem.JOINED_PARTY: Q(joined_party_on__isnull=True),
        Problem.RELATION: Q(relation_kind=RelationKind.UNIT, original_unit__isnull=True)
        | Q(relation_kind=RelationKind.OTHER, relation_note=""),
        Problem.HOME_BRANCH: Q(home_branch__isnull=True),
        Problem.UNREGISTERED: Q(original_unit__isnull=False, registered__isnull=True),
    }[problem]


# Fixed on the member's registration page rather than the edit page.
REGISTRATION_PROBLEMS = (Problem.HOME_BRANCH, Problem.UNREGISTERED)


def member_problems(member) -> list[str]:
    """The problems of one member loaded through members_checked (member_problem_q's
    rules, for the rows a page shows)."""
    unit, note = member.original_unit_id, member.relation_note
    found = {
        Problem.ID_NUMBER: not member.id_number,
        Problem.PHONE: not member.phone,
        Problem.ADDRESS: not member.address,
        Problem.JOINED_PARTY: member.joined_party_on is None,
        Problem.RELATION: (member.relation_kind == RelationKind.UNIT and unit is None)
        or (member.relation_kind == RelationKind.OTHER and not note),
        Problem.HOME_BRANCH: member.home_branch_id is None,
        Problem.UNREGISTERED: unit is not None and member.registered_id is None,
    }
    return [p for p in MEMBER_PROBLEMS if found[p]]


def incomplete_q() -> Q:
    q = Q()
    for problem in FIELD_PROBLEMS:
        q |= member_problem_q(problem)
    return q


def members_checked(members):
    """Active members joined to their registration with the community if accepted
    (`registered`, for member_problem_q). A join, not EXISTS: PostgreSQL would hash every
    registration of the city for a community's count. One row per member: a member has
    at most one live registration (registration_one_live_per_member)."""
    live = FilteredRelation("registrations", condition=Q(registrations__status__in=REGISTERED))
    return members.filter(status=MemberStatus.ACTIVE).alias(registered=live)


def _held_secretary(today: datetime.date):
    """Current terms' secretary posts held today by an active member or a seconded member
    whose secondment runs (members.models.Position.vacant_on)."""
    held = Q(member__status=MemberStatus.ACTIVE) | (
        Q(seconded__starts_on__lte=today)
        & (Q(seconded__ends_on__isnull=True) | Q(seconded__ends_on__gte=today))
    )
    return Position.objects.filter(
        held,
        term__branch=OuterRef("pk"),
        term__starts_on__lte=today,
        term__ends_on__gte=today,
        post=Post.SECRETARY,
    )


def branches_checked(branches, today: datetime.date):
    """Active branches annotated with `has_secretary`, `has_committee` and `full` (full
    members: home members, or taking part for a functional branch)."""
    committee = CommitteeTerm.objects.current(today).filter(
        branch=OuterRef("pk"), has_committee=True
    )
    full_home = Count(
        "home_members",
        filter=Q(home_members__status=MemberStatus.ACTIVE, home_members__full_member_on__lte=today),
        distinct=True,
    )
    return (
        branches.active(today)
        .annotate(
            has_secretary=Exists(_held_secretary(today)),
            has_committee=Exists(committee),
            full=full_home,
        )
        .order_by()
    )


def _functional_full(branch_q: Q, today: datetime.date) -> dict[int, int]:
    return dict(
        BranchMembership.objects.filter(
            branch_q,
            branch__kind=BranchKind.FUNCTIONAL,
            left_on__isnull=True,
            member__status=MemberStatus.ACTIVE,
            member__full_member_on__lte=today,
        )
        .values("branch_id")
        .annotate(n=Count("*"))
        .values_list("branch_id", "n")
        .order_by()
    )


def branch_problems(row: dict, functional: dict[int, int]) -> list[str]:
    full = functional.get(row["pk"], 0) if row["kind"] == BranchKind.FUNCTIONAL else row["full"]
    found = []
    if not row["has_secretary"]:
        found.append(Problem.NO_SECRETARY)
    if full >= COMMITTEE_FROM and not row["has_committee"]:
        found.append(Problem.NO_COMMITTEE)
    return found


@dataclass
class Figures:
    """Counts of one area, one branch, or a sum of them."""

    members: int = 0
    complete: int = 0
    branches: int = 0
    communities: int = 0
    problems: Counter = field(default_factory=Counter)

    def add(self, other: Figures) -> None:
        self.members += other.members
        self.complete += other.complete
        self.branches += other.branches
        self.communities += other.communities
        self.problems.update(other.problems)

    @property
    def rate(self) -> float | None:
        return self.complete / self.members if self.members else None

    @property
    def rate_label(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"

    @property
    def to_fix(self) -> int:
        return sum(self.problems.values())

    @property
    def member_issues(self) -> int:
        return sum(self.problems.get(p, 0) for p in MEMBER_PROBLEMS)

    @property
    def branch_issues(self) -> int:
        return sum(self.problems.get(p, 0) for p in BRANCH_PROBLEMS)

    @property
    def communities_without_branch(self) -> int:
        return self.problems.get(Problem.NO_BRANCH, 0)

    def count(self, problem: str) -> int:
        return self.problems.get(problem, 0)

    def counts(self) -> list[tuple[str, str, int]]:
        """(code, label, count) of every problem kind, in page order."""
        return [(p.value, str(p.label), self.problems.get(p, 0)) for p in ALL_PROBLEMS]


@dataclass
class Line:
    """One row of the area's table: a child area (pk of an organisation) or, inside a
    community, a branch (branch_pk), or the community's members without a home branch."""

    name: str
    figures: Figures
    pk: int | None = None
    branch_pk: int | None = None


@dataclass
class Completeness:
    total: Figures
    lines: list[Line]


# The queries of an area's figures: organisations (1), members (1), branches (1),
# functional branches' full members (1).
AREA_QUERIES = 4


def _member_rows(members):
    # Prefixed: "phone", "address" would clash with the model's fields.
    annotations = {f"n_{p}": Count("pk", filter=member_problem_q(p)) for p in MEMBER_PROBLEMS}
    return list(
        members_checked(members)
        .values("community_id", "home_branch_id")
        .annotate(n=Count("*"), incomplete=Count("pk", filter=incomplete_q()), **annotations)
        .order_by()
    )


def _member_figures(row: dict) -> Figures:
    return Figures(
        members=row["n"],
        complete=row["n"] - row["incomplete"],
        problems=Counter({p: row[f"n_{p}"] for p in MEMBER_PROBLEMS if row[f"n_{p}"]}),
    )


def _branch_rows(branch_q: Q, today: datetime.date):
    rows = list(
        branches_checked(Branch.objects.filter(branch_q), today).values(
            "pk", "name", "kind", "organization_id", "organization__path", "has_secretary",
            "has_committee", "full",
        )
    )  # fmt: skip
    functional = _functional_full(Q(branch__in=[r["pk"] for r in rows]), today) if rows else {}
    for row in rows:
        row["problems"] = branch_problems(row, functional)
    return rows


def area_completeness(node: Organization, today: datetime.date) -> Completeness:
    """The node's figures and one line per child area (a community: per branch, plus its
    members without a home branch): AREA_QUERIES queries."""
    path = node.path
    has_branch = Exists(Branch.objects.active(today).filter(organization=OuterRef("pk")))
    orgs = list(
        Organization.objects.filter(path__startswith=path)
        .annotate(has_branch=has_branch)
        .values_list("pk", "name", "level", "path", "parent_id", "has_branch")
        .order_by("path")
    )
    path_of = {pk: org_path for pk, _n, _l, org_path, _p, _h in orgs}
    members = _member_rows(Member.objects.filter(community__path__startswith=path))
    branches = _branch_rows(Q(organization__path__startswith=path), today)

    if node.level == Level.COMMUNITY:
        return _by_branch(node, members, branches)
    children = [
        (pk, name, org_path) for pk, name, _l, org_path, parent, _h in orgs if parent == node.pk
    ]
    lines = {pk: Line(name, Figures(), pk=pk) for pk, name, _p in children}
    # Longest paths first would matter only for nested children; children are siblings.
    prefixes = [(org_path, pk) for pk, _n, org_path in children]

    def child_of(org_path: str) -> Line | None:
        for prefix, pk in prefixes:
            if org_path.startswith(prefix):
                return lines[pk]
        return None

    total = Figures()
    for _pk, _name, level, org_path, _parent, has in orgs:
        if level == Level.COMMUNITY:
            figures = Figures(communities=1)
            if not has:
                figures.problems[Problem.NO_BRANCH] = 1
            _add(total, child_of(org_path), figures)
    for row in members:
        _add(total, child_of(path_of.get(row["community_id"], "")), _member_figures(row))
    for row in branches:
        figures = Figures(branches=1, problems=Counter(row["problems"]))
        _add(total, child_of(row["organization__path"]), figures)
    return Completeness(total, list(lines.values()))


def _add(total: Figures, line: Line | None, figures: Figures) -> None:
    total.add(figures)
    if line is not None:
        line.figures.add(figures)


def _by_branch(node, members, branches) -> Completeness:
    """A community's figures per branch sitting on it, members by home branch (those
    placed in a branch elsewhere, e.g. a street's functional branch, under "elsewhere")."""
    total = Figures(communities=1)
    if not branches:
        total.problems[Problem.NO_BRANCH] = 1
    lines = {row["pk"]: Line(row["name"], Figures(), branch_pk=row["pk"]) for row in branches}
    for row in branches:
        figures = Figures(branches=1, problems=Counter(row["problems"]))
        _add(total, lines[row["pk"]], figures)
    unplaced = Line(str(_("Not in a branch of this community")), Figures())
    for row in members:
        _add(total, lines.get(row["home_branch_id"], unplaced), _member_figures(row))
    shown = list(lines.values()) + ([unplaced] if unplaced.figures.members else [])
    return Completeness(total, shown)


def _subtrees(field: str, paths: list[str]) -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": path}) for path in paths))


def paths_total(paths: list[str], today: datetime.date) -> Figures:
    """The summed figures of these subtrees (a community secretary's communities), as
    their pages' totals: AREA_QUERIES queries for any number of them, nothing kept."""
    has_branch = Exists(Branch.objects.active(today).filter(organization=OuterRef("pk")))
    communities = (
        Organization.objects.filter(_subtrees("path", paths), level=Level.COMMUNITY)
        .annotate(has_branch=has_branch)
        .values_list("has_branch", flat=True)
    )
    total = Figures()
    for has in communities:
        total.add(Figures(communities=1, problems=Counter({} if has else {Problem.NO_BRANCH: 1})))
    for row in _member_rows(Member.objects.filter(_subtrees("community__path", paths))):
        total.add(_member_figures(row))
    for row in _branch_rows(_subtrees("organization__path", paths), today):
        total.add(Figures(branches=1, problems=Counter(row["problems"])))
    return total


def branches_completeness(branch_ids: list[int], today: datetime.date) -> Completeness:
    """The figures of these branches (a branch secretary's): one line each, members by
    home branch (3 queries)."""
    members = _member_rows(Member.objects.filter(home_branch__in=branch_ids))
    branches = _branch_rows(Q(pk__in=branch_ids), today)
    total = Figures()
    lines = {row["pk"]: Line(row["name"], Figures(), branch_pk=row["pk"]) for row in branches}
    for row in branches:
        _add(total, lines[row["pk"]], Figures(branches=1, problems=Counter(row["problems"])))
    for row in members:
        _add(total, lines.get(row["home_branch_id"]), _member_figures(row))
    return Completeness(total, list(lines.values()))


# --- Cached by the dashboards' figures version ------------------------------------------
CACHE_PREFIX = "completeness:v1"
CACHE_SECONDS = 6 * 3600


def cached_area(node: Organization, today: datetime.date) -> Completeness:
    """area_completeness kept under the node's figures version and the day: one query
    (the version) when kept."""
    key = f"{CACHE_PREFIX}:{node.pk}:{node.figures_key()}:{today:%Y%m%d}"
    # A shared cache that is down or frozen slows the page once, it does not break it.
    return shared_cache.kept_value(key, lambda: area_completeness(node, today), CACHE_SECONDS)


def user_areas(user) -> list[Organization]:
    """The top nodes the user may read completeness for (nested ones dropped)."""
    paths = scope_for(user).paths(VIEW_COMPLETENESS)
    return list(Organization.objects.filter(path__in=paths).order_by("path"))


def user_branch_ids(user) -> list[int]:
    return scope_for(user).branch_ids(VIEW_COMPLETENESS)


# --- The list to fix ----------------------------------------------------------------------
def problem_members(user, problem: str | None, node: Organization | None):
    """Active members inside the user's scope (and the node) with this problem (None:
    any missing field), by community and name."""
    members = members_checked(Member.objects.visible_to(user, VIEW_COMPLETENESS))
    if node is not None:
        members = members.filter(community__path__startswith=node.path)
    members = members.filter(incomplete_q() if problem is None else member_problem_q(problem))
    return (
        members.annotate(registered_id=F("registered__id"))
        .select_related("community", "home_branch", "original_unit")
        .order_by("community__path", "name", "pk")
    )


def problem_branches(user, problem: str, node: Organization | None, today: datetime.date):
    """Active branches in scope with this problem: a list (the committee rule needs the
    functional branches' counts; at most an area's branches, a few hundred)."""
    branches = Branch.objects.visible_to(user, VIEW_COMPLETENESS)
    if node is not None:
        branches = branches.filter(organization__path__startswith=node.path)
    rows = list(
        branches_checked(branches, today)
        .values("pk", "name", "kind", "organization__name", "organization__path", "has_secretary",
                "has_committee", "full")
        .order_by("organization__path", "name", "pk")
    )  # fmt: skip
    if problem == Problem.NO_SECRETARY:
        return [r for r in rows if not r["has_secretary"]]
    functional = _functional_full(Q(branch__in=[r["pk"] for r in rows]), today) if rows else {}
    return [r for r in rows if Problem.NO_COMMITTEE in branch_problems(r, functional)]


def problem_communities(user, node: Organization | None, today: datetime.date):
    communities = Organization.objects.visible_to(user, VIEW_COMPLETENESS).filter(
        level=Level.COMMUNITY
    )
    if node is not None:
        communities = communities.filter(path__startswith=node.path)
    has_branch = Exists(Branch.objects.active(today).filter(organization=OuterRef("pk")))
    return communities.filter(~has_branch).select_related("parent").order_by("path")
