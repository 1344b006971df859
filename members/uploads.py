"""Web imports: the uploaded file in the default storage under `imports/members/` (keyed
by a random token that is also kept in the session, never in the database; on S3 every
app node reads it), an ImportRun row for progress and
outcome, and the two long steps (check, confirm) run inside the request while the page
polls the row. No broker needed; on PostgreSQL or SQLite alike.

A step cannot hang a worker: reading is bounded in rows and time (members.importing),
below the web worker's timeout. Each step holds the row through the shared claim
(accounts.jobs.Claim: a new token and a lease, extended as rows are read). If the worker
is stopped all the same, the lease runs out and the page offers to retry or discard the
import; a write commits together with its "done" state, so a stranded write has written
nothing, and a step that wakes after a retry or a discard no longer holds the claim.
"""

from __future__ import annotations

import datetime
import secrets
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, stored_files
from accounts.jobs import Claim
from accounts.models import AuditAction

from .importing import reading, writing
from .importing.plan import ImportFileError
from .models import ImportRun, ImportState, Member, import_lease_seconds

SESSION_KEY = "member_imports"
MAX_BYTES = 10 * 2**20
KEEP_SECONDS = 24 * 3600
PREVIEW_ROWS = 20
REPORT_ERRORS = 300


def max_bytes() -> int:
    return getattr(settings, "MEMBER_IMPORT_MAX_BYTES", MAX_BYTES)


FOLDER = "imports/members"


def name_for(token: str) -> str:
    """The upload's name in the default storage."""
    return f"{FOLDER}/{token}.xlsx"


def waiting_names() -> list[str]:
    """Names of the uploads in the storage (a day's worth at most, see _prune)."""
    try:
        _folders, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return []
    return [f"{FOLDER}/{name}" for name in files if name.endswith(".xlsx")]


