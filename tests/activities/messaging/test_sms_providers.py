"""Real SMS providers through their official SDKs, against local fake servers that check
the request signature (fake_providers.py): the meeting notices of tomorrow's meeting,
templates and signature, error codes, limits, receipts and replies by callback and by
polling, the failed list, and the one-tap 请假 for declines. Both providers, switched
by settings."""

import datetime
import json
import time
import uuid

import pytest
from django.core import checks
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from activities.meetings.models import Attendance, AttendanceStatus
from activities.meetings.services import recording
from activities.messaging import replies, sms, sweep
from activities.messaging import sender as reminder_sender
from activities.messaging.models import (
    MemberMessaging,
    ReceiptState,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderState,
    ReplyAnswer,
    SmsReply,
)

from .conftest import NOW, TODAY, days, plan
from .fake_providers import APP_ID, KEY_ID, SECRET, FakeAliyun, FakeTencent

TOKEN = "cb-token-0123456789"
TEMPLATES = {"meeting_notice": "2001", "care_notice": "2002", "digest": "2003"}
PHONE_A, PHONE_B = "13812345678", "13900001111"  # the cast's two members of branch_a


def configure(settings, fake, *, secret=SECRET):
    backend = "TencentSmsBackend" if fake.name == "tencent" else "AliyunSmsBackend"
    settings.REMINDER_SMS_BACKEND = f"activities.messaging.sms.{backend}"
    settings.REMINDER_SMS_ENDPOINT = fake.endpoint
    settings.REMINDER_SMS_ENDPOINT_HTTP = True
    settings.REMINDER_SMS_ACCESS_KEY_ID = KEY_ID
    settings.REMINDER_SMS_ACCESS_KEY_SECRET = secret
    settings.REMINDER_SMS_APP_ID = APP_ID
    settings.REMINDER_SMS_SIGN_NAME = "翠园社区党委"
    settings.REMINDER_SMS_TEMPLATES = dict(TEMPLATES)
    settings.REMINDER_SMS_TIMEOUT = 1
    settings.REMINDER_SMS_CALLBACK_TOKEN = TOKEN
    settings.REMINDER_MEETING_SMS_TO_MEMBERS = True


@pytest.fixture(params=["tencent", "aliyun"])
def fake(request, settings):
    fake = (FakeTencent if request.param == "tencent" else FakeAliyun)().start()
    configure(settings, fake)
    yield fake
    fake.stop()


@pytest.fixture
def meeting(cast):
    cast.member_a.phone = PHONE_A
    cast.member_a.save()
    return plan(
        branch=cast.branch_a, on=TODAY + days(1), topic="支部党员大会", venue_note="社区活动室"
    )


def notices_sent(meeting):
    sweep.sweep(now=NOW)
    return reminder_sender.send_due()


def numbers(fake):
    return {sms.national_number(m["phone"]) for m in fake.sent}


def callback(client, fake, what, data):
    url = reverse(f"reminders:sms_{what}", kwargs={"provider": fake.name, "token": TOKEN})
    return client.post(url, data=json.dumps(data), content_type="application/json")


# --- Sending ------------------------------------------------------------------------------


def test_the_sweep_sends_one_templated_sms_per_expected_member_through_the_provider(
    fake, cast, meeting
):
    result = notices_sent(meeting)
    assert result.sent == 2 and result.failed == 0
    assert numbers(fake) == {PHONE_A, PHONE_B}
    assert set(fake.per_key().values()) == {1}
    first = next(m for m in fake.sent if sms.national_number(m["phone"]) == PHONE_A)
    assert first["template"] == "2001" and first["sign"] == "翠园社区党委"
    values = first["params"] if fake.name == "tencent" else list(first["params"].values())
    # name, branch, day, time, place, kind: the template's order (Alibaba: by name).
    assert values[0] == "赵德明" and values[1].startswith("翠园社区") and "社区活动室" in values
    if fake.name == "aliyun":
        assert list(first["params"]) == list(sms.TEMPLATE_PARAMS["meeting_notice"])
    deliveries = ReminderDelivery.objects.filter(reminder__kind=ReminderKind.MEETING_NOTICE)
    assert {(d.provider, d.receipt) for d in deliveries} == {(fake.name, ReceiptState.WAITING)}
    assert {d.provider_id for d in deliveries} == {m["id"] for m in fake.sent}
    assert all(PHONE_A not in d.phone_hash for d in deliveries)  # a keyed hash, not the number


