"""Reads of the staff import: the batches a user follows or decides, a batch's lines with
each account's newest activation link."""

from django.db.models import Count, OuterRef, Q, Subquery

from branches.access import MANAGE_ROLES, MANAGE_USERS, scope_for

from .models import ActivationLink, GrantBatch, GrantState, PendingGrant


def batches_for(user):
    """Batches in the user's area: the security administrator decides them, the system
    administrator follows them (one query with the counts)."""
    scope = scope_for(user)
    parts = [
        q
        for capability in (MANAGE_ROLES, MANAGE_USERS)
        if (q := scope.q(capability, path_field="organization__path")) is not None
    ]
    if not parts:
        return GrantBatch.objects.none()
    condition = Q()
    for part in parts:
        condition |= part
    return (
        GrantBatch.objects.filter(condition)
        .select_related("organization", "created_by", "decided_by")
        .annotate(
            lines=Count("grants"),
            pending=Count("grants", filter=Q(grants__state=GrantState.PENDING)),
            approved=Count("grants", filter=Q(grants__state=GrantState.APPROVED)),
            rejected=Count("grants", filter=Q(grants__state=GrantState.REJECTED)),
        )
    )


def batch_lines(batch):
    """The batch's grants with their nodes and each account's newest link (one query)."""
    newest = ActivationLink.objects.filter(user=OuterRef("user")).order_by("-created_at", "-pk")
    return (
        PendingGrant.objects.filter(batch=batch)
        .select_related("user", "organization", "branch", "original_unit")
        .annotate(
            link_sent_at=Subquery(newest.values("sent_at")[:1]),
            link_used_at=Subquery(newest.values("used_at")[:1]),
            link_expires_at=Subquery(newest.values("expires_at")[:1]),
            link_error=Subquery(newest.values("error")[:1]),
            link_channel=Subquery(newest.values("channel")[:1]),
        )
        .order_by("excel_row", "pk")
    )


def waiting_counts(user) -> dict:
    """For the administrators' workbench (one query): roles of staff imports waiting for
    a decision, and approved accounts whose owner has not activated them yet."""
    scope = scope_for(user)
    parts = [
        q
        for capability in (MANAGE_ROLES, MANAGE_USERS)
        if (q := scope.q(capability, path_field="batch__organization__path")) is not None
    ]
    if not parts:
        return {"pending": 0, "not_activated": 0}
    condition = Q()
    for part in parts:
        condition |= part
    return PendingGrant.objects.filter(condition).aggregate(
        pending=Count("pk", filter=Q(state=GrantState.PENDING)),
        not_activated=Count(
            "user", filter=Q(state=GrantState.APPROVED, user__is_active=False), distinct=True
        ),
    )
