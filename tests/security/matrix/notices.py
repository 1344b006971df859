"""Notices (通知) x roles. District A sends a notice (with a photo) to street A, which
reaches branch_a (community A) and functional_a (on the street itself); it keeps a
draft to street A as well.

The sender's side of a notice is whoever sends notices at or above its node (the city
and district A staff); the recipients' side is whoever sends to or answers for one of
its branches (street A staff, community A and branch_a secretaries). A draft is the
sender's side only, and only its own node's staff edit and send it (the city reads it:
403). Everybody else gets 404, the system administrator included.
"""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from notices import services
from notices.models import Notice, NoticeReceipt

from . import Spec, row

SENDERS = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
NOTICE_USERS = SENDERS | {"branch_secretary"}
SENT_READERS = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "branch_secretary"}
)
DRAFT_READERS = frozenset({"city_admin", "district_staff"})
DRAFT_WRITERS = frozenset({"district_staff"})


def png() -> bytes:
    """A photo, not a PDF: the masking scan reads every PDF answer as one of our exports."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _notice(district, street, title, *, send):
    found = Notice.objects.filter(organization=district, title=title).first()
    if found:
        return found
    notice = services.create_draft(
        organization=district,
        details={"title": title, "body": "请各支部组织学习。", "kind": "study"},
        audience=[street],
        uploads=[
            services.Upload(
                SimpleUploadedFile("学习照片.png", png(), content_type="image/png"), "image/png"
            )
        ],
        actor=None,
    )
    if send:
        services.send(notice=notice, actor=None)
    return notice


def sent(cast):
    return _notice(cast.district_a, cast.street_a, "矩阵：已发通知", send=True)


def draft(cast):
    return _notice(cast.district_a, cast.street_a, "矩阵：通知草稿", send=False)


def attachment(cast):
    return sent(cast).attachments.get()


def draft_state(cast):
    notice = draft(cast)
    return row(notice), notice.attachments.count()


def send_state(cast):
    notice = draft(cast)
    return row(notice), NoticeReceipt.objects.filter(notice=notice).count()


SPECS = [
    Spec("notices:received", ok=NOTICE_USERS),
    Spec("notices:sent", ok=SENDERS),
    Spec("notices:unread_badge", ok=NOTICE_USERS),
    Spec(
        "notices:create",
        ok=SENDERS,
        post=lambda c: {
            "title": "矩阵：新通知",
            "kind": "notice",
            "body": "请按时参加主题党日。",
            "response": "confirm",
            "audience": [c.street_a.pk],
            "save": "1",
        },
        state=lambda c: sorted(Notice.objects.values_list("pk", flat=True)),
    ),
    Spec("notices:detail", kwargs=lambda c: {"pk": sent(c).pk}, ok=SENT_READERS),
    Spec(
        "notices:detail",
        kwargs=lambda c: {"pk": draft(c).pk},
        ok=DRAFT_READERS,
        case="draft",
    ),
    Spec(
        "notices:edit",
        kwargs=lambda c: {"pk": draft(c).pk},
        ok=DRAFT_WRITERS,
        forbidden=DRAFT_READERS - DRAFT_WRITERS,
        post=lambda c: {
            "title": "矩阵：草稿已改",
            "kind": "notice",
            "body": "改过的正文。",
            "response": "none",
            "audience": [c.street_a.pk],
            "save": "1",
        },
        state=draft_state,
    ),
    Spec(
        "notices:send",
        kwargs=lambda c: {"pk": draft(c).pk},
        ok=DRAFT_WRITERS,
        forbidden=DRAFT_READERS - DRAFT_WRITERS,
        post=lambda c: {},
        state=send_state,
    ),
    Spec(
        "notices:attachment",
        kwargs=lambda c: {"pk": attachment(c).pk},
        ok=SENT_READERS,
        exports=("",),
    ),
]