def test_a_wrong_key_is_refused_by_the_provider_and_the_notice_fails_saying_to_fix_settings(
    fake, cast, meeting, settings
):
    settings.REMINDER_SMS_ACCESS_KEY_SECRET = "not-the-key"
    result = notices_sent(meeting)
    assert result.failed == 2 and fake.sent == [] and fake.refused
    notice = Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE).first()
    assert notice.state == ReminderState.FAILED
    assert "短信账号设置需要修改" in notice.last_error and "Signature" in notice.last_error


def test_an_unapproved_template_fails_at_once_saying_to_fix_the_template(fake, cast, meeting):
    fake.mode = "template"
    result = notices_sent(meeting)
    assert result.failed == 2 and result.retrying == 0
    notice = Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE).first()
    assert "短信模板或签名需要修改" in notice.last_error


def test_a_rate_limit_is_retried_later_and_each_member_gets_one_message(
    fake, cast, meeting, settings
):
    settings.REMINDER_SMS_PER_NUMBER_PER_DAY = 1  # a refused try does not use up the day
    fake.mode = "rate_limit"
    result = notices_sent(meeting)
    assert (result.retrying, fake.sent) == (2, [])
    notice = Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE).first()
    assert notice.state == ReminderState.PENDING and "稍后重试" in notice.last_error
    fake.mode = "ok"
    later = timezone.now() + datetime.timedelta(hours=2)
    assert reminder_sender.send_due(now=later).sent == 2
    assert numbers(fake) == {PHONE_A, PHONE_B} and set(fake.per_key().values()) == {1}


def test_a_provider_that_times_out_costs_one_timeout_and_nothing_is_sent_twice(fake, cast, meeting):
    fake.mode, fake.delay = "slow", 2.5  # answers after the 1 s timeout, having sent it
    result = notices_sent(meeting)
    # Both timed out (the answer would have come at 2.5 s), each after one request: no
    # SDK retry, so one timeout per message.
    assert (result.retrying, fake.arrived) == (2, 2)
    deadline = time.monotonic() + 10
    while len(fake.sent) < 2 and time.monotonic() < deadline:  # the provider took both
        time.sleep(0.05)
    assert len(fake.sent) == 2
    fake.mode = "ok"
    later = timezone.now() + datetime.timedelta(hours=2)
    assert reminder_sender.send_due(now=later).sent == 2
    # The retry asked the provider first (sms.find): found, not sent again.
    assert set(fake.per_key().values()) == {1} and len(fake.sent) == 2
    assert ReminderDelivery.objects.filter(provider_id="").count() == 0


def test_the_per_number_daily_limit_gives_up_on_that_number(fake, cast, meeting, settings):
    settings.REMINDER_SMS_PER_NUMBER_PER_DAY = 0
    result = notices_sent(meeting)
    assert result.failed == 2 and fake.sent == []
    notice = Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE).first()
    assert "上限" in notice.last_error and "138****5678" in str(
        list(Reminder.objects.values_list("last_error", flat=True))
    )
    assert PHONE_A not in " ".join(Reminder.objects.values_list("last_error", flat=True))


def test_a_second_message_to_a_number_over_its_daily_limit_is_not_sent(
    fake, cast, meeting, settings
):
    settings.REMINDER_SMS_PER_NUMBER_PER_DAY = 1
    plan(branch=cast.branch_a, on=TODAY + days(1), topic="党课", venue_note="社区活动室")
    result = notices_sent(meeting)
    assert (result.sent, result.failed) == (2, 2)
    assert sorted(sms.national_number(m["phone"]) for m in fake.sent) == [PHONE_A, PHONE_B]


def test_a_real_provider_without_a_template_for_a_kind_is_refused_at_start_up(fake, settings):
    assert checks.run_checks(tags=["reminders"]) == []
    settings.REMINDER_SMS_TEMPLATES = {"meeting_notice": "2001"}
    errors = checks.run_checks(tags=["reminders"])
    assert {e.id for e in errors} == {"reminders.E011"} and len(errors) == 2
    settings.REMINDER_SMS_BACKEND = "activities.messaging.channels.LoggingSmsBackend"
    assert checks.run_checks(tags=["reminders"]) == []


# --- Receipts -----------------------------------------------------------------------------


