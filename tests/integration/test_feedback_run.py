"""The district's feedback run on real services: the page queues the task when its
transaction commits, a real Celery worker (Redis broker) generates the drafts, sent
letters are left alone, and the progress page shows the finished run."""

import pytest
from django.urls import reverse
from django.utils import timezone

import units.feedback.tasks  # noqa: F401  (registers the run's task on the test app)
from units.feedback.models import FeedbackLetter, FeedbackRun, LetterState, RunState

from .. import factories as f
from .conftest import wait_for

pytestmark = [
    pytest.mark.services("postgres"),
    pytest.mark.django_db(transaction=True),
]


def test_a_run_generates_the_districts_drafts_on_a_real_worker(cast, celery_app, worker, client):
    other = f.member(name="冯建国", community=cast.community_a2, original_unit=cast.unit_b)
    f.registration(member=other, branch=cast.branch_a2)
    sent = FeedbackLetter.objects.create(
        unit=cast.unit_a,
        community=cast.community_a,
        year=2026,
        half=1,
        state=LetterState.SENT,
        sent_at=timezone.now(),
    )
    client.force_login(cast.user("district_staff"))
    response = client.post(
        reverse("feedback:run_start", args=[cast.district_a.pk]), {"year": "2026", "half": "1"}
    )
    run = FeedbackRun.objects.get(district=cast.district_a)
    assert response.url == reverse("feedback:run", args=[run.pk])
    wait_for(
        lambda: FeedbackRun.objects.get(pk=run.pk).state in (RunState.DONE, RunState.FAILED),
        timeout=30,
        what="the run to finish",
    )
    run.refresh_from_db()
    assert (run.state, run.done, run.total, run.error) == (RunState.DONE, 2, 2, "")
    draft = FeedbackLetter.objects.get(unit=cast.unit_b, community=cast.community_a2)
    assert draft.state == LetterState.DRAFT
    assert list(draft.lines.values_list("member_id", flat=True)) == [other.pk]
    sent.refresh_from_db()
    assert sent.state == LetterState.SENT and not sent.lines.exists()  # never regenerated
    page = client.get(reverse("feedback:run", args=[run.pk])).content.decode()
    assert "2 / 2" in page and 'http-equiv="refresh"' not in page
    # Nothing from district B.
    assert not FeedbackLetter.objects.filter(community=cast.community_b).exists()
