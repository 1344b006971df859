"""Reads of funds shared by the pages, the exports, the ledger section, the dashboards
and the workbench. Every sum is a Decimal summed by the database (exact to the fen)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from branches.access import (
    APPROVE_SPENDING,
    GRANT_UNIT_FUNDS,
    VIEW_FUNDS,
    Role,
    scope_for,
)
from branches.models import Branch, Level, Organization
from members.models import Member, MemberStatus

from .models import (
    COUNTING,
    DEFAULT_THRESHOLD,
    ZERO,
    Allocation,
    ApproverLevel,
    FundRule,
    FundSource,
    FundYear,
    Spending,
    SpendingCategory,
    SpendingState,
)

FEN = Decimal("0.01")


def money(value) -> Decimal:
    """A sum from the database (None when there was nothing) as yuan with two places."""
    return (value or ZERO).quantize(FEN)


def per_member(spent: Decimal, members: int) -> Decimal | None:
    if not members:
        return None
    return (spent / members).quantize(FEN, rounding=ROUND_HALF_UP)


# --- Where a branch sits --------------------------------------------------------------


def ancestor(branch: Branch, level: str) -> Organization | None:
    """The branch's district or street (the node of that level on its path). One query."""
    node = branch.organization
    if node.level == level:
        return node
    return Organization.objects.filter(
        path__in=Organization.path_prefixes(node.path), level=level
    ).first()


def year_owner(branch: Branch) -> Organization:
    """The node that closes the branch's years: its street (a branch sitting higher
    up, which no street covers, its own node)."""
    return ancestor(branch, Level.STREET) or branch.organization


def rule_for(district: Organization | None) -> FundRule:
    """The district's rule, or the default one (not saved) when it has none."""
    found = FundRule.objects.filter(district=district).first() if district else None
    return found or FundRule(
        district=district, threshold=DEFAULT_THRESHOLD, approver_level=ApproverLevel.COMMUNITY
    )


def categories_for(district: Organization | None):
    return SpendingCategory.objects.filter(district=district, is_active=True)


def year_closed(branch: Branch, year: int) -> bool:
    return FundYear.objects.filter(
        street=year_owner(branch), year=year, closed_at__isnull=False
    ).exists()


# --- Who sees which branch's funds ----------------------------------------------------


def unit_branch_ids(unit_ids):
    """Branches where retirees of these original units have their home branch."""
    return Member.objects.filter(
        original_unit_id__in=unit_ids, status=MemberStatus.ACTIVE, home_branch__isnull=False
    ).values("home_branch_id")


def funds_branches(user, capability: str = VIEW_FUNDS):
    """The branches whose funds the user reads (VIEW_FUNDS) or grants to. A unit liaison
    (GRANT_UNIT_FUNDS) reaches the branches its unit's active retirees belong to."""
    branches = Branch.objects.visible_to(user, capability)
    if capability in (VIEW_FUNDS, GRANT_UNIT_FUNDS):
        unit_ids = scope_for(user).unit_ids(GRANT_UNIT_FUNDS)
        if unit_ids:
            by_unit = Branch.objects.filter(pk__in=unit_branch_ids(unit_ids))
            branches = (branches | by_unit).distinct()
    return branches


# --- One branch's year ----------------------------------------------------------------


@dataclass
class CategoryLine:
    name: str
    amount: Decimal


@dataclass
class BranchFunds:
    branch: Branch
    year: int
    allocations: list[Allocation]
    spendings: list[Spending]
    members: int
    closed: bool
    rule: FundRule

    @property
    def allocated(self) -> Decimal:
        return money(sum((a.amount for a in self.allocations), ZERO))

    @property
    def by_source(self) -> list[tuple[str, Decimal]]:
        sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for a in self.allocations:
            sums[a.source] += a.amount
        return [(FundSource(s).label, money(sums[s])) for s in FundSource.values if s in sums]

    @property
    def counted(self) -> list[Spending]:
        return [s for s in self.spendings if s.counts]

    @property
    def spent(self) -> Decimal:
        return money(sum((s.amount for s in self.counted), ZERO))

    @property
    def pending(self) -> Decimal:
        return money(
            sum((s.amount for s in self.spendings if s.state == SpendingState.PENDING), ZERO)
        )

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.spent

    @property
    def by_category(self) -> list[CategoryLine]:
        sums: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        for s in self.counted:
            sums[(s.category.order, s.category_id, s.category.name)] += s.amount
        return [CategoryLine(key[2], money(sums[key])) for key in sorted(sums)]

    @property
    def spent_per_member(self) -> Decimal | None:
        return per_member(self.spent, self.members)


