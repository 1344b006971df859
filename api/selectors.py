"""Reads of the API's administration pages: the clients with their figures, the
request log. Each list is one query whatever its length."""

import datetime

from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import ApiClient, ApiRequest, ApiToken

STATUS_CLASSES = {"2xx": (200, 300), "3xx": (300, 400), "4xx": (400, 500), "5xx": (500, 600)}


def _count(queryset) -> Subquery:
    return Coalesce(
        Subquery(
            queryset.order_by().values("client").annotate(n=Count("*")).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def clients(*, now=None):
    """Every client with its account, active tokens, last use and requests of the last
    24 hours (subqueries, so the counts do not multiply each other)."""
    now = now or timezone.now()
    tokens = ApiToken.objects.filter(client=OuterRef("pk"))
    return (
        ApiClient.objects.select_related("user")
        .prefetch_related(
            "user__staff_roles__organization",
            "user__staff_roles__branch",
            "user__staff_roles__original_unit",
        )
        .annotate(
            active_tokens=_count(tokens.usable(now)),
            last_used_at=Subquery(
                tokens.order_by().values("client").annotate(m=Max("last_used_at")).values("m")
            ),
            requests_24h=_count(
                ApiRequest.objects.filter(
                    client=OuterRef("pk"), at__gte=now - datetime.timedelta(days=1)
                )
            ),
        )
        .order_by("name", "pk")
    )


def requests(*, client=None, status_class="", since=None, until=None):
    """The request log, newest first, filtered; `since`/`until` are dates (inclusive,
    local time)."""
    rows = ApiRequest.objects.select_related("client", "token").order_by("-at", "-pk")
    if client is not None:
        rows = rows.filter(client=client)
    if status_class in STATUS_CLASSES:
        low, high = STATUS_CLASSES[status_class]
        rows = rows.filter(status__gte=low, status__lt=high)
    tz = timezone.get_current_timezone()
    if since is not None:
        start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
        rows = rows.filter(at__gte=start)
    if until is not None:
        end = datetime.datetime.combine(
            until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        rows = rows.filter(at__lt=end)
    return rows


def status_counts(rows) -> dict:
    return rows.order_by().aggregate(
        **{
            key: Count("pk", filter=Q(status__gte=low, status__lt=high))
            for key, (low, high) in STATUS_CLASSES.items()
        }
    )
