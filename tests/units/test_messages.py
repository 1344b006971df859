"""Unit messages: message_unit (idempotent, the channels a unit has), the sender (claim,
lease, backoff, permanent failure) over a real SMTP server and a robot on loopback, a
frozen robot (SIGSTOP) that only delays the delivery, and a registration accepted by a
community that the unit learns of: its delivery, not a typed date, marks it notified."""

from __future__ import annotations

import datetime
import io
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import broker
from accounts.models import AuditAction
from activities.messaging.models import WebhookFlavour
from members.models import CommunityRegistration, RegistrationStatus
from members.services.registration import registration_accept
from tests import factories as f
from tests.integration.receivers import WebhookReceiver, free_port
from units.messages import sender, services
from units.messages.models import (
    DeliveryState,
    UnitContact,
    UnitDelivery,
    UnitMessage,
    UnitMessageKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def robot(settings):
    receiver = WebhookReceiver().start()
    settings.REMINDER_WEBHOOK_ALLOWED_PREFIXES = [f"{receiver.url}/"]
    yield receiver
    receiver.stop()


def _write(unit, subject="registration:999999", **kwargs):
    return services.message_unit(
        unit=unit, kind=UnitMessageKind.EVENT_OUTCOME, subject=subject, title="办结通知", **kwargs
    )


def _channels(message):
    return {d.channel: d.state for d in message.deliveries.all()}


def test_message_unit_is_idempotent_and_the_liaisons_inbox_is_delivered_at_once(cast):
    first = _write(cast.unit_a, body="正文")
    again = _write(cast.unit_a, body="另一段")
    assert again.pk == first.pk and UnitMessage.objects.count() == 1
    assert _channels(first) == {"inapp": DeliveryState.SENT}  # unit_a has a liaison
    assert first.delivered_at is not None
    assert f.audit_entries(first)[0].action == AuditAction.CREATE


def test_channels_follow_the_units_contact(cast):
    UnitContact.objects.create(
        unit=cast.unit_b, email="dw@example.org", webhook_url="http://127.0.0.1:1/wecom"
    )
    message = _write(cast.unit_b)
    assert _channels(message) == {"email": "pending", "webhook": "pending"}  # no liaison
    assert message.delivered_at is None
    nobody = _write(cast.unit_a, subject="registration:1")
    UnitContact.objects.filter(unit=cast.unit_b).delete()
    assert _channels(_write(cast.unit_b, subject="registration:2")) == {}
    assert _channels(nobody) == {"inapp": "sent"}


def test_pending_deliveries_are_queued_after_the_commit(cast, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(broker, "publish", lambda name, **kw: queued.append(name))
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        _write(cast.unit_a, subject="registration:1")  # in-app only: nothing to send
    assert queued == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        _write(cast.unit_b, subject="registration:2")
    assert queued == ["units.send_unit_messages"]


def test_the_sender_mails_over_real_smtp_with_the_key_as_message_id(cast, smtp):
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    message = _write(cast.unit_b, body="孙建国同志已到翠园社区报到。")
    result = sender.send_due()
    assert (result.claimed, result.sent) == (1, 1)
    delivery = message.deliveries.get()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 1
    mail = smtp.raw[0]
    assert mail["Message-ID"] == f"<{delivery.key}@portal.localhost>"
    assert "办结通知" in mail["Subject"] and "孙建国" in mail.get_content()
    message.refresh_from_db()
    assert message.delivered_at == delivery.sent_at
    assert sender.send_due().claimed == 0  # sent: never again


def test_the_robot_gets_a_signed_message_with_the_key(cast, robot):
    UnitContact.objects.create(
        unit=cast.unit_b,
        webhook_flavour=WebhookFlavour.DINGTALK,
        webhook_url=f"{robot.url}/dingtalk?access_token=t",
        webhook_secret=robot.secret,
    )
    message = _write(cast.unit_b)
    assert sender.send_due().sent == 1
    delivery = message.deliveries.get()
    assert robot.by_key == {str(delivery.key): 1} and robot.bad_signatures == 0


def test_a_refused_address_fails_at_once_with_the_reason(cast, smtp):
    smtp.refuse_rcpt = "550 5.1.1 no such user"
    UnitContact.objects.create(unit=cast.unit_b, email="nobody@example.org")
    message = _write(cast.unit_b)
    assert sender.send_due().failed == 1
    delivery = message.deliveries.get()
    assert delivery.state == DeliveryState.FAILED and "550" in delivery.last_error
    message.refresh_from_db()
    assert message.delivered_at is None


def test_a_transient_failure_backs_off_and_gives_up_after_the_last_attempt(cast, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    settings.REMINDER_MAX_ATTEMPTS = 3
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    delivery = _write(cast.unit_b).deliveries.get()
    now = timezone.now()
    assert sender.send_due(now=now).retrying == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    wait = delivery.next_attempt_at - now
    assert datetime.timedelta(seconds=59) < wait < datetime.timedelta(seconds=65)
    assert sender.send_due(now=now).claimed == 0  # not due yet
    later = delivery.next_attempt_at + datetime.timedelta(seconds=1)
    assert sender.send_due(now=later).retrying == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - timezone.now() > datetime.timedelta(seconds=115)  # doubled
    assert sender.send_due(now=delivery.next_attempt_at).failed == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 3
    assert "3" in delivery.last_error


def test_a_lease_that_ran_out_is_taken_again_and_only_one_holder_finishes(cast, smtp):
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    delivery = _write(cast.unit_b).deliveries.get()
    first = sender.claim()
    assert [d.pk for d in first] == [delivery.pk]
    assert sender.claim() == []  # held: nobody else takes it
    # The first holder died; after its lease the row is claimed again, same key.
    later = timezone.now() + sender.lease() + datetime.timedelta(seconds=1)
    second = sender.claim(now=later)
    assert [d.key for d in second] == [delivery.key] and second[0].attempts == 2
    assert sender.send_claimed(first).sent == 0  # the old holder cannot finish it
    assert sender.send_claimed(second).sent == 1
    assert len(smtp.mailbox) == 1  # one message per key in the mailbox


def test_resend_puts_a_failed_delivery_back_and_is_audited(cast, smtp):
    smtp.refuse_rcpt = "550 5.1.1 no such user"
    UnitContact.objects.create(unit=cast.unit_b, email="old@example.org")
    delivery = _write(cast.unit_b).deliveries.get()
    sender.send_due()
    smtp.refuse_rcpt = None
    actor = cast.user("district_b_staff")
    assert services.resend(delivery=delivery, actor=actor)
    assert not services.resend(delivery=delivery, actor=actor)  # not failed any more
    assert sender.send_due().sent == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 1


# --- A registration accepted tells the unit -----------------------------------------------


def _accept(cast, member_unit, *, actor_key="community_secretary"):
    member = f.member(name="吴国华", community=cast.community_a, original_unit=member_unit)
    registration = f.registration(member=member, status="reported")
    registration = registration_accept(
        registration=registration,
        branch=cast.branch_a,
        accepted_on=datetime.date(2026, 3, 2),
        actor=cast.user(actor_key),
    )
    return registration, UnitMessage.objects.get(subject=f"registration:{registration.pk}")


def test_a_unit_with_a_liaison_is_notified_at_once(cast):
    registration, message = _accept(cast, cast.unit_a)
    assert message.kind == UnitMessageKind.REGISTRATION_ACCEPTED
    assert message.community == cast.community_a
    assert "吴国华" in message.title and "翠园社区" in message.title
    assert "2026-03-02" in message.body and cast.branch_a.name in message.body
    assert registration.status == RegistrationStatus.NOTIFIED
    assert registration.notified_on == timezone.localdate()
    audit = f.audit_entries(registration)[-1]
    assert audit.changes["after"].get("status") == "notified" and audit.actor is None  # the system


def test_a_unit_without_an_account_is_notified_when_its_email_is_sent(cast, smtp):
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    registration, _message = _accept(cast, cast.unit_b)
    assert registration.status == RegistrationStatus.ACCEPTED  # not yet: waiting to send
    assert sender.send_due().sent == 1
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.NOTIFIED
    assert registration.notified_on == timezone.localdate()
    assert "吴国华" in smtp.raw[0].get_content()


def test_a_failed_email_leaves_the_registration_accepted(cast, smtp):
    smtp.refuse_rcpt = "550 5.1.1 no such user"
    UnitContact.objects.create(unit=cast.unit_b, email="nobody@example.org")
    registration, _message = _accept(cast, cast.unit_b)
    sender.send_due()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACCEPTED and registration.notified_on is None


def test_placing_an_accepted_member_again_writes_no_second_message(cast):
    registration, _message = _accept(cast, cast.unit_b)
    registration_accept(
        registration=registration, branch=cast.branch_a, actor=cast.user("community_secretary")
    )
    assert UnitMessage.objects.filter(kind=UnitMessageKind.REGISTRATION_ACCEPTED).count() == 1


def test_no_original_unit_no_message(cast):
    member = f.member(name="陈平", community=cast.community_a)
    registration = f.registration(member=member, status="reported")
    registration_accept(
        registration=registration, branch=cast.branch_a, actor=cast.user("community_secretary")
    )
    assert not UnitMessage.objects.exists()


def test_the_member_page_shows_how_the_unit_was_told(cast, client_for, smtp):
    smtp.refuse_rcpt = "550 5.1.1 no such user"
    UnitContact.objects.create(unit=cast.unit_b, email="nobody@example.org")
    registration, _message = _accept(cast, cast.unit_b)
    sender.send_due()
    page = client_for("community_secretary").get(
        reverse("members:member_detail", args=[registration.member_id])
    )
    text = page.content.decode()
    assert "告知原单位" in text and "失败" in text and "550" in text
    assert "members/registrations/" not in text or "notify" not in text


# --- A frozen robot (SIGSTOP) delays the delivery, never the web request ------------------

ROBOT = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def _start_frozen(command, port):
    """Start a server process, wait until it listens, then SIGSTOP it: the kernel still
    completes connections, nothing answers."""
    process = subprocess.Popen(command)
    for _try in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    os.kill(process.pid, signal.SIGSTOP)
    return process


def _thaw(process):
    os.kill(process.pid, signal.SIGCONT)
    process.terminate()
    process.wait(5)


@pytest.fixture
def frozen_smtp(settings):
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    process = _start_frozen(command, port)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 1},
        }
    }
    yield port
    _thaw(process)


