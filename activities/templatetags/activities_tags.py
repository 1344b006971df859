"""Display helpers for organisational-life templates."""

from django import template

from activities.meetings.selectors import tally_from

register = template.Library()


@register.filter
def meeting_rate(meeting) -> str:
    """Attendance rate of a meeting annotated by selectors.tally_annotations; it says
    "incl. make-up" when make-ups count in it."""
    return tally_from(meeting).rate_with_make_up_label


@register.filter
def attended(meeting) -> int:
    return tally_from(meeting).attended
