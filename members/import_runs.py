"""The roster import's run through the web (ImportRun): its state, its progress and the
lease its check and write steps hold (the steps themselves are members.uploads).

Kept apart from the roster's models for size; members.models imports it, so Django
registers the model there and `from members.models import ImportRun` still works.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.jobs import LeasedJob
from branches.models import Organization


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking rows")
    READY = "ready", _("Checked, waiting for confirmation")
    INVALID = "invalid", _("Has errors: nothing written")
    WRITING = "writing", _("Writing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed: nothing written")
    DISCARDED = "discarded", _("Discarded: nothing written")


IMPORT_LEASE_SECONDS = 120


def import_lease_seconds() -> int:
    """How long a check or write may go without progress before its import counts as
    stranded (its worker was stopped): longer than the web worker's timeout."""
    return getattr(settings, "MEMBER_IMPORT_LEASE_SECONDS", IMPORT_LEASE_SECONDS)


class ImportRun(LeasedJob):
    """One roster import through the web: its progress (polled by the page) and outcome.

    The uploaded file itself lives in the default storage under `token`, never in the
    database; the row keeps the counts, the first errors and a short preview.

    Its check and write steps hold the row through the shared claim (accounts.jobs):
    each step takes a new claim token and a lease, extended as rows are read, so a double
    click runs a step once and a step that wakes after a retry or a discard changes
    nothing. Unlike the background jobs, the steps run in the person's requests and a
    stranded step is not taken over by the next click: the page offers retry or discard."""

    RUNNING_STATES = (ImportState.CHECKING, ImportState.WRITING)
    LIVE_STATES = (ImportState.UPLOADED, ImportState.READY, *RUNNING_STATES)
    FINISH_VALUES = {}  # no `current`: the progress is the rows read

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    community = models.ForeignKey(
        Organization,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    file_name = models.CharField(_("file"), max_length=200)
    file_size = models.PositiveIntegerField(_("size"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    total = models.PositiveIntegerField(default=0)  # rows in the workbook
    done = models.PositiveIntegerField(default=0)  # rows the step has read so far
    create_count = models.PositiveIntegerField(default=0)
    update_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} · {self.get_state_display()}"

    @property
    def is_busy(self) -> bool:
        return self.state in self.RUNNING_STATES

    @property
    def lease_minutes(self) -> int:
        return max(1, round(import_lease_seconds() / 60))

    @property
    def status_label(self) -> str:
        if self.is_stranded:
            return str(_("Interrupted: nothing written"))
        return self.get_state_display()
