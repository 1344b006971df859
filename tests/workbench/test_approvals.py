"""The approvals panel: venue bookings waiting for the owner and spending waiting for
approval, the same count as the pages they link to, in a fixed number of queries."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from resources.funds.selectors import funds_waiting
from resources.places import services
from resources.places.models import BookingState
from tests.places.helpers import at
from tests.resources.funds.conftest import grant, spend


def _request(cast, day, hour):
    booking = services.booking_create(
        venue=cast.venue_a,
        branch=cast.functional_a,
        starts_at=at(day, hour),
        ends_at=at(day, hour + 1),
        actor=cast.user("street_staff"),
        purpose="志愿服务队学习",
    )
    assert booking.state == BookingState.REQUESTED
    return booking


def _home(client):
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    return page, len(queries)


def test_the_owner_sees_the_requests_waiting_and_the_link_to_decide(cast, client_for):
    first = _request(cast, 3, 9)
    client = client_for("community_secretary")
    page, _ = _home(client)
    assert "等待您审批" in page
    assert "1 个场地预订待确认或拒绝" in page
    assert f"/places/bookings/{first.pk}/" in page
    bookings_page = client.get("/places/bookings/").content.decode()
    assert f"/places/bookings/{first.pk}/" in bookings_page
    # Somebody without the approval (the branch secretary) sees no such panel.
    assert "等待您审批" not in client_for("branch_secretary").get("/").content.decode()
    # Another district's secretary does not see the request.
    assert "等待您审批" not in client_for("community_b_secretary").get("/").content.decode()


def test_the_panel_runs_the_same_queries_for_one_request_or_seven(cast, client_for):
    _request(cast, 3, 9)
    client = client_for("community_secretary")
    _, one = _home(client)
    for day in range(4, 10):
        _request(cast, day, 9)
    page, seven = _home(client)
    assert "7 个场地预订待确认或拒绝" in page
    assert seven == one


def test_a_spending_above_the_threshold_waits_on_the_approvers_workbench(cast, client_for):
    grant(cast, Decimal("2000.00"))
    spending = spend(cast, Decimal("800.00"))
    client = client_for("community_secretary")
    page = client.get("/").content.decode()
    assert "1 笔经费支出待审批" in page
    assert f"/funds/spending/{spending.pk}/" in page
    assert list(funds_waiting(cast.user("community_secretary"))) == [spending]
    # The one who recorded it never approves it: no such line on their own workbench.
    assert "笔经费支出待审批" not in client_for("branch_secretary").get("/").content.decode()
