"""The original-unit liaison's panel: their units' retirees, how many are registered with
a community and where they take part, each one's last participation and whether the
care visits are on time, and who has not registered yet.

What a liaison sees of a retiree is what the community reports back to the unit
(双向联系反馈): where they live and take part, when they last took part, whether their
care visits are on time. Never health, the reasons for care or its notes
(docs/privacy/data-inventory.md). Only active retirees of the liaison's own units."""

from __future__ import annotations

import datetime

from django.core.paginator import Paginator
from django.db.models import Count, F, Q

from branches.access import VIEW_UNIT_MEMBERS
from branches.models import OriginalUnit
from members.models import REGISTERED, Member, MemberStatus, RegistrationStatus, SecondedMember
from members.selectors import SECONDMENT_WARNING_DAYS, ending_soon

PEOPLE_PAGE = 20  # retirees per page of the panel's list
UNREGISTERED_SHOWN = 10
SECONDED_SHOWN = 20  # the unit's people seconded to branches, soonest ending first
PAGE_PARAM = "retirees"


class CareStatus:
    NONE = ""  # no open care need
    ON_TIME = "on_time"
    OVERDUE = "overdue"
    WAITING = "waiting"  # new, not visited yet, still inside its first interval


def care_status(member, today: datetime.date) -> str:
    """activities.care.selectors' rule on the stored last visit (the dashboards' too):
    on time when the last in-person visit is at most the interval ago; overdue when more
    than the interval has passed since it (or since care started, if nobody visited)."""
    if member.care_interval is None:
        return CareStatus.NONE
    allowed = datetime.timedelta(days=member.care_interval)
    if member.care_last_visit is not None and today - member.care_last_visit <= allowed:
        return CareStatus.ON_TIME
    if today - (member.care_last_visit or member.care_started) > allowed:
        return CareStatus.OVERDUE
    return CareStatus.WAITING


def unit_retirees(user, unit_ids):
    """Active retirees of these units that the user may see (the roster's scope)."""
    return Member.objects.visible_to(user).filter(
        original_unit_id__in=unit_ids, status=MemberStatus.ACTIVE
    )


def panel(request, scope, today):
    if not scope.has(VIEW_UNIT_MEMBERS):
        return None
    unit_ids = scope.unit_ids(VIEW_UNIT_MEMBERS)
    units = list(OriginalUnit.objects.filter(pk__in=unit_ids).order_by("name"))
    retirees = unit_retirees(request.user, unit_ids).with_registration()
    counts = retirees.aggregate(
        total=Count("pk"),
        registered=Count("pk", filter=Q(registration_status__in=REGISTERED)),
        reported=Count("pk", filter=Q(registration_status=RegistrationStatus.REPORTED)),
        unregistered=Count("pk", filter=Q(registration_status__isnull=True)),
    )
    # Where the registered take part: their home branch (set when the community accepted
    # the registration), with its community.
    places = list(
        retirees.filter(home_branch__isnull=False)
        .values("home_branch_id", "home_branch__name", "home_branch__organization__name")
        .annotate(n=Count("pk"))
        .order_by("home_branch__organization__path", "home_branch__name")
    )
    # Care columns through the (one-to-one) need, without loading its notes.
    people = (
        retirees.select_related("community", "home_branch")
        .annotate(
            care_interval=F("care_need__interval_days"),
            care_last_visit=F("care_need__last_visit_on"),
            care_started=F("care_need__started_on"),
            care_closed=F("care_need__closed_on"),
        )
        # Who has gone longest without taking part comes first.
        .order_by(F("last_participated_on").asc(nulls_first=True), "name", "pk")
    )
    page = Paginator(people, PEOPLE_PAGE).get_page(request.GET.get(PAGE_PARAM))
    for member in page.object_list:
        if member.care_closed is not None:
            member.care_interval = None  # care ended: no status
        member.care = care_status(member, today)
    unregistered = list(
        retirees.filter(registration_status__isnull=True)
        .select_related("community")
        .order_by("community__path", "name", "pk")[:UNREGISTERED_SHOWN]
    )
    # The in-service members the units second to branches (选派), those ending first.
    seconded_qs = (
        SecondedMember.objects.visible_to(request.user).filter(unit_id__in=unit_ids).current(today)
    )
    seconded = list(
        seconded_qs.select_related("branch", "branch__organization", "unit")
        .prefetch_related("positions__term")
        .order_by(F("ends_on").asc(nulls_last=True), "name", "pk")[:SECONDED_SHOWN]
    )
    for person in seconded:
        person.posts = [p for p in person.positions.all() if p.term.ends_on >= today]
    return {
        "units": units,
        "seconded": seconded,
        "seconded_total": seconded_qs.count() if len(seconded) == SECONDED_SHOWN else len(seconded),
        "seconded_ending": {s.pk for s in ending_soon(seconded, today)},
        "warning_days": SECONDMENT_WARNING_DAYS,
        "single_unit": units[0] if len(units) == 1 else None,
        "counts": counts,
        "places": places,
        "page": page,
        "page_param": PAGE_PARAM,
        "unregistered": unregistered,
    }
