"""Celery task: check the audit chain every night (beat, settings.AUDIT_VERIFY_AT).

The check leaves a VERIFY audit entry, as the auditor's own check from the audit page
does: the trail itself records when the chain was last checked and what was found, and
the auditor's workbench reads the newest such entry."""

from __future__ import annotations

from celery import shared_task

from . import audit
from .models import AuditAction


@shared_task(name="accounts.verify_audit_chain", ignore_result=True)
def verify_audit_chain() -> str:
    result = audit.verify()
    audit.record(
        AuditAction.VERIFY,
        object_type="accounts.auditentry",
        object_repr="audit chain (scheduled)",
        after={"checked": result.checked, "ok": result.ok, "broken": result.broken[:50]},
    )
    return f"{result.checked} entries checked: {'intact' if result.ok else 'BROKEN'}"
