"""Batch prints: start, run, cancel, resume and prune (every write of a PrintJob).

Running a job (`job_execute`, the Celery task's body, or the page's request when there
is no broker) claims it with one conditional UPDATE:

    UPDATE print_job SET state='running', claim_token=T, lease_until=now+lease, ...
    WHERE id=J AND (state='queued' OR state='running' AND lease_until<now)

so two workers never run one job, and a job left running by a worker that died is
taken again once its lease has run out (`resume_stranded`, every minute from beat).
After every branch the holder extends the lease with another conditional UPDATE on its
token (and reads the cancel request); if that touches nothing the job is no longer its
own and it stops.

No duplicated output: every branch is rendered to its own part file, named by the
branch and written under a temporary name then renamed, so a part is either complete or
absent. A resumed run skips the parts already there; the branches to print are fixed
when the job first runs (`contents`). The result (one PDF: a cover page, then each
branch's part with one outline entry, or a zip of the parts) is assembled from the parts
at the end, again under a temporary name, put in the default storage (the disk in the
demo, the S3 bucket in production: a result made by a worker on one node downloads
through any other) and the local folder is then removed. Parts stay on the worker's disk
(PRINT_JOB_DIR): a job resumed on the same node skips them, one resumed elsewhere prints
them again (never twice in the result, the branches are fixed).

Memory stays flat while rendering: one branch's document at a time. Assembling keeps
page objects, not rendered pages (measured: bench/prints.py).
"""

from __future__ import annotations

import datetime
import io
import logging
import os
import shutil
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import audit, stored_files
from accounts.jobs import Claim
from accounts.models import AuditAction
from branches.exporting import render_pdf
from branches.models import Branch, Level

from . import kinds  # noqa: F401  (registers the portal's kinds)
from .models import LIVE_STATES, PrintJob, PrintOutput, PrintState, keep_for
from .registry import get_kind

logger = logging.getLogger("portal.prints")

LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)
MAX_ATTEMPTS = 5


class PrintError(Exception):
    pass


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "PRINT_JOB_LEASE_SECONDS", 300))


def folder() -> Path:
    path = Path(getattr(settings, "PRINT_JOB_DIR", "") or Path(settings.MEDIA_ROOT).parent / "var")
    path = path / "prints"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def job_dir(job_id: int) -> Path:
    return folder() / f"job-{job_id}"


def result_name(job_id: int, output: str) -> str:
    """Where a finished result goes in the default storage (PrintJob.file_path)."""
    return f"prints/job-{job_id}/result.{output}"


def part_path(job_id: int, branch_id: int, *, empty: bool = False) -> Path:
    return job_dir(job_id) / "parts" / f"branch-{branch_id}.{'none' if empty else 'pdf'}"


