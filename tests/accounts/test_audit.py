import datetime
import io
import itertools
import json
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction, AuditEntry, AuditHead

from .conftest import audit_guard_off


def _entries(cast, count):
    return [audit.record(AuditAction.UPDATE, cast.branch_a, after={"n": n}) for n in range(count)]


def _at(moment):
    """Write entries as if at `moment` (the chain takes its time under the lock)."""
    return mock.patch("accounts.audit.timezone.now", return_value=moment)


def test_entries_chain_and_an_edited_row_is_detected(cast):
    first = audit.record(
        AuditAction.UPDATE,
        cast.branch_a,
        actor=cast.user("district_staff"),
        before={"name": "旧名"},
        after={"name": "新名"},
    )
    audit.record_many(
        [
            audit.Change(AuditAction.CREATE, cast.group_a),
            audit.Change(AuditAction.DELETE, cast.venue_b),
        ],
        actor=cast.user("community_secretary"),
    )
    assert audit.verify_chain() == []
    assert audit.verify().ok
    assert AuditEntry.objects.count() == 3
    assert first.changes == {"before": {"name": "旧名"}, "after": {"name": "新名"}}
    with audit_guard_off():
        AuditEntry.objects.filter(pk=first.pk).update(object_repr="篡改")
    assert audit.verify_chain() == [first.pk]


def test_a_deleted_row_breaks_the_link_of_the_next(cast):
    entries = _entries(cast, 3)
    with audit_guard_off():
        AuditEntry.objects.filter(pk=entries[1].pk).delete()
    assert audit.verify_chain() == [entries[2].pk]


def test_deleting_the_newest_rows_is_detected_through_the_head(cast):
    entries = _entries(cast, 4)
    with audit_guard_off():
        AuditEntry.objects.filter(pk__gte=entries[2].pk).delete()
    result = audit.verify()
    assert result.broken == []  # the links that remain are intact...
    assert not result.ok  # ...but the head knows the chain was longer
    assert "newest entries are missing" in result.problems[0]


def test_emptying_the_table_is_detected(cast):
    _entries(cast, 2)
    with audit_guard_off():
        AuditEntry.objects.all().delete()
    assert not audit.verify().ok


def test_deleting_the_head_is_detected(cast):
    _entries(cast, 2)
    AuditHead.objects.all().delete()
    assert audit.verify().problems == ["The chain head is missing while entries exist."]


def test_a_rolled_back_write_leaves_no_entry_and_the_head_unmoved(cast):
    _entries(cast, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(AuditAction.DELETE, cast.branch_a)
        raise RuntimeError
    assert audit.verify().ok
    assert AuditEntry.objects.count() == 1


def test_a_bulk_record_costs_three_queries_whatever_its_size(cast, django_assert_num_queries):
    _entries(cast, 1)
    changes = [audit.Change(AuditAction.CREATE, cast.branch_a, after={"n": n}) for n in range(50)]
    # lock and read the head; insert the 50 entries and move the head (one statement);
    # the dashboards' freshness: the branch's district and street found and their
    # versions bumped (one statement). No savepoint: the entries share the caller's fate.
    with django_assert_num_queries(2 + 1):
        entries = audit.record_many(changes)
    assert audit.verify().ok
    # In chain order, with their ids: each links to the one before.
    assert [e.pk for e in entries] == sorted(e.pk for e in entries)
    stored = list(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk"))
    assert [e.hash for e in stored] == [e.hash for e in entries]
    assert [e.changes for e in stored] == [{"before": None, "after": {"n": n}} for n in range(50)]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(stored))


def test_audit_verify_exits_non_zero_when_tampered(cast):
    entries = _entries(cast, 3)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()
    with audit_guard_off():
        AuditEntry.objects.filter(pk=entries[0].pk).update(ip="10.9.9.9")
    with pytest.raises(CommandError) as raised:
        call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 2


def test_audit_verify_exits_non_zero_when_the_newest_row_is_deleted(cast):
    entries = _entries(cast, 3)
    with audit_guard_off():
        AuditEntry.objects.filter(pk=entries[-1].pk).delete()
    with pytest.raises(CommandError):
        call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())


# --- Pruning -----------------------------------------------------------------------------


def _aged_entries(cast):
    now = timezone.now()
    with _at(now - datetime.timedelta(days=400)):
        old = _entries(cast, 3)
    with _at(now - datetime.timedelta(days=179)):
        young = _entries(cast, 2)
    recent = _entries(cast, 1)
    return old, young, recent


