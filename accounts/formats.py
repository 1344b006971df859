"""Short dates for people: 4月25日 in the current year, 2023年4月25日 in any other, so that
a date of another year is never read as this year's (the current year in Asia/Shanghai)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _


def month_day(value: datetime.date | datetime.datetime | None, today=None) -> str:
    """The day as month and day, with the year when it is not today's year. An aware
    datetime is taken in the local time zone first. today: the day the text is for
    (a sweep's day); default the local date now."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    today = today or timezone.localdate()
    parts = {"year": value.year, "month": value.month, "day": value.day}
    if value.year == today.year:
        return _("%(month)d/%(day)d") % parts
    return _("%(year)d/%(month)d/%(day)d") % parts
