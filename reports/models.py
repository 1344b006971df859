"""The annual statistical return (年报 / 年度统计表) and its submission up the tree.

One AnnualReturn per organisation node and year; each submission freezes the figures in
an AnnualReturnVersion (a snapshot: later edits to members do not change it). Returned
for correction and submitted again, the return gets version 2, and so on.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.access import VIEW_DASHBOARD, ScopedQuerySet
from branches.models import Organization


class ReturnState(models.TextChoices):
    DRAFT = "draft", _("Not yet submitted")
    SUBMITTED = "submitted", _("Submitted, waiting for review")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


class VersionOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


class AnnualReturnQuerySet(ScopedQuerySet):
    scope_path_field = "organization__path"
    scope_read = VIEW_DASHBOARD


class AnnualReturn(models.Model):
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="annual_returns",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(
        _("state"), max_length=10, choices=ReturnState.choices, default=ReturnState.DRAFT
    )
    # The number of submissions so far (the latest version's number); every change of
    # state bumps `revision`, which a form carries back so two reviewers acting at once
    # get a conflict, and a double-submitted form does nothing twice.
    submissions = models.PositiveSmallIntegerField(_("versions"), default=0)
    revision = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AnnualReturnQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual return")
        verbose_name_plural = _("annual returns")
        ordering = ["organization__path", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="annual_return_unique"),
        ]

    def __str__(self):
        return f"{self.organization} · {self.year}"

    def audit_repr(self) -> str:
        return f"{self.organization.name} {self.year}"


class AnnualReturnVersion(models.Model):
    """One submission: the figures as they stood when submitted, and how it was judged."""

    annual_return = models.ForeignKey(
        AnnualReturn,
        verbose_name=_("annual return"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveSmallIntegerField(_("version"))
    figures = models.JSONField(_("figures"), default=dict)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=VersionOutcome.choices, default=VersionOutcome.PENDING
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("annual return version")
        verbose_name_plural = _("annual return versions")
        ordering = ["annual_return", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["annual_return", "number"], name="annual_return_version_unique"
            ),
            # At most one version waits for review at a time.
            models.UniqueConstraint(
                fields=["annual_return"],
                condition=Q(outcome="pending"),
                name="annual_return_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.annual_return} · v{self.number}"

    def audit_repr(self) -> str:
        return f"{self.annual_return.audit_repr()} v{self.number}"


# Batch prints (reports/prints/): imported here so Django finds the model under `reports`.
from .prints.models import PrintJob  # noqa: E402, F401
