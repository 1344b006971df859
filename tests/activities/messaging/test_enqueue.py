"""A web request never waits on the broker: saving a meeting or a visit queues a sweep
after the commit, and when the broker is down the save still succeeds at once: the
publish tries the broker once, with no retries (a retry waits seconds between tries).
A broker that accepts and never answers is bounded by the read timeout:
tests/integration/test_broker_publish.py and test_frozen_redis.py."""

import logging

import pytest
from celery import Celery
from django.urls import reverse

from accounts import broker
from activities.care.models import CareVisit
from activities.meetings.models import Meeting

from ...integration.receivers import ClosingListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(settings):
    """A Celery app, current for this test, whose broker closes every connection at once
    (the listener, yielded, counts the tries)."""
    import celery

    previous = celery.current_app._get_current_object()
    with ClosingListener() as listener:
        app = Celery("reminders-broker-down", set_as_current=True)
        app.conf.update(broker_url=listener.url, broker_connection_timeout=2)
        settings.CELERY_TASK_ALWAYS_EAGER = False
        yield listener
        previous.set_current()


def test_planning_a_meeting_with_the_broker_down_saves_at_once_and_logs(
    client_for, cast, broker_down, caplog, django_capture_on_commit_callbacks
):
    client = client_for("branch_secretary")
    with (
        caplog.at_level(logging.WARNING, logger="portal.reminders"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(
            reverse("activities:meeting_plan", args=[cast.branch_a.pk]),
            {
                "kind": "general_assembly",
                "topic": "学习党章",
                "planned_on": "2026-03-19",
                "mode": "on_site",
            },
        )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Meeting.objects.filter(topic="学习党章").exists()
    assert len(callbacks) == 1
    assert "could not queue activities.sweep_reminders" in caplog.text
    # One try, no retry (kombu's default retries, 2 s apart, would make this 2).
    assert broker_down.accepted == 1


def test_recording_a_care_visit_queues_a_sweep_of_the_members_branch(
    cast, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(
        broker, "publish", lambda name, kwargs=None, **kw: published.append((name, kwargs))
    )
    with django_capture_on_commit_callbacks(execute=True):
        CareVisit.objects.create(
            member=cast.member_a, visited_on="2026-03-18", kind="routine", visitors="张书记"
        )
    assert published == [("activities.sweep_reminders", {"member_id": cast.member_a.pk})]


def test_nothing_is_queued_when_a_save_rolls_back(cast, broker_down, monkeypatch):
    from django.db import transaction

    published = []
    monkeypatch.setattr(broker, "publish", lambda name, **kw: published.append(name))
    with pytest.raises(RuntimeError), transaction.atomic():
        Meeting.objects.create(
            branch=cast.branch_a, kind="lecture", topic="x", planned_on="2026-03-19"
        )
        raise RuntimeError
    assert published == []


def test_without_a_broker_the_demo_queues_nothing(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks() as callbacks:
        Meeting.objects.create(
            branch=cast.branch_a, kind="lecture", topic="x", planned_on="2026-03-19"
        )
    assert callbacks == []


def test_the_beat_schedule_runs_the_sweep_and_the_sender(settings):
    import activities.tasks  # noqa: F401
    from retiree_party.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["reminders-sweep"]["task"] == "activities.sweep_reminders"
    assert schedule["reminders-send"]["task"] == "activities.send_pending_reminders"
    assert {"activities.sweep_reminders", "activities.send_pending_reminders"} <= set(app.tasks)


def test_the_command_runs_the_same_sweep_and_send_once(cast, mailoutbox):
    from io import StringIO

    from django.core.management import call_command

    from activities.messaging.models import ReminderPreference

    ReminderPreference.objects.create(
        user=cast.user("community_secretary"),
        use_email=True,
        email="z@example.cn",
        digest_time="00:00",
    )
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "new rows:" in out.getvalue() and "sent 1" in out.getvalue()
    assert len(mailoutbox) == 1
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "new rows: 0" in out.getvalue() and len(mailoutbox) == 1


def test_the_command_says_what_went_to_the_inbox(cast):
    # No outbound channel: everything due is an in-app item, and nothing is sent.
    from io import StringIO

    from django.core.management import call_command

    from activities.messaging.models import ITEM_KINDS, Reminder

    out = StringIO()
    call_command("send_reminders", stdout=out)
    items = Reminder.objects.filter(kind__in=ITEM_KINDS).count()
    assert items > 0
    assert f"inbox: {items} new reminders written to the users' inboxes" in out.getvalue()
    assert "sent 0" in out.getvalue()  # ...and it says why that is not "nothing happened"
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "inbox: 0 new reminders" in out.getvalue()