@pytest.fixture
def frozen_robot(settings):
    port = free_port()
    process = _start_frozen([sys.executable, "-c", ROBOT, str(port)], port)
    url = f"http://127.0.0.1:{port}/"
    settings.REMINDER_WEBHOOK_ALLOWED_PREFIXES = [url]
    settings.REMINDER_WEBHOOK_TIMEOUT = 3
    yield url
    _thaw(process)


def test_a_frozen_robot_times_out_and_the_delivery_waits_with_backoff(
    cast, client_for, frozen_robot
):
    UnitContact.objects.create(unit=cast.unit_b, webhook_url=f"{frozen_robot}wecom")
    member = f.member(name="吴国华", community=cast.community_a, original_unit=cast.unit_b)
    registration = f.registration(member=member, status="reported")
    response = client_for("community_secretary").post(
        reverse("members:registration_accept", args=[registration.pk]),
        {"branch": cast.branch_a.pk, "accepted_on": "2026-03-02"},
    )
    assert response.status_code == 302
    # The request only wrote the delivery: the frozen robot was never asked (asking costs
    # its timeout and counts an attempt, as the sender's run below shows).
    delivery = UnitDelivery.objects.get(message__subject=f"registration:{registration.pk}")
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
    started = time.monotonic()
    result = sender.send_due()
    send_took = time.monotonic() - started
    # It waited for the timeout (3 s), and no hang: one try, 5 s to spare.
    assert result.retrying == 1 and 2.9 < send_took < 8, send_took
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + datetime.timedelta(seconds=50)
    assert delivery.last_error
    assert CommunityRegistration.objects.get(pk=registration.pk).status == "accepted"


