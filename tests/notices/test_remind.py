"""Reminding (催办) from the receipts page: one round per request, one inbox item per
secretary of each branch still open per round, nothing new on a double submit, and the
items resolved once their recipient has nothing left to confirm."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from activities.messaging.models import Reminder, ReminderKind
from notices.models import NoticeReminder, ResponseKind

from .. import factories as f
from .receipts_helpers import forward_directly, receipt, send_notice

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def notice(cast):
    return send_notice(
        sender=cast.district_a,
        audience=[cast.street_a],
        title="关于开展主题党日活动的通知",
        deadline=timezone.localdate() + 3 * DAY,
    )


def items(**filters):
    return Reminder.objects.filter(kind=ReminderKind.NOTICE_UNCONFIRMED, **filters)


def remind(client, notice, last_round=0):
    return client.post(
        reverse("notices:remind", args=[notice.pk]), {"last_round": last_round}, follow=True
    )


def recipients(round_):
    return sorted(items(period=f"round-{round_.pk}").values_list("recipient__username", flat=True))


def test_a_round_reminds_each_secretary_of_the_open_branches_once(cast, client_for, notice):
    client = client_for("district_staff")
    page = client.get(reverse("notices:remind", args=[notice.pk])).content.decode()
    assert "2 个支部中还有 2 个未确认" in page
    response = remind(client, notice)
    assert "已提醒 2 个支部的书记" in response.content.decode()
    round_ = NoticeReminder.objects.get(notice=notice)
    assert (round_.branch_count, round_.requested_by) == (2, cast.user("district_staff"))
    # branch_a: its secretary and the community's; functional_a has no secretary: the
    # street's staff, who answer its notices.
    assert recipients(round_) == ["branch_secretary", "community_secretary", "street_staff"]
    item = items(recipient=cast.user("community_secretary")).get()
    assert item.title.startswith("请于") and "《关于开展主题党日活动的通知》" in item.title
    assert item.body == f"尚未确认的支部：{cast.branch_a.name}。"
    assert item.link == reverse("notices:confirm", args=[notice.pk])
    assert item.due_on == notice.deadline and item.subject == f"notice:{notice.pk}"
    entry = AuditEntry.objects.get(object_type="notices.noticereminder")
    assert (entry.action, entry.actor_id) == (AuditAction.CREATE, cast.user("district_staff").pk)


def test_a_double_submit_adds_no_round_and_no_item(cast, client_for, notice):
    client = client_for("district_staff")
    remind(client, notice, last_round=0)
    response = remind(client, notice, last_round=0)  # the same page, clicked again
    assert "刚刚已经提醒过，无需重复提醒" in response.content.decode()
    assert NoticeReminder.objects.count() == 1
    assert items().count() == 3


def test_two_rounds_give_each_recipient_one_item_per_round(cast, client_for, notice):
    client = client_for("district_staff")
    remind(client, notice, last_round=0)
    first = NoticeReminder.objects.get()
    page = client.get(reverse("notices:remind", args=[notice.pk]))
    assert page.context["form"].initial["last_round"] == first.pk
    remind(client, notice, last_round=first.pk)
    second = NoticeReminder.objects.exclude(pk=first.pk).get()
    assert recipients(first) == recipients(second)
    for user in ("branch_secretary", "community_secretary", "street_staff"):
        assert items(recipient=cast.user(user)).count() == 2, user


def test_confirmed_branches_are_not_reminded(cast, client_for, notice):
    client_for("street_staff").post(reverse("notices:confirm", args=[notice.pk]))
    remind(client_for("district_staff"), notice)
    round_ = NoticeReminder.objects.get()
    assert round_.branch_count == 1
    assert recipients(round_) == ["branch_secretary", "community_secretary"]


def test_nobody_left_to_remind(cast, client_for, notice):
    client_for("street_staff").post(reverse("notices:confirm", args=[notice.pk]))
    client_for("community_secretary").post(reverse("notices:confirm", args=[notice.pk]))
    client = client_for("district_staff")
    assert (
        "所有支部均已确认"
        in client.get(reverse("notices:remind", args=[notice.pk])).content.decode()
    )
    response = remind(client, notice)
    assert "所有支部均已确认，无需提醒" in response.content.decode()
    assert not NoticeReminder.objects.exists()


def test_items_resolve_once_their_recipient_has_nothing_left(cast, client_for):
    second = f.branch(organization=cast.community_a, name="翠园社区第二党支部")
    notice = send_notice(sender=cast.district_a, audience=[cast.community_a])
    remind(client_for("district_staff"), notice)
    community = items(recipient=cast.user("community_secretary")).get()
    assert "第二党支部" in community.body and cast.branch_a.name in community.body

    client_for("branch_secretary").post(reverse("notices:confirm", args=[notice.pk]))
    community.refresh_from_db()
    branch = items(recipient=cast.user("branch_secretary")).get()
    assert branch.resolved_at is not None, "branch_a confirmed: its secretary is done"
    assert community.resolved_at is None, "the second branch is still open"

    client_for("community_secretary").post(
        reverse("notices:confirm", args=[notice.pk]), {"receipt": receipt(notice, second).pk}
    )
    community.refresh_from_db()
    assert community.resolved_at is not None


def test_a_reply_resolves_like_a_confirmation(cast, client_for):
    notice = send_notice(
        sender=cast.district_a, audience=[cast.community_a], response=ResponseKind.REPLY
    )
    remind(client_for("district_staff"), notice)
    client_for("branch_secretary").post(
        reverse("notices:reply", args=[notice.pk]),
        {"receipt": receipt(notice, cast.branch_a).pk, "text": "已学习"},
    )
    assert not items(resolved_at__isnull=True).exists()


def test_the_street_reminds_its_own_branches_from_its_forward(cast, client_for):
    notice = send_notice(sender=cast.district_a, audience=[cast.district_a])
    forwarded = forward_directly(notice, cast.street_a, deadline=timezone.localdate() + DAY)
    client = client_for("street_staff")
    response = remind(client, forwarded)
    assert "已提醒 2 个支部的书记" in response.content.decode()
    round_ = NoticeReminder.objects.get(notice=forwarded)
    assert recipients(round_) == ["branch_secretary", "community_secretary", "street_staff"]
    item = items(recipient=cast.user("branch_secretary")).get()
    assert item.link == reverse("notices:confirm", args=[forwarded.pk])
    assert item.subject == f"notice:{notice.pk}" and item.due_on == forwarded.deadline
    # The district's page of the original is the street's business no more than the
    # district's round is the street's: a reminder of the original needs the sender.
    assert client.get(reverse("notices:remind", args=[notice.pk])).status_code == 404


def test_a_notice_that_asks_no_answer_has_no_reminder(cast, client_for):
    notice = send_notice(
        sender=cast.district_a, audience=[cast.street_a], response=ResponseKind.NONE
    )
    response = client_for("district_staff").get(reverse("notices:remind", args=[notice.pk]))
    assert response.status_code == 404


def test_the_remind_button_shows_how_many_are_open(cast, client_for, notice):
    html = client_for("district_staff").get(reverse("notices:receipts", args=[notice.pk]))
    assert "提醒未确认的 2 个支部" in html.content.decode()


def test_the_remind_page_names_the_branches_nobody_can_be_reminded_at(cast, client_for):
    f.branch(organization=cast.community_a, name="翠园社区第二党支部")  # her community's
    notice = send_notice(sender=cast.district_a, audience=[cast.district_a])
    client = client_for("district_staff")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("notices:remind", args=[notice.pk]))
    html = page.content.decode()
    # branch_a2: no branch secretary, no community secretary over it, not on a street.
    assert "1 个支部没有开通账号的书记" in html and cast.branch_a2.name in html
    assert page.context["unreachable"] == (1, [cast.branch_a2.name])
    assert len(queries) == 7  # session, user, roles, notice, last round, counts, unreachable
    remind(client, notice)
    assert NoticeReminder.objects.get().branch_count == 4  # still counted as open
    assert not items(area_path=cast.community_a2.path).exists()
