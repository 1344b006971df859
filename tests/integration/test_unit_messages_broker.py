"""A message to a unit written while the broker does not answer (frozen by SIGSTOP, or
gone): the community's page saves at once and says nothing went wrong; the beat's next
run of the sender (here called directly) still sends the e-mail, and its delivery marks
the registration notified."""

import pytest
from django.urls import reverse

from members.models import CommunityRegistration, RegistrationStatus
from tests import factories as f
from units.messages import sender
from units.messages.models import UnitContact

from .test_frozen_redis import BOUND, broker_on, dead_redis, timed  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.services("postgres"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("broker_on"),
]


def test_accepting_with_the_broker_not_answering_is_saved_and_sent_later(
    cast, client_for, smtp, caplog
):
    UnitContact.objects.create(unit=cast.unit_b, email="dw@example.org")
    member = f.member(name="吴国华", community=cast.community_a, original_unit=cast.unit_b)
    registration = f.registration(member=member, status="reported")
    client = client_for("community_secretary")
    response, elapsed = timed(
        lambda: client.post(
            reverse("members:registration_accept", args=[registration.pk]),
            {"branch": cast.branch_a.pk, "accepted_on": "2026-03-02"},
        )
    )
    print(f"\nACCEPT WITH BROKER DOWN: {elapsed:.2f} s")
    assert response is not None, f"no answer in {elapsed:.0f} s"
    assert elapsed < BOUND and response.status_code == 302
    assert "could not queue units.send_unit_messages" in caplog.text
    assert smtp.raw == []
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACCEPTED

    assert sender.send_due().sent == 1  # the beat's next run
    assert "吴国华" in smtp.raw[0].get_content()
    registration = CommunityRegistration.objects.get(pk=registration.pk)
    assert registration.status == RegistrationStatus.NOTIFIED
