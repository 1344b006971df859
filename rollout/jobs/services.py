"""Import jobs: start, run (check, then write), confirm; and the same check and write
for the command-line twins (`check_file`, `write_plan`).

Running a job (`job_execute`: the Celery task's body, or the job page's request when
there is no broker) claims it with one conditional UPDATE on its state, so two workers
never run one job, and a job left running by a stopped worker is taken again once its
lease has run out. Checking reads the file again from the storage each time; the write
re-checks it against the database as it is then (the preview may be old) and writes in
one transaction that also marks the job done and records one audit entry for the batch
with every row's change: all or nothing, and never twice.
"""

from __future__ import annotations

import datetime
import logging
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.jobs import Claim
from accounts.models import AuditAction

from .models import ImportJob, JobState
from .plan import Action, Plan
from .reading import ImportFileError, read_rows
from .registry import ImportKind, get_kind

logger = logging.getLogger("portal.rollout")

MAX_UPLOAD_BYTES = 20 * 2**20


class ImportJobError(Exception):
    """The job cannot be started or confirmed (a Chinese message for the page)."""


class ImportConflict(ImportJobError):
    pass


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.IMPORT_JOB_LEASE_SECONDS)


# --- The check and the write, shared by jobs and commands --------------------------------


def check_file(kind: ImportKind, source, *, node, progress=None) -> Plan:
    """Read and check every row; raises ImportFileError for an unusable file."""
    plan = Plan()
    kind.check(read_rows(source, kind, plan, progress=progress), plan=plan, node=node)
    plan.errors.sort(key=lambda error: error["row"] or 0)
    return plan


def write_plan(kind: ImportKind, plan: Plan, *, node, actor=None, request=None, job=None) -> dict:
    """Write a clean plan all or nothing, with one audit entry for the batch. Runs in the
    caller's transaction (opens one if there is none)."""
    if not plan.ok:
        raise ImportJobError(_("The file has errors: nothing was written."))
    summary = {
        "added": plan.count(Action.ADD),
        "changed": plan.count(Action.CHANGE),
        "left": plan.count(Action.LEAVE),
    }
    with transaction.atomic():
        changes = list(kind.write(plan, node=node, actor=actor))
        audit.record_batch(
            AuditAction.IMPORT,
            job,
            changes=changes,
            actor=actor,
            request=request,
            after={"kind": kind.name, "node": node.pk, **summary},
            object_type="" if job else "rollout.import",
            object_repr="" if job else f"{node.name} {kind.label}"[:200],
        )
    return summary


# --- Start and confirm (the pages) ------------------------------------------------------


def job_start(*, user, node, kind: str, upload, dry_run: bool, request=None) -> ImportJob:
    found = get_kind(kind)
    if found is None or node.level not in found.levels:
        raise ImportJobError(_("This import cannot be started for this area."))
    if upload.size > MAX_UPLOAD_BYTES:
        raise ImportJobError(
            _("The file is larger than %(mb)d MB: split it into smaller files.")
            % {"mb": MAX_UPLOAD_BYTES // 2**20}
        )
    path = default_storage.save(f"rollout/imports/{uuid.uuid4().hex}.xlsx", upload)
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                kind=kind,
                node=node,
                dry_run=dry_run,
                file_name=(upload.name or "")[-200:],
                file_path=path,
                created_by=user,
            )
            audit.record(
                AuditAction.CREATE,
                job,
                actor=user,
                request=request,
                after={"kind": kind, "node": node.pk, "file": job.file_name, "dry_run": dry_run},
            )
    except Exception:
        default_storage.delete(path)
        raise
    return job


def job_confirm(*, job: ImportJob, actor, version: int, request=None) -> ImportJob:
    """Write a checked job: only the version the person saw, only once."""
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, state=JobState.CHECKED, version=version).update(
            state=JobState.CONFIRMED, version=F("version") + 1
        )
        if not moved:
            raise ImportConflict(
                _(
                    "This import was confirmed or changed in the meantime: look at its "
                    "state below before doing anything again."
                )
            )
        audit.record(
            AuditAction.UPDATE,
            job,
            actor=actor,
            request=request,
            before={"state": JobState.CHECKED},
            after={"state": JobState.CONFIRMED},
        )
    job.refresh_from_db()
    return job