# --- The unit's contact channels ------------------------------------------------------------


def test_save_contact_writes_only_what_it_carries_and_refuses_a_stale_version(cast):
    actor = cast.user("district_staff")
    services.save_contact(
        unit=cast.unit_a,
        data={"email": "jy@example.org", "webhook_secret": "s3cret", "contact_name": "王老师"},
        version=0,
        actor=actor,
    )
    contact = UnitContact.objects.get(unit=cast.unit_a)
    assert (contact.email, contact.webhook_secret, contact.version) == (
        "jy@example.org",
        "s3cret",
        1,
    )
    services.save_contact(
        unit=cast.unit_a, data={"email": "new@example.org"}, version=1, actor=actor
    )
    contact.refresh_from_db()
    assert contact.webhook_secret == "s3cret" and contact.email == "new@example.org"
    cast.unit_a.refresh_from_db()
    assert cast.unit_a.contact_name == "王老师"
    with pytest.raises(services.ContactConflict):
        services.save_contact(
            unit=cast.unit_a, data={"email": "x@example.org"}, version=1, actor=actor
        )
    contact.refresh_from_db()
    assert contact.email == "new@example.org"
    entries = f.audit_entries(contact)
    assert "s3cret" not in str([e.changes for e in entries])
    assert entries[0].changes["after"]["webhook_secret"].startswith("sha256:")