def test_prune_never_removes_entries_younger_than_180_days(cast):
    old, young, recent = _aged_entries(cast)
    out = io.StringIO()
    # Asked to prune everything before tomorrow: only the 400-day-old entries go.
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    call_command("audit_prune", before=tomorrow, stdout=out)
    kept = set(AuditEntry.objects.values_list("pk", flat=True))
    assert not kept & {e.pk for e in old}
    assert {e.pk for e in young + recent} <= kept
    assert "deleted 3 entries" in out.getvalue()


@override_settings(AUDIT_RETENTION_DAYS=30)
def test_a_retention_setting_below_180_days_still_keeps_180_days(cast):
    _, young, _ = _aged_entries(cast)
    audit.prune(timezone.now())
    assert AuditEntry.objects.filter(pk__in=[e.pk for e in young]).count() == 2


def test_the_chain_still_verifies_after_pruning_and_the_prune_is_recorded(cast):
    old, _, _ = _aged_entries(cast)
    result = audit.prune(timezone.now())
    assert result.deleted == 3
    assert result.anchor_hash == old[-1].hash
    check = audit.verify()
    assert check.ok, check
    prune_entry = AuditEntry.objects.filter(action=AuditAction.PRUNE).get()
    assert prune_entry.changes["after"]["deleted"] == 3
    head = AuditHead.objects.get()
    assert (head.anchor_pk, head.pruned) == (old[-1].pk, 3)
    # and a later prune with nothing old enough deletes nothing
    assert audit.prune(timezone.now()).deleted == 0
    assert audit.verify().ok


def test_prune_refuses_to_run_on_a_broken_chain(cast):
    old, _, _ = _aged_entries(cast)
    with audit_guard_off():
        AuditEntry.objects.filter(pk=old[1].pk).update(object_repr="篡改")
    with pytest.raises(CommandError):
        call_command("audit_prune", before="2099-01-01", stdout=io.StringIO())
    assert AuditEntry.objects.filter(pk=old[0].pk).exists()


def test_prune_archives_what_it_deletes(cast, tmp_path):
    old, _, _ = _aged_entries(cast)
    archive = tmp_path / "audit.jsonl"
    call_command("audit_prune", before="2099-01-01", archive=str(archive), stdout=io.StringIO())
    lines = [json.loads(line) for line in archive.read_text().splitlines()]
    assert [line["id"] for line in lines] == [e.pk for e in old]
    assert lines[-1]["hash"] == old[-1].hash


def test_prune_dry_run_deletes_nothing(cast):
    _aged_entries(cast)
    before = AuditEntry.objects.count()
    out = io.StringIO()
    call_command("audit_prune", before="2099-01-01", dry_run=True, stdout=out)
    assert "would delete 3" in out.getvalue()
    assert AuditEntry.objects.count() == before


@pytest.mark.services("postgres")
def test_postgresql_itself_refuses_to_edit_or_delete_audit_entries(cast):
    entry = audit.record(AuditAction.UPDATE, cast.branch_a)
    for statement in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(object_repr="x"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
            statement()
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == entry.object_repr
    assert connection.vendor == "postgresql"


def test_an_account_with_audit_entries_cannot_be_deleted(cast):
    from django.db.models import ProtectedError

    user = cast.user("district_staff")
    audit.record(AuditAction.UPDATE, cast.branch_a, actor=user)
    with pytest.raises(ProtectedError):
        user.delete()


# --- Addresses and display ---------------------------------------------------------------


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_a_forged_forwarded_for_header_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []
    assert audit.client_ip(_request("203.0.113.5", "1.2.3.4")) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2", "10.0.0.3"]
    # The client forged the first entry; the proxies appended the real ones.
    request = _request("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3")
    assert audit.client_ip(request) == "198.51.100.7"
    assert audit.client_ip(_request("10.0.0.2", "not-an-ip")) == "10.0.0.2"
    assert audit.client_ip(_request("10.0.0.2")) == "10.0.0.2"
    # A request that did not come through the proxy is not believed.
    assert audit.client_ip(_request("203.0.113.5", "1.2.3.4")) == "203.0.113.5"


def test_sensitive_values_are_masked_for_display():
    shown = audit.masked_changes(
        {
            "before": {"id_number": "110101194910010012", "phone": "13812345678", "name": "张三"},
            "after": {
                "contact_phone": "13987654321",
                "address": "翠园小区3号楼201",
                "health": "poor",
            },
        }
    )
    assert shown["before"] == {
        "id_number": "110***********0012",
        "phone": "138****5678",
        "name": "张三",
    }
    assert shown["after"]["contact_phone"] == "139****4321"
    assert (
        shown["after"]["address"].startswith("翠园小区") and "201" not in shown["after"]["address"]
    )
    assert shown["after"]["health"] == "***"
