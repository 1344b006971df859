"""Receipts (回执), replies (反馈), forwards (转发) and reminders (催办) x roles.

District A sends a notice to street_a: its receipts are branch_a (community_a) and
functional_a (on street_a itself). Who answers them: branch_a's secretary, community_a's
secretary, and the street's staff for functional_a (DIRECT_CAPABILITIES). Who follows the
receipts: the sender's side (district A staff, the city). The street follows them
through its own forward. Readers of the notice who answer nothing get 403 on the
recipients' pages (the sender's side and the system administrator, who reads the
structure); everybody else 404."""

import datetime

from django.utils import timezone

from notices.models import Notice, NoticeReceipt, NoticeReminder, ResponseKind

from ...notices.receipts_helpers import (
    forward_directly,
    receipt,
    reply_directly,
    send_notice,
)
from . import Spec

ANSWERERS = frozenset({"branch_secretary", "community_secretary", "street_staff"})
READERS_ONLY = frozenset({"city_admin", "district_staff"})
SENDERS = frozenset({"city_admin", "district_staff"})
FORWARDERS = frozenset({"street_staff", "community_secretary"})


def _notice(cast, title, response):
    found = Notice.objects.filter(
        organization=cast.district_a, title=title, root__isnull=True
    ).first()
    return found or send_notice(
        sender=cast.district_a,
        audience=[cast.street_a],
        title=title,
        response=response,
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )


def to_confirm(cast):
    return _notice(cast, "矩阵回执通知", ResponseKind.CONFIRM)


def to_reply(cast):
    return _notice(cast, "矩阵反馈通知", ResponseKind.REPLY)


def street_forward(cast):
    return forward_directly(to_confirm(cast), cast.street_a)


def reply_file(cast):
    row = reply_directly(to_reply(cast), cast.branch_a)
    return row.attachments.get()


def confirmations(notice_of):
    return lambda c: sorted(
        NoticeReceipt.objects.filter(notice=notice_of(c)).values_list(
            "pk", "confirmed_at", "replied_at", "reply"
        )
    )


SPECS = [
    Spec(
        "notices:confirm",
        kwargs=lambda c: {"pk": to_confirm(c).pk},
        ok=ANSWERERS,
        forbidden=READERS_ONLY,
        post=lambda c: {},
        state=confirmations(to_confirm),
    ),
    Spec(
        "notices:reply",
        kwargs=lambda c: {"pk": to_reply(c).pk},
        ok=ANSWERERS,
        forbidden=READERS_ONLY,
        post=lambda c: {"receipt": receipt(to_reply(c), c.branch_a).pk, "text": "已组织学习"},
        state=confirmations(to_reply),
    ),
    Spec(
        "notices:forward",
        kwargs=lambda c: {"pk": to_confirm(c).pk},
        ok=FORWARDERS,
        forbidden=READERS_ONLY | {"branch_secretary"},
        post=lambda c: {
            "node": c.community_a.pk,
            "audience": [c.community_a.pk],
            "note": "请社区各支部按时学习并确认。",
        },
        state=lambda c: sorted(
            Notice.objects.filter(root=to_confirm(c)).values_list("pk", "organization_id")
        ),
    ),
    Spec("notices:receipts", kwargs=lambda c: {"pk": to_confirm(c).pk}, ok=SENDERS),
    Spec(
        "notices:receipts",
        case="forward",
        kwargs=lambda c: {"pk": street_forward(c).pk},
        ok=SENDERS | {"street_staff"},
    ),
    Spec(
        "notices:receipts_export",
        kwargs=lambda c: {"pk": to_confirm(c).pk},
        ok=SENDERS,
        exports=("", "state=unconfirmed"),
    ),
    Spec(
        "notices:remind",
        kwargs=lambda c: {"pk": to_confirm(c).pk},
        ok=SENDERS,
        post=lambda c: {"last_round": 0},
        state=lambda c: sorted(
            NoticeReminder.objects.filter(notice=to_confirm(c)).values_list("pk", flat=True)
        ),
    ),
    Spec(
        "notices:remind",
        case="forward",
        kwargs=lambda c: {"pk": street_forward(c).pk},
        ok=SENDERS | {"street_staff"},
        post=lambda c: {"last_round": 0},
        state=lambda c: sorted(
            NoticeReminder.objects.filter(notice=street_forward(c)).values_list("pk", flat=True)
        ),
    ),
    Spec(
        "notices:reply_file",
        kwargs=lambda c: {"pk": reply_file(c).pk},
        ok=SENDERS | {"branch_secretary", "community_secretary"},
        exports=("",),
    ),
]