def _write_atomically(path: Path, content: bytes) -> None:
    """The file is complete or absent: written beside, flushed, then renamed."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with temporary.open("wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


# --- Start and cancel (the pages) ------------------------------------------------------


def job_start(*, user, node, kind: str, params: dict, output: str, request=None) -> PrintJob:
    """A new job, queued (the caller publishes it, or the page runs it inline)."""
    if get_kind(kind) is None or node.level not in LEVELS or output not in PrintOutput.values:
        raise PrintError(_("This batch print cannot be started."))
    with transaction.atomic():
        job = PrintJob.objects.create(
            user=user,
            node=node,
            kind=kind,
            params=params,
            output=output,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        audit.record(
            AuditAction.CREATE,
            job,
            actor=user,
            request=request,
            after={"node": node.pk, "kind": kind, "params": params, "output": output},
        )
    return job


def job_cancel(*, job: PrintJob, actor, request=None) -> PrintJob:
    """A queued or stranded job stops at once; a running one after its current branch."""
    now = timezone.now()
    with transaction.atomic():
        stopped = PrintJob.objects.filter(
            Q(state=PrintState.QUEUED) | Q(state=PrintState.RUNNING, lease_until__lt=now),
            pk=job.pk,
        ).update(state=PrintState.CANCELLED, cancel_requested=True, finished_at=now, current="")
        if not stopped:
            PrintJob.objects.filter(pk=job.pk, state=PrintState.RUNNING).update(
                cancel_requested=True
            )
        audit.record(
            AuditAction.UPDATE,
            job,
            actor=actor,
            request=request,
            before={"state": job.state},
            after={"cancel_requested": True},
        )
    if stopped:
        shutil.rmtree(job_dir(job.pk), ignore_errors=True)
    job.refresh_from_db()
    return job


# --- Running ----------------------------------------------------------------------------


class _Run(Claim):
    def cancel_requested(self) -> bool:
        return self.ours().filter(cancel_requested=True).exists()


def job_claim(job_id: int, *, now=None) -> _Run | None:
    now = now or timezone.now()
    return _Run.take(
        PrintJob.objects.filter(cancel_requested=False),  # a cancelled job stays stopped
        job_id,
        waiting=PrintState.QUEUED,
        running=PrintState.RUNNING,
        lease=lease(),
        now=now,
        started_at=Coalesce("started_at", now),
    )


def job_execute(job_id: int) -> str:
    """Run (or resume) the job if nobody else holds it. Returns what happened, in words
    for the log."""
    run = job_claim(job_id)
    if run is None:
        return f"print job {job_id}: not claimed"
    job = PrintJob.objects.select_related("node", "user").get(pk=job_id)
    kind = get_kind(job.kind)
    with translation.override(job.language):
        try:
            if kind is None:
                raise PrintError(_("This kind of batch print is no longer available."))
            return _execute(run, job, kind)
        except Exception as error:
            logger.exception("print job %s failed", job_id)
            run.finish(PrintState.FAILED, error=str(error)[:500] or type(error).__name__)
            shutil.rmtree(job_dir(job_id), ignore_errors=True)
            return f"print job {job_id}: failed ({error})"


def _execute(run: _Run, job: PrintJob, kind) -> str:
    contents = job.contents
    if not contents:  # the first run fixes the branches to print
        contents = [
            {"branch": b.pk, "name": b.name, "place": b.organization.name}
            for b in kind.branches(job)
        ]
        if not run.beat(contents=contents, total=len(contents)):
            return f"print job {job.pk}: lost its claim"
    done = sum(1 for entry in contents if _part(job.pk, entry) is not None)
    if not run.beat(done=done, done_at_claim=done):
        return f"print job {job.pk}: lost its claim"
    for entry in contents:
        if _part(job.pk, entry) is not None:
            continue  # printed before the worker was stopped: never twice
        if run.cancel_requested():
            return _cancelled(run, job)
        if not run.beat(current=entry["name"][:120]):
            return f"print job {job.pk}: lost its claim"
        branch = Branch.objects.select_related("organization").filter(pk=entry["branch"]).first()
        content = kind.render(job, branch) if branch is not None else None
        if content:
            _write_atomically(part_path(job.pk, entry["branch"]), content)
        else:
            _write_atomically(part_path(job.pk, entry["branch"], empty=True), b"")
        done += 1
        if not run.beat(done=done):
            return f"print job {job.pk}: lost its claim"
    if run.cancel_requested():
        return _cancelled(run, job)
    run.beat(current=_("Putting the file together"))
    return _assemble(run, job, contents)


def _part(job_id: int, entry) -> Path | None:
    for empty in (False, True):
        path = part_path(job_id, entry["branch"], empty=empty)
        if path.exists():
            return path
    return None


def _cancelled(run: _Run, job: PrintJob) -> str:
    run.finish(PrintState.CANCELLED)
    shutil.rmtree(job_dir(job.pk), ignore_errors=True)
    return f"print job {job.pk}: cancelled"


def _cover(job: PrintJob, contents: list[dict], pages: int) -> bytes:
    from django.template.loader import render_to_string

    html = render_to_string(
        "reports/prints/cover.html",
        {
            "job": job,
            "contents": contents,
            "printed": sum(1 for e in contents if e.get("pages")),
            "pages": pages,
            "printed_on": timezone.localdate(),
            "for_pdf": True,
        },
    )
    return render_pdf(html)


def _assemble(run: _Run, job: PrintJob, contents: list[dict]) -> str:
    from pypdf import PdfReader

    for entry in contents:
        path = _part(job.pk, entry)
        entry["pages"] = len(PdfReader(path).pages) if path and path.suffix == ".pdf" else 0
    printed = [e for e in contents if e["pages"]]
    pages = sum(e["pages"] for e in printed)
    result = job_dir(job.pk) / f"result.{job.output}"
    temporary = result.with_name(f".{result.name}.{uuid.uuid4().hex[:8]}.tmp")
    if job.output == PrintOutput.ZIP:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, entry in enumerate(printed, start=1):
                name = f"{number:03d}-{entry['name']}.pdf".replace("/", "-")
                archive.write(part_path(job.pk, entry["branch"]), arcname=name)
    else:
        cover = _cover(job, contents, pages)
        pages += merge_pdf(
            temporary,
            cover=cover,
            parts=[(e["name"], part_path(job.pk, e["branch"])) for e in printed],
            title=f"{job.node.name} {job.kind_label}",
            beat=run.beat,
        )
    os.replace(temporary, result)
    size = result.stat().st_size
    try:
        with result.open("rb") as content:
            name = default_storage.save(result_name(job.pk, job.output), File(content))
    except stored_files.STORE_ERRORS as error:
        logger.error("print job %s: result not stored: %s", job.pk, error)
        raise PrintError(
            _("The file store did not answer in time: start the batch print again.")
        ) from None
    finished = run.finish(
        PrintState.DONE,
        file_path=name,
        file_size=size,
        pages=pages,
        contents=contents,
        expires_at=timezone.now() + keep_for(),
    )
    if not finished:
        stored_files.delete_quietly(name)
        return f"print job {job.pk}: lost its claim before finishing"
    shutil.rmtree(job_dir(job.pk), ignore_errors=True)
    audit.record(
        AuditAction.CREATE,
        job,
        actor=job.user,
        object_type="reports.printresult",
        object_repr=job.audit_repr(),
        after={"branches": len(printed), "pages": pages, "size": size, "format": job.output},
    )
    return f"print job {job.pk}: {len(printed)} branches, {pages} pages, {size} bytes"


def merge_pdf(path: Path, *, cover: bytes, parts: list[tuple[str, Path]], title: str, beat=None):
    """One PDF at `path`: the cover, then each part with one outline entry (its name)
    pointing at its first page; the parts' own bookmarks are left out. Returns the
    cover's page count.

    Streamed: each part is read on its own and its pages, with every object they refer
    to, are written out under new numbers at once; only the page numbers and the
    objects' offsets are kept until the page tree, the outline and the cross-reference
    table close the file. Memory stays that of one part, however many branches (pypdf's
    PdfWriter.append holds every page of the result until it writes)."""
    with path.open("wb") as out:
        merger = _StreamMerger(out)
        cover_pages = merger.add(_bytes_io(cover))
        for name, part in parts:
            merger.add(part, outline=name)
            if beat is not None:
                beat()
        merger.close(title=title)
    return cover_pages


class _StreamMerger:
    CATALOG, PAGES = 1, 2

    def __init__(self, out):
        self.out = out
        self.offsets: dict[int, int] = {}
        self.next = 3
        self.pages: list[int] = []
        self.outline: list[tuple[str, int]] = []
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _number(self) -> int:
        number, self.next = self.next, self.next + 1
        return number

    def _write(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.out.tell()
        self.out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def add(self, source, *, outline: str | None = None) -> int:
        """Append every page of `source`; returns its page count."""
        from pypdf import PdfReader

        reader = PdfReader(source)
        numbers: dict[tuple[int, int], int] = {}
        queue: list = []

        def ref(indirect) -> int:
            key = (indirect.idnum, indirect.generation)
            if key not in numbers:
                numbers[key] = self._number()
                queue.append(indirect)
            return numbers[key]

        page_keys = set()
        for page in reader.pages:
            self.pages.append(ref(page.indirect_reference))
            page_keys.add((page.indirect_reference.idnum, page.indirect_reference.generation))
        if outline is not None and reader.pages:
            self.outline.append((outline, self.pages[-len(reader.pages)]))
        while queue:
            indirect = queue.pop()
            key = (indirect.idnum, indirect.generation)
            obj = indirect.get_object()
            parent = self.PAGES if key in page_keys else None
            self._write(numbers[key], _dump(obj, ref, parent=parent))
        return len(reader.pages)

    def close(self, *, title: str) -> None:
        from pypdf.generic import TextStringObject

        def text(value: str) -> bytes:
            buffer = io.BytesIO()
            TextStringObject(value).write_to_stream(buffer)
            return buffer.getvalue()

        kids = b" ".join(b"%d 0 R" % n for n in self.pages)
        self._write(
            self.PAGES, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(self.pages), kids)
        )
        root = self._number()
        items = [self._number() for _ in self.outline]
        for index, (name, page) in enumerate(self.outline):
            links = b""
            if index:
                links += b" /Prev %d 0 R" % items[index - 1]
            if index + 1 < len(items):
                links += b" /Next %d 0 R" % items[index + 1]
            self._write(
                items[index],
                b"<< /Title %s /Parent %d 0 R%s /Dest [%d 0 R /XYZ null null null] >>"
                % (text(name), root, links, page),
            )
        if items:
            self._write(
                root,
                b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
                % (items[0], items[-1], len(items)),
            )
        else:
            self._write(root, b"<< /Type /Outlines /Count 0 >>")
        self._write(
            self.CATALOG,
            b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R /PageMode /UseOutlines >>"
            % (self.PAGES, root),
        )
        info = self._number()
        self._write(info, b"<< /Title %s /Producer (retiree_party) >>" % text(title))
        start = self.out.tell()
        self.out.write(b"xref\n0 %d\n0000000000 65535 f \n" % self.next)
        for number in range(1, self.next):
            self.out.write(b"%010d 00000 n \n" % self.offsets[number])
        self.out.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (self.next, self.CATALOG, info, start)
        )


def _dump(obj, ref, *, parent: int | None = None) -> bytes:
    """An object of a part as PDF bytes, its references renumbered by `ref`; a page's
    /Parent (`parent`) becomes the result's page tree."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        StreamObject,
    )

    if isinstance(obj, IndirectObject):
        return b"%d 0 R" % ref(obj)
    if isinstance(obj, StreamObject):
        data = obj._data
        head = {k: v for k, v in obj.items() if k != "/Length"}
        return (
            _dump(DictionaryObject(head), ref)[:-2]
            + b" /Length %d >>\nstream\n" % len(data)
            + data
            + b"\nendstream"
        )
    if isinstance(obj, DictionaryObject):
        items = []
        for key, value in obj.items():
            if parent is not None and key == "/Parent":
                items.append(b"/Parent %d 0 R" % parent)
                continue
            items.append(_dump(key, ref) + b" " + _dump(value, ref))
        if parent is not None and "/Parent" not in obj:
            items.append(b"/Parent %d 0 R" % parent)
        return b"<< " + b" ".join(items) + b" >>"
    if isinstance(obj, ArrayObject):
        return b"[" + b" ".join(_dump(item, ref) for item in obj) + b"]"
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def _bytes_io(content: bytes):
    return io.BytesIO(content)


