"""The inbox, the unread count in the header, the settings page and the list of
reminders not delivered (own + district staff of the area)."""

import datetime

import pytest
from django.urls import reverse

from activities.messaging import sweep
from activities.messaging.models import Reminder, ReminderKind, ReminderPreference, ReminderState

from .conftest import NOW, TODAY, days, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def swept(cast):
    plan(branch=cast.branch_a, on=TODAY + days(1), topic="学习党章")
    sweep.sweep(now=NOW)


def test_the_inbox_lists_ones_own_reminders_in_chinese(client_for, swept):
    client = client_for("community_secretary")
    page = client.get(reverse("reminders:inbox")).content.decode()
    assert "我的提醒" in page
    assert "即将召开：3月19日" in page and "学习党章" in page
    assert "等待接收" in page  # the waiting registration
    assert "未读" in page
    other = client_for("community_b_secretary").get(reverse("reminders:inbox")).content.decode()
    assert "学习党章" not in other and "还没有提醒" in other


def test_the_header_shows_the_unread_count_without_a_query_on_the_page(client_for, swept):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("branch_secretary")
    with CaptureQueriesContext(connection) as queries:
        home = client.get(reverse("home")).content.decode()
    assert 'hx-get="/reminders/unread/"' in home and "提醒" in home
    # The page itself never reads the reminders: the count comes after it loads.
    assert not [q for q in queries if "activities_reminder" in q["sql"]]
    badge = client.get(reverse("reminders:unread_badge")).content.decode()
    assert "1条未读" in badge


def test_opening_a_reminder_marks_it_read_and_goes_to_its_page(client_for, swept, cast):
    client = client_for("branch_secretary")
    item = Reminder.objects.get(recipient=cast.user("branch_secretary"))
    assert "学习党章" in client.get(reverse("reminders:item", args=[item.pk])).content.decode()
    response = client.post(reverse("reminders:item", args=[item.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == item.link
    item.refresh_from_db()
    assert item.read_at is not None
    assert "无未读" in client.get(reverse("reminders:unread_badge")).content.decode()


def test_somebody_elses_reminder_is_not_found_and_stays_unread(client_for, swept, cast):
    item = Reminder.objects.filter(recipient=cast.user("branch_secretary")).first()
    client = client_for("community_secretary")
    assert client.get(reverse("reminders:item", args=[item.pk])).status_code == 404
    assert client.post(reverse("reminders:item", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_mark_all_read_touches_only_ones_own(client_for, swept, cast):
    client_for("community_secretary").post(reverse("reminders:mark_all_read"))
    unread = Reminder.objects.filter(read_at__isnull=True)
    assert set(unread.values_list("recipient__username", flat=True)) == {"branch_secretary"}


def test_settings_choose_channels_and_the_digest_time(client_for, cast):
    client = client_for("community_secretary")
    page = client.get(reverse("reminders:preferences")).content.decode()
    assert "每日汇总发送时间" in page and "站内消息始终开启" in page
    response = client.post(
        reverse("reminders:preferences"),
        {
            "digest_time": "07:30",
            "use_email": "on",
            "email": "zhang@example.cn",
            "use_webhook": "on",
            "webhook_flavour": "dingtalk",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "webhook_secret": "SECabc",
            "use_sms": "on",
            "phone": "138 1234 5678",
        },
    )
    assert response.status_code == 302
    pref = ReminderPreference.objects.get(user=cast.user("community_secretary"))
    assert pref.channels == ["email", "webhook", "sms"]
    assert pref.digest_time == datetime.time(7, 30) and pref.phone == "13812345678"
    assert pref.webhook_secret == "SECabc"
    # Saved credentials are never shown again, and an empty field keeps them.
    page = client.get(reverse("reminders:preferences")).content.decode()
    assert "access_token=abc" not in page and "SECabc" not in page
    client.post(
        reverse("reminders:preferences"),
        {"digest_time": "08:00", "use_webhook": "on", "webhook_flavour": "dingtalk"},
    )
    pref.refresh_from_db()
    assert pref.webhook_url.endswith("access_token=abc") and pref.webhook_secret == "SECabc"
    # Stored encrypted.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT webhook_url, webhook_secret FROM activities_reminderpreference WHERE id = %s",
            [pref.pk],
        )
        assert all(value.startswith("enc1:") for value in cursor.fetchone())


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"use_email": "on"}, "email"),
        ({"use_webhook": "on", "webhook_url": "http://10.0.0.1/hook"}, "webhook_url"),
        ({"use_webhook": "on"}, "webhook_url"),
        ({"use_sms": "on", "phone": "12345"}, "phone"),
    ],
)
def test_settings_refuse_a_channel_without_a_usable_address(client_for, data, field):
    response = client_for("outsider").post(
        reverse("reminders:preferences"), {"digest_time": "08:00", **data}
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ReminderPreference.objects.exists()


def failed_digest(user, area_path):
    return Reminder.objects.create(
        kind=ReminderKind.DIGEST,
        subject="digest",
        recipient=user,
        period="2026-03-18",
        area_path=area_path,
        title="3月18日每日提醒",
        state=ReminderState.FAILED,
        attempts=6,
        last_error="address refused (550): zhang@example.cn",
    )


def test_failed_reminders_are_shown_to_their_recipient_and_their_districts_staff(client_for, cast):
    failed = failed_digest(cast.user("community_secretary"), cast.community_a.path)
    url = reverse("reminders:failed_list")
    for role, sees in [
        ("community_secretary", True),
        ("district_staff", True),
        ("branch_secretary", False),
        ("street_staff", False),
        ("district_b_staff", False),
        ("city_admin", False),
    ]:
        page = client_for(role).get(url).content.decode()
        assert ("address refused (550)" in page) is sees, role
    detail = client_for("district_staff").get(reverse("reminders:failed_detail", args=[failed.pk]))
    assert "address refused" in detail.content.decode() and "重新发送" in detail.content.decode()


def test_sending_again_puts_a_failed_reminder_back_in_the_queue(client_for, cast):
    failed = failed_digest(cast.user("community_secretary"), cast.community_a.path)
    response = client_for("district_staff").post(
        reverse("reminders:failed_detail", args=[failed.pk])
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == (ReminderState.PENDING, 0, "")
    assert (
        client_for("district_b_staff")
        .post(reverse("reminders:failed_detail", args=[failed.pk]))
        .status_code
        == 404
    )


def test_the_inbox_page_costs_the_same_queries_for_3_and_60_reminders(
    client_for, cast, django_assert_num_queries
):
    user = cast.user("branch_secretary")
    client = client_for("branch_secretary")

    def add(n, start):
        Reminder.objects.bulk_create(
            Reminder(
                kind=ReminderKind.GREETING,
                subject=f"greet:{start + i}:birthday",
                recipient=user,
                period="2026-03-20",
                title=f"生日{start + i}",
                state=ReminderState.SENT,
            )
            for i in range(n)
        )

    add(3, 0)
    client.get(reverse("reminders:inbox"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("reminders:inbox"))
    add(57, 3)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("reminders:inbox"))
    assert len(small) == len(large)
