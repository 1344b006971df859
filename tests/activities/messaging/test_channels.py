"""The channels on loopback: SMTP (aiosmtpd) and robot webhooks (http.server): signing,
error classes (retry or give up), the allowed list, and the SMS adapter."""

import base64
import hashlib
import hmac
import logging

import pytest

from activities.messaging import channels
from activities.messaging.channels import DeliveryError, LoggingSmsBackend, Message
from activities.messaging.models import WebhookFlavour

from ...integration.receivers import WebhookReceiver

MESSAGE = Message(
    subject="【党建工作提醒】3月18日每日提醒：共1项待办",
    text="近期会议\n · 即将召开：3月19日 支部党员大会",
    html="<h2>近期会议</h2>",
    markdown="### 提醒\n- 即将召开",
    short="【党建工作提醒】近期会议 1。",
    data={"items": [{"kind": "meeting_upcoming"}]},
)


@pytest.fixture
def robot(settings):
    receiver = WebhookReceiver().start()
    settings.REMINDER_WEBHOOK_ALLOWED_PREFIXES = [f"{receiver.url}/"]
    yield receiver
    receiver.stop()


def test_an_email_over_real_smtp_has_the_key_as_message_id_and_both_parts(smtp):
    channels.send_email(to="zhang@example.cn", message=MESSAGE, key="reminder-7-email")
    [mail] = smtp.raw
    assert mail["Message-ID"] == "<reminder-7-email@portal.localhost>"
    assert str(mail["Subject"]) == MESSAGE.subject  # decoded back to the Chinese subject
    kinds = [part.get_content_type() for part in mail.walk()]
    assert "text/plain" in kinds and "text/html" in kinds
    assert "近期会议" in mail.get_body(("plain",)).get_content()


def test_a_refused_address_is_permanent_and_a_busy_server_is_not(smtp):
    smtp.refuse_rcpt = "550 5.1.1 no such user"
    with pytest.raises(DeliveryError) as refused:
        channels.send_email(to="nobody@example.cn", message=MESSAGE, key="k1")
    assert refused.value.permanent
    smtp.refuse_rcpt = "451 4.3.0 try again later"
    with pytest.raises(DeliveryError) as busy:
        channels.send_email(to="zhang@example.cn", message=MESSAGE, key="k2")
    assert not busy.value.permanent


def test_no_mail_server_is_a_failure_to_retry(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    with pytest.raises(DeliveryError) as error:
        channels.send_email(to="zhang@example.cn", message=MESSAGE, key="k")
    assert not error.value.permanent and "无法连接邮件服务器" in error.value.reason


def test_no_address_is_permanent():
    with pytest.raises(DeliveryError) as error:
        channels.send_email(to="", message=MESSAGE, key="k")
    assert error.value.permanent


def test_a_dingtalk_robot_gets_markdown_signed_with_timestamp_and_secret(robot):
    channels.send_webhook(
        url=f"{robot.url}/dingtalk?access_token=abc",
        secret="robot-secret",
        flavour=WebhookFlavour.DINGTALK,
        message=MESSAGE,
        key="reminder-9-webhook",
    )
    [post] = robot.raw
    assert robot.bad_signatures == 0
    assert post["json"] == {
        "msgtype": "markdown",
        "markdown": {"title": MESSAGE.subject, "text": MESSAGE.markdown},
    }
    assert robot.by_key == {"reminder-9-webhook": 1}


def test_the_dingtalk_signature_matches_the_documented_recipe():
    ts, secret = 1700000000000, "SEC000"
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\nSEC000".encode(), hashlib.sha256).digest()
    ).decode()
    assert channels.dingtalk_sign(secret, ts) == expected
    url, _, _ = channels.webhook_request(
        url="https://oapi.dingtalk.com/robot/send?access_token=t",
        secret=secret,
        flavour=WebhookFlavour.DINGTALK,
        message=MESSAGE,
        key="k",
        now=ts / 1000,
    )
    assert url.startswith(
        "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign="
    )


