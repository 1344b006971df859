"""Reminders end to end on real services: PostgreSQL, Redis, a Celery worker, an SMTP
server and a robot webhook on loopback. Counts are of deliveries *recorded per key*
(Message-ID, X-Idempotency-Key) at the receivers; raw copies are reported beside them.

Faults:
- Redis stopped while a secretary plans a meeting: the page answers at once (one refused
  connect, no retry) and the meeting is saved; with Redis back, the next beat sweep
  delivers it once.
- A worker killed (SIGKILL) in the middle of an SMTP delivery, before and after the
  server has the message: a new worker finishes it; one delivery per key, none lost.
- Two sweeps at once and two senders at once: one reminder per key, one e-mail per digest.
"""

import datetime
import socket
import threading
import time

import pytest
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from activities.meetings.models import Meeting, MeetingKind, MeetingStatus
from activities.messaging import sender as reminder_sender
from activities.messaging import sweep
from activities.messaging.models import (
    DeliveryState,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderPreference,
    ReminderState,
)
from branches.access import Role
from branches.models import Branch

from .. import factories as f
from ..celery_worker import start_thread_worker
from .conftest import wait_for

pytestmark = [
    pytest.mark.services("postgres"),
    pytest.mark.django_db(transaction=True),
]


def tomorrow() -> str:
    """Tomorrow when the test runs (a constant taken at collection is a day off once
    the run passes midnight)."""
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def prefer_all(user, robot=None, flavour="generic", **fields):
    return ReminderPreference.objects.create(
        user=user,
        use_email=True,
        email=f"{user.username}@example.cn",
        use_webhook=robot is not None,
        webhook_flavour=flavour,
        webhook_url=f"{robot.url}/{flavour}" if robot else "",
        webhook_secret=robot.secret if robot else "",
        digest_time=datetime.time(0, 0),
        **fields,
    )


def digest_of(user):
    return Reminder.objects.filter(kind=ReminderKind.DIGEST, recipient=user).first()


def plan(branch, topic, on=None):
    return Meeting.objects.create(
        branch=branch,
        kind=MeetingKind.GENERAL_ASSEMBLY,
        topic=topic,
        planned_on=on or tomorrow(),
        status=MeetingStatus.PLANNED,
    )


def test_a_worker_delivers_the_digest_by_smtp_and_a_signed_robot_message(
    cast, celery_app, worker, smtp, robot
):
    user = cast.user("community_secretary")
    prefer_all(user, robot, flavour="dingtalk")
    plan(cast.branch_a, "学习党章")
    celery_app.send_task("activities.sweep_reminders")
    wait_for(lambda: len(smtp.raw) == 1 and len(robot.raw) == 1, what="mail and robot post")
    [mail] = smtp.raw
    assert str(mail["Subject"]).startswith("【党建工作提醒】")
    assert "学习党章" in mail.get_body(("plain",)).get_content()
    assert mail.get_body(("html",)) is not None
    assert robot.bad_signatures == 0
    assert robot.raw[0]["json"]["msgtype"] == "markdown"
    wait_for(lambda: digest_of(user).state == ReminderState.SENT, what="digest sent")
    # The next beat ticks find nothing new to say.
    celery_app.send_task("activities.sweep_reminders")
    celery_app.send_task("activities.send_pending_reminders")
    time.sleep(2)
    assert (len(smtp.raw), len(robot.raw)) == (1, 1)


def post_plan(client, branch, topic):
    return client.post(
        reverse("activities:meeting_plan", args=[branch.pk]),
        {"kind": "general_assembly", "topic": topic, "planned_on": tomorrow(), "mode": "on_site"},
    )


def counting_connects(patch, port: int) -> list:
    """The connection attempts this process makes to `port` from now on, refused ones
    included (a worker process's own are not seen)."""
    tries = []
    connect = socket.socket.connect

    def counted(sock, address):
        if isinstance(address, tuple) and address[1] == port:
            tries.append(address)
        return connect(sock, address)

    patch.setattr(socket.socket, "connect", counted)
    return tries