def test_the_contact_page_masks_the_secrets(cast, client_for):
    UnitContact.objects.create(
        unit=cast.unit_a,
        email="jy@example.org",
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY",
        webhook_secret="SIGNSECRET",
    )
    for key in ("district_staff", "unit_liaison"):
        for name in ("unit_messages:contact", "unit_messages:contact_edit"):
            text = client_for(key).get(reverse(name, args=[cast.unit_a.pk])).content.decode()
            assert "SECRETKEY" not in text and "SIGNSECRET" not in text
            assert "jy@example.org" in text


def test_two_people_saving_the_contact_at_once_get_a_conflict(cast, client_for):
    url = reverse("unit_messages:contact_edit", args=[cast.unit_a.pk])
    data = {"version": "0", "email": "a@example.org", "webhook_flavour": "wecom"}
    assert client_for("district_staff").post(url, data).status_code == 302
    response = client_for("unit_liaison").post(url, {**data, "email": "b@example.org"})
    assert response.status_code == 200 and "别人" in response.content.decode()
    assert UnitContact.objects.get(unit=cast.unit_a).email == "a@example.org"


# --- Pages ------------------------------------------------------------------------------------


def test_the_inbox_marks_unread_in_words_and_opening_marks_read(cast, client_for):
    message = _write(cast.unit_a)
    client = client_for("unit_liaison")
    text = client.get(reverse("unit_messages:inbox")).content.decode()
    assert "未读" in text and "办结通知" in text
    client.get(reverse("unit_messages:detail", args=[message.pk]))
    message.refresh_from_db()
    assert message.read_at is not None
    assert "未读" not in client.get(reverse("unit_messages:inbox")).content.decode()
    # Staff opening it do not mark it read for the unit.
    other = _write(cast.unit_a, subject="registration:5", community=cast.community_a)
    client_for("community_secretary").get(reverse("unit_messages:detail", args=[other.pk]))
    other.refresh_from_db()
    assert other.read_at is None


def test_pages_keep_their_query_counts_as_messages_grow(cast, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    UnitContact.objects.create(unit=cast.unit_a, email="jy@example.org")
    counts = {}
    for n in (2, 12):
        for i in range(n):
            _write(cast.unit_a, subject=f"x:{n}:{i}", community=cast.community_a)
        for name, who in (
            ("sent", "district_staff"),
            ("failed", "district_staff"),
            ("inbox", "unit_liaison"),
        ):
            client = client_for(who)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse(f"unit_messages:{name}")).status_code == 200
            counts.setdefault(name, []).append(len(ctx.captured_queries))
    for name, (few, many) in counts.items():
        assert few == many, (name, few, many)
    assert {name: few[0] for name, few in counts.items()} == {"sent": 6, "failed": 4, "inbox": 5}


def test_the_workbench_counts_equal_the_pages(cast, client_for, smtp):
    smtp.refuse_rcpt = "550 5.1.1 no such user"
    UnitContact.objects.create(unit=cast.unit_a, email="nobody@example.org")
    _write(cast.unit_a, community=cast.community_a)
    _write(cast.unit_a, subject="registration:7", community=cast.community_a)
    sender.send_due()
    from units.messages.selectors import failed_deliveries, inbox

    liaison = cast.user("unit_liaison")
    district = cast.user("district_staff")
    home = client_for("unit_liaison").get(reverse("home")).content.decode()
    assert inbox(liaison).filter(read_at__isnull=True).count() == 2
    assert reverse("unit_messages:inbox") in home
    page = client_for("district_staff").get(reverse("unit_messages:failed"))
    assert page.context["page"].paginator.count == failed_deliveries(district).count() == 2
    wb = client_for("district_staff").get(reverse("home")).content.decode()
    assert reverse("unit_messages:failed") in wb
    assert not failed_deliveries(cast.user("district_b_staff")).exists()


