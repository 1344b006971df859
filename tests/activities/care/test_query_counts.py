"""The hot care pages run a fixed number of queries whatever the number of members,
needs, visits, follow-ups and activities (measured at two data sizes)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.care.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    CareVisitKind,
    FollowUp,
)
from members.models import Health, Living

from .conftest import TODAY, carer, days_ago, make_member, make_need, visit

pytestmark = pytest.mark.django_db


def grow(cast, n):
    """n members of branch_a with needs (half overdue), carers, visits and follow-ups,
    n to review, and an activity with n participants."""
    me = cast.user("community_secretary")
    activity = Activity.objects.create(
        kind=ActivityKind.VOLUNTEER,
        title=f"志愿服务{n}",
        held_on=days_ago(5),
        branch=cast.branch_a,
        organization=cast.community_a,
    )
    for i in range(n):
        member = make_member(branch=cast.branch_a, health=Health.BEDRIDDEN)
        need = make_need(member, interval=14, poor_health=True, note="卧床")
        carer(need, user=me, name="张书记", lead=True)
        carer(need, name="李党员")
        v = visit(member, ago=20 if i % 2 else 3, summary="走访")
        visit(member, ago=40, kind=CareVisitKind.PHONE)
        FollowUp.objects.create(visit=v, matter="修灯", owner_name="物业", due_on=days_ago(1))
        make_member(branch=cast.branch_a, living=Living.ALONE)  # to review
        ActivityParticipant.objects.create(
            activity=activity, member=member, service_hours=Decimal("2")
        )


# Every page starts with 3 queries: the session, the user, the user's grants (scope).
BASE = 3
PAGES = {
    # url name: (kwargs from the cast, role)
    "care:mine": (lambda c: {}, "community_secretary"),
    "care:review": (lambda c: {}, "community_secretary"),
    "care:follow_ups": (lambda c: {}, "community_secretary"),
    "care:coverage": (lambda c: {"pk": c.community_a.pk}, "district_staff"),
    "care:branch": (lambda c: {"branch_pk": c.branch_a.pk}, "branch_secretary"),
    "care:register": (lambda c: {"branch_pk": c.branch_a.pk}, "community_secretary"),
    "care:activity_list": (lambda c: {"branch_pk": c.branch_a.pk}, "community_secretary"),
}


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def measure(cast, client_for):
    result = {}
    for name, (kwargs, role) in PAGES.items():
        client = client_for(role)
        client.get(reverse(name, kwargs=kwargs(cast)))  # warm the session and caches
        result[name] = count(client, reverse(name, kwargs=kwargs(cast)))[0]
    return result


EXPECTED = {
    # the carer's week list (one aggregate), my follow-ups, my areas
    "care:mine": BASE + 3,
    # count and page of the to-review list
    "care:review": BASE + 2,
    # count and page of open follow-ups
    "care:follow_ups": BASE + 2,
    # the node, the coverage aggregate, past-due follow-ups per group, count and page
    # of the overdue list
    "care:coverage": BASE + 5,
    # the branch, coverage aggregate, past-due follow-ups, overdue list, due this week,
    # late follow-ups, latest visits
    "care:branch": BASE + 7,
    # the branch, the year's visits, their follow-ups, the audit entry (the chain's head,
    # the entry inserted with the head moved in one statement)
    "care:register": BASE + 5,
    # the branch, its activities with counts and hours, members credited elsewhere
    "care:activity_list": BASE + 3,
}


def test_care_pages_keep_their_query_count_as_data_grows(cast, today, client_for):
    grow(cast, 3)
    small = measure(cast, client_for)
    grow(cast, 20)
    large = measure(cast, client_for)
    assert small == EXPECTED
    assert large == EXPECTED


def test_each_coverage_figure_is_one_query(cast, today, django_assert_num_queries):
    from activities.care import selectors as sel
    from branches.access import scope_for

    grow(cast, 5)
    user = cast.user("district_staff")
    needs = sel.open_needs(user)
    with django_assert_num_queries(2):  # needs aggregate + past-due follow-ups
        rows = sel.coverage(needs, sel.follow_ups(user), group="community", today=TODAY)
    assert rows[0].needs == 5
    with django_assert_num_queries(1):
        assert len(list(sel.overdue_needs(needs, TODAY))) == 2
    secretary = cast.user("community_secretary")
    scope_for(secretary)  # the grants, loaded once per request
    with django_assert_num_queries(1):
        assert len(list(sel.carer_week(secretary, TODAY))) == 2
    with django_assert_num_queries(1):
        assert len(list(sel.to_review(secretary, TODAY))) >= 5
