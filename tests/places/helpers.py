"""Times for booking tests: days ahead of today, in Asia/Shanghai."""

import datetime

from django.utils import timezone


def day_ahead(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day_ahead(days), datetime.time(hour, minute))
    )
