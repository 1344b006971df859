"""Funds (经费): what each branch is granted per year, what it spends, and the rules.

Money is `Decimal` in yuan with two places (fen), never a float: every sum is exact.

- `Allocation`: a grant to a branch for a year from a source (区委老干部局, 街道, 原单位,
  其他), possibly one of several instalments, entered by the level that grants it.
- `Spending`: what a branch paid, with its category, purpose, optional link to the
  meeting, activity or care visit it was for, and receipts (`Receipt`). It counts
  towards the balance once `counted` (at or below the threshold, within the balance)
  or `approved` (above the threshold, or beyond the balance with an exception).
- Rules are data: `SpendingCategory` and `FundRule` per district (defaults when a
  district has none yet).
- `FundYear`: a street closes a year; nothing is then written into it. Entries are
  never edited: a correction is a counter-entry (a negative amount linked to the entry
  it corrects), dated in an open year.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.access import VIEW_FUNDS, ScopedQuerySet
from branches.models import Branch, Organization, OriginalUnit

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class FundSource(models.TextChoices):
    BUREAU = "bureau", pgettext_lazy("fund source", "District bureau")
    STREET = "street", pgettext_lazy("fund source", "Street")
    UNIT = "unit", pgettext_lazy("fund source", "Original unit")
    OTHER = "other", pgettext_lazy("fund source", "Other")


class ApproverLevel(models.TextChoices):
    COMMUNITY = "community", pgettext_lazy("approver", "Community")
    STREET = "street", pgettext_lazy("approver", "Street")


class SpendingState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    COUNTED = "counted", _("Counted")


# The states whose amounts leave the balance.
COUNTING = (SpendingState.APPROVED, SpendingState.COUNTED)

# The categories every district starts with (a data migration seeds existing districts,
# a new district gets them when created: resources.funds.apps).
DEFAULT_CATEGORIES = ("学习资料", "活动场地", "走访慰问", "交通", "其他")
DEFAULT_THRESHOLD = Decimal("500.00")


class SpendingCategory(models.Model):
    district = models.ForeignKey(
        Organization,
        verbose_name=_("district"),
        on_delete=models.CASCADE,
        related_name="spending_categories",
    )
    name = models.CharField(_("name"), max_length=30)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("spending category")
        verbose_name_plural = _("spending categories")
        ordering = ["district", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="category_once_per_district")
        ]

    def __str__(self):
        return self.name


class FundRule(models.Model):
    """A district's rule: spending above `threshold` waits for the approval of
    `approver_level` before it counts."""

    district = models.OneToOneField(
        Organization, verbose_name=_("district"), on_delete=models.CASCADE, related_name="fund_rule"
    )
    threshold = models.DecimalField(_("approval threshold (yuan)"), **MONEY)
    approver_level = models.CharField(
        pgettext_lazy("funds", "approved by"),
        max_length=10,
        choices=ApproverLevel.choices,
        default=ApproverLevel.COMMUNITY,
    )
    note = models.CharField(_("source of the rule"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("funds rule")
        verbose_name_plural = _("funds rules")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="fundrule_threshold_gte_0")
        ]

    def __str__(self):
        return f"{self.district} · {self.threshold}"


class FundYear(models.Model):
    """A street's year of funds; `closed_at` set once the street closes it. Its row is
    also the lock every write of the street's funds for the year takes (services)."""

    street = models.ForeignKey(
        Organization, verbose_name=_("street"), on_delete=models.CASCADE, related_name="fund_years"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("funds year")
        verbose_name_plural = _("funds years")
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="fundyear_once_per_street")
        ]

    def __str__(self):
        return f"{self.street} {self.year}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class BranchRowQuerySet(ScopedQuerySet):
    """Rows of one branch, read with can_view_funds over the branch."""

    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"
    scope_branch_path_field = "branch__organization__path"
    scope_read = VIEW_FUNDS

    def of_year(self, year: int):
        return self.filter(year=year)


class Allocation(models.Model):
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="fund_allocations"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(
        pgettext_lazy("funds", "source"), max_length=10, choices=FundSource.choices
    )
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    granted_on = models.DateField(_("date of the instalment"))
    # Who granted it: an organisation node (the district, the street) or an original unit.
    granted_by_node = models.ForeignKey(
        Organization,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_by_unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("granted by the unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_allocations",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    # The form's one-time token: a form sent twice writes one row.
    nonce = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)

    objects = BranchRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["granted_on", "pk"]
        constraints = [
            # A grant is positive; only a counter-entry is negative.
            models.CheckConstraint(
                condition=Q(amount__gt=0, corrects__isnull=True)
                | Q(amount__lt=0, corrects__isnull=False),
                name="allocation_amount_sign",
            ),
            models.CheckConstraint(
                condition=Q(granted_by_node__isnull=True) | Q(granted_by_unit__isnull=True),
                name="allocation_one_grantor",
            ),
        ]
        indexes = [models.Index(fields=["branch", "year"], name="allocation_branch_year_idx")]

    def __str__(self):
        return f"{self.branch} {self.year} {self.amount}"

    @property
    def granted_by(self):
        return self.granted_by_unit or self.granted_by_node


class Spending(models.Model):
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="spendings"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    spent_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    category = models.ForeignKey(
        SpendingCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("what it was for"), max_length=200)
    meeting = models.ForeignKey(
        "activities.Meeting",
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    care_visit = models.ForeignKey(
        "activities.CareVisit",
        verbose_name=_("care visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=SpendingState.choices, default=SpendingState.PENDING
    )
    # Set when recorded (the rule then): who may approve, and whether it went beyond the
    # balance (then only an approval with an exception lets it count).
    approver_level = models.CharField(
        pgettext_lazy("funds", "approved by"),
        max_length=10,
        choices=ApproverLevel.choices,
        blank=True,
    )
    over_balance = models.BooleanField(_("beyond the balance"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    exception = models.BooleanField(_("exception beyond the balance"), default=False)
    decision_note = models.CharField(_("reason"), max_length=200, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    nonce = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = BranchRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("spending")
        verbose_name_plural = _("spendings")
        ordering = ["spent_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, corrects__isnull=True)
                | Q(amount__lt=0, corrects__isnull=False),
                name="spending_amount_sign",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "year", "state"], name="spending_branch_year_idx"),
            models.Index(
                fields=["state"],
                condition=Q(state="pending"),
                name="spending_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.branch} {self.spent_on} {self.amount}"

    @property
    def counts(self) -> bool:
        return self.state in COUNTING

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None


def receipt_path(instance, filename):
    # Our own name: nothing the user typed reaches the file system.
    ext = os.path.splitext(filename)[1].lower().lstrip(".")
    today = timezone.localdate()
    return f"funds/{today:%Y/%m}/{uuid.uuid4().hex}.{ext}"


class ReceiptQuerySet(ScopedQuerySet):
    scope_path_field = "spending__branch__organization__path"
    scope_branch_field = "spending__branch_id"
    scope_branch_path_field = "spending__branch__organization__path"
    scope_read = VIEW_FUNDS


class Receipt(models.Model):
    """A photo or PDF of a receipt (票据), served only through the portal as a download."""

    spending = models.ForeignKey(
        Spending, verbose_name=_("spending"), on_delete=models.CASCADE, related_name="receipts"
    )
    file = models.FileField(_("file"), upload_to=receipt_path)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["spending", "pk"]

    def __str__(self):
        return self.original_name
