"""Reads of receipts (回执) for the sender's pages and the recipients' actions.

A notice's receipts are its original's, under the notice's own node: all of them for
the original (its audience is inside its sender's subtree), those of the forwarding
node's branches for a forward (转发). Counts are aggregated in SQL, per part of the tree
(one CASE on the path prefixes of the level below), so the receipts page costs the same
few queries for 5 branches or 5,000.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.utils import timezone

from branches.access import SEND_NOTICES, Role, scope_for
from branches.models import Organization, StaffRole

from .models import Notice, NoticeAttachment, NoticeReceipt, NoticeReminder, NoticeState

COUNTS = {
    "total": Count("pk"),
    "opened": Count("pk", filter=Q(opened_at__isnull=False)),
    "confirmed": Count("pk", filter=Q(confirmed_at__isnull=False)),
    "replied": Count("pk", filter=Q(replied_at__isnull=False)),
}

# The filter of the receipts page (parsed by receipt_forms.ReceiptFilterForm).
STATES = {
    "": Q(),
    "unopened": Q(opened_at__isnull=True),
    "unconfirmed": Q(confirmed_at__isnull=True),
    "unreplied": Q(replied_at__isnull=True),
}


@dataclass(frozen=True)
class Counts:
    total: int = 0
    opened: int = 0
    confirmed: int = 0
    replied: int = 0

    @property
    def unconfirmed(self) -> int:
        return self.total - self.confirmed

    @property
    def unopened(self) -> int:
        return self.total - self.opened

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.total, self.opened, self.confirmed, self.replied)


@dataclass(frozen=True)
class Part:
    """One row of the level below the node shown: a child node, or the branches that
    sit on the node itself (`node` None)."""

    node: Organization | None
    counts: Counts


def receipts_of(notice: Notice) -> QuerySet:
    return NoticeReceipt.objects.filter(
        notice_id=notice.original_id, path__startswith=notice.organization.path
    )


def counts(notice: Notice) -> Counts:
    return Counts(**receipts_of(notice).aggregate(**COUNTS))


def follows_receipts(user, notice: Notice) -> bool:
    """Whether the user sees this notice's receipts: a sender (SEND_NOTICES over the
    node that sent or forwarded it). No query."""
    return notice.state == NoticeState.SENT and scope_for(user).covers_path(
        notice.organization.path, SEND_NOTICES
    )


def node_for(notice: Notice, pk: int | None) -> Organization | None:
    """The node whose parts are shown: the notice's own node, or one below it."""
    if pk is None or pk == notice.organization_id:
        return notice.organization
    return Organization.objects.filter(pk=pk, path__startswith=notice.organization.path).first()


def trail(notice: Notice, node: Organization) -> list[Organization]:
    """The nodes from the notice's node down to `node` (for the drill-down links)."""
    paths = [
        p
        for p in Organization.path_prefixes(node.path)
        if p.startswith(notice.organization.path) and p != node.path
    ]
    if not paths:
        return []
    return list(Organization.objects.filter(path__in=paths).order_by("path"))


def parts(notice: Notice, node: Organization) -> tuple[list[Part], Counts]:
    """Counts per node of the level below `node` (and of the branches on `node` itself),
    with the totals under `node`. Two queries whatever the number of branches."""
    children = list(Organization.objects.filter(parent=node).order_by("path"))
    key = Value(0, output_field=IntegerField())
    if children:
        key = Case(
            *[When(path__startswith=child.path, then=Value(child.pk)) for child in children],
            default=Value(0),
            output_field=IntegerField(),
        )
    grouped = {
        row.pop("part"): Counts(**row)
        for row in receipts_of(notice)
        .filter(path__startswith=node.path)
        .annotate(part=key)
        .values("part")
        .annotate(**COUNTS)
        .order_by()
    }
    rows = [Part(child, grouped[child.pk]) for child in children if child.pk in grouped]
    if 0 in grouped:
        rows.append(Part(None, grouped[0]))
    total = sum(grouped.values(), Counts())
    return rows, total


def branch_receipts(notice: Notice, node: Organization, state: str = "") -> QuerySet:
    """The receipts under `node`, filtered by state, with what the page shows of each."""
    return (
        receipts_of(notice)
        .filter(path__startswith=node.path)
        .filter(STATES.get(state, Q()))
        .select_related("branch", "branch__organization", "confirmed_by", "opened_by")
        .prefetch_related("attachments")
    )


