"""The same idempotent write sent twice at once (a retry racing the first request), on
PostgreSQL with real concurrent transactions: one meeting (or visit), one answer 201
and the other 200 with the same id."""

import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from activities.care.models import CareVisit
from activities.meetings.models import Attendance, Meeting

from .conftest import bearer, make_api_client

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db(transaction=True)]


def at_once(work, n=2):
    """Run `work(i)` in n threads released together; each thread its own connection."""
    barrier = threading.Barrier(n, timeout=30)
    results, errors = [], []

    def run(i):
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as error:  # the caller asserts on them
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results, errors


def twins(cast, key="community_secretary"):
    """Two API clients on the same token (two devices of one integrator)."""
    _, raw = make_api_client(
        name="并发测试", roles_of=cast.user(key), creator=cast.user("system_admin")
    )
    return [bearer(raw), bearer(raw)]


def _post(apis, url, body):
    def work(i):
        response = apis[i].post(url, body, format="json")
        return response.status_code, response.json()["id"]

    return at_once(work)


def test_two_plans_with_the_same_key_at_once_make_one_meeting(cast):
    body = {
        "client_key": str(uuid.uuid4()),
        "branch": cast.branch_a.pk,
        "kind": "lecture",
        "topic": "并发党课",
        "planned_on": "2026-12-20",
    }
    results, errors = _post(twins(cast), reverse("api_v1:meeting-list"), body)
    assert errors == []
    assert sorted(status for status, _ in results) == [200, 201]
    assert len({pk for _, pk in results}) == 1
    assert Meeting.objects.filter(topic="并发党课").count() == 1


def test_two_held_meetings_with_the_same_key_at_once_make_one(cast):
    body = {
        "client_key": str(uuid.uuid4()),
        "branch": cast.branch_a.pk,
        "kind": "theme_day",
        "topic": "并发主题党日",
        "held_on": "2025-06-10",
    }
    results, errors = _post(twins(cast), reverse("api_v1:meeting-held"), body)
    assert errors == []
    assert sorted(status for status, _ in results) == [200, 201]
    meeting = Meeting.objects.get(topic="并发主题党日")
    members = list(Attendance.objects.filter(meeting=meeting).values_list("member", flat=True))
    assert len(members) == len(set(members)) >= 1


def test_two_visits_with_the_same_key_at_once_make_one(cast):
    body = {
        "client_key": str(uuid.uuid4()),
        "member": cast.member_a.pk,
        "kind": "routine",
        "visited_on": "2026-01-12",
        "visitors": "并发走访人",
    }
    results, errors = _post(twins(cast), reverse("api_v1:care-visit-list"), body)
    assert errors == []
    assert sorted(status for status, _ in results) == [200, 201]
    assert CareVisit.objects.filter(visitors="并发走访人").count() == 1
