"""The audit trail: who did what to which object, before and after, when, from where.

Services call `record(...)` (or `record_many(...)` for bulk paths) inside their own
transaction, so an audited write and its audit row commit or roll back together.
Entries are hash-chained: each row's hash covers its content and the previous hash,
so an edited or deleted row breaks the chain. The chain's head (newest entry, and the
anchor left by pruning) is kept in AuditHead, so deleting the newest rows is detected
too (`manage.py audit_verify`). Nothing in the application edits or deletes entries;
only `manage.py audit_prune` removes rows, and never rows younger than
AUDIT_RETENTION_DAYS (at least 180 days).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import ipaddress
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from . import bulk
from .models import AuditAction, AuditEntry, AuditHead

GENESIS = "0" * 64
# PostgreSQL: a trigger refuses UPDATE and DELETE on the audit table unless this
# transaction-local setting is on (set only by the prune command). See migration 0004.
GUARD_SETTING = "portal.audit_maintenance"

logger = logging.getLogger("portal.audit")

# Sent with `changes` inside the audited transaction, after the entries are written:
# every write path is audited (the URL x role matrix checks it), so this is where the
# dashboards learn which districts' figures changed (reports.freshness).
recorded = Signal()


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
    # A batch entry (record_batch): the changes it stands for, written into the entry's
    # "batch" list, each with its own masked before/after.
    batch: tuple | list | None = None


BATCH = "batch"


def _valid_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """The client address.

    REMOTE_ADDR, unless it is one of settings.TRUSTED_PROXIES: then the nearest address in
    X-Forwarded-For that is not itself a trusted proxy. A forged X-Forwarded-For sent
    straight to the application (or rotated on every try) changes nothing.
    """
    if request is None:
        return ""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    trusted = set(settings.TRUSTED_PROXIES)
    if not remote or remote not in trusted:
        return remote
    forwarded = [p for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    for hop in reversed(forwarded):
        address = _valid_ip(hop)
        if not address:
            return remote  # garbage from the client side: stop at the last proxy
        if address not in trusted:
            return address
    return remote


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


def masked_name(name: str) -> str:
    """张三丰 -> 张**: enough to tell entries apart, not to name anyone."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def person_repr(name: str, pk=None) -> str:
    """How the trail names a member: the masked name and the pk ("张** #123").

    Entries are hash-chained and never edited, so erasing a member (PIPL art. 47) could
    not take a plain name out of them: the name is masked when the entry is written. The
    auditor finds the member by pk while the member exists."""
    shown = masked_name(str(name or "")) or "—"
    return f"{shown} #{pk}" if pk is not None else shown


def _object_repr(obj) -> str:
    """An object's description for the trail: its `audit_repr()` when the model has one
    (models whose str() names a member, or shows sensitive text), else str()."""
    audit_repr = getattr(obj, "audit_repr", None)
    return str(audit_repr() if callable(audit_repr) else obj)[:200]


def _describe(change: Change) -> tuple[str, str, str]:
    obj = change.obj
    if obj is None:
        return change.object_type, change.object_id, change.object_repr
    meta = obj._meta
    return (
        change.object_type or f"{meta.app_label}.{meta.model_name}",
        change.object_id or str(obj.pk or ""),
        change.object_repr or _object_repr(obj),
    )


def _lock_head() -> tuple[str, int]:
    """Create the head row if needed, lock it and read the chain's tail (one statement).

    Every writer takes this row lock first, so concurrent writers queue up and each links
    to the entry the previous one wrote (a lock on the newest entry would not do: under
    READ COMMITTED a waiting SELECT ... FOR UPDATE returns the old tail).
    """
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, last_pk, last_hash, anchor_pk, anchor_hash, pruned) "  # noqa: S608
            f"VALUES (1, 0, %s, 0, %s, 0) "
            f"ON CONFLICT (id) DO UPDATE SET last_pk = {table}.last_pk "
            f"RETURNING last_hash, last_pk",
            [GENESIS, GENESIS],
        )
        last_hash, last_pk = cursor.fetchone()
    return last_hash, last_pk


