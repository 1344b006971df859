from accounts import audit
from accounts.models import AuditAction, AuditEntry


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
    assert AuditEntry.objects.count() == 3
    assert first.changes == {"before": {"name": "旧名"}, "after": {"name": "新名"}}
    AuditEntry.objects.filter(pk=first.pk).update(object_repr="篡改")
    assert audit.verify_chain() == [first.pk]


def test_a_deleted_row_breaks_the_link_of_the_next(cast):
    entries = [audit.record(AuditAction.UPDATE, cast.branch_a) for _ in range(3)]
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    assert audit.verify_chain() == [entries[2].pk]
