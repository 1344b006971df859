"""Requests waiting for the user's decision, from the rooms that have them: venue
bookings by a branch of another area (places). One query per kind, whatever waits (the
total comes with the first rows, as a window count)."""

from django.db.models import Count, Window

from branches.access import APPROVE_BOOKINGS
from resources.places.selectors import bookings_waiting

SHOWN = 5


def panel(request, scope, today):
    if not scope.has(APPROVE_BOOKINGS):
        return None
    bookings = list(bookings_waiting(request.user).annotate(total=Window(Count("pk")))[:SHOWN])
    return {"bookings": bookings, "booking_count": bookings[0].total if bookings else 0}