def test_a_liaison_of_another_role_sees_no_inbox(cast, client_for):
    assert client_for("community_secretary").get(reverse("unit_messages:inbox")).status_code == 404
    assert client_for("unit_liaison").get(reverse("unit_messages:sent")).status_code == 404


def test_bad_query_strings_give_a_clean_page(cast, client_for):
    client = client_for("district_staff")
    for query in ("?page=%00", "?page=\u00b2", "?state=nope", "?page=99999999999999999999"):
        assert client.get(reverse("unit_messages:sent") + query).status_code in (200, 400)


def test_demo_seeds_messages(cast):
    from units.messages.demo import seed_unit_messages

    member = f.member(name="吴国华", community=cast.community_a, original_unit=cast.unit_a)
    f.registration(member=member, branch=cast.branch_a)
    assert seed_unit_messages(unit=cast.unit_a, community=cast.community_a, today=None) == 2
    assert UnitDelivery.objects.filter(state=DeliveryState.FAILED).count() == 1


def test_the_member_page_offers_a_resend_to_who_fixes_the_units_channels(cast, client_for, smtp):
    smtp.refuse_rcpt = "550 5.1.1 no such user"
    UnitContact.objects.create(unit=cast.unit_a, email="nobody@example.org")
    registration, _message = _accept(cast, cast.unit_a)
    sender.send_due()
    delivery = UnitDelivery.objects.get(state=DeliveryState.FAILED)
    resend_url = reverse("unit_messages:resend", args=[delivery.pk])
    member_url = reverse("members:member_detail", args=[registration.member_id])
    assert resend_url in client_for("district_staff").get(member_url).content.decode()
    assert resend_url not in client_for("community_secretary").get(member_url).content.decode()
    assert client_for("district_staff").post(resend_url).status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING


def test_erasing_a_member_deletes_the_messages_that_name_them(cast):
    from members.erasure import member_erase

    registration, message = _accept(cast, cast.unit_a)
    other = _write(cast.unit_a, subject="registration:0")
    counts = member_erase(member=registration.member, actor=cast.user("community_secretary"))
    assert counts["unit_messages"] == 1
    assert not UnitMessage.objects.filter(pk=message.pk).exists()
    assert not UnitDelivery.objects.filter(message_id=message.pk).exists()
    assert UnitMessage.objects.filter(pk=other.pk).exists()


def test_the_task_and_the_command_run_the_sender_and_beat_runs_the_task(cast, smtp, settings):
    from django.core.management import call_command

    from units.tasks import send_unit_messages

    assert settings.CELERY_BEAT_SCHEDULE["unit-messages-send"]["task"] == send_unit_messages.name
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    _write(cast.unit_b)
    assert send_unit_messages() == "claimed 1, sent 1, retrying 0, failed 0"
    _write(cast.unit_b, subject="registration:3")
    out = io.StringIO()
    call_command("send_unit_messages", stdout=out)
    assert "sent 1" in out.getvalue() and len(smtp.mailbox) == 2


def test_a_registration_withdrawn_before_the_delivery_stays_withdrawn(cast, smtp):
    from members.services.registration import registration_withdraw

    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    registration, _message = _accept(cast, cast.unit_b)
    registration_withdraw(registration=registration, reason="登记有误", actor=None)
    assert sender.send_due().sent == 1
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.WITHDRAWN


def test_a_frozen_mail_server_times_out_and_the_delivery_waits_with_backoff(cast, frozen_smtp):
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    delivery = _write(cast.unit_b).deliveries.get()
    started = time.monotonic()
    assert sender.send_due().retrying == 1
    assert time.monotonic() - started < 5
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + datetime.timedelta(seconds=50)
    assert delivery.last_error