def is_late(when: datetime.datetime | None, deadline: datetime.date | None) -> bool:
    return bool(when and deadline and timezone.localtime(when).date() > deadline)


def last_round(notice: Notice) -> NoticeReminder | None:
    return NoticeReminder.objects.filter(notice=notice).order_by("-pk").first()


# --- The recipient's side -------------------------------------------------------------------


def answerable(user, notice: Notice) -> QuerySet:
    """The receipts of this notice (its original) the user answers for."""
    return (
        NoticeReceipt.objects.answerable_by(user)
        .filter(notice_id=notice.original_id)
        .select_related("branch", "confirmed_by")
    )


def forwarding_nodes(user, notice: Notice) -> list[Organization]:
    """The user's nodes that may pass this notice on: SEND_NOTICES over a node strictly
    inside the notice's node holding some of its branches, not yet forwarded from there.
    No query when the user sends nothing below the notice's node; one otherwise."""
    if notice.state != NoticeState.SENT:
        return []
    top = notice.organization.path
    paths = [p for p in scope_for(user).paths(SEND_NOTICES) if p.startswith(top) and p != top]
    if not paths:
        return []
    holding = NoticeReceipt.objects.filter(
        notice_id=notice.original_id, path__startswith=OuterRef("path")
    )
    done = Notice.objects.filter(root_id=notice.original_id).values("organization_id")
    return list(
        Organization.objects.filter(path__in=paths)
        .exclude(pk__in=done)
        .filter(Exists(holding))
        .order_by("path")
    )


def reply_attachment(user, pk: int) -> NoticeAttachment | None:
    """A reply's file, for the branch that answered (ANSWER_NOTICES over it) or a sender
    following it: SEND_NOTICES over the original's node, or over a forward of it whose
    node holds the branch. None otherwise (the view answers 404). Two queries at most."""
    attachment = (
        NoticeAttachment.objects.filter(pk=pk, receipt__in=NoticeReceipt.objects.covered_by(user))
        .select_related("receipt__notice__organization")
        .first()
    )
    if attachment is None:
        return None
    receipt = attachment.receipt
    scope = scope_for(user)
    if scope.covers_path(receipt.notice.organization.path, SEND_NOTICES):
        return attachment
    if NoticeReceipt.objects.answerable_by(user).filter(pk=receipt.pk).exists():
        return attachment
    senders = [
        p for p in Organization.path_prefixes(receipt.path) if scope.covers_path(p, SEND_NOTICES)
    ]
    if (
        senders
        and Notice.objects.filter(
            root_id=receipt.notice_id, organization__path__in=senders
        ).exists()
    ):
        return attachment
    return None


def audience_choices(notice: Notice, nodes: list[Organization]) -> QuerySet:
    """Where a forward may go: the forwarding nodes themselves (their whole area) and
    the nodes just below them, those holding branches of the notice. One query."""
    holding = NoticeReceipt.objects.filter(
        notice_id=notice.original_id, path__startswith=OuterRef("path")
    )
    ids = [node.pk for node in nodes]
    return (
        Organization.objects.filter(Q(pk__in=ids) | Q(parent_id__in=ids))
        .filter(Exists(holding))
        .order_by("path")
    )


def unreachable(notice: Notice, limit: int = 20) -> tuple[int, list[str]]:
    """Open branches that a reminder reaches nobody at: no active account holds the
    branch's secretary role, a community secretary's role above it, or (a branch on a
    street) the street's staff role. The same rule as the reminders' recipients
    (activities.messaging.notices). One query: (how many, the first names)."""
    active = StaffRole.objects.filter(user__is_active=True)
    own = active.filter(role=Role.BRANCH_SECRETARY, branch_id=OuterRef("branch_id"))
    above = (
        active.filter(role=Role.COMMUNITY_SECRETARY)
        .annotate(receipt_path=ExpressionWrapper(OuterRef("path"), output_field=CharField()))
        .filter(receipt_path__startswith=F("organization__path"))
    )
    street = active.filter(role=Role.STREET_STAFF, organization__path=OuterRef("path"))
    names = list(
        receipts_of(notice)
        .filter(confirmed_at__isnull=True)
        .exclude(Exists(own))
        .exclude(Exists(above))
        .exclude(Exists(street))
        .annotate(total=Window(Count("pk")))
        .values_list("branch__name", "total")[:limit]
    )
    return (names[0][1] if names else 0), [name for name, _total in names]