# --- Running ----------------------------------------------------------------------------


class _Run(Claim):
    def progress(self, done: int, total: int, current: str = "") -> None:
        self.beat(done=done, total=total, current=current[:120])

    def finish(self, state, **values) -> bool:
        # A new version: a confirmation names the checked preview it saw.
        return super().finish(state, version=F("version") + 1, **values)


PHASES = (
    (JobState.QUEUED, JobState.CHECKING),
    (JobState.CONFIRMED, JobState.WRITING),
)


def job_claim(job_id: int, *, now=None) -> tuple[_Run, str] | None:
    for waiting, running in PHASES:
        run = _Run.take(
            ImportJob.objects,
            job_id,
            waiting=waiting,
            running=running,
            lease=lease(),
            now=now,
            done=0,
        )
        if run is not None:
            return run, running
    return None


def stranded_jobs(*, now=None) -> list[int]:
    """Jobs waiting for a worker longer than a minute (a lost publish) or whose worker
    stopped: the sweep hands them to a worker again."""
    now = now or timezone.now()
    waiting = Q(state__in=[JobState.QUEUED, JobState.CONFIRMED])
    waiting &= Q(created_at__lt=now - datetime.timedelta(minutes=1))
    stopped = ImportJob.stranded(now)
    return list(ImportJob.objects.filter(waiting | stopped).values_list("pk", flat=True))


def job_execute(job_id: int) -> str:
    claim = job_claim(job_id)
    if claim is None:
        return f"import job {job_id}: not claimed"
    run, phase = claim
    job = ImportJob.objects.select_related("node", "created_by").get(pk=job_id)
    kind = get_kind(job.kind)
    try:
        if kind is None:
            raise ImportFileError(_("This kind of import is no longer available."))
        with default_storage.open(job.file_path, "rb") as source:
            plan = check_file(kind, source, node=job.node, progress=run.progress)
        if not plan.ok:
            run.finish(
                JobState.INVALID,
                preview=plan.preview(),
                errors=plan.errors,
                error_count=plan.error_count,
            )
            _discard(job)
            return f"import job {job_id}: {plan.error_count} errors"
        if phase == JobState.CHECKING and job.dry_run:
            run.finish(JobState.CHECKED, preview=plan.preview(), errors=[], error_count=0)
            return f"import job {job_id}: checked"
        if phase == JobState.CHECKING:  # no dry run: write at once
            run.beat(state=JobState.WRITING, preview=plan.preview())
        return _write(run, job, kind, plan)
    except ImportFileError as error:
        run.finish(JobState.FAILED, failure=str(error)[:500])
        _discard(job)
        return f"import job {job_id}: unusable file"
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        run.finish(
            JobState.FAILED,
            failure=_("An unexpected error stopped the import; nothing was written.")[:500],
        )
        return f"import job {job_id}: failed ({error})"


def _write(run: _Run, job: ImportJob, kind: ImportKind, plan: Plan) -> str:
    run.beat(current=_("Writing"), done=0, total=len(plan.rows))
    with transaction.atomic():
        summary = write_plan(kind, plan, node=job.node, actor=job.created_by, job=job)
        if not run.finish(JobState.DONE, result=summary, done=len(plan.rows)):
            # Another worker holds the job now: roll everything back.
            raise transaction.TransactionManagementError("lost the claim")
    _discard(job)
    return f"import job {job.pk}: written {summary}"


def _discard(job: ImportJob) -> None:
    """The uploaded file is not kept once the job is over."""
    try:
        default_storage.delete(job.file_path)
    except OSError:
        logger.warning("could not delete import file %s", job.file_path)
