import datetime

from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.shortcuts import render
from django.template import loader
from django.utils import timezone

from activities.care import selectors as care_selectors
from activities.meetings.models import Meeting, MeetingStatus
from branches import selectors
from branches.access import (
    MANAGE_REGISTRATIONS,
    MANAGE_ROLES,
    MANAGE_USERS,
    READ_AUDIT,
    RECORD_CARE,
    RECORD_MEETING,
    VIEW_STRUCTURE,
    VIEW_UNIT_MEMBERS,
    scope_for,
)
from branches.models import Branch, OriginalUnit
from members.models import RegistrationStatus
from members.selectors import pending_registrations

HOME_LIST_LENGTH = 6
UPCOMING_DAYS = 30


def home(request):
    """Each user's own work: the next meetings, who is overdue for a visit, registrations
    waiting, and the areas and branches they look after. A fixed number of queries."""
    user = request.user
    scope = scope_for(user)
    today = timezone.localdate()
    context = {
        "roots": selectors.top_nodes(user) if scope.has(VIEW_STRUCTURE) else [],
        "own_branches": list(
            Branch.objects.filter(pk__in=scope.branch_ids(VIEW_STRUCTURE)).select_related(
                "organization"
            )
        ),
        "today": today,
        # Roles that look after no area or branch get a line about their own job; only an
        # account with no role at all is told to ask for one.
        "has_role": bool(scope.roles),
        "reads_audit": scope.has(READ_AUDIT),
        "manages_users": scope.has(MANAGE_USERS),
        "manages_roles": scope.has(MANAGE_ROLES),
    }
    if scope.has(VIEW_UNIT_MEMBERS):
        context["liaison_units"] = list(
            OriginalUnit.objects.filter(pk__in=scope.unit_ids(VIEW_UNIT_MEMBERS)).order_by("name")
        )
    if scope.has(RECORD_MEETING):
        context["upcoming"] = list(
            Meeting.objects.visible_to(user, RECORD_MEETING)
            .filter(
                status=MeetingStatus.PLANNED,
                planned_on__gte=today,
                planned_on__lte=today + datetime.timedelta(days=UPCOMING_DAYS),
            )
            .select_related("branch", "party_group")
            .order_by("planned_on", "pk")[:HOME_LIST_LENGTH]
        )
        context["unrecorded"] = list(
            Meeting.objects.visible_to(user, RECORD_MEETING)
            .filter(status=MeetingStatus.PLANNED, planned_on__lt=today)
            .select_related("branch")
            .order_by("-planned_on", "-pk")[:HOME_LIST_LENGTH]
        )
    if scope.has(RECORD_CARE):
        overdue = care_selectors.overdue_needs(care_selectors.open_needs(user), today)
        context["overdue_care"] = care_selectors.decorate(list(overdue[:HOME_LIST_LENGTH]), today)
    if scope.has(MANAGE_REGISTRATIONS):
        context["waiting_registrations"] = (
            pending_registrations(user).filter(status=RegistrationStatus.REPORTED).count()
        )
    return render(request, "home.html", context)


# 403: Django's own handler renders templates/403.html with the request. These two would
# render theirs without it (no header, no working language switch).
def bad_request(request, exception):
    # Mostly a form post beyond DATA_UPLOAD_MAX_NUMBER_FIELDS or DATA_UPLOAD_MAX_MEMORY_SIZE.
    return HttpResponseBadRequest(loader.render_to_string("400.html", request=request))


def csrf_failure(request, reason=""):
    # CSRF_FAILURE_VIEW: a form kept open past the session, or cookies turned off.
    return HttpResponseForbidden(loader.render_to_string("403_csrf.html", request=request))


def page_not_found(request, exception):
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request):
    # No request context: the error may come from a context processor or the database.
    return HttpResponseServerError(loader.render_to_string("500.html"))
