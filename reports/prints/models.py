"""A batch print (批量打印): one background job that prints a sheet, report, ledger or
roster for every branch of an area (a district, street or community) and delivers one
PDF (a cover page, one outline entry per branch) or a zip of one PDF per branch.

The row is the job's whole state: what to print (`kind`, `params`, `output`), who asked
and for which node, its progress (n of N branches, the current one, when this run
started), a claim with a lease (a worker holds the job while `lease_until` is ahead and
extends it after every branch; a job whose lease ran out was stranded by a dead worker
and is taken again), a cancel request, and the result file (path, size, expiry).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.jobs import LeasedJob
from branches.access import PRINT_BATCHES, ScopedQuerySet
from branches.models import Organization

from .registry import get_kind


class PrintState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Printing")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Removed after the keeping time")


LIVE_STATES = (PrintState.QUEUED, PrintState.RUNNING)


class PrintOutput(models.TextChoices):
    PDF = "pdf", _("One PDF with a cover page and a bookmark per branch")
    ZIP = "zip", _("A zip file with one PDF per branch")


class PrintJobQuerySet(ScopedQuerySet):
    """A job is read (and its result downloaded) by whoever may print batches over its
    node: the node is the job's area, whoever started it."""

    scope_path_field = "node__path"
    scope_read = PRINT_BATCHES

    def live(self):
        return self.filter(state__in=LIVE_STATES)


class PrintJob(LeasedJob):
    RUNNING_STATES = (PrintState.RUNNING,)
    LIVE_STATES = LIVE_STATES

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    node = models.ForeignKey(
        Organization,
        verbose_name=_("area"),
        on_delete=models.CASCADE,
        related_name="print_jobs",
    )
    kind = models.CharField(_("what to print"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    output = models.CharField(
        _("output"), max_length=3, choices=PrintOutput.choices, default=PrintOutput.PDF
    )
    language = models.CharField(max_length=10, default="zh-hans")
    state = models.CharField(
        _("state"), max_length=10, choices=PrintState.choices, default=PrintState.QUEUED
    )
    # Progress: `done` of `total` branches, the one being printed now.
    total = models.PositiveIntegerField(_("branches"), default=0)
    done = models.PositiveIntegerField(_("branches printed"), default=0)
    current = models.CharField(_("printing now"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Where this run started (for the time left: branches printed in this run over its
    # time); the claim itself is LeasedJob's.
    done_at_claim = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    # The result's name in the default storage (services.result_name; the disk or the
    # S3 bucket), removed after `expires_at` (prune_print_jobs).
    file_path = models.CharField(max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)
    # What the job printed, branch by branch (name, pages, or why nothing), for the
    # cover page and the job's page.
    contents = models.JSONField(default=list, blank=True)
    error = models.CharField(_("reason"), max_length=500, blank=True)

    objects = PrintJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("batch print")
        verbose_name_plural = _("batch prints")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "lease_until"], name="print_job_claimable")]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="print_done_le_total"
            ),
        ]

    def __str__(self):
        return f"{self.node} · {self.kind} · {self.created_at:%Y-%m-%d %H:%M}"

    def audit_repr(self) -> str:
        return f"{self.node.name} {self.kind_label} {self.params_label}"[:200]

    @property
    def kind_label(self) -> str:
        kind = get_kind(self.kind)
        return str(kind.label) if kind else self.kind

    @property
    def params_label(self) -> str:
        kind = get_kind(self.kind)
        return kind.describe(self.params) if kind else ""

    @property
    def seconds_left(self) -> int | None:
        """Estimated from the branches printed in this run so far."""
        if self.state != PrintState.RUNNING or not self.claimed_at:
            return None
        printed = self.done - self.done_at_claim
        if printed <= 0:
            return None
        elapsed = (timezone.now() - self.claimed_at).total_seconds()
        return max(1, round(elapsed / printed * (self.total - self.done)))

    @property
    def minutes_left(self) -> int | None:
        seconds = self.seconds_left
        return None if seconds is None else max(1, round(seconds / 60))

    @property
    def downloadable(self) -> bool:
        return self.state == PrintState.DONE and bool(self.file_path)

    @property
    def filename(self) -> str:
        stamp = f"{timezone.localtime(self.created_at):%Y%m%d}"
        return f"{self.node.name}-{self.kind_label}-{stamp}.{self.output}"

    @property
    def keep_days(self) -> int:
        return max(1, round(keep_for().total_seconds() / 86400))


def keep_for() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "PRINT_JOB_KEEP_SECONDS", 7 * 86400))