# --- The sweeps (beat) ------------------------------------------------------------------


def stranded_jobs(*, now=None) -> list[int]:
    """Jobs to hand to a worker again: running with their lease run out (the worker was
    stopped), or queued for longer than a lease (the publish was lost). A job stranded
    MAX_ATTEMPTS times (it stops its worker every time) fails instead."""
    now = now or timezone.now()
    PrintJob.objects.filter(
        state=PrintState.RUNNING, lease_until__lt=now, attempts__gte=MAX_ATTEMPTS
    ).update(
        state=PrintState.FAILED,
        finished_at=now,
        current="",
        error=_("Interrupted too often: start it again, with fewer branches."),
    )
    # A queued job waits for a busy worker: published again at most once a lease.
    waiting = Q(state=PrintState.QUEUED, created_at__lt=now - lease()) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    ids = list(
        PrintJob.objects.filter(
            Q(state=PrintState.RUNNING, lease_until__lt=now) | waiting
        ).values_list("pk", flat=True)
    )
    PrintJob.objects.filter(waiting, pk__in=ids).update(lease_until=now + lease())
    return ids


def prune_expired(*, now=None) -> int:
    """Remove the results kept longer than the keeping time, and the files of finished
    jobs that have none (cancelled, failed)."""
    now = now or timezone.now()
    results = dict(
        PrintJob.objects.filter(state=PrintState.DONE, expires_at__lt=now).values_list(
            "pk", "file_path"
        )
    )
    expired = list(results)
    for job_id, name in results.items():
        stored_files.delete_quietly(name)
        shutil.rmtree(job_dir(job_id), ignore_errors=True)
    PrintJob.objects.filter(pk__in=expired, state=PrintState.DONE).update(
        state=PrintState.EXPIRED, file_path="", file_size=0
    )
    live = set(
        PrintJob.objects.filter(state__in=[*LIVE_STATES, PrintState.DONE]).values_list(
            "pk", flat=True
        )
    )
    for path in folder().glob("job-*"):
        try:
            job_id = int(path.name.removeprefix("job-"))
        except ValueError:
            continue
        if job_id not in live:
            shutil.rmtree(path, ignore_errors=True)
    return len(expired)


