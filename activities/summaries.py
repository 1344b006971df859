"""Every dashboard summary of the app, across its subjects: the meeting summaries
(activities.meetings.summaries) and the care one (activities.care.summaries). The
services refresh their own subject's rows; `rebuild` recomputes all of them
(`manage.py rebuild_summaries`, the demo seeders after their bulk inserts).
"""

from branches.models import Organization

from .care import summaries as care_summaries
from .meetings import summaries as meeting_summaries


def rebuild() -> tuple[int, int]:
    """Recompute every summary from the source rows; returns (branch-month tallies,
    members who ever took part)."""
    counts = meeting_summaries.rebuild()
    care_summaries.rebuild()
    Organization.objects.touch_figures()  # no dashboard cached before this is read again
    return counts
