"""An import job (导入任务): one uploaded workbook of one kind, checked in the background
into a preview (rows to add, change or leave, errors at their row and column), then,
once confirmed, written all or nothing.

The row is the job's whole state: the file (in the default storage), its progress (n of
N rows, the current item, when this run started), a claim with a lease (a worker holds
the job while `lease_until` is ahead; a job whose lease ran out is taken again: checking
is repeatable and the write is one transaction that also marks the job done), the
preview and errors as JSON, and a version a confirmation must name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.jobs import LeasedJob
from branches.access import scope_for
from branches.models import Organization

from .plan import located
from .registry import all_kinds, get_kind


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to be checked")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked: waiting for confirmation")
    INVALID = "invalid", _("Errors found: nothing written")
    CONFIRMED = "confirmed", _("Waiting to be written")
    WRITING = "writing", _("Writing")
    DONE = "done", _("Written")
    FAILED = "failed", _("Failed: nothing written")


RUNNING_STATES = (JobState.CHECKING, JobState.WRITING)
LIVE_STATES = (JobState.QUEUED, JobState.CONFIRMED, *RUNNING_STATES)


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is read by whoever holds its kind's capability over its node."""
        scope = scope_for(user)
        parts = Q(pk__in=[])
        for kind in all_kinds():
            inside = scope.q(kind.capability, path_field="node__path")
            if inside is not None:
                parts |= Q(kind=kind.name) & inside
        return self.filter(parts)


class ImportJob(LeasedJob):
    RUNNING_STATES = RUNNING_STATES
    LIVE_STATES = LIVE_STATES

    kind = models.CharField(_("what to import"), max_length=30)
    node = models.ForeignKey(
        Organization,
        verbose_name=_("area"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    dry_run = models.BooleanField(_("check only, then ask"), default=True)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    file_name = models.CharField(_("file"), max_length=200)
    file_path = models.CharField(max_length=300)  # in the default storage
    # Progress of the current phase: `done` of `total` rows, the item being handled.
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows handled"), default=0)
    current = models.CharField(_("handling now"), max_length=120, blank=True)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    failure = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "lease_until"], name="import_job_claimable")]

    def __str__(self):
        return f"{self.kind_label} · {self.file_name}"

    def audit_repr(self) -> str:
        return f"{self.node.name} {self.kind_label} {self.file_name}"[:200]

    @property
    def kind_label(self) -> str:
        kind = get_kind(self.kind)
        return str(kind.label) if kind else self.kind

    @property
    def seconds_left(self) -> int | None:
        if self.state not in RUNNING_STATES or not self.claimed_at or self.done <= 0:
            return None
        elapsed = (timezone.now() - self.claimed_at).total_seconds()
        return max(1, round(elapsed / self.done * max(self.total - self.done, 0)))

    @property
    def counts(self) -> dict:
        return self.preview.get("counts", {})

    @property
    def located_errors(self) -> list[str]:
        return [located(error) for error in self.errors]
