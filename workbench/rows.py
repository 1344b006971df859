"""What the panels share: the first rows of a list with its total."""

from django.db.models import Count, Window


def first_with_total(queryset, shown: int):
    """The first `shown` rows and how many there are in all: one query (a window count)."""
    rows = list(queryset.annotate(total=Window(Count("pk")))[:shown])
    return rows, rows[0].total if rows else 0