def branch_funds(branch: Branch, year: int) -> BranchFunds:
    """The branch's allocations and spendings of `year` with their receipts, its rule
    and whether the year is closed: six queries (five without spending), whatever the
    year holds."""
    allocations = list(
        Allocation.objects.filter(branch=branch, year=year).select_related(
            "granted_by_node", "granted_by_unit", "created_by"
        )
    )
    spendings = list(
        Spending.objects.filter(branch=branch, year=year)
        .select_related("category", "created_by", "decided_by", "meeting", "activity")
        .prefetch_related("receipts")
    )
    members = Member.objects.filter(home_branch=branch, status=MemberStatus.ACTIVE).count()
    above = Organization.path_prefixes(branch.organization.path)
    # The year's owner is the street on the branch's path (or the branch's own node).
    closed = FundYear.objects.filter(
        street__path__in=above, year=year, closed_at__isnull=False
    ).exists()
    rule = FundRule.objects.filter(district__path__in=above).first() or rule_for(None)
    return BranchFunds(branch, year, allocations, spendings, members, closed, rule)


def balance_of(branch_id: int, year: int) -> Decimal:
    """Allocated minus counted spending of the year: two sums in one query each."""
    allocated = Allocation.objects.filter(branch_id=branch_id, year=year).aggregate(
        total=Sum("amount")
    )["total"]
    spent = Spending.objects.filter(branch_id=branch_id, year=year, state__in=COUNTING).aggregate(
        total=Sum("amount")
    )["total"]
    return money(allocated) - money(spent)


# --- An area's year -------------------------------------------------------------------


@dataclass
class BranchRow:
    pk: int
    name: str
    unit: str
    unit_pk: int | None
    allocated: Decimal = ZERO
    spent: Decimal = ZERO
    pending: Decimal = ZERO
    members: int = 0

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.spent

    @property
    def per_member(self) -> Decimal | None:
        return per_member(self.spent, self.members)

    @property
    def overspent(self) -> bool:
        return self.balance < 0

    @property
    def unspent(self) -> bool:
        """Granted money and nothing spent yet in the year."""
        return self.allocated > 0 and self.spent == 0


@dataclass
class UnitTotal:
    pk: int | None
    name: str
    allocated: Decimal = ZERO
    spent: Decimal = ZERO
    members: int = 0
    branches: int = 0

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.spent

    @property
    def per_member(self) -> Decimal | None:
        return per_member(self.spent, self.members)


@dataclass
class AreaFunds:
    node: Organization
    year: int
    rows: list[BranchRow]
    units: list[UnitTotal]
    by_category: list[CategoryLine]
    closed: bool = False
    total: UnitTotal = field(default_factory=lambda: UnitTotal(None, ""))

    @property
    def overspent(self) -> list[BranchRow]:
        return [r for r in self.rows if r.overspent]

    @property
    def unspent(self) -> list[BranchRow]:
        return [r for r in self.rows if r.unspent]


