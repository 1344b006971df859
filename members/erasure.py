"""Erasing a member (PIPL art. 47): their personal data leaves the database and the files.

`member_erase` deletes the member row with everything that cascades from it (community
registrations, branch memberships, service roles, honours, party-group leads; committee
posts they held become vacant). Other apps remove their own rows about the member through
the `member_erasing` signal, sent inside the same transaction before the delete
(activities: attendance and make-ups, care need, visits and follow-ups, activity
participation, pairings as a carer, reminders naming the member). Then:

- import reports (ImportRun.report) lose the preview rows and error lines naming the member;
- uploaded roster workbooks still waiting in the storage (`imports/members/`, on the disk
  or in the S3 bucket) that name the member are deleted once the transaction commits
  (they would have to be uploaded again);
- one audit entry records the erasure by primary key and a masked name only.

Audit entries are hash-chained and never edited, so nothing is removed from them: they
never held the member's name (described as "张** #pk", accounts.audit.person_repr) nor,
in their before/after values, the ID number, phone, address or care notes (masked when
written). They keep the pk for their retention period (AUDIT_RETENTION_DAYS). Exports
are streamed, never stored on the server.
"""

from __future__ import annotations

import io
import zipfile

from django.core.files.storage import default_storage
from django.db import transaction
from django.dispatch import Signal

from accounts import audit, stored_files
from accounts.models import AuditAction

from . import uploads
from .models import ImportRun, Member

# Sent with `member` (and `actor`) inside the erasure's transaction, before the delete.
member_erasing = Signal()


def _identifiers(member: Member) -> list[str]:
    return [value for value in (member.name, member.id_number, member.phone) if value]


def _names_any(text: str, identifiers: list[str]) -> bool:
    return any(value in text for value in identifiers)


def _scrub_import_reports(identifiers: list[str]) -> int:
    """Drop the preview rows and error lines that name the member from every import report
    (a handful of rows per user: reading them all is cheap and finds every mention)."""
    scrubbed = 0
    for run in ImportRun.objects.only("pk", "report").iterator(chunk_size=200):
        report = run.report or {}
        if not _names_any(str(report), identifiers):
            continue
        clean = dict(report)
        for key in ("create", "update"):
            clean[key] = [
                row for row in report.get(key, []) if not _names_any(str(row), identifiers)
            ]
        clean["errors"] = [e for e in report.get("errors", []) if not _names_any(e, identifiers)]
        ImportRun.objects.filter(pk=run.pk).update(report=clean)
        scrubbed += 1
    return scrubbed


def _workbook_text(content: bytes) -> str:
    """The text of an uploaded workbook: an .xlsx is a zip of XML parts (shared strings,
    sheets); anything else is read as it is."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(
                book.read(name).decode("utf-8", "replace")
                for name in book.namelist()
                if name.endswith(".xml")
            )
    except (zipfile.BadZipFile, OSError):
        return content.decode("utf-8", "replace")


def delete_uploads_naming(identifiers: list[str]) -> int:
    """Delete the uploaded roster files still waiting in the storage that name the
    member. Confirmed imports have already deleted theirs; the rest expire after a day.
    One the store cannot read now is deleted too: erasure outweighs keeping an upload."""
    deleted = 0
    try:
        waiting = uploads.waiting_names()
    except stored_files.STORE_ERRORS as error:
        stored_files.logger.error("erasure: import uploads not listed: %s", error)
        return 0
    for name in waiting:
        try:
            with default_storage.open(name, "rb") as stored:
                names_member = _names_any(_workbook_text(stored.read()), identifiers)
        except FileNotFoundError:
            continue
        except stored_files.STORE_ERRORS:
            names_member = True
        if names_member and stored_files.delete_quietly(name):
            deleted += 1
    return deleted


@transaction.atomic
def member_erase(*, member: Member, actor, request=None) -> dict:
    """Delete the member and their personal data; returns counts for the message."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    identifiers = _identifiers(member)
    pk, shown = member.pk, member.audit_repr()
    counts: dict[str, int] = {}
    for _receiver, result in member_erasing.send(sender=Member, member=member, actor=actor):
        counts.update(result or {})
    _total, deleted = member.delete()
    counts.update({label.lower(): n for label, n in deleted.items() if n})
    counts["import_reports"] = _scrub_import_reports(identifiers)
    audit.record(
        AuditAction.DELETE,
        actor=actor,
        request=request,
        object_type="members.member",
        object_id=str(pk),
        object_repr=shown,
        after={"erased": dict(sorted(counts.items()))},
    )
    transaction.on_commit(lambda: delete_uploads_naming(identifiers))
    return counts