def erase_member(sender, member, actor=None, **kwargs) -> dict:
    """members.erasure's `member_erasing`: the finished results of the member's area (and
    the parts of its live jobs) may name them: removed after the commit (erasure, PIPL
    art. 47, outweighs keeping a print; the job can be started again)."""
    places = [member.community.path]
    if member.home_branch_id:
        places.append(member.home_branch.organization.path)
    paths = {place[:n] for place in places for n in range(1, len(place) + 1)}
    area = PrintJob.objects.filter(node__path__in=paths)
    results = dict(area.filter(state=PrintState.DONE).values_list("pk", "file_path"))
    done = list(results)
    area.filter(pk__in=done).update(state=PrintState.EXPIRED, file_path="", file_size=0)
    live = list(area.filter(state__in=LIVE_STATES).values_list("pk", flat=True))
    area.filter(pk__in=live).update(
        state=PrintState.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )

    def remove():
        for name in results.values():
            stored_files.delete_quietly(name)
        for job_id in [*done, *live]:
            shutil.rmtree(job_dir(job_id), ignore_errors=True)

    transaction.on_commit(remove)
    return {"print_results": len(done) + len(live)} if done or live else {}


# --- The download ------------------------------------------------------------------------


def result_released(*, job: PrintJob, actor, request=None) -> str:
    """The result's name in the default storage, for the download view to hand out;
    audited as an export (it names members)."""
    if not job.downloadable:
        raise PrintError(_("This batch print has no file to download."))
    audit.record(
        AuditAction.EXPORT,
        job,
        actor=actor,
        request=request,
        object_type="reports.printjob",
        after={
            "format": job.output,
            "node": job.node_id,
            "kind": job.kind,
            "branches": sum(1 for e in job.contents if e.get("pages")),
            "pages": job.pages,
        },
    )
    return job.file_path