def test_a_wrong_secret_is_refused_by_the_robot_and_is_permanent(robot):
    with pytest.raises(DeliveryError) as error:
        channels.send_webhook(
            url=f"{robot.url}/dingtalk",
            secret="wrong",
            flavour=WebhookFlavour.DINGTALK,
            message=MESSAGE,
            key="k",
        )
    assert error.value.permanent and "310000" in error.value.reason
    assert robot.by_key == {}


def test_a_generic_receiver_gets_signed_json_with_the_key(robot):
    channels.send_webhook(
        url=f"{robot.url}/generic",
        secret="robot-secret",
        flavour=WebhookFlavour.GENERIC,
        message=MESSAGE,
        key="reminder-3-webhook",
    )
    [post] = robot.raw
    assert robot.bad_signatures == 0
    assert post["json"]["key"] == "reminder-3-webhook"
    assert post["json"]["items"] == [{"kind": "meeting_upcoming"}]


def test_wecom_is_unsigned_markdown_and_feishu_signs_in_the_body():
    _, body, headers = channels.webhook_request(
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        secret="",
        flavour=WebhookFlavour.WECOM,
        message=MESSAGE,
        key="k",
    )
    assert body.decode().startswith('{"msgtype": "markdown", "markdown": {"content": "### 提醒')
    assert headers["X-Idempotency-Key"] == "k"
    _, body, _ = channels.webhook_request(
        url="https://open.feishu.cn/x",
        secret="s",
        flavour=WebhookFlavour.FEISHU,
        message=MESSAGE,
        key="k",
        now=1700000000,
    )
    assert b'"timestamp": "1700000000"' in body and b'"sign": ' in body


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [
        ((500, {}), False),
        ((429, {}), False),
        ((404, {}), True),
        ((200, {"errcode": 45009, "errmsg": "api freq out of limit"}), False),
        ((200, {"errcode": 93000, "errmsg": "invalid webhook url"}), True),
    ],
)
def test_robot_answers_are_retried_or_given_up(robot, answer, permanent):
    robot.answer = answer
    with pytest.raises(DeliveryError) as error:
        channels.send_webhook(
            url=f"{robot.url}/wecom",
            secret="",
            flavour=WebhookFlavour.WECOM,
            message=MESSAGE,
            key="k",
        )
    assert error.value.permanent is permanent


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/admin",
        "http://169.254.169.254/latest/meta-data",
        "https://qyapi.weixin.qq.com.evil.cn/x",
        "file:///etc/passwd",
        "https://user@qyapi.weixin.qq.com/x",
    ],
)
def test_the_portal_posts_only_to_robot_addresses_on_the_allowed_list(url, settings):
    settings.REMINDER_WEBHOOK_ALLOWED_PREFIXES = ["https://qyapi.weixin.qq.com/"]
    assert not channels.webhook_allowed(url)
    with pytest.raises(DeliveryError) as error:
        channels.send_webhook(
            url=url, secret="", flavour=WebhookFlavour.WECOM, message=MESSAGE, key="k"
        )
    assert error.value.permanent


def test_the_logging_sms_backend_records_a_key_once_and_masks_the_number(caplog):
    with caplog.at_level(logging.INFO, logger="portal.reminders"):
        channels.send_sms(phone="13812345678", message=MESSAGE, key="reminder-1-sms")
        channels.send_sms(phone="13812345678", message=MESSAGE, key="reminder-1-sms")
    assert [s["key"] for s in LoggingSmsBackend.outbox] == ["reminder-1-sms"]
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


def test_the_sms_backend_is_chosen_by_setting(settings):
    class Vendor(channels.SmsBackend):
        sent = []

        def send(self, *, phone, text, key, kind="", params=None):
            Vendor.sent.append(key)
            return ""

    settings.REMINDER_SMS_BACKEND = f"{__name__}.VENDOR"
    globals()["VENDOR"] = Vendor
    channels.send_sms(phone="13812345678", message=MESSAGE, key="x")
    assert Vendor.sent == ["x"]
