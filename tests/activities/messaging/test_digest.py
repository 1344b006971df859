"""One digest per secretary per day, at their time, gathering everything due, in Chinese."""

import datetime

import pytest

from activities.messaging import sender as reminder_sender
from activities.messaging import sweep
from activities.messaging.models import Reminder, ReminderKind, ReminderState

from .conftest import NOW, SHANGHAI, TODAY, add_member, days, plan, prefer

pytestmark = pytest.mark.django_db


def digests():
    return Reminder.objects.filter(kind=ReminderKind.DIGEST)


def test_one_digest_per_secretary_per_day_gathers_everything_due(cast, secretaries):
    community, branch = secretaries
    prefer(community)
    prefer(branch, use_email=False, use_sms=True, phone="13900002222")
    plan(branch=cast.branch_a, on=TODAY + days(1))
    add_member(branch=cast.branch_a, name="寿星", born=datetime.date(1946, 3, 19))
    result = sweep.sweep(now=NOW)
    assert result.digests == 2
    mine = digests().get(recipient=community)
    items = set(mine.items.values_list("kind", flat=True))
    assert items == {
        ReminderKind.MEETING_UPCOMING,
        ReminderKind.GREETING,
        ReminderKind.REGISTRATION_WAITING,
    }
    assert mine.items.count() == Reminder.objects.items().filter(recipient=community).count()
    assert (mine.period, mine.state, mine.area_path) == (
        "2026-03-18",
        ReminderState.PENDING,
        cast.community_a.path,
    )
    assert mine.title == "3月18日每日提醒"
    # Later sweeps the same day make no second digest, even with new things due.
    plan(branch=cast.branch_a, on=TODAY + days(2), topic="新会议")
    sweep.sweep(now=NOW + datetime.timedelta(hours=3))
    assert digests().filter(recipient=community).count() == 1
    new_item = Reminder.objects.get(recipient=community, title__contains="新会议")
    assert new_item.digest_id is None  # waits for tomorrow's
    sweep.sweep(now=NOW + days(1))
    tomorrow = digests().get(recipient=community, period="2026-03-19")
    assert new_item.pk in set(tomorrow.items.values_list("pk", flat=True))


def test_no_digest_before_the_chosen_time_or_without_an_outbound_channel(cast, secretaries):
    community, branch = secretaries
    prefer(community, digest_time=datetime.time(18, 0))
    prefer(branch, use_email=False)  # in-app only
    plan(branch=cast.branch_a, on=TODAY + days(1))
    sweep.sweep(now=NOW)  # 10:00
    assert not digests().exists()
    sweep.sweep(now=datetime.datetime(2026, 3, 18, 18, 1, tzinfo=SHANGHAI))
    assert list(digests().values_list("recipient__username", flat=True)) == ["community_secretary"]


def test_nobody_gets_an_empty_digest(cast, secretaries):
    prefer(cast.user("community_b_secretary"))
    sweep.sweep(now=NOW)
    assert not digests().filter(recipient=cast.user("community_b_secretary")).exists()


def test_the_digest_reads_as_plain_chinese_in_every_form(cast, secretaries):
    community, _ = secretaries
    community.full_name = "张书记"
    community.save()
    prefer(community)
    plan(branch=cast.branch_a, on=TODAY + days(1), topic="学习二十届四中全会精神")
    sweep.sweep(now=NOW)
    digest = digests().get(recipient=community)
    message = reminder_sender.compose(digest, list(digest.items.all()))
    assert message.subject == "【党建工作提醒】3月18日每日提醒：共2项待办"
    assert message.text.startswith("张书记，您好！\n今天有2件事需要您关注：")
    assert "近期会议" in message.text and "待接收的报到" in message.text
    assert (
        "即将召开：3月19日 翠园社区离退休干部党支部支部党员大会：学习二十届四中全会精神"
        in message.text
    )
    assert "https://portal.example.cn/reminders/" in message.text
    assert "<h2" in message.html and "近期会议" in message.html
    assert message.markdown.startswith("### 【党建工作提醒】")
    assert message.short == (
        "【党建工作提醒】3月18日每日提醒：近期会议 1、待接收的报到 1。详情请登录平台查看。"
    )
    assert [i["kind"] for i in message.data["items"]] == [
        "meeting_upcoming",
        "registration_waiting",
    ]