def test_receipts_by_callback_mark_each_delivery_and_a_second_post_changes_nothing(
    fake, cast, meeting, client, django_assert_max_num_queries
):
    notices_sent(meeting)
    receipts = fake.receipts(failed={PHONE_B})
    with django_assert_max_num_queries(4):
        response = callback(client, fake, "status", receipts)
    assert response.status_code == 200
    assert response.json() in ({"result": 0, "errmsg": "OK"}, {"code": 0, "msg": "成功"})
    states = dict(ReminderDelivery.objects.values_list("provider_id", "receipt"))
    by_phone = {sms.national_number(m["phone"]): states[m["id"]] for m in fake.sent}
    assert by_phone == {PHONE_A: ReceiptState.DELIVERED, PHONE_B: ReceiptState.UNDELIVERED}
    undelivered = ReminderDelivery.objects.get(receipt=ReceiptState.UNDELIVERED)
    assert "MK:0005" in undelivered.receipt_reason
    before = list(ReminderDelivery.objects.values_list("pk", "receipt", "receipt_at"))
    assert callback(client, fake, "status", receipts).status_code == 200
    assert list(ReminderDelivery.objects.values_list("pk", "receipt", "receipt_at")) == before


def test_a_receipt_naming_another_number_or_a_wrong_token_changes_nothing(
    fake, cast, meeting, client
):
    notices_sent(meeting)
    forged = fake.receipts()
    for item in forged:
        item["mobile" if fake.name == "tencent" else "phone_number"] = "13700000000"
    assert callback(client, fake, "status", forged).status_code == 200
    assert set(ReminderDelivery.objects.values_list("receipt", flat=True)) == {"waiting"}
    url = reverse("reminders:sms_status", kwargs={"provider": fake.name, "token": "guess"})
    response = client.post(url, data=json.dumps(fake.receipts()), content_type="application/json")
    assert response.status_code == 404
    other = "aliyun" if fake.name == "tencent" else "tencent"
    url = reverse("reminders:sms_status", kwargs={"provider": other, "token": TOKEN})
    assert client.post(url, data="[]", content_type="application/json").status_code == 404
    assert set(ReminderDelivery.objects.values_list("receipt", flat=True)) == {"waiting"}
    assert callback(client, fake, "status", {"bad": ["x"] * 3}).status_code == 200
    bad = client.post(
        reverse("reminders:sms_status", kwargs={"provider": fake.name, "token": TOKEN}),
        data=b"\x00not json",
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_receipts_and_replies_by_polling_where_callbacks_cannot_arrive(fake, cast, meeting):
    notices_sent(meeting)
    if fake.name == "tencent":
        fake.queue_reply(PHONE_A, "1")
    result = replies.poll()
    assert result.receipts == 2
    assert set(ReminderDelivery.objects.values_list("receipt", flat=True)) == {"delivered"}
    if fake.name == "tencent":
        assert result.replies == 1
        assert SmsReply.objects.get().answer == ReplyAnswer.WILL_COME
    assert replies.poll().receipts == 0  # already known: nothing changes


# --- Replies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "answer", "reason"),
    [
        ("1", ReplyAnswer.WILL_COME, ""),
        (" １ ", ReplyAnswer.WILL_COME, ""),
        ("2", ReplyAnswer.CANNOT_COME, ""),
        ("2 住院复查", ReplyAnswer.CANNOT_COME, "住院复查"),
        ("２，腿脚不便", ReplyAnswer.CANNOT_COME, "腿脚不便"),
        ("好的", ReplyAnswer.UNCLEAR, "好的"),
    ],
)
def test_a_reply_is_read_as_will_come_or_cannot_come_with_the_reason(text, answer, reason):
    assert replies.parse_reply(text) == (answer, reason)


def test_replies_are_recorded_against_the_member_and_meeting_once(fake, cast, meeting, client):
    notices_sent(meeting)
    one = fake.reply(PHONE_A, "1")
    two = fake.reply(PHONE_B, "2 住院复查", unix_time=int(time.time()) + 1)
    for _twice in range(2):  # the provider re-posts: recorded once
        assert (
            callback(client, fake, "reply", [one] if fake.name == "aliyun" else one).status_code
            == 200
        )
        assert (
            callback(client, fake, "reply", [two] if fake.name == "aliyun" else two).status_code
            == 200
        )
    got = {r.member.name: (r.answer, r.reason, r.meeting_id) for r in SmsReply.objects.all()}
    assert got["赵德明"] == (ReplyAnswer.WILL_COME, "", meeting.pk)
    assert (ReplyAnswer.CANNOT_COME, "住院复查", meeting.pk) in got.values()
    assert len(got) == 2 and SmsReply.objects.count() == 2
    # A number that got no notice: ignored.
    stranger = fake.reply("13700000000", "1")
    assert (
        callback(
            client, fake, "reply", [stranger] if fake.name == "aliyun" else stranger
        ).status_code
        == 200
    )
    assert SmsReply.objects.count() == 2
    # The audit names no number and masks the member.
    entries = AuditEntry.objects.filter(object_type="activities.smsreply")
    assert entries.count() == 2
    trail = json.dumps(list(entries.values("object_repr", "changes")), ensure_ascii=False)
    assert PHONE_A not in trail and PHONE_B not in trail and "赵德明" not in trail


