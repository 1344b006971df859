"""Requests waiting for the user's decision, from the rooms that have them: venue
bookings by a branch of another area (places) and spending above the district's
threshold (funds). One query per kind, whatever waits (the total comes with the first
rows, as a window count)."""

from branches.access import APPROVE_BOOKINGS, APPROVE_SPENDING
from resources.funds.selectors import funds_waiting
from resources.places.selectors import bookings_waiting

from .rows import first_with_total

SHOWN = 5


def panel(request, scope, today):
    books, spends = scope.has(APPROVE_BOOKINGS), scope.has(APPROVE_SPENDING)
    if not (books or spends):
        return None
    context = {"booking_count": 0, "spending_count": 0}
    # Only what the panel shows of each (the pages of both lists load more).
    if books:
        bookings = (
            bookings_waiting(request.user)
            .select_related(None)
            .select_related("venue", "branch")
            .only("pk", "starts_at", "venue__name", "branch__name")
        )
        context["bookings"], context["booking_count"] = first_with_total(bookings, SHOWN)
    if spends:
        spendings = funds_waiting(request.user).only(
            "pk", "amount", "spent_on", "branch__name", "category__name"
        )
        context["spendings"], context["spending_count"] = first_with_total(spendings, SHOWN)
    return context
