"""Writes of funds, each one transaction, each audited.

Every write into a branch's year first locks the row of that year of the branch's
street (`FundYear`, created on first use): a closed year refuses the write, and two
spendings of the same street and year are decided one after the other, so the second
sees the first in the balance (no two spendings overdraw together). Entries are never
edited: a correction is a counter-entry.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch, Level, Organization

from .models import (
    DEFAULT_CATEGORIES,
    ZERO,
    Allocation,
    FundRule,
    FundYear,
    Receipt,
    Spending,
    SpendingCategory,
    SpendingState,
)
from .selectors import FEN, ancestor, balance_of, may_approve, rule_for, year_owner


class FundsError(Exception):
    """A write refused for a reason the user can act on (the message is for them)."""


def ensure_categories(district: Organization) -> None:
    """Give a district the default spending categories (nothing if it has them)."""
    SpendingCategory.objects.bulk_create(
        [
            SpendingCategory(district=district, name=name, order=order)
            for order, name in enumerate(DEFAULT_CATEGORIES)
        ],
        ignore_conflicts=True,
    )


def _checked_amount(amount: Decimal) -> Decimal:
    if amount is None or amount <= 0:
        raise FundsError(_("The amount must be more than zero."))
    if amount != amount.quantize(FEN):
        raise FundsError(_("The amount can have at most two decimal places (fen)."))
    return amount.quantize(FEN)


def _lock_year(branch: Branch, year: int) -> FundYear:
    """The branch's street's year, locked for this transaction; refused if closed."""
    owner = year_owner(branch)
    FundYear.objects.get_or_create(street=owner, year=year)
    fund_year = FundYear.objects.select_for_update().get(street=owner, year=year)
    if fund_year.is_closed:
        raise FundsError(
            _(
                "The funds of %(year)s are closed by %(street)s: nothing can be entered or "
                "changed in that year any more. Correct an entry with a counter-entry."
            )
            % {"year": year, "street": owner.name}
        )
    return fund_year


def _entry_year(branch: Branch, year: int) -> int:
    """Where a counter-entry of `year` goes: that year while it is open, else this year."""
    owner = year_owner(branch)
    closed = FundYear.objects.filter(street=owner, year=year, closed_at__isnull=False).exists()
    return timezone.localdate().year if closed else year


# --- Allocations ----------------------------------------------------------------------


def allocation_grant(
    *,
    branch: Branch,
    year: int,
    source: str,
    amount: Decimal,
    granted_on: datetime.date,
    note: str = "",
    by_node: Organization | None = None,
    by_unit=None,
    nonce=None,
    actor,
    request=None,
) -> Allocation:
    """A grant (or one instalment of it) to a branch for a year."""
    amount = _checked_amount(amount)
    with transaction.atomic():
        _lock_year(branch, year)
        if nonce and (found := Allocation.objects.filter(nonce=nonce).first()):
            return found  # the same form sent twice
        allocation = Allocation.objects.create(
            branch=branch,
            year=year,
            source=source,
            amount=amount,
            granted_on=granted_on,
            note=note,
            granted_by_node=by_node,
            granted_by_unit=by_unit,
            created_by=actor,
            **({"nonce": nonce} if nonce else {}),
        )
        audit.record(
            AuditAction.CREATE,
            allocation,
            actor=actor,
            request=request,
            after={
                "branch": branch.pk,
                "year": year,
                "source": source,
                "amount": str(amount),
                "granted_on": granted_on.isoformat(),
            },
        )
    return allocation


def allocation_correct(
    *, allocation: Allocation, amount: Decimal, reason: str, nonce=None, actor, request=None
) -> Allocation:
    """A counter-entry taking `amount` back from a grant."""
    amount = _checked_amount(amount)
    branch = allocation.branch
    year = _entry_year(branch, allocation.year)
    with transaction.atomic():
        _lock_year(branch, year)
        if nonce and (found := Allocation.objects.filter(nonce=nonce).first()):
            return found
        original = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if original.corrects_id:
            raise FundsError(_("A counter-entry cannot be corrected again."))
        left = original.amount + (
            original.corrections.aggregate(total=Sum("amount"))["total"] or ZERO
        )
        if amount > left:
            raise FundsError(
                _("At most %(left)s yuan of this grant is left to take back.") % {"left": left}
            )
        counter = Allocation.objects.create(
            branch=branch,
            year=year,
            source=original.source,
            amount=-amount,
            granted_on=timezone.localdate(),
            note=reason,
            granted_by_node=original.granted_by_node,
            granted_by_unit=original.granted_by_unit,
            corrects=original,
            created_by=actor,
            **({"nonce": nonce} if nonce else {}),
        )
        audit.record(
            AuditAction.CREATE,
            counter,
            actor=actor,
            request=request,
            after={"corrects": original.pk, "amount": str(-amount), "year": year, "note": reason},
        )
    return counter


# --- Spending -------------------------------------------------------------------------


def _add_receipts(spending: Spending, uploads, actor) -> list[dict]:
    stored = []
    for upload, content_type in uploads:
        Receipt.objects.create(
            spending=spending,
            file=upload,
            original_name=upload.name[:120],
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        stored.append({"file": upload.name[:120], "size": upload.size})
    return stored


def spending_record(
    *,
    branch: Branch,
    spent_on: datetime.date,
    amount: Decimal,
    category: SpendingCategory,
    purpose: str,
    meeting=None,
    activity=None,
    care_visit=None,
    uploads=(),
    nonce=None,
    actor,
    request=None,
) -> Spending:
    """Record a spending with its receipts (`uploads`: (file, content type) pairs,
    checked by the form). It counts at once when at or below the district's threshold
    and within the balance; otherwise it waits for approval."""
    amount = _checked_amount(amount)
    year = spent_on.year
    with transaction.atomic():
        _lock_year(branch, year)
        if nonce and (found := Spending.objects.filter(nonce=nonce).first()):
            return found
        rule = rule_for(ancestor(branch, Level.DISTRICT))
        over_balance = amount > balance_of(branch.pk, year)
        waits = over_balance or amount > rule.threshold
        spending = Spending.objects.create(
            branch=branch,
            year=year,
            spent_on=spent_on,
            amount=amount,
            category=category,
            purpose=purpose,
            meeting=meeting,
            activity=activity,
            care_visit=care_visit,
            state=SpendingState.PENDING if waits else SpendingState.COUNTED,
            approver_level=rule.approver_level if waits else "",
            over_balance=over_balance,
            created_by=actor,
            **({"nonce": nonce} if nonce else {}),
        )
        receipts = _add_receipts(spending, uploads, actor)
        audit.record(
            AuditAction.CREATE,
            spending,
            actor=actor,
            request=request,
            after={
                "branch": branch.pk,
                "spent_on": spent_on.isoformat(),
                "amount": str(amount),
                "category": category.name,
                "state": spending.state,
                "receipts": receipts,
            },
        )
    return spending


def receipts_add(*, spending: Spending, uploads, actor, request=None) -> int:
    """More receipts for a spending of an open year."""
    with transaction.atomic():
        _lock_year(spending.branch, spending.year)
        receipts = _add_receipts(spending, uploads, actor)
        audit.record(
            AuditAction.UPDATE, spending, actor=actor, request=request, after={"receipts": receipts}
        )
    return len(receipts)


def spending_decide(
    *,
    spending: Spending,
    approve: bool,
    exception: bool = False,
    note: str = "",
    actor,
    request=None,
) -> Spending:
    """Approve or refuse a pending spending. An approval beyond the balance needs the
    exception ticked. Deciding twice decides once (the state is checked under a lock)."""
    with transaction.atomic():
        _lock_year(spending.branch, spending.year)
        locked = Spending.objects.select_for_update().get(pk=spending.pk)
        if locked.state != SpendingState.PENDING:
            raise FundsError(_("This spending has already been decided."))
        if locked.created_by_id == actor.pk:
            raise FundsError(_("You cannot approve a spending you recorded yourself."))
        if not may_approve(actor, locked):
            raise FundsError(_("The rule does not let you decide this spending."))
        before = {"state": locked.state}
        if approve:
            over = locked.amount > balance_of(locked.branch_id, locked.year)
            if over and not exception:
                raise FundsError(
                    _(
                        "This spending is more than the branch's balance: approve it only "
                        "as an exception (tick the box) or refuse it."
                    )
                )
            locked.state = SpendingState.APPROVED
            locked.exception = over
        else:
            if not note.strip():
                raise FundsError(_("Say why the spending is refused."))
            locked.state = SpendingState.REFUSED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note
        locked.save(
            update_fields=["state", "exception", "decided_by", "decided_at", "decision_note"]
        )
        audit.record(
            AuditAction.UPDATE,
            locked,
            actor=actor,
            request=request,
            before=before,
            after={"state": locked.state, "exception": locked.exception, "decision_note": note},
        )
    return locked


def spending_correct(
    *, spending: Spending, amount: Decimal, reason: str, nonce=None, actor, request=None
) -> Spending:
    """A counter-entry giving `amount` back to the balance (a refund, a typo)."""
    amount = _checked_amount(amount)
    branch = spending.branch
    year = _entry_year(branch, spending.year)
    with transaction.atomic():
        _lock_year(branch, year)
        if nonce and (found := Spending.objects.filter(nonce=nonce).first()):
            return found
        original = Spending.objects.select_for_update().get(pk=spending.pk)
        if original.corrects_id:
            raise FundsError(_("A counter-entry cannot be corrected again."))
        if not original.counts:
            raise FundsError(_("Only a spending that counts can be corrected."))
        left = original.amount + (
            original.corrections.aggregate(total=Sum("amount"))["total"] or ZERO
        )
        if amount > left:
            raise FundsError(
                _("At most %(left)s yuan of this spending is left to correct.") % {"left": left}
            )
        today = timezone.localdate()
        counter = Spending.objects.create(
            branch=branch,
            year=year,
            spent_on=today if today.year == year else datetime.date(year, 12, 31),
            amount=-amount,
            category=original.category,
            purpose=reason,
            state=SpendingState.COUNTED,
            corrects=original,
            created_by=actor,
            **({"nonce": nonce} if nonce else {}),
        )
        audit.record(
            AuditAction.CREATE,
            counter,
            actor=actor,
            request=request,
            after={
                "corrects": original.pk,
                "amount": str(-amount),
                "year": year,
                "purpose": reason,
            },
        )
    return counter


# --- The year and the rule ------------------------------------------------------------


def year_close(*, street: Organization, year: int, actor, request=None) -> FundYear:
    """Close a street's year: nothing is written into it afterwards. Refused while a
    spending of the year still waits for a decision."""
    with transaction.atomic():
        FundYear.objects.get_or_create(street=street, year=year)
        fund_year = FundYear.objects.select_for_update().get(street=street, year=year)
        if fund_year.is_closed:
            raise FundsError(_("This year is already closed."))
        waiting = Spending.objects.filter(
            branch__organization__path__startswith=street.path,
            year=year,
            state=SpendingState.PENDING,
        ).count()
        if waiting:
            raise FundsError(
                _("%(n)s spending(s) of this year still wait for approval: decide them first.")
                % {"n": waiting}
            )
        fund_year.closed_at, fund_year.closed_by = timezone.now(), actor
        fund_year.save(update_fields=["closed_at", "closed_by"])
        audit.record(
            AuditAction.UPDATE,
            fund_year,
            actor=actor,
            request=request,
            before={"closed_at": None},
            after={"closed_at": fund_year.closed_at.isoformat(), "year": year},
        )
    return fund_year


def rule_update(
    *,
    district: Organization,
    threshold: Decimal,
    approver_level: str,
    note: str,
    version: int,
    actor,
    request=None,
) -> FundRule:
    """Change a district's rule; a stale version (somebody saved in between) is refused."""
    threshold = threshold.quantize(FEN)
    with transaction.atomic():
        rule, created = FundRule.objects.get_or_create(
            district=district,
            defaults={"threshold": threshold, "approver_level": approver_level, "note": note},
        )
        before = {"threshold": str(rule.threshold), "approver_level": rule.approver_level}
        if not created:
            changed = FundRule.objects.filter(pk=rule.pk, version=version).update(
                threshold=threshold,
                approver_level=approver_level,
                note=note,
                version=version + 1,
            )
            if not changed:
                raise FundsError(
                    _("Somebody else changed this rule meanwhile. Reload the page and try again.")
                )
            rule.refresh_from_db()
        audit.record(
            AuditAction.UPDATE if not created else AuditAction.CREATE,
            rule,
            actor=actor,
            request=request,
            before=None if created else before,
            after={"threshold": str(threshold), "approver_level": approver_level},
        )
    return rule
