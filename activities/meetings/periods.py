"""Calendar periods for cadence rules: months, quarters and years (no queries)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


MONTHS_IN = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Span:
    """One concrete period: the month, quarter or year that starts on `start`."""

    start: datetime.date
    period: str

    @property
    def months(self) -> int:
        return MONTHS_IN[self.period]

    @property
    def end(self) -> datetime.date:
        return _add_months(self.start, self.months) - datetime.timedelta(days=1)

    @property
    def month_starts(self) -> list[datetime.date]:
        return [_add_months(self.start, i) for i in range(self.months)]

    @property
    def quarter(self) -> int:
        return (self.start.month - 1) // 3 + 1

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, start: datetime.date, end: datetime.date) -> bool:
        return self.start <= end and start <= self.end

    @property
    def label(self) -> str:
        # Period labels are Chinese on paper and screen alike (the ledger's own wording).
        if self.period == Period.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.period == Period.QUARTER:
            return f"{self.start.year}年第{QUARTER_NAMES[self.quarter]}季度"
        return f"{self.start.year}年"

    @property
    def short_label(self) -> str:
        if self.period == Period.MONTH:
            return f"{self.start.month}月"
        if self.period == Period.QUARTER:
            return f"{QUARTER_NAMES[self.quarter]}季度"
        return "全年"


def span_of(period: str, day: datetime.date) -> Span:
    """The span of kind `period` that contains `day`."""
    if period == Period.MONTH:
        return Span(datetime.date(day.year, day.month, 1), period)
    if period == Period.QUARTER:
        return Span(datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1), period)
    return Span(datetime.date(day.year, 1, 1), period)


def spans_between(period: str, start: datetime.date, end: datetime.date) -> list[Span]:
    """Every span of kind `period` that overlaps [start, end], in order."""
    spans = []
    span = span_of(period, start)
    while span.start <= end:
        spans.append(span)
        span = Span(_add_months(span.start, span.months), period)
    return spans


def year_span(year: int) -> Span:
    return Span(datetime.date(year, 1, 1), Period.YEAR)


def quarter_span(year: int, quarter: int) -> Span:
    return Span(datetime.date(year, (quarter - 1) * 3 + 1, 1), Period.QUARTER)
