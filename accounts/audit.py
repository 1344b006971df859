"""The audit trail: who did what to which object, before and after, when, from where.

Services call `record(...)` (or `record_many(...)` for bulk paths) inside their own
transaction, so an audited write and its audit row commit or roll back together.
Entries are hash-chained: each row's hash covers its content and the previous hash,
so an edited or deleted row breaks the chain (`manage.py audit_verify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import AuditAction, AuditEntry

GENESIS = "0" * 64


@dataclass(frozen=True)
class Change:
    """One audited change, for `record_many`."""

    action: str
    obj: object | None = None
    before: dict | None = None
    after: dict | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""


def client_ip(request) -> str:
    """The client address. Only REMOTE_ADDR is trusted: a forged X-Forwarded-For header
    must not change it (a trusted proxy is configured at the web server)."""
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def _canonical(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


def entry_digest(entry: AuditEntry, prev_hash: str) -> str:
    payload = _canonical(
        [
            prev_hash,
            entry.at.isoformat(),
            entry.actor_id,
            entry.actor_name,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.object_repr,
            entry.changes,
            entry.ip,
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _describe(change: Change) -> tuple[str, str, str]:
    obj = change.obj
    if obj is None:
        return change.object_type, change.object_id, change.object_repr
    meta = obj._meta
    return (
        change.object_type or f"{meta.app_label}.{meta.model_name}",
        change.object_id or str(obj.pk or ""),
        change.object_repr or str(obj)[:200],
    )


def record_many(changes: Iterable[Change], *, actor=None, request=None) -> list[AuditEntry]:
    """Append audit entries for many changes at once (bulk paths: one insert)."""
    changes = list(changes)
    if not changes:
        return []
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    now = timezone.now()
    ip = client_ip(request)
    with transaction.atomic():
        # Serialise writers on the chain's tail so two requests cannot fork it.
        last = AuditEntry.objects.select_for_update().order_by("-pk").only("hash").first()
        prev = last.hash if last else GENESIS
        entries = []
        for change in changes:
            object_type, object_id, object_repr = _describe(change)
            entry = AuditEntry(
                at=now,
                actor=actor,
                actor_name=actor.get_username() if actor else "",
                action=change.action,
                object_type=object_type,
                object_id=object_id,
                object_repr=object_repr,
                changes=json.loads(_canonical({"before": change.before, "after": change.after})),
                ip=ip,
                prev_hash=prev,
            )
            entry.hash = entry_digest(entry, prev)
            prev = entry.hash
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries)
    return entries


def record(
    action: str,
    obj=None,
    *,
    actor=None,
    request=None,
    before: dict | None = None,
    after: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append one audit entry. `before`/`after` are plain dicts of the changed fields."""
    return record_many(
        [Change(action, obj, before, after, object_type, object_id, object_repr)],
        actor=actor,
        request=request,
    )[0]


def verify_chain() -> list[int]:
    """Ids of entries whose hash or link is wrong (empty when the chain is intact)."""
    broken = []
    prev = GENESIS
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=2000):
        if entry.prev_hash != prev or entry.hash != entry_digest(entry, entry.prev_hash):
            broken.append(entry.pk)
        prev = entry.hash
    return broken


__all__ = ["AuditAction", "Change", "record", "record_many", "verify_chain"]
