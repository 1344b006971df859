"""The street and district staff's panel (and the city's): their area's figures for the
current period against the last one, the branches furthest behind, and what waits for
them (notices past their deadline, reminders that failed).

The figures come from the dashboards' cache (reports.cache.node_figures): the same
numbers as the dashboard, and a cached area costs a query or two whatever its size.
Registration coverage and care coverage are figures of today (the dashboards keep no
history of them), so only compliance and attendance, which belong to a period, show a
change since the last period."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts import shared_cache
from activities.meetings.selectors import format_rate
from activities.messaging.models import Reminder, ReminderState
from branches.access import (
    APPROVE_EXCUSALS,
    REVIEW_REMINDERS,
    SEND_NOTICES,
    VIEW_DASHBOARD,
    Role,
    scope_for,
)
from branches.models import Organization
from notices.models import Notice, NoticeReceipt, ResponseKind
from reports import cache
from reports.selectors.periods import choose_period
from rollout.completeness import selectors as completeness

from .rows import first_with_total

STAFF_ROLES = {Role.CITY_ADMIN, Role.DISTRICT_STAFF, Role.STREET_STAFF}
BEHIND_SHOWN = 10  # the branches furthest behind on the workbench (the dashboard lists 20)
NOTICES_SHOWN = 6
# Notices whose deadline passed longer ago than this are history, not work: the list
# (and its cost) does not grow with the years of notices sent.
LATE_NOTICE_DAYS = 90
AREAS_SHOWN = 3  # a user with more staff areas than this sees the first ones here


@dataclass
class Change:
    """A rate now and in the last period; `points` is the change in percentage points
    (None when either period has no figure), as the dashboard rounds its rates."""

    now: float | None
    before: float | None

    @property
    def now_label(self) -> str:
        return format_rate(self.now)

    @property
    def before_label(self) -> str:
        return format_rate(self.before)

    @property
    def points(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return round(self.now * 100, 1) - round(self.before * 100, 1)

    @property
    def size(self) -> str:
        return f"{abs(self.points):.1f}" if self.points is not None else ""


def staff_paths(scope) -> list[str]:
    """The nodes the user looks after as city, district or street staff (nested ones
    dropped): a community secretary's own community is not an area here."""
    paths = sorted({g.path for g in scope.grants if g.role in STAFF_ROLES and g.path})
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def _previous(choice, today):
    return choose_period(dict(parse_qsl(choice.query(choice.previous))), today=today)


# An area's section of the panel is kept rendered, under the area's figures version (every
# figure in it goes by it: the dashboards', the year end's, the completeness'), the day
# (the period, the figures of today), the language and the reader's grants (the year end
# counts the branches they may read): one query (the version) and one cache read instead
# of the figures of two periods read and unpickled, three versions and the rendering.
AREA_PREFIX = "workbench-area:v1"


def area_body(user, node: Organization, choice, previous, today) -> SafeString:
    key = shared_cache.kept_key(
        AREA_PREFIX,
        node.pk,
        version=node.figures_key(),
        today=today,
        grants=scope_for(user).digest(),
    )

    def render_body():
        context = {
            "a": area(user, node, choice, previous, today),
            "p": {"span": choice.span, "period_query": choice.query()},
        }
        return render_to_string("workbench/_staff_area.html", context)

    return shared_cache.kept_page(key, render_body, settings.DASHBOARD_CACHE_SECONDS)


def area(user, node: Organization, choice, previous, today) -> dict:
    """The node's key figures, their change, its branches furthest behind and its year
    end (kept under the node's figures version: reports.cache.area_year_end)."""
    dashboard = cache.node_figures(node, choice, today=today)
    before = cache.node_figures(node, previous, today=today).total
    total = dashboard.total
    period = dict(parse_qsl(choice.query()))
    branches = reverse("reports:org_branches", args=[node.pk])
    return {
        "node": node,
        "total": total,
        "compliance": Change(total.compliance, before.compliance),
        "attendance": Change(total.attendance, before.attendance),
        "behind": dashboard.behind_first[:BEHIND_SHOWN],
        "dashboard_url": reverse("reports:org_dashboard", args=[node.pk]),
        "behind_url": f"{branches}?{urlencode({'list': 'behind', **period})}",
        "unregistered_url": reverse("reports:org_members", args=[node.pk]) + "?list=unregistered",
        "care_url": reverse("care:coverage", args=[node.pk]),
        "meetings_url": f"{reverse('reports:org_meetings', args=[node.pk])}?{choice.query()}",
        "year_end": cache.area_year_end(user, node, today),
        # 数据完整率, kept under the same figures version (no query when kept).
        "completeness": completeness.cached_area(node, today).total,
        "completeness_url": f"{reverse('completeness:overview')}?area={node.pk}",
        "year_end_url": f"{reverse('year_end:overview', args=[node.pk])}?year={today.year}",
    }


def notices_past_deadline(user, paths, today):
    """Notices sent from the user's own nodes whose deadline passed in the last
    LATE_NOTICE_DAYS days while some branches have not confirmed, with how many (a
    forward: the original's receipts of the branches under the forwarding node)."""
    open_receipts = NoticeReceipt.objects.open().order_by().values("notice")
    of_original = open_receipts.filter(notice=OuterRef("pk")).annotate(n=Count("*")).values("n")
    of_forward = (
        open_receipts.filter(
            notice=OuterRef("root_id"), path__startswith=OuterRef("organization__path")
        )
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        Notice.objects.visible_to(user, SEND_NOTICES)
        .sent()
        .filter(
            organization__path__in=paths,
            deadline__lt=today,
            deadline__gte=today - datetime.timedelta(days=LATE_NOTICE_DAYS),
        )
        .exclude(response=ResponseKind.NONE)
        .annotate(
            not_confirmed=Coalesce(
                Subquery(of_original, output_field=IntegerField()),
                Subquery(of_forward, output_field=IntegerField()),
                0,
            )
        )
        .filter(not_confirmed__gt=0)
    )


def failed_reminders(user):
    """The reminders the reminders' review page lists as failed (the same queryset)."""
    return Reminder.objects.reviewable_by(user).outbound().filter(state=ReminderState.FAILED)


def panel(request, scope, today):
    if not (scope.roles & STAFF_ROLES and scope.has(VIEW_DASHBOARD)):
        return None
    user = request.user
    paths = staff_paths(scope)
    nodes = list(Organization.objects.filter(path__in=paths).order_by("path")[:AREAS_SHOWN])
    choice = choose_period({}, today=today)
    previous = _previous(choice, today)
    context = {
        "areas": [area_body(user, node, choice, previous, today) for node in nodes],
        "can_excuse": scope.has(APPROVE_EXCUSALS),
    }
    if scope.has(SEND_NOTICES):
        late = notices_past_deadline(user, paths, today)
        context["late_notices"], context["late_notice_count"] = first_with_total(
            late.only("pk", "title", "deadline").order_by("deadline", "pk"), NOTICES_SHOWN
        )
        context["late_notice_days"] = LATE_NOTICE_DAYS
    if scope.has(REVIEW_REMINDERS):
        context["failed_reminders"] = failed_reminders(user).count()
    return context
