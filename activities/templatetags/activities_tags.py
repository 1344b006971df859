"""Display helpers for organisational-life templates."""

from django import template

from ..selectors import format_rate, tally_from

register = template.Library()


@register.filter
def meeting_rate(meeting) -> str:
    """Attendance rate of a meeting annotated by selectors.tally_annotations."""
    return format_rate(tally_from(meeting).rate)


@register.filter
def attended(meeting) -> int:
    return tally_from(meeting).attended