def _prune():
    """Forget uploads older than a day (the files; rows stay as the import history)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=KEEP_SECONDS)
    for name in waiting_names():
        try:
            if default_storage.get_modified_time(name) < cutoff:
                stored_files.delete_quietly(name)
        except FileNotFoundError:
            pass


def store(upload, *, user, community, request=None) -> ImportRun:
    """Keep an uploaded roster for checking. Audited: the file holds many people's
    personal data, even before (or without) an import of it. Raises OSError (or the
    store's own error, accounts.stored_files.STORE_ERRORS) when the store fails."""
    _prune()
    token = secrets.token_urlsafe(24)
    name = default_storage.save(name_for(token), upload)
    if name != name_for(token):  # never: the token is random; keep the pair exact
        stored_files.delete_quietly(name)
        raise OSError(f"import upload stored as {name}")
    with transaction.atomic():
        run = ImportRun.objects.create(
            token=token,
            user=user,
            community=community,
            file_name=Path(upload.name).name[:200],
            file_size=upload.size,
        )
        audit.record(
            AuditAction.CREATE,
            run,
            actor=user,
            request=request,
            after={"community": community.pk, "file_size": run.file_size},
        )
    return run


def run_for(request, token: str) -> ImportRun | None:
    """The run named by `token`, if this session uploaded it and this user owns it."""
    if token not in request.session.get(SESSION_KEY, []):
        return None
    return (
        ImportRun.objects.select_related("community").filter(token=token, user=request.user).first()
    )


def recent_runs(user, limit=5):
    return list(ImportRun.objects.filter(user=user).select_related("community")[:limit])


def _claim(run, waiting, running) -> Claim | None:
    """Move the run to `running` only if nobody else did (a double click runs once): the
    step's hold on the row, or None. A stranded step is left to the person (retry or
    discard), not taken over by the next click."""
    return Claim.take(
        ImportRun.objects,
        run.pk,
        waiting=waiting,
        running=running,
        lease=datetime.timedelta(seconds=import_lease_seconds()),
        resume=False,
        done=0,
    )


def _finish(run, claim: Claim, **values) -> ImportRun:
    """Store the outcome of the step `claim` holds, unless the run was retried or
    discarded in the meantime."""
    claim.finish(**values)
    run.refresh_from_db()
    return run


def _progress(run, claim: Claim):
    last = [0.0]

    def report(done, total):
        now = time.monotonic()
        if now - last[0] >= 0.3 or done >= total:
            last[0] = now
            claim.beat(done=done, total=total)

    return report


def _field_label(attname) -> str:
    return str(Member._meta.get_field(attname.removesuffix("_id")).verbose_name)


def _change_labels(row) -> list[str]:
    cleared = row.cleared
    return sorted(
        _("%(field)s (cleared)") % {"field": _field_label(key)}
        if key in cleared
        else _field_label(key)
        for key in row.changed
    )


def _report(plan) -> dict:
    def preview(action):
        rows = [r for r in plan.rows if r.action == action][:PREVIEW_ROWS]
        return [{"row": r.excel_row, "name": r.name, "changed": _change_labels(r)} for r in rows]

    cleared = Counter(_field_label(key) for row in plan.rows for key in row.cleared)
    return {
        "sheet": plan.sheet,
        "header_row": plan.header_row,
        "columns": list(plan.columns.values()),
        "ignored_columns": plan.ignored_columns,
        "absent_columns": plan.absent_columns,
        "kept_when_empty": plan.kept_when_empty,
        "cleared": [{"field": label, "count": n} for label, n in sorted(cleared.items())],
        "new_units": sorted(plan.new_units),
        "errors": [str(e) for e in plan.errors[:REPORT_ERRORS]],
        "create": preview("create"),
        "update": preview("update"),
    }


def _file_error(run, claim, message, state=ImportState.INVALID):
    return _finish(run, claim, state=state, error_count=1, report={"errors": [message]})


class StoreUnavailable(ImportFileError):
    """The file is kept but the store did not answer: the step may be tried again."""


def _read(run, claim):
    try:
        source = default_storage.open(name_for(run.token), "rb")
        source.read(0)  # fetched here, so a failing store is told apart from a bad file
    except FileNotFoundError:
        raise ImportFileError(_("The uploaded file has expired: upload it again.")) from None
    except stored_files.STORE_ERRORS as error:
        if stored_files.is_missing(error):
            raise ImportFileError(_("The uploaded file has expired: upload it again.")) from None
        raise StoreUnavailable(
            _("The file store did not answer in time: try again in a minute.")
        ) from None
    with source:
        return reading.read_plan(source, community=run.community, progress=_progress(run, claim))


def _plan_values(plan, state) -> dict:
    return {
        "state": state,
        "create_count": plan.create_count,
        "update_count": plan.update_count,
        "unchanged_count": plan.unchanged_count,
        "error_count": plan.error_count,
        "report": _report(plan),
    }


def check(run: ImportRun) -> ImportRun:
    """Read and check every row; store the counts, the errors and a preview."""
    claim = _claim(run, [ImportState.UPLOADED, ImportState.READY], ImportState.CHECKING)
    if claim is None:
        run.refresh_from_db()
        return run
    try:
        plan = _read(run, claim)
    except StoreUnavailable as error:
        return _file_error(run, claim, str(error), ImportState.UPLOADED)
    except ImportFileError as error:
        return _file_error(run, claim, str(error))
    return _finish(
        run, claim, **_plan_values(plan, ImportState.READY if plan.ok else ImportState.INVALID)
    )


def confirm(run: ImportRun, *, request=None) -> ImportRun:
    """Read the file again (the database may have changed since the preview) and, if
    every row is still right, write it all in one transaction."""
    claim = _claim(run, [ImportState.READY], ImportState.WRITING)
    if claim is None:
        run.refresh_from_db()
        return run
    # SQLite runs in WAL mode (settings), so progress polls can read while this writes.
    try:
        plan = _read(run, claim)
    except StoreUnavailable as error:
        return _file_error(run, claim, str(error), ImportState.READY)
    except ImportFileError as error:
        return _file_error(run, claim, str(error))
    if not plan.ok:
        return _finish(run, claim, **_plan_values(plan, ImportState.INVALID))
    try:
        with transaction.atomic():
            # Still this step's run? Locked until the write and its "done" commit together.
            if not claim.ours().select_for_update().exists():
                run.refresh_from_db()
                return run
            outcome = writing.members_import(
                plan=plan,
                community=run.community,
                actor=run.user,
                request=request,
                file_name=run.file_name,
            )
            claim.finish(
                ImportState.DONE,
                create_count=outcome.created,
                update_count=outcome.updated,
                unchanged_count=outcome.unchanged,
                error_count=0,
                report=dict(_report(plan), units_created=outcome.units_created),
            )
    except (IntegrityError, ValidationError) as error:
        return _file_error(
            run,
            claim,
            _("Nothing was written: the roster changed while importing (%(error)s). Try again.")
            % {"error": str(error)[:200]},
            ImportState.FAILED,
        )
    stored_files.delete_quietly(name_for(run.token))
    run.refresh_from_db()
    return run


def retry(run: ImportRun) -> ImportRun:
    """A stranded check or write starts over from the check (nothing was written)."""
    ImportRun.objects.filter(ImportRun.stranded(), pk=run.pk).update(
        state=ImportState.UPLOADED,
        done=0,
        total=0,
        report={},
        **ImportRun.release_values(restart=True),
    )
    run.refresh_from_db()
    return run


def discard(run: ImportRun, *, request=None) -> ImportRun:
    """Give up a stranded import: forget its file (audited, like the upload)."""
    with transaction.atomic():
        stranded = ImportRun.objects.filter(ImportRun.stranded(), pk=run.pk)
        if stranded.update(
            state=ImportState.DISCARDED,
            finished_at=timezone.now(),
            **ImportRun.release_values(),
        ):
            audit.record(
                AuditAction.UPDATE,
                run,
                actor=run.user,
                request=request,
                before={"state": run.state},
                after={"state": ImportState.DISCARDED},
            )
    run.refresh_from_db()
    if run.state == ImportState.DISCARDED:
        stored_files.delete_quietly(name_for(run.token))
    return run
