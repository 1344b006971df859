"""The period a dashboard shows (month, quarter, year) and the months around it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from accounts.query import query_int
from activities.meetings.periods import (
    Period,
    Span,
    quarter_span,
    span_of,
    spans_between,
    year_span,
)

TREND_MONTHS = 6  # the attendance trend shows at least this many months
INACTIVE_MONTHS = 3  # "no participation for three months"


@dataclass(frozen=True)
class PeriodChoice:
    span: Span
    year: int
    month: int
    quarter: int

    @property
    def period(self) -> str:
        return self.span.period

    def query(self, span: Span | None = None) -> str:
        """The query string that chooses `span` (this period by default)."""
        span = span or self.span
        params = f"period={span.period}&year={span.start.year}"
        if span.period == Period.MONTH:
            params += f"&month={span.start.month}"
        elif span.period == Period.QUARTER:
            params += f"&quarter={span.quarter}"
        return params

    @property
    def previous(self) -> Span:
        return span_of(self.span.period, self.span.start - datetime.timedelta(days=1))

    @property
    def next(self) -> Span:
        return span_of(self.span.period, self.span.end + datetime.timedelta(days=1))


def choose_period(params, *, today: datetime.date) -> PeriodChoice:
    """?period=month|quarter|year&year=2026&month=5&quarter=2; the current quarter by
    default. Anything invalid falls back to the default rather than failing."""
    period = params.get("period")
    if period not in Period.values:
        period = Period.QUARTER
    year = query_int(params.get("year"), 2000, 2100) or today.year
    month = query_int(params.get("month"), 1, 12) or today.month
    quarter = query_int(params.get("quarter"), 1, 4) or (today.month - 1) // 3 + 1
    if period == Period.MONTH:
        span = Span(datetime.date(year, month, 1), Period.MONTH)
    elif period == Period.QUARTER:
        span = quarter_span(year, quarter)
    else:
        span = year_span(year)
    return PeriodChoice(span, year, span.start.month if period == Period.MONTH else month, quarter)


def trend_months(span: Span) -> list[Span]:
    """The months the attendance trend covers: the period's own, and at least the
    TREND_MONTHS months that end with it."""
    count = max(span.months, TREND_MONTHS)
    first = span.start
    for _step in range(count - span.months):
        first = span_of(Period.MONTH, first - datetime.timedelta(days=1)).start
    return spans_between(Period.MONTH, first, span.end)


def months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def annual_return_year(today: datetime.date) -> int:
    """The year whose annual return (年报) is being prepared: December prepares this
    year's, the rest of the year last year's."""
    return today.year if today.month == 12 else today.year - 1
