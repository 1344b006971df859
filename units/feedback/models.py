"""The feedback report (双向联系反馈表): per original unit, community and half-year, how
each of the unit's retirees living in that community took part.

A `FeedbackLetter` is generated from the data (no re-typing): one `FeedbackLine` per
retiree with their community and branch, registration date, meetings expected, attended
and made up (the attendance report's tally), care visits and their outcome (never
health details: docs/privacy/data-inventory.md), service roles and honours, and the
community's remark. The community secretary reviews it and sends it; from then on its
lines are frozen (what the unit received). The unit's liaison acknowledges it and may
reply; the reply lands on the community's workbench. The unit sees all letters of a
half-year together: one table per community.

A `FeedbackRun` generates the drafts of every unit and community of a district for a
half-year as a Celery job, with its progress.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import person_repr
from branches.access import VIEW_UNIT_WORK, ScopedQuerySet, scope_for
from branches.models import Level, Organization, OriginalUnit
from members.models import Member


class Half(models.IntegerChoices):
    FIRST = 1, _("first half")
    SECOND = 2, _("second half")


def half_span(year: int, half: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a half-year."""
    if half == Half.FIRST:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


class LetterState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the unit")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the unit")


class FeedbackLetterQuerySet(ScopedQuerySet):
    """The community's area reads its letters (drafts included); the unit's liaisons
    read the letters sent to their unit."""

    scope_path_field = "community__path"
    scope_unit_field = "unit_id"
    scope_read = VIEW_UNIT_WORK

    def visible_to(self, user, capability: str | None = None):
        """The area's letters (drafts included) and the unit's letters, never a draft:
        a draft is the community's working copy until it is sent."""
        scope = scope_for(user)
        capability = capability or self.scope_read
        area = scope.q(capability, path_field=self.scope_path_field)
        unit = scope.q(capability, unit_field=self.scope_unit_field)
        parts = [area] if area is not None else []
        if unit is not None:
            parts.append(unit & ~Q(state=LetterState.DRAFT))
        if not parts:
            return self.none()
        return self.filter(parts[0] | parts[1] if len(parts) == 2 else parts[0])

    def sent(self):
        return self.exclude(state=LetterState.DRAFT)


class FeedbackLetter(models.Model):
    unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("original unit"),
        on_delete=models.PROTECT,
        related_name="feedback_letters",
    )
    community = models.ForeignKey(
        Organization,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Level.COMMUNITY},
        related_name="feedback_letters",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half-year"), choices=Half.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=LetterState.choices, default=LetterState.DRAFT
    )
    remarks = models.TextField(_("the community's remarks"), blank=True)
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply = models.TextField(_("the unit's reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    # The community has read the unit's reply (it leaves the community's workbench).
    reply_read_at = models.DateTimeField(_("reply read at"), null=True, blank=True)
    # Optimistic lock: the secretary's review and a regeneration cannot overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = FeedbackLetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback report")
        verbose_name_plural = _("feedback reports")
        ordering = ["-year", "-half", "unit__name", "community__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "community", "year", "half"], name="feedback_letter_once"
            ),
            models.CheckConstraint(condition=Q(half__in=[1, 2]), name="feedback_letter_half"),
        ]

    def __str__(self):
        return f"{self.unit} · {self.community} · {self.year}-{self.half}"

    def audit_repr(self) -> str:
        return str(self)

    @property
    def span(self) -> tuple[datetime.date, datetime.date]:
        return half_span(self.year, self.half)


class FeedbackLine(models.Model):
    """One retiree on a letter, as generated (and, once sent, as the unit received it)."""

    letter = models.ForeignKey(
        FeedbackLetter,
        verbose_name=_("feedback report"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_lines",
    )
    name = models.CharField(_("name"), max_length=40)
    branch_name = models.CharField(_("home branch"), max_length=120, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    expected = models.PositiveIntegerField(_("meetings expected"), default=0)
    present = models.PositiveIntegerField(_("present"), default=0)
    remote = models.PositiveIntegerField(_("remote"), default=0)
    excused = models.PositiveIntegerField(_("excused"), default=0)
    absent = models.PositiveIntegerField(_("absent"), default=0)
    made_up = models.PositiveIntegerField(_("made up"), default=0)
    care_visits = models.PositiveIntegerField(_("care visits"), default=0)
    # What came of the visits, in words a unit may read (kinds, problems raised and solved).
    care_outcome = models.CharField(_("care outcome"), max_length=300, blank=True)
    service_roles = models.CharField(_("service roles"), max_length=300, blank=True)
    honours = models.CharField(_("honours"), max_length=300, blank=True)
    remark = models.CharField(_("remark"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("feedback line")
        verbose_name_plural = _("feedback lines")
        ordering = ["letter", "branch_name", "name", "pk"]

    def __str__(self):
        return self.name

    def audit_repr(self) -> str:
        return person_repr(self.name, self.member_id)

    @property
    def attended(self) -> int:
        return self.present + self.remote

    @property
    def rate(self) -> float | None:
        """The attendance report's rate: (present + remote + made up) / expected."""
        if not self.expected:
            return None
        return (self.present + self.remote + self.made_up) / self.expected


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class FeedbackRunQuerySet(ScopedQuerySet):
    scope_path_field = "district__path"
    scope_read = VIEW_UNIT_WORK


class FeedbackRun(models.Model):
    """Generating the drafts of a district's units for a half-year, as a Celery job."""

    district = models.ForeignKey(
        Organization,
        verbose_name=_("district"),
        on_delete=models.CASCADE,
        limit_choices_to={"level": Level.DISTRICT},
        related_name="feedback_runs",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half-year"), choices=Half.choices)
    state = models.CharField(
        _("state"), max_length=8, choices=RunState.choices, default=RunState.QUEUED
    )
    total = models.PositiveIntegerField(_("letters to generate"), default=0)
    done = models.PositiveIntegerField(_("letters generated"), default=0)
    error = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = FeedbackRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback report run")
        verbose_name_plural = _("feedback report runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One live run per district and half-year at a time.
            models.UniqueConstraint(
                fields=["district", "year", "half"],
                condition=Q(state__in=["queued", "running"]),
                name="feedback_run_one_live",
            ),
        ]

    def __str__(self):
        return f"{self.district} · {self.year}-{self.half}"

    @property
    def progress(self) -> int:
        """Percent done (0-100)."""
        return round(100 * self.done / self.total) if self.total else 0
