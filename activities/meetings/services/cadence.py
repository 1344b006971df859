"""Cadence rules (how often each kind of meeting is due) and excusals from them."""

from django.db import transaction

from accounts import audit
from accounts.models import AuditAction

from ..models import CadenceRule, Excusal

RULE_FIELDS = (
    "district_id",
    "kind",
    "period",
    "minimum_count",
    "per_group",
    "valid_from",
    "valid_to",
    "source_note",
)


def cadence_rule_save(*, rule: CadenceRule, before: dict | None, actor, request=None):
    """Save a rule from its form (`before` is None for a new one) and audit the change."""
    with transaction.atomic():
        rule.updated_by = actor
        rule.save()
        after = audit.snapshot(rule, RULE_FIELDS)
        if before is None:
            audit.record(AuditAction.CREATE, rule, actor=actor, request=request, after=after)
        else:
            old, new = audit.diff(before, after)
            audit.record(
                AuditAction.UPDATE, rule, actor=actor, request=request, before=old, after=new
            )
        return rule


EXCUSAL_FIELDS = ("branch_id", "period", "period_start", "kind", "reason", "approved_by")


def excusal_create(*, excusal: Excusal, actor, request=None) -> Excusal:
    with transaction.atomic():
        excusal.created_by = actor
        excusal.save()
        audit.record(
            AuditAction.CREATE,
            excusal,
            actor=actor,
            request=request,
            after=audit.snapshot(excusal, EXCUSAL_FIELDS),
        )
        return excusal


def excusal_delete(*, excusal: Excusal, actor, request=None) -> None:
    with transaction.atomic():
        audit.record(
            AuditAction.DELETE,
            excusal,
            actor=actor,
            request=request,
            before=audit.snapshot(excusal, EXCUSAL_FIELDS),
        )
        excusal.delete()
