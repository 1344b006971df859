"""Reads of notices that pages share (and the workbench may use): who may send from
where and to whom, the received and sent lists with their receipt counts, the unread
count, a forward's chain.

The lists annotate their counts with subqueries, so a page is a fixed number of queries
whatever the number of notices and receipts."""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.access import ANSWER_NOTICES, SEND_NOTICES, scope_for
from branches.models import CHILD_LEVEL, Organization

from .models import Notice, NoticeAttachment, NoticeReceipt, NoticeState, ResponseKind

# How far below the sending node the audience list reaches (district -> streets ->
# communities); a chosen node takes everything below it.
AUDIENCE_DEPTH = 2


def sending_paths(user) -> list[str]:
    """Paths of the nodes the user writes notices from (no query: the scope is loaded)."""
    scope = scope_for(user)
    return sorted({g.path for g in scope.grants if g.path and SEND_NOTICES in g.capabilities})


def sending_nodes(user) -> list[Organization]:
    paths = sending_paths(user)
    return list(Organization.objects.filter(path__in=paths).order_by("path")) if paths else []


def audience_nodes(nodes):
    """The nodes a notice from `nodes` may be addressed to: each node itself and the
    levels below it, AUDIENCE_DEPTH deep (a community: itself only)."""
    where = Q()
    for node in nodes:
        levels, level = [node.level], node.level
        for _ in range(AUDIENCE_DEPTH):
            level = CHILD_LEVEL.get(level)
            if level is None:
                break
            levels.append(level)
        where |= Q(path__startswith=node.path, level__in=levels)
    if not where:
        return Organization.objects.none()
    return Organization.objects.filter(where).order_by("path")


def _count(receipts):
    """The number of `receipts` (correlated to the outer notice) as an annotation."""
    counted = receipts.order_by().values("notice").annotate(n=Count("*")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _receipts_shown(queryset=None):
    """The receipts a notice shows: its original's, for branches under its node (for an
    original that is all of them; for a forward, those of the forwarding node)."""
    return (queryset if queryset is not None else NoticeReceipt.objects).filter(
        notice=OuterRef("original"), path__startswith=OuterRef("organization__path")
    )


def _newest_first(queryset):
    return queryset.order_by(
        F("sent_at").desc(nulls_first=True), F("created_at").desc(), F("pk").desc()
    )


# --- Received --------------------------------------------------------------------------


def received(user, *, state: str = "", kind: str = "", today=None):
    """Sent notices addressed to the user's branches (or their area's), not written on
    the user's own sending side. `mine*`: the receipts the user answers for (their area's
    when they answer for none); `area*`: every receipt of their area."""
    scope = scope_for(user)
    answers = scope.has(ANSWER_NOTICES)
    area = _receipts_shown(NoticeReceipt.objects.covered_by(user))
    mine = _receipts_shown(NoticeReceipt.objects.answerable_by(user)) if answers else area
    qs = Notice.objects.addressed_to(user)
    if (own := scope.q(SEND_NOTICES, path_field="organization__path")) is not None:
        qs = qs.exclude(own)
    qs = qs.select_related("organization").annotate(
        original=Coalesce("root_id", "pk"),
        mine=_count(mine),
        mine_unopened=_count(mine.filter(opened_at__isnull=True)),
        mine_open=_count(mine.filter(confirmed_at__isnull=True)),
        area=_count(area),
        area_opened=_count(area.filter(opened_at__isnull=False)),
        area_confirmed=_count(area.filter(confirmed_at__isnull=False)),
    )
    if kind:
        qs = qs.filter(kind=kind)
    if state == "unread":
        qs = qs.filter(mine_unopened__gt=0)
    elif state == "opened":
        qs = qs.filter(mine__gt=0, mine_unopened=0, mine_open__gt=0)
    elif state == "confirmed":
        qs = qs.filter(mine__gt=0, mine_open=0)
    elif state == "overdue":
        qs = qs.filter(deadline__lt=today or timezone.localdate(), mine_open__gt=0).exclude(
            response=ResponseKind.NONE
        )
    return _newest_first(qs)


def unread_count(user) -> int:
    """Notices with a receipt the user answers for still unopened (one query)."""
    if not scope_for(user).has(ANSWER_NOTICES):
        return 0
    return (
        NoticeReceipt.objects.answerable_by(user)
        .filter(opened_at__isnull=True, notice__state=NoticeState.SENT)
        .values("notice_id")
        .distinct()
        .count()
    )


# --- Sent ------------------------------------------------------------------------------


def sent(user, *, state: str = "", kind: str = ""):
    """Notices written at or below the user's sending nodes, drafts first, with how many
    of their branches opened and confirmed them."""
    receipts = _receipts_shown()
    qs = (
        Notice.objects.visible_to(user, SEND_NOTICES)
        .select_related("organization", "author")
        .annotate(
            original=Coalesce("root_id", "pk"),
            total=_count(receipts),
            opened=_count(receipts.filter(opened_at__isnull=False)),
            confirmed=_count(receipts.filter(confirmed_at__isnull=False)),
        )
    )
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    return _newest_first(qs)


# --- One notice ------------------------------------------------------------------------


def forward_chain(notice: Notice) -> list[Notice]:
    """The notices a forward passes on, the original first (one query; empty for an
    original)."""
    if not notice.is_forward:
        return []
    family = {
        n.pk: n
        for n in Notice.objects.filter(Q(pk=notice.root_id) | Q(root_id=notice.root_id))
        .select_related("organization", "author")
        .order_by()
    }
    chain, current = [], notice
    while current.forwarded_from_id and current.forwarded_from_id in family:
        current = family[current.forwarded_from_id]
        chain.append(current)
    return chain[::-1]


def forwards_seen(notice: Notice, user) -> list[Notice]:
    """The sent forwards of an original that the user may read, in the order they were
    sent (one query)."""
    return list(
        Notice.objects.visible_to(user)
        .filter(root_id=notice.pk, state=NoticeState.SENT)
        .select_related("organization")
        .order_by("sent_at", "pk")
    )


def attachments_of(notices) -> list[NoticeAttachment]:
    """The files of these notices (a forward shows the original's too), one query."""
    return list(
        NoticeAttachment.objects.filter(notice__in=[n.pk for n in notices]).order_by(
            "notice__created_at", "pk"
        )
    )
