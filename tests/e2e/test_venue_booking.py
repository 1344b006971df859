"""A branch secretary books a room for a meeting from the meeting's page (375 px, 大字版),
and a second booking of that room at an overlapping time is refused, in Chinese. The
venue's week at 1280 px shows the booking. Every page: axe-core, no console errors, no
sideways scrolling on the phone."""

import datetime
import uuid

import pytest
from django.utils import timezone

from activities.meetings.models import MeetingKind
from activities.meetings.services import planning
from branches.models import Venue, VenueKind, VenueOwner
from resources.places.models import BookingState, VenueBooking

from ..conftest import build_cast
from .conftest import expect
from .test_secretary_journey import Journey, has_horizontal_scroll, log_in, small_targets

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def cast(transactional_db):
    cast = build_cast()
    cast.centre = Venue.objects.create(
        organization=cast.street_a,
        name="和平街道党群服务中心",
        kind=VenueKind.SERVICE_CENTER,
        owner_kind=VenueOwner.STREET,
        address="和平路100号",
        capacity=80,
        accessible=True,
        has_lift=True,
        accessible_toilet=True,
        equipment="投影仪、音响",
        opening_hours="周一至周五 8:30–17:30",
        contact_name="王主任",
        contact_phone="0571-87654321",
    )
    cast.meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.THEME_DAY,
            "topic": "学习新修订的条例",
            "planned_on": timezone.localdate() + datetime.timedelta(days=9),
            "start_time": datetime.time(9, 30),
            "end_time": datetime.time(11),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    return cast


def test_a_secretary_books_a_room_for_a_meeting_and_a_clash_is_refused_in_chinese(
    browser, live_server, axe_source, cast
):
    user = cast.user("branch_secretary")
    user.large_mode = True
    user.save(update_fields=["large_mode"])
    journey = Journey(browser, live_server, axe_source, **PHONE)
    page, base = journey.page, journey.base
    log_in(page, base, "branch_secretary")
    wide = []

    page.goto(f"{base}/meetings/{cast.meeting.pk}/")
    page.get_by_role("link", name="预订场地").click()
    page.wait_for_url(f"{base}/places/meetings/{cast.meeting.pk}/book/")
    # 钱秀英 is marked 行动不便: the step-free centre is first and chosen.
    assert page.get_by_text("有1位行动不便的党员参会").is_visible()
    assert page.locator("select[name=venue]").input_value() == str(cast.centre.pk)
    assert page.locator("input[name=starts]").input_value() == "09:30"
    wide += ["book"] if has_horizontal_scroll(page) else []
    assert small_targets(page, 60) == []
    journey.check("places-375-large-book-for-meeting")
    page.get_by_role("button", name="预订").click()
    page.wait_for_url(f"{base}/places/bookings/*/")
    assert page.get_by_text("场地已预订").is_visible()
    assert page.get_by_text("已确认").first.is_visible()
    journey.check("places-375-large-booking-detail")
    booking = VenueBooking.objects.get()
    assert (booking.venue, booking.state) == (cast.centre, BookingState.CONFIRMED)

    # A second booking of the same room, overlapping: refused, the first one named.
    page.goto(f"{base}/places/venues/{cast.centre.pk}/?week={cast.meeting.planned_on}")
    wide += ["week"] if has_horizontal_scroll(page) else []
    journey.check("places-375-large-week")
    page.get_by_role("link", name="预订这个场地").click()
    page.fill("input[name=day]", cast.meeting.planned_on.isoformat())
    page.fill("input[name=starts]", "10:00")
    page.fill("input[name=ends]", "12:00")
    page.fill("input[name=purpose]", "党小组学习")
    page.get_by_role("button", name="预订").click()
    page.wait_for_load_state("load")
    alert = page.locator(".alert-danger, .alert-block").filter(has_text="该时段已被预订")
    assert alert.count() >= 1
    text = alert.first.inner_text()
    assert "学习新修订的条例" in text and "09:30–11:00" in text
    wide += ["clash"] if has_horizontal_scroll(page) else []
    journey.check("places-375-large-clash")
    assert VenueBooking.objects.count() == 1

    journey.context.close()
    assert wide == []
    assert journey.violations() == {}
    assert journey.problems.errors == []


def test_the_week_and_the_overview_at_1280px(browser, live_server, axe_source, cast):
    start = timezone.make_aware(
        datetime.datetime.combine(cast.meeting.planned_on, datetime.time(9, 30))
    )
    VenueBooking.objects.create(
        venue=cast.centre,
        branch=cast.branch_a,
        meeting=cast.meeting,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1, minutes=30),
        state=BookingState.CONFIRMED,
    )
    VenueBooking.objects.create(
        venue=cast.venue_a,
        branch=cast.functional_a,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        purpose="书画交流",
        state=BookingState.REQUESTED,
    )
    journey = Journey(browser, live_server, axe_source, **DESKTOP)
    page, base = journey.page, journey.base
    log_in(page, base, "street_staff")
    page.goto(f"{base}/places/venues/{cast.centre.pk}/?week={cast.meeting.planned_on}")
    assert page.get_by_text("学习新修订的条例").is_visible()
    journey.check("places-1280-week")
    page.goto(f"{base}/places/bookings/")
    assert page.get_by_text("书画交流").first.is_visible()
    journey.check("places-1280-bookings")
    page.get_by_role("link", name="书画交流").first.click()
    page.get_by_label("同意预订", exact=True).check()
    page.get_by_role("button", name="保存处理意见").click()
    expect(page.get_by_text("已同意预订")).to_be_visible()  # is_visible() would not wait
    journey.check("places-1280-decided")
    page.goto(f"{base}/places/")
    journey.check("places-1280-overview")
    journey.context.close()
    assert journey.violations() == {}
    assert journey.problems.errors == []
