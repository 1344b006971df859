"""The secretaries' panel (branch and community secretaries): meetings to record and
coming up, members waiting for a visit, registrations to accept."""

import datetime

from activities.care import selectors as care_selectors
from activities.meetings.models import Meeting, MeetingStatus
from branches.access import MANAGE_REGISTRATIONS, RECORD_CARE, RECORD_MEETING
from members.models import RegistrationStatus
from members.selectors import pending_registrations

LIST_LENGTH = 6
UPCOMING_DAYS = 30


def panel(request, scope, today):
    if not (scope.has(RECORD_MEETING) or scope.has(RECORD_CARE)):
        return None
    user = request.user
    context = {}
    if scope.has(RECORD_MEETING):
        meetings = Meeting.objects.visible_to(user, RECORD_MEETING).filter(
            status=MeetingStatus.PLANNED
        )
        context["upcoming"] = list(
            meetings.filter(
                planned_on__gte=today,
                planned_on__lte=today + datetime.timedelta(days=UPCOMING_DAYS),
            )
            .select_related("branch", "party_group")
            .order_by("planned_on", "pk")[:LIST_LENGTH]
        )
        context["unrecorded"] = list(
            meetings.filter(planned_on__lt=today)
            .select_related("branch")
            .order_by("-planned_on", "-pk")[:LIST_LENGTH]
        )
    if scope.has(RECORD_CARE):
        overdue = care_selectors.overdue_needs(care_selectors.open_needs(user), today)
        context["overdue_care"] = care_selectors.decorate(list(overdue[:LIST_LENGTH]), today)
    if scope.has(MANAGE_REGISTRATIONS):
        context["waiting_registrations"] = (
            pending_registrations(user).filter(status=RegistrationStatus.REPORTED).count()
        )
    return context