def test_a_family_contacts_answer_is_recorded_for_the_member_they_receive_notices_for(
    fake, cast, meeting, client
):
    family_phone = "13611112222"
    MemberMessaging.objects.create(
        member=cast.member_a,
        family_name="赵小明",
        family_relation="son",
        family_phone=family_phone,
        family_mode="instead",
        consent_by="赵德明",
        consent_on=TODAY,
        consent_how="in_person",
    )
    notices_sent(meeting)
    assert numbers(fake) == {family_phone, PHONE_B}  # the son instead of his father
    answer = fake.reply(family_phone, "2 父亲住院")
    callback(client, fake, "reply", [answer] if fake.name == "aliyun" else answer)
    reply = SmsReply.objects.get()
    assert (reply.member, reply.answer, reply.reason) == (
        cast.member_a,
        ReplyAnswer.CANNOT_COME,
        "父亲住院",
    )
    rows = {row.member_id: row for row in replies.meeting_notices(meeting)}
    assert rows[cast.member_a.pk].reason == "父亲住院"


def test_the_secretary_sees_the_answers_and_makes_the_declines_excused_in_one_tap(
    fake, cast, meeting, client_for
):
    notices_sent(meeting)
    client = client_for("branch_secretary")
    replies.record_reply(fake.name, sms.Reply("k1", PHONE_A, "1", timezone.now()))
    replies.record_reply(fake.name, sms.Reply("k2", PHONE_B, "2 住院复查", timezone.now()))
    page = client.get(reverse("reminders:meeting_notices", args=[meeting.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "住院复查" in text and "会参加" in text
    assert "excuse-declines" not in text  # not recorded yet: nothing to excuse
    recording.meeting_record(
        meeting=meeting,
        details={"held_on": TODAY},
        marks={},
        record_key=uuid.uuid4(),
        actor=cast.user("branch_secretary"),
    )
    meeting.refresh_from_db()
    page = client.get(reverse("reminders:meeting_notices", args=[meeting.pk]))
    assert "excuse-declines" in page.content.decode()
    stale = meeting.version - 1
    response = client.post(
        reverse("reminders:declines_excuse", args=[meeting.pk]), {"version": stale}
    )
    assert response.status_code == 302
    assert not Attendance.objects.filter(status=AttendanceStatus.EXCUSED).exists()
    response = client.post(
        reverse("reminders:declines_excuse", args=[meeting.pk]), {"version": meeting.version}
    )
    assert response.status_code == 302
    excused = Attendance.objects.get(meeting=meeting, status=AttendanceStatus.EXCUSED)
    assert excused.reason == "住院复查"
    assert sms.national_number(excused.member.phone) == PHONE_B
    assert Attendance.objects.get(meeting=meeting, member=cast.member_a).status == "present"


def test_an_undelivered_notice_shows_on_the_failed_list_with_the_reason(
    fake, cast, meeting, client_for
):
    notices_sent(meeting)
    client = client_for("district_staff")
    callback(client, fake, "status", fake.receipts(failed={PHONE_B}))
    page = client.get(reverse("reminders:failed_list")).content.decode()
    assert "未送达" in page and "MK:0005" in page and PHONE_B not in page


def test_the_notices_page_asks_as_many_queries_for_12_members_as_for_2(
    fake, cast, meeting, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import add_member

    client = client_for("branch_secretary")
    url = reverse("reminders:meeting_notices", args=[meeting.pk])

    def queries():
        client.get(url)  # the session and the user, loaded once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
        return len(captured)

    notices_sent(meeting)
    replies.record_reply(fake.name, sms.Reply("k1", PHONE_B, "2 住院", timezone.now()))
    few = queries()
    for n in range(10):
        add_member(branch=cast.branch_a, phone=f"1370000{n:04d}")
    notices_sent(meeting)
    for n in range(5):
        replies.record_reply(fake.name, sms.Reply(f"m{n}", f"1370000{n:04d}", "1", timezone.now()))
    assert SmsReply.objects.count() == 6
    assert queries() == few
