"""Demo receipts for seed_demo: a notice from the first district to its whole district
("confirm receipt", due in three days) and one asking for a reply (past its deadline),
forwarded by the first street with its note; about two branches in three opened, half
confirmed, some replied (a few late); and one reminder round by the district's login,
so the secretaries' inboxes hold "please confirm" items.

Written directly (the seeders bulk-insert past the services): demo data leaves no audit
rows. Run after the demo logins."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db.models import Case, OuterRef, Subquery, Value, When
from django.utils import timezone

from branches.access import Role
from branches.models import Level, Organization, StaffRole

from . import text
from .models import Notice, NoticeReceipt, NoticeReminder, NoticeState, ResponseKind
from .services import audience_branches

DAY = datetime.timedelta(days=1)
REPLIES = [
    "已组织全体党员集中学习，并对行动不便的党员送学上门。",
    "已在主题党日传达学习，党员交流发言6人。",
    "已学习，书面体会汇总后另行报送。",
]


@dataclass
class ReceiptsDemo:
    notices: int = 0
    receipts: int = 0
    confirmed: int = 0
    replied: int = 0
    reminded: int = 0  # branches in the reminder round


def _send(district, author, *, title, body, response, deadline, sent_at) -> Notice:
    notice = Notice.objects.create(
        organization=district,
        author=author,
        title=title,
        body=body,
        body_html=text.render(body),
        response=response,
        deadline=deadline,
        state=NoticeState.SENT,
        sent_at=sent_at,
        created_at=sent_at,
    )
    notice.audience.set([district])
    rows = list(audience_branches(notice).values_list("pk", "organization__path"))
    NoticeReceipt.objects.bulk_create(
        [NoticeReceipt(notice=notice, branch_id=pk, path=path) for pk, path in rows],
        batch_size=1000,
    )
    notice.recipient_count = len(rows)
    notice.save(update_fields=["recipient_count"])
    return notice


def _answer(rng, notice, *, reply: bool, now) -> tuple[int, int]:
    """Open about two in three, confirm half, reply to some: one UPDATE per state."""
    ids = list(NoticeReceipt.objects.filter(notice=notice).values_list("pk", flat=True))
    opened = [pk for pk in ids if rng.random() < 0.67]
    confirmed = [pk for pk in opened if rng.random() < 0.75]
    replied = [pk for pk in confirmed if reply and rng.random() < 0.6]
    start = notice.sent_at
    when = {pk: start + datetime.timedelta(minutes=rng.randint(30, 60 * 24 * 4)) for pk in ids}
    when = {pk: min(at, now) for pk, at in when.items()}
    if opened:
        NoticeReceipt.objects.filter(pk__in=opened).update(
            opened_at=Case(*[When(pk=pk, then=Value(when[pk])) for pk in opened])
        )
    if confirmed:
        NoticeReceipt.objects.filter(pk__in=confirmed).update(
            confirmed_at=Case(*[When(pk=pk, then=Value(when[pk])) for pk in confirmed])
        )
    if replied:
        NoticeReceipt.objects.filter(pk__in=replied).update(
            replied_at=Case(*[When(pk=pk, then=Value(when[pk])) for pk in replied]),
            reply=Case(*[When(pk=pk, then=Value(rng.choice(REPLIES))) for pk in replied]),
        )
    return len(confirmed), len(replied)


def seed_receipts(*, rng: random.Random, today: datetime.date) -> ReceiptsDemo:
    result = ReceiptsDemo()
    district = Organization.objects.filter(level=Level.DISTRICT).order_by("path").first()
    if district is None:
        return result
    staff = (
        StaffRole.objects.filter(role=Role.DISTRICT_STAFF, organization=district)
        .select_related("user")
        .first()
    )
    author = staff.user if staff else None
    now = timezone.now()
    study = _send(
        district,
        author,
        title="关于组织学习党的二十届四中全会精神的通知",
        body=(
            "各街道、社区党组织：\n\n请于本月主题党日组织离退休干部党员集中学习，"
            "对行动不便的党员做好送学上门，并在截止日前**确认收到**。"
        ),
        response=ResponseKind.CONFIRM,
        deadline=today + 3 * DAY,
        sent_at=now - 2 * DAY,
    )
    report = _send(
        district,
        author,
        title="关于报送第四季度主题党日开展情况的通知",
        body="请各支部简要反馈本季度主题党日开展情况，可附活动照片或记录。",
        response=ResponseKind.REPLY,
        deadline=today - DAY,
        sent_at=now - 6 * DAY,
    )
    street = Organization.objects.filter(parent=district).order_by("path").first()
    if street is not None:
        note = "请各社区党组织抓紧落实，周五前完成确认。"
        forward = Notice.objects.create(
            organization=street,
            title=study.title,
            body=note,
            body_html=text.render(note),
            response=study.response,
            deadline=today + 2 * DAY,
            forwarded_from=study,
            root=study,
            state=NoticeState.SENT,
            sent_at=now - DAY,
            created_at=now - DAY,
            recipient_count=NoticeReceipt.objects.filter(
                notice=study, path__startswith=street.path
            ).count(),
        )
        forward.audience.set([street])
    for notice, reply in ((study, False), (report, True)):
        confirmed, replied = _answer(rng, notice, reply=reply, now=now)
        result.notices += 1
        result.receipts += notice.recipient_count
        result.confirmed += confirmed
        result.replied += replied
    # The reminder round below must reach a demo login, whatever the random answers: the
    # study notice stays unconfirmed by the first branch that has a secretary login.
    kept_open = (
        NoticeReceipt.objects.filter(
            notice=study,
            confirmed_at__isnull=False,
            branch_id__in=StaffRole.objects.filter(role=Role.BRANCH_SECRETARY).values("branch_id"),
        )
        .order_by("path")
        .first()
    )
    if kept_open is not None:
        NoticeReceipt.objects.filter(pk=kept_open.pk).update(confirmed_at=None)
        result.confirmed -= 1
    # Who confirmed and opened: the branch's secretary login where there is one.
    secretary = StaffRole.objects.filter(
        role=Role.BRANCH_SECRETARY, branch_id=OuterRef("branch_id")
    ).values("user_id")[:1]
    answered = NoticeReceipt.objects.filter(notice__in=[study, report])
    answered.filter(opened_at__isnull=False).update(opened_by_id=Subquery(secretary))
    answered.filter(confirmed_at__isnull=False).update(confirmed_by_id=Subquery(secretary))
    # The district reminds those who have not confirmed: the reminders app writes the
    # secretaries' inbox items (activities.messaging.hooks).
    round_ = NoticeReminder.objects.create(
        notice=study,
        requested_by=author,
        requested_at=now - datetime.timedelta(hours=2),
        branch_count=NoticeReceipt.objects.filter(notice=study, confirmed_at__isnull=True).count(),
    )
    result.reminded = round_.branch_count
    return result
