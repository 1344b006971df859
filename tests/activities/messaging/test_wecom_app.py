"""WeCom (企业微信) application messages to one member of staff: the daily digest to their
UserID through a fake WeCom server on 127.0.0.1 (gettoken, message/send, expiring
tokens, unknown users, its duplicate check)."""

import pytest
from django.urls import reverse

from activities.messaging import sender as reminder_sender
from activities.messaging import sweep
from activities.messaging.models import Reminder, ReminderKind, ReminderState

from .conftest import NOW, TODAY, days, plan, prefer
from .fake_providers import AGENT_ID, CORP_ID, WECOM_SECRET, FakeWeCom

pytestmark = pytest.mark.django_db


@pytest.fixture
def wecom(settings):
    fake = FakeWeCom(users={"zhangsan"}).start()
    settings.REMINDER_WECOM_API = fake.url
    settings.REMINDER_WECOM_CORP_ID = CORP_ID
    settings.REMINDER_WECOM_AGENT_ID = AGENT_ID
    settings.REMINDER_WECOM_SECRET = WECOM_SECRET
    yield fake
    fake.stop()


@pytest.fixture
def digest(cast, secretaries):
    prefer(secretaries[0], use_email=False, use_wecom=True, wecom_userid="zhangsan")
    plan(branch=cast.branch_a, on=TODAY + days(1))
    sweep.sweep(now=NOW)
    return Reminder.objects.get(kind=ReminderKind.DIGEST, recipient=secretaries[0])


def test_the_digest_reaches_the_secretary_as_a_wecom_message(wecom, digest):
    assert reminder_sender.send_due().sent == 1
    [message] = wecom.shown
    assert message["touser"] == "zhangsan" and message["agentid"] == int(AGENT_ID)
    assert message["msgtype"] == "markdown" and "学习党章" in message["markdown"]["content"]
    assert message["enable_duplicate_check"] == 1


def test_an_expired_token_is_fetched_anew_once(wecom, digest):
    reminder_sender.send_due()
    wecom.expire_tokens()
    digest.refresh_from_db()
    Reminder.objects.filter(pk=digest.pk).update(state=ReminderState.PENDING)
    digest.deliveries.update(state="failed")
    assert reminder_sender.send_due().sent == 1
    assert len(wecom.received) == 2 and len(wecom.shown) == 1  # WeCom's duplicate check


def test_a_wrong_secret_or_an_unknown_account_fails_with_the_reason(
    wecom, digest, settings, secretaries
):
    settings.REMINDER_WECOM_SECRET = "wrong"
    assert reminder_sender.send_due().failed == 1
    digest.refresh_from_db()
    assert "40001" in digest.last_error and wecom.received == []
    settings.REMINDER_WECOM_SECRET = WECOM_SECRET
    prefer(secretaries[0], use_email=False, use_wecom=True, wecom_userid="lisi")
    Reminder.objects.filter(pk=digest.pk).update(state=ReminderState.PENDING)
    assert reminder_sender.send_due().failed == 1
    digest.refresh_from_db()
    assert "lisi" in digest.last_error


def test_the_settings_page_offers_wecom_only_where_the_application_is_set_up(
    client_for, settings, wecom
):
    client = client_for("community_secretary")
    url = reverse("reminders:preferences")
    assert "wecom_userid" in client.get(url).content.decode()
    response = client.post(url, {"digest_time": "08:00", "use_wecom": "on", "wecom_userid": ""})
    assert response.status_code == 200 and "企业微信账号" in response.content.decode()
    settings.REMINDER_WECOM_AGENT_ID = ""
    assert "wecom_userid" not in client.get(url).content.decode()
