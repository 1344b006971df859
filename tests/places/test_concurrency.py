"""Two bookings of one room sent at the same moment (PostgreSQL): exactly one wins, the
other gets the Chinese message naming the winner. The exclusion constraint decides when
neither could see the other yet."""

import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import translation

from resources.places import services
from resources.places.models import VenueBooking

from ..conftest import build_cast
from .helpers import at

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast(transactional_db):
    return build_cast()


def _book(cast, *, branch, user, purpose):
    return services.booking_create(
        venue=cast.venue_a,
        branch=branch,
        starts_at=at(7, 9),
        ends_at=at(7, 11),
        purpose=purpose,
        actor=cast.user(user),
        client_key=uuid.uuid4(),
    )


def _run(target, *args):
    outcome = {}

    def body():
        try:
            with translation.override("zh-hans"):
                outcome["value"] = target(*args)
        except Exception as error:  # the test looks at what was raised
            outcome["value"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, outcome


def test_two_bookings_sent_at_once_exactly_one_wins(cast):
    barrier = threading.Barrier(2)

    def attempt(branch, user, purpose):
        barrier.wait()
        return _book(cast, branch=branch, user=user, purpose=purpose)

    a = _run(attempt, cast.branch_a, "branch_secretary", "主题党日")
    b = _run(attempt, cast.functional_a, "street_staff", "书画交流")
    for thread, _ in (a, b):
        thread.join(30)
    outcomes = [a[1]["value"], b[1]["value"]]
    won = [o for o in outcomes if isinstance(o, VenueBooking)]
    lost = [o for o in outcomes if isinstance(o, services.BookingError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert list(VenueBooking.objects.values_list("pk", flat=True)) == [won[0].pk]
    message = lost[0].messages[0]
    assert "该时段已被预订" in message and won[0].branch.name in message


def test_the_database_refuses_the_second_when_the_first_has_not_committed(cast):
    """The first transaction has inserted but not committed: the second's query cannot
    see it, so only the exclusion constraint stops it (its insert waits, then fails)."""
    inserted = threading.Event()

    def first():
        with transaction.atomic():
            booking = _book(cast, branch=cast.branch_a, user="branch_secretary", purpose="党课")
            inserted.set()
            time.sleep(1.0)
        return booking

    def second():
        inserted.wait(10)
        started = time.monotonic()
        try:
            _book(cast, branch=cast.functional_a, user="street_staff", purpose="书画交流")
        except services.BookingError as error:
            return error, time.monotonic() - started
        return None, time.monotonic() - started

    a = _run(first)
    b = _run(second)
    for thread, _ in (a, b):
        thread.join(30)
    winner = a[1]["value"]
    error, waited = b[1]["value"]
    assert isinstance(winner, VenueBooking)
    assert error is not None and error.code == "overlap"
    assert waited >= 0.5  # it waited on the first transaction's lock, then failed
    assert "党课" in error.messages[0] and "该时段已被预订" in error.messages[0]
    assert VenueBooking.objects.count() == 1