def area_funds(node: Organization, year: int) -> AreaFunds:
    """Every active branch under `node` with its year's figures, the totals per child
    node (a district's streets, a street's communities) and per category. Six queries,
    however many branches."""
    branches = list(
        Branch.objects.active()
        .filter(organization__path__startswith=node.path)
        .values_list("pk", "name", "organization__path")
        .order_by("organization__path", "name")
    )
    children = {
        o.path: o
        for o in Organization.objects.filter(parent=node).only("pk", "name", "path", "parent_id")
    }

    def unit_of(path: str) -> Organization | None:
        for prefix in Organization.path_prefixes(path):
            if prefix in children:
                return children[prefix]
        return None

    rows = {}
    for pk, name, path in branches:
        unit = unit_of(path)
        rows[pk] = BranchRow(pk, name, unit.name if unit else node.name, unit.pk if unit else None)
    ids = list(rows)
    in_area = Q(branch__organization__path__startswith=node.path, year=year)
    for row in Allocation.objects.filter(in_area).values("branch_id").annotate(total=Sum("amount")):
        if row["branch_id"] in rows:
            rows[row["branch_id"]].allocated = money(row["total"])
    for row in (
        Spending.objects.filter(in_area, state__in=[*COUNTING, SpendingState.PENDING])
        .values("branch_id", "state")
        .annotate(total=Sum("amount"))
    ):
        line = rows.get(row["branch_id"])
        if line is None:
            continue
        if row["state"] == SpendingState.PENDING:
            line.pending += money(row["total"])
        else:
            line.spent += money(row["total"])
    for row in (
        Member.objects.filter(home_branch_id__in=ids, status=MemberStatus.ACTIVE)
        .values("home_branch_id")
        .annotate(n=Count("*"))
    ):
        rows[row["home_branch_id"]].members = row["n"]
    categories: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        Spending.objects.filter(in_area, state__in=COUNTING)
        .values("category__name", "category__order")
        .annotate(total=Sum("amount"))
        .order_by("category__order", "category__name")
    ):
        categories[row["category__name"]] += money(row["total"])
    units: dict[int | None, UnitTotal] = {}
    total = UnitTotal(node.pk, node.name)
    for line in rows.values():
        unit = units.setdefault(line.unit_pk, UnitTotal(line.unit_pk, line.unit))
        for target in (unit, total):
            target.allocated += line.allocated
            target.spent += line.spent
            target.members += line.members
            target.branches += 1
    closed = (
        node.level == Level.STREET
        and FundYear.objects.filter(street=node, year=year, closed_at__isnull=False).exists()
    )
    return AreaFunds(
        node,
        year,
        list(rows.values()),
        list(units.values()),
        [CategoryLine(name, amount) for name, amount in categories.items()],
        closed=closed,
        total=total,
    )


def branch_totals(branches: Q, year: int) -> list[tuple[int, Decimal, Decimal]]:
    """(branch id, allocated, counted spending) of `year` for the branches matching
    `branches` that have either: one query (the dashboards' area rows)."""

    def total(qs):
        return Subquery(
            qs.filter(branch=OuterRef("pk"), year=year)
            .order_by()
            .values("branch")
            .annotate(t=Sum("amount"))
            .values("t")
        )

    rows = (
        Branch.objects.filter(branches)
        .annotate(
            allocated=total(Allocation.objects.all()),
            spent=total(Spending.objects.filter(state__in=COUNTING)),
        )
        .filter(Q(allocated__isnull=False) | Q(spent__isnull=False))
        .values_list("pk", "allocated", "spent")
        .order_by()
    )
    return [(pk, money(allocated), money(spent)) for pk, allocated, spent in rows]


# --- Approvals waiting ----------------------------------------------------------------


def approval_filter(user) -> Q | None:
    """Pending spending this user may decide: a street's staff any under their street; a
    community secretary those whose rule lets the community decide, under their
    community. None when the user approves nothing."""
    scope = scope_for(user)
    parts = []
    for grant in scope.grants:
        if APPROVE_SPENDING not in grant.capabilities or not grant.path:
            continue
        under = Q(branch__organization__path__startswith=grant.path)
        if grant.role == Role.STREET_STAFF:
            parts.append(under)
        elif grant.role == Role.COMMUNITY_SECRETARY:
            parts.append(under & Q(approver_level=ApproverLevel.COMMUNITY))
    return reduce(or_, parts) if parts else None


def may_approve(user, spending: Spending) -> bool:
    where = approval_filter(user)
    return where is not None and Spending.objects.filter(where, pk=spending.pk).exists()


def funds_waiting(user):
    """The spendings waiting for this user's approval (for the workbench), oldest
    first, never the user's own."""
    where = approval_filter(user)
    if where is None:
        return Spending.objects.none()
    return (
        Spending.objects.filter(where, state=SpendingState.PENDING)
        .exclude(created_by=user)
        .select_related("branch", "category")
        .order_by("created_at", "pk")
    )
