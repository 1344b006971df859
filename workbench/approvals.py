"""Requests waiting for the user's decision, from the rooms that have them: venue
bookings by a branch of another area (places) and spending above the district's
threshold (funds). One query per kind, whatever waits (the total comes with the first
rows, as a window count)."""

from django.db.models import Count, Window

from branches.access import APPROVE_BOOKINGS, APPROVE_SPENDING
from resources.funds.selectors import funds_waiting
from resources.places.selectors import bookings_waiting

SHOWN = 5


def _first(queryset):
    rows = list(queryset.annotate(total=Window(Count("pk")))[:SHOWN])
    return rows, rows[0].total if rows else 0


def panel(request, scope, today):
    books, spends = scope.has(APPROVE_BOOKINGS), scope.has(APPROVE_SPENDING)
    if not (books or spends):
        return None
    context = {"booking_count": 0, "spending_count": 0}
    if books:
        context["bookings"], context["booking_count"] = _first(bookings_waiting(request.user))
    if spends:
        context["spendings"], context["spending_count"] = _first(funds_waiting(request.user))
    return context