def snapshot(obj, fields) -> dict:
    """The named attributes of `obj`, for a Change's before/after (use attnames such as
    "branch_id" for foreign keys)."""
    return {name: getattr(obj, name) for name in fields}


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what changed between two snapshots: (old values, new values)."""
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def record_many(
    changes: Iterable[Change], *, actor=None, request=None, signalled=None
) -> list[AuditEntry]:
    """Append audit entries for many changes at once (bulk paths: one insert).

    Three queries whatever the number of changes: lock the head, insert, move the head.
    """
    changes = list(changes)
    if not changes:
        return []
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    ip = client_ip(request)
    # No savepoint: the entries commit or roll back with the caller's transaction (an
    # audit that fails fails the write), and a savepoint would cost two more statements.
    with transaction.atomic(savepoint=False):
        prev, _ = _lock_head()
        now = timezone.now()  # taken under the lock, so time order is chain order
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
                # Masked when written, not only when shown: erasing a member must not
                # leave their ID number, phone, address or health notes in the trail.
                changes=masked_changes(json.loads(_canonical(_payload(change)))),
                ip=ip,
                prev_hash=prev,
            )
            entry.hash = entry_digest(entry, prev)
            prev = entry.hash
            entries.append(entry)
        _append(entries, prev)
        recorded.send(sender=AuditEntry, changes=changes if signalled is None else signalled)
    return entries


# Per entry, in this order in the JSON array _append sends (the rest is shared).
_ENTRY_FIELDS = (
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "prev_hash",
    "hash",
)


def _append(entries: list[AuditEntry], last_hash: str) -> None:
    """Insert the entries (in chain order) and move the head to the last of them.

    PostgreSQL: one statement (the insert and the head's update as data-modifying CTEs);
    elsewhere an insert and an update. Sets each entry's pk. The entries are one JSON
    parameter (accounts.bulk.json_insert), and what record_many gives them all (time,
    actor, address) is sent once."""
    if connection.vendor != "postgresql":
        AuditEntry.objects.bulk_create(entries)
        AuditHead.objects.filter(pk=1).update(last_pk=entries[-1].pk, last_hash=last_hash)
        return
    first = entries[0]
    insert, params = bulk.json_insert(
        AuditEntry,
        _ENTRY_FIELDS,
        ([getattr(entry, name) for name in _ENTRY_FIELDS] for entry in entries),
        shared={
            "at": first.at,
            "actor_id": first.actor_id,
            "actor_name": first.actor_name,
            "ip": first.ip,
        },
        returning=["id"],
    )
    head_table = connection.ops.quote_name(AuditHead._meta.db_table)
    # Rows are inserted in the order given, so ids follow the chain.
    sql = (
        f"WITH ins AS ({insert}), "  # noqa: S608
        f"head AS (UPDATE {head_table} SET last_pk = (SELECT max(id) FROM ins), "
        f"last_hash = %s WHERE id = 1) "
        f"SELECT id FROM ins ORDER BY id"
    )
    params.append(last_hash)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    for entry, pk in zip(entries, ids, strict=True):
        entry.pk = entry.id = pk
        entry._state.adding, entry._state.db = False, connection.alias


def _payload(change: Change) -> dict:
    payload = {"before": change.before, "after": change.after}
    if change.batch is not None:
        # Masked here, once per value: masked_changes leaves lists as they are.
        payload[BATCH] = [_batch_row(row) for row in change.batch]
    return payload


def _batch_row(change: Change) -> dict:
    """One change of a batch entry. A created object lists only the fields it has."""
    object_type, object_id, object_repr = _describe(change)
    after = change.after
    if change.action == "create" and after:
        after = {key: value for key, value in after.items() if value not in (None, "")}
    return {
        "action": change.action,
        "type": object_type,
        "id": object_id,
        "object": object_repr,
        "before": masked_values(change.before),
        "after": masked_values(after),
    }


def record_batch(
    action: str,
    obj=None,
    *,
    changes: Iterable[Change],
    actor=None,
    request=None,
    after: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """One entry for a batch of changes (a bulk import's chunk): `after` summarises it,
    and the entry lists every change with its masked before/after (the audit pages show
    them one per line). Hash-chained like any entry; the dashboards' freshness is given
    the batch's changes, so it places them as it would place separate entries."""
    changes = list(changes)
    entry = Change(action, obj, None, after, object_type, object_id, object_repr, changes)
    return record_many([entry], actor=actor, request=request, signalled=[entry, *changes])[0]


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


# --- Verification ------------------------------------------------------------------------


@dataclass
class Verification:
    """The outcome of checking the whole chain."""

    checked: int = 0
    broken: list[int] = field(default_factory=list)  # entries whose hash or link is wrong
    problems: list[str] = field(default_factory=list)  # missing head, missing newest rows
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.broken and not self.problems


def verify() -> Verification:
    """Check every entry's hash and link, and the ends of the chain against its head."""
    result = Verification()
    head = AuditHead.objects.filter(pk=1).first()
    prev = head.anchor_hash if head else GENESIS
    first_pk = last_pk = None
    last_hash = prev
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=2000):
        if first_pk is None:
            first_pk = entry.pk
        if entry.prev_hash != prev or entry.hash != entry_digest(entry, entry.prev_hash):
            result.broken.append(entry.pk)
        prev = entry.hash
        last_pk, last_hash = entry.pk, entry.hash
        result.checked += 1
    if head is None:
        if result.checked:
            result.problems.append("The chain head is missing while entries exist.")
        return result
    result.head_hash = head.last_hash
    if first_pk is not None and first_pk <= head.anchor_pk:
        result.problems.append(
            f"Entry {first_pk} is older than the prune anchor (entry {head.anchor_pk})."
        )
    if last_pk is None:
        if head.last_pk != head.anchor_pk:
            result.problems.append(
                f"Entries up to {head.last_pk} are missing: the audit table is empty."
            )
    elif (last_pk, last_hash) != (head.last_pk, head.last_hash):
        if last_pk < head.last_pk:
            result.problems.append(
                f"The newest entries are missing: the head is entry {head.last_pk}, "
                f"the table ends at entry {last_pk}."
            )
        else:
            result.problems.append(
                f"The newest entry ({last_pk}) does not match the chain head "
                f"(entry {head.last_pk})."
            )
    return result


def verify_chain() -> list[int]:
    """Ids of entries whose hash or link is wrong (empty when the links are intact)."""
    return verify().broken


# --- Pruning -----------------------------------------------------------------------------


class PruneRefused(Exception):
    pass


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """The oldest moment still inside the retention period (never under 180 days)."""
    days = max(180, settings.AUDIT_RETENTION_DAYS)
    return (now or timezone.now()) - datetime.timedelta(days=days)


@dataclass
class PruneResult:
    deleted: int
    through_pk: int
    anchor_hash: str
    cutoff: datetime.datetime


def _guard_off(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT set_config(%s, 'on', true)", [GUARD_SETTING])


def prune(before: datetime.datetime, *, archive=None, dry_run: bool = False) -> PruneResult:
    """Delete the oldest entries written before `before`, but never any younger than the
    retention period. The chain must verify first. The hash of the last deleted entry
    becomes the anchor the oldest kept entry links to, so the rest still verifies.
    `archive` (a text file) receives the deleted entries as JSON lines first."""
    cutoff = min(before, retention_cutoff())
    with transaction.atomic():
        _lock_head()
        check = verify()
        if not check.ok:
            raise PruneRefused(
                f"The audit chain does not verify ({len(check.broken)} broken entries, "
                f"{len(check.problems)} other problems): nothing was pruned."
            )
        # The pruned part is a prefix of the chain: everything before the first entry
        # that must be kept.
        first_kept = AuditEntry.objects.filter(at__gte=cutoff).order_by("pk").first()
        doomed = AuditEntry.objects.all()
        if first_kept is not None:
            doomed = doomed.filter(pk__lt=first_kept.pk)
        last = doomed.order_by("-pk").first()
        if last is None:
            head = AuditHead.objects.get(pk=1)
            return PruneResult(0, head.anchor_pk, head.anchor_hash, cutoff)
        if archive is not None:
            for entry in doomed.order_by("pk").iterator(chunk_size=2000):
                archive.write(_canonical(_entry_dict(entry)) + "\n")
        count = doomed.count()
        if dry_run:
            return PruneResult(count, last.pk, last.hash, cutoff)
        with connection.cursor() as cursor:
            _guard_off(cursor)
        doomed.delete()
        head = AuditHead.objects.get(pk=1)
        AuditHead.objects.filter(pk=1).update(
            anchor_pk=last.pk, anchor_hash=last.hash, pruned=head.pruned + count
        )
        record(
            AuditAction.PRUNE,
            object_type="accounts.auditentry",
            object_id=str(last.pk),
            object_repr=f"≤ #{last.pk}",
            after={"deleted": count, "through": last.pk, "anchor": last.hash, "cutoff": cutoff},
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [GUARD_SETTING])
    logger.warning("audit pruned through entry %s; anchor %s", last.pk, last.hash)
    return PruneResult(count, last.pk, last.hash, cutoff)


def _entry_dict(entry: AuditEntry) -> dict:
    return {
        "id": entry.pk,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


# --- Display -----------------------------------------------------------------------------


def _mask_value(key: str, value):
    if value in (None, ""):
        return value
    text = str(value)
    if any(word in key for word in ("id_number", "phone")) and len(text) > 7:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if "address" in key:
        keep = min(6, len(text) // 2)
        return text[:keep] + "****"
    return "***"


@functools.lru_cache(maxsize=1024)
def _sensitive(key: str, sensitive: tuple) -> bool:
    return any(key == name or key.endswith(f"_{name}") for name in sensitive)


def masked_values(values: dict | None) -> dict | None:
    """One side (before or after) of a change with its sensitive values masked, as
    masked_changes does it, each value once (the keys' verdicts are cached)."""
    if not values:
        return values
    sensitive = tuple(settings.AUDIT_MASKED_FIELDS)
    return {
        key: (
            masked_values(value)
            if isinstance(value, dict)
            else _mask_value(key, value)
            if _sensitive(key, sensitive) and not isinstance(value, list)
            else value
        )
        for key, value in values.items()
    }


def masked_changes(changes: dict) -> dict:
    """`changes` with the sensitive values (settings.AUDIT_MASKED_FIELDS) masked: the
    auditor sees that an ID number changed, not the number. Applied when an entry is
    written (so the trail never holds the values) and again when shown (entries written
    before that); masking a masked value changes nothing that matters."""
    sensitive = tuple(settings.AUDIT_MASKED_FIELDS)

    def mask(data):
        if not isinstance(data, dict):
            return data
        return {
            key: (
                _mask_value(key, value)
                if _sensitive(key, sensitive) and not isinstance(value, dict | list)
                else mask(value)
            )
            for key, value in data.items()
        }

    return {side: mask(values) for side, values in (changes or {}).items()}


__all__ = [
    "AuditAction",
    "Change",
    "client_ip",
    "masked_changes",
    "masked_name",
    "person_repr",
    "prune",
    "record",
    "record_batch",
    "record_many",
    "verify",
    "verify_chain",
]
