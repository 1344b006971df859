"""Writes of notices: drafts (written, edited with a version check, their files), sending
(the audience resolved to one receipt per branch) and opening. Each write is one
transaction with its audit entries; files stored by a write that fails are removed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, stored_files
from accounts.models import AuditAction
from branches.access import ANSWER_NOTICES, scope_for
from branches.models import Branch

from . import text
from .models import Notice, NoticeAttachment, NoticeReceipt, NoticeState

# The fields a draft's form writes (the audience and the files are written beside them).
DRAFT_FIELDS = (
    "organization_id",
    "kind",
    "title",
    "body",
    "response",
    "deadline",
    "branch_kinds",
)


class NoticeError(Exception):
    """A write refused for a reason the user can act on (the message is for them)."""


class NoticeConflict(NoticeError):
    """The draft was saved by someone else since the form was loaded."""

    def __init__(self, notice: Notice):
        super().__init__(_("Someone else saved this draft while you were working on it."))
        self.notice = notice


@dataclass(frozen=True)
class Upload:
    """A file that passed notices.uploads.checked_upload, with the type it was found to be."""

    file: object  # an UploadedFile (or any Django File with a name and a size)
    content_type: str


def audience_branches(notice: Notice, *, on=None):
    """The active branches a notice reaches: under its audience nodes (inside the
    sender's node), of its kinds when any are chosen. One query when iterated."""
    nodes = list(notice.audience.values_list("path", flat=True))
    if not nodes:
        return Branch.objects.none()
    where = Q()
    for path in nodes:
        if path.startswith(notice.organization.path):
            where |= Q(organization__path__startswith=path)
    if not where:
        return Branch.objects.none()
    branches = Branch.objects.active(on or timezone.localdate()).filter(where)
    if notice.branch_kinds:
        branches = branches.filter(kind__in=notice.branch_kinds)
    return branches


@contextmanager
def _stored_files() -> Iterator[list[str]]:
    """Names of files a write stores; deleted again if the write fails (the rows that
    named them were rolled back, nothing else points at them)."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            stored_files.delete_quietly(name)
        raise


def _attach(notice: Notice, uploads: Iterable[Upload], actor, stored: list[str]):
    """Store each file under a random name and write its row; the audit changes."""
    changes = []
    for upload in uploads:
        attachment = NoticeAttachment(
            notice=notice,
            original_name=upload.file.name[-120:],
            content_type=upload.content_type,
            size=upload.file.size,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        # Named before storing, so that a store that breaks off half-way is removed too.
        name = attachment.file.field.generate_filename(attachment, upload.file.name)
        stored.append(name)
        stored[-1] = attachment.file.name = default_storage.save(name, upload.file)
        attachment.save()
        changes.append(
            audit.Change(
                AuditAction.CREATE,
                attachment,
                after={
                    "notice": notice.pk,
                    "file": attachment.original_name,
                    "size": upload.file.size,
                },
            )
        )
    return changes


def _audit_snapshot(notice: Notice, audience_names: list[str]) -> dict:
    shown = audit.snapshot(notice, DRAFT_FIELDS)
    shown["audience"] = audience_names
    return shown


def create_draft(
    *,
    organization,
    details: dict,
    audience: Iterable,
    uploads: Iterable[Upload] = (),
    client_key=None,
    actor,
    request=None,
) -> Notice:
    """A new draft written at `organization` (one of the actor's sending nodes, checked
    by the form) for `audience` (nodes inside it), with its files. Once per
    `client_key`: a doubled or retried post returns the draft the first one wrote."""
    audience = list(audience)
    with _stored_files() as stored, transaction.atomic():
        if client_key and (existing := Notice.objects.filter(client_key=client_key).first()):
            return existing
        notice = Notice(
            organization=organization,
            author=actor if getattr(actor, "is_authenticated", False) else None,
            state=NoticeState.DRAFT,
            client_key=client_key or None,
        )
        for name, value in details.items():
            setattr(notice, name, value)
        notice.body_html = text.render(notice.body)
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:
            # A concurrent twin won the race on the unique client key.
            return Notice.objects.get(client_key=client_key)
        notice.audience.set(audience)
        changes = [
            audit.Change(
                AuditAction.CREATE,
                notice,
                after=_audit_snapshot(notice, [node.name for node in audience]),
            )
        ]
        changes += _attach(notice, uploads, actor, stored)
        audit.record_many(changes, actor=actor, request=request)
    return notice


def update_draft(
    *,
    notice: Notice,
    details: dict,
    audience: Iterable | None = None,
    uploads: Iterable[Upload] = (),
    remove: Iterable[NoticeAttachment] = (),
    version: int | None,
    actor,
    request=None,
) -> Notice:
    """Change a draft: only the fields in `details`, the audience when given, files
    added and removed. `version`: the one the form was loaded at (NoticeConflict if the
    draft moved on since; NoticeError once it was sent)."""
    with _stored_files() as stored, transaction.atomic():
        locked = Notice.objects.select_for_update().select_related("organization").get(pk=notice.pk)
        if locked.state != NoticeState.DRAFT:
            raise NoticeError(_("This notice has already been sent: it can no longer be edited."))
        if version is not None and locked.version != version:
            raise NoticeConflict(locked)
        old_audience = sorted(locked.audience.values_list("name", flat=True))
        before = _audit_snapshot(locked, old_audience)
        for name, value in details.items():
            setattr(locked, name, value)
        new_audience = old_audience
        if audience is not None:
            audience = list(audience)
            new_audience = sorted(node.name for node in audience)
            if new_audience != old_audience:
                locked.audience.set(audience)
        old, new = audit.diff(before, _audit_snapshot(locked, new_audience))
        changes = []
        if new:
            locked.body_html = text.render(locked.body)
            fields = [name.removesuffix("_id") for name in details]
            locked.version += 1
            locked.save(update_fields=[*fields, "body_html", "version"])
            changes.append(audit.Change(AuditAction.UPDATE, locked, before=old, after=new))
        removed = [a for a in remove if a.notice_id == locked.pk]
        for attachment in removed:
            changes.append(
                audit.Change(
                    AuditAction.DELETE,
                    attachment,
                    before={"notice": locked.pk, "file": attachment.original_name},
                    object_id=str(attachment.pk),  # delete() clears the pk
                )
            )
            attachment.delete()  # its file leaves the store on commit (notices.apps)
        changes += _attach(locked, uploads, actor, stored)
        if changes and not new:
            # Files alone changed: still a new version, so a form loaded before does not
            # silently save over them.
            locked.version += 1
            locked.save(update_fields=["version"])
        audit.record_many(changes, actor=actor, request=request)
    return locked


def send(*, notice: Notice, actor, request=None, version: int | None = None) -> int:
    """Send a draft: one receipt per branch of its audience, written in one INSERT, the
    state moved under a row lock (sending twice sends once). Returns the branch count.
    `version`: the draft the sender looked at (NoticeConflict if it was edited since)."""
    with transaction.atomic():
        locked = Notice.objects.select_for_update().select_related("organization").get(pk=notice.pk)
        if locked.state != NoticeState.DRAFT:
            raise NoticeError(_("This notice has already been sent."))
        if version is not None and locked.version != version:
            raise NoticeConflict(locked)
        rows = list(audience_branches(locked).values_list("pk", "organization__path"))
        if not rows:
            raise NoticeError(_("No branch is in the chosen audience."))
        NoticeReceipt.objects.bulk_create(
            [NoticeReceipt(notice=locked, branch_id=pk, path=path) for pk, path in rows],
            batch_size=1000,
        )
        now = timezone.now()
        locked.state = NoticeState.SENT
        locked.sent_at = now
        locked.recipient_count = len(rows)
        locked.body_html = text.render(locked.body)
        locked.version += 1
        locked.save(update_fields=["state", "sent_at", "recipient_count", "body_html", "version"])
        audit.record(
            AuditAction.UPDATE,
            locked,
            actor=actor,
            request=request,
            before={"state": NoticeState.DRAFT},
            after={"state": NoticeState.SENT, "branches": len(rows)},
        )
    notice.refresh_from_db()
    return len(rows)


def mark_opened(*, notice: Notice, user) -> int:
    """The user opened the notice (its page or a file): the receipts they answer for
    that are still unopened get the time and the user, in one conditional UPDATE (a
    second look changes nothing). A read, so not audited; `opened_by` records who."""
    if notice.state != NoticeState.SENT or not scope_for(user).has(ANSWER_NOTICES):
        return 0
    receipts = NoticeReceipt.objects.answerable_by(user).filter(
        notice_id=notice.original_id, opened_at__isnull=True
    )
    if notice.is_forward:
        receipts = receipts.filter(path__startswith=notice.organization.path)
    return receipts.update(opened_at=timezone.now(), opened_by=user)