def test_with_redis_stopped_a_save_tries_it_once_and_the_reminder_goes_out_once_redis_is_back(
    cast, celery_app, redis, smtp, robot, worker_processes, client_for, caplog
):
    user = cast.user("community_secretary")
    prefer_all(user, robot)
    running = worker_processes(redis=redis, smtp=smtp, robot=robot)  # a real worker process

    # Normal time, Redis up (another district's meeting: nothing for our secretary).
    # It leaves this process a kept connection to the broker, as a web worker has.
    assert post_plan(client_for("community_b_secretary"), cast.branch_b, "对照").status_code == 302

    redis.stop()
    client = client_for("branch_secretary")
    with pytest.MonkeyPatch.context() as patch:
        tries = counting_connects(patch, redis.port)
        response = post_plan(client, cast.branch_a, "停机期间的会议")
    assert response.status_code == 302
    assert Meeting.objects.filter(topic="停机期间的会议").exists()
    assert "could not queue activities.sweep_reminders" in caplog.text
    # The save waited on one refused connect, no retry (kombu's or redis-py's).
    assert len(tries) == 1, tries
    time.sleep(1)
    assert smtp.raw == [] and robot.raw == []

    redis.start()  # the worker process reconnects by itself
    celery_app.send_task("activities.sweep_reminders")  # the next beat tick
    wait_for(
        lambda: len(smtp.mailbox) == 1 and sum(robot.by_key.values()) == 1,
        timeout=90,
        what="the digest after Redis came back",
    )
    assert "停机期间的会议" in smtp.raw[0].get_body(("plain",)).get_content()
    for _tick in range(2):
        celery_app.send_task("activities.sweep_reminders")
        celery_app.send_task("activities.send_pending_reminders")
    time.sleep(3)
    lost = 0 if "停机期间的会议" in smtp.raw[0].get_body(("plain",)).get_content() else 1
    duplicated = (len(smtp.raw) - len(smtp.mailbox)) + (len(robot.raw) - len(robot.by_key))
    print(
        f"\nREDIS-DOWN: save tried the broker {len(tries)} time(s); "
        f"mail raw={len(smtp.raw)} per-key={len(smtp.mailbox)}; webhook raw={len(robot.raw)} "
        f"per-key={len(robot.by_key)}; lost={lost} duplicated={duplicated}"
    )
    assert (lost, duplicated) == (0, 0)
    assert Reminder.objects.filter(title__contains="停机期间的会议").count() == 2  # 2 secretaries
    assert running.process.poll() is None


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_worker_killed_mid_send_neither_loses_nor_duplicates(
    cast, celery_app, redis, smtp, worker_processes, settings, stage
):
    """stage "rcpt": killed before the server has the message. stage "data": the server
    has it but the worker dies before the 250 reaches it (the copy is sent again with the
    same Message-ID, and the mailbox keeps one)."""
    user = cast.user("community_secretary")
    prefer_all(user)
    plan(cast.branch_a, "送学上门安排")
    smtp.slow_stage = stage
    doomed = worker_processes(redis=redis, smtp=smtp, env={"REMINDER_LEASE_SECONDS": "3"})
    celery_app.send_task("activities.sweep_reminders")
    assert smtp.stalled.wait(60), "the worker never reached the SMTP server"
    doomed.kill()
    smtp.release.set()
    digest = digest_of(user)
    delivery = ReminderDelivery.objects.get(reminder=digest)
    assert (digest.state, digest.attempts) == (ReminderState.SENDING, 1)
    assert delivery.state == DeliveryState.ATTEMPTING  # outcome unknown

    # A new worker; the beat's sender tick after the lease (3 s) ran out.
    with start_thread_worker(celery_app, shutdown_timeout=20):
        time.sleep(3.5)
        celery_app.send_task("activities.send_pending_reminders")
        wait_for(lambda: digest_of(user).state == ReminderState.SENT, what="digest finished")
    delivery.refresh_from_db()
    digest.refresh_from_db()
    key = f"<reminder-{digest.pk}-email@portal.localhost>"
    lost = 0 if key in smtp.mailbox else 1
    duplicated = len(smtp.mailbox) - 1 + (smtp.by_key[key] - 1 if stage == "rcpt" else 0)
    print(
        f"\nKILL-{stage.upper()}: raw copies at the server={len(smtp.raw)}, recorded per "
        f"Message-ID={len(smtp.mailbox)}, attempts={digest.attempts}; lost={lost} "
        f"duplicated={duplicated}"
    )
    assert (lost, duplicated) == (0, 0)
    assert list(smtp.mailbox) == [key]
    assert len(smtp.raw) == (1 if stage == "rcpt" else 2)
    assert (digest.attempts, delivery.attempts, delivery.state) == (2, 2, DeliveryState.DELIVERED)


def many_secretaries(cast, n):
    """n branches in community_a, each with a meeting tomorrow and a branch secretary who
    wants the digest by e-mail."""
    users = []
    for i in range(n):
        branch = Branch.objects.create(organization=cast.community_a, name=f"并发测试第{i}支部")
        user = f.user(username=f"secretary_{i}", role=Role.BRANCH_SECRETARY, node=branch)
        prefer_all(user)
        plan(branch, f"会议{i}")
        users.append(user)
    return users


def run_at_once(target, n=2):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return results


def test_two_sweeps_at_once_make_one_reminder_per_key(cast):
    users = many_secretaries(cast, 12)
    results = run_at_once(sweep.sweep, n=3)
    dupes = (
        Reminder.objects.values("kind", "subject", "recipient", "member", "period")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert list(dupes) == []
    assert Reminder.objects.filter(kind=ReminderKind.DIGEST).count() == len(users) + 0
    total = Reminder.objects.count()
    assert sum(r.created + r.digests for r in results) == total
    print(
        f"\nTWO-SWEEPS: 3 sweeps at once wrote {total} rows (new per sweep: "
        f"{[r.created + r.digests for r in results]}), duplicates per key: 0"
    )


def test_two_senders_at_once_deliver_each_digest_once(cast, smtp, settings):
    settings.REMINDER_SEND_BATCH = 2  # small batches, so the senders interleave
    users = many_secretaries(cast, 12)
    sweep.sweep()
    results = run_at_once(reminder_sender.send_due, n=3)
    assert sum(r.sent for r in results) == len(users)
    assert len(smtp.raw) == len(smtp.mailbox) == len(users)
    print(
        f"\nTWO-SENDERS: {len(users)} digests, {len(smtp.raw)} e-mails, claims per sender "
        f"{[r.claimed for r in results]}"
    )
