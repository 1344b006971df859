"""Notice reminder rounds (催办): the hook on a new notices.NoticeReminder writes one
inbox item per secretary of each open branch in the same transaction, once per recipient
per round; the digest carries the items to the secretaries' channels, e-mail through the
real sender to an SMTP server on loopback; a confirmation resolves them."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from activities.messaging import digest, notices
from activities.messaging import sender as reminder_sender
from activities.messaging.models import Reminder, ReminderKind, ReminderState
from branches.access import Role
from notices import receipts as notice_receipts
from notices.models import NoticeReceipt, NoticeReminder

from ... import factories as f
from ...notices.receipts_helpers import send_notice
from .conftest import prefer

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(cast):
    return send_notice(
        sender=cast.district_a,
        audience=[cast.community_a],
        title="关于学习新修订条例的通知",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )


def items(**filters):
    return Reminder.objects.filter(kind=ReminderKind.NOTICE_UNCONFIRMED, **filters)


def new_round(notice, by=None):
    return NoticeReminder.objects.create(notice=notice, requested_by=by, branch_count=1)


def test_a_round_writes_its_items_in_the_same_transaction(cast, notice, secretaries):
    with transaction.atomic():
        round_ = new_round(notice)
        assert items().count() == 2  # written by the hook before the commit
        transaction.set_rollback(True)
    assert not items().exists() and not NoticeReminder.objects.exists()

    round_ = new_round(notice)
    rows = items().order_by("recipient_id")
    assert {r.recipient for r in rows} == set(secretaries)
    for row in rows:
        assert (row.subject, row.period, row.state) == (
            f"notice:{notice.pk}",
            f"round-{round_.pk}",
            ReminderState.SENT,
        )
        assert row.area_path == cast.community_a.path and row.resolved_at is None


def test_writing_the_same_round_again_adds_nothing(notice):
    round_ = new_round(notice)
    before = sorted(items().values_list("pk", "recipient_id", "period"))
    notices.write_round(round_)
    round_.save()  # saved again (not created): the hook writes nothing
    assert sorted(items().values_list("pk", "recipient_id", "period")) == before


def test_two_rounds_one_item_per_recipient_per_round(notice, secretaries):
    first, second = new_round(notice), new_round(notice)
    for user in secretaries:
        periods = sorted(items(recipient=user).values_list("period", flat=True))
        assert periods == sorted([f"round-{first.pk}", f"round-{second.pk}"])


def test_inactive_secretaries_and_branches_without_anyone_are_skipped(cast, notice):
    branch = cast.user("branch_secretary")
    branch.is_active = False
    branch.save()
    new_round(notice)
    assert list(items().values_list("recipient__username", flat=True)) == ["community_secretary"]


def test_a_street_branch_without_a_secretary_reminds_the_streets_staff(cast):
    notice = send_notice(sender=cast.district_a, audience=[cast.street_a])
    new_round(notice)
    street = items(recipient=cast.user("street_staff")).get()
    assert cast.functional_a.name in street.body and cast.branch_a.name not in street.body
    # Once the functional branch has a secretary of its own, the street is left alone.
    f.user(username="functional_secretary", role=Role.BRANCH_SECRETARY, node=cast.functional_a)
    later = new_round(notice)
    assert not items(recipient=cast.user("street_staff"), period=f"round-{later.pk}").exists()


def test_confirming_resolves_the_items_of_those_with_nothing_left(cast, notice, secretaries):
    new_round(notice)
    notice_receipts.confirm(
        receipts=NoticeReceipt.objects.filter(notice=notice), user=secretaries[1]
    )
    assert items(resolved_at__isnull=True).count() == 0


def test_the_digest_carries_the_item_to_email_through_the_real_sender(
    cast, notice, secretaries, smtp
):
    community = secretaries[0]
    prefer(community, digest_time=datetime.time(0, 0))
    new_round(notice)
    now = timezone.now() + datetime.timedelta(seconds=1)
    assert digest.build_digests(now=now) == 1
    mail_digest = Reminder.objects.get(kind=ReminderKind.DIGEST, recipient=community)
    carried = mail_digest.items.get()
    assert carried.kind == ReminderKind.NOTICE_UNCONFIRMED
    sections = digest.digest_sections([carried])
    assert [s.heading for s in sections] == ["待确认的通知"]

    result = reminder_sender.send_due(now=now)
    assert (result.sent, result.deliveries) == (1, 1)
    [mail] = smtp.raw
    assert mail["To"] == "community_secretary@example.cn"
    text = mail.get_body(("plain",)).get_content()
    assert "待确认的通知" in text and "《关于学习新修订条例的通知》" in text
    html = mail.get_body(("html",)).get_content()
    assert f"https://portal.example.cn/notices/{notice.pk}/confirm/" in html
    assert reminder_sender.send_due(now=now).claimed == 0  # exactly once
