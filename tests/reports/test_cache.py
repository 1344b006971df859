"""Cached dashboards (reports.cache) show what a fresh computation shows, after every
kind of write; a write bumps the districts it touches and no other; the city's dashboard
composed of its districts' equals the city computed whole."""

import dataclasses
import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import Change
from activities.care import services as care_services
from activities.care.models import CareVisitKind
from activities.meetings.models import CadenceRule, Excusal, MeetingKind
from activities.meetings.periods import Period, year_span
from activities.meetings.services import cadence, recording
from branches.models import Organization
from members.models import CommunityRegistration, MemberStatus
from members.services.committees import committee_term_create
from members.services.memberships import membership_add, recognition_create
from members.services.registration import registration_accept
from members.services.roster import member_set_status, member_update
from reports import freshness
from reports.cache import compact, node_figures, with_heat_cells
from reports.selectors.area import area_rows
from reports.selectors.build import node_dashboard
from reports.selectors.dashboard import LINE_VIEWS
from reports.selectors.periods import PeriodChoice, choose_period
from reports.tasks import warm_dashboards

from .conftest import GA, Q1, TODAY, T

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR = PeriodChoice(year_span(2026), 2026, 1, 1)


def signature(dashboard) -> dict:
    """Every figure the page shows, and every branch line (by pk)."""

    def figures(f):
        return {
            **{x.name: getattr(f, x.name) for x in dataclasses.fields(f) if x.name != "tally"},
            "tally": dataclasses.astuple(f.tally),
        }

    return {
        "total": figures(dashboard.total),
        "units": [(u.key, u.name, u.level, figures(u.figures)) for u in dashboard.units],
        "lines": [
            (
                line.branch.pk,
                line.unit,
                dict(line.statuses),
                line.behind_kinds,
                line.warnings,
                line.members,
                line.full_members,
                line.in_period,
            )
            for line in dashboard.lines
        ],
        "trend": [(p.month.start, dataclasses.astuple(p.tally)) for p in dashboard.trend],
        "months": [m.start for m in dashboard.months],
        "kinds_shown": dashboard.kinds_shown,
        "unit_label": dashboard.unit_label,
    }


def live(node, choice=Q1):
    return signature(compact(node_dashboard(node, choice, today=TODAY)))


def nodes(cast):
    return [
        cast.city,
        cast.district_a,
        cast.street_a,
        cast.community_a,
        cast.street_a2,
        cast.community_a2,
        cast.district_b,
    ]


def assert_cached_is_live(cast):
    for node in nodes(cast):
        node = Organization.objects.get(pk=node.pk)
        for choice in (Q1, YEAR):
            assert signature(node_figures(node, choice, today=TODAY)) == live(node, choice), node


# The versioned nodes: district A and its streets, district B.
VERSIONED = {"a": "district_a", "s": "street_a", "t": "street_a2", "b": "district_b"}


def versions(cast) -> dict[str, int]:
    return {
        letter: Organization.objects.get(pk=getattr(cast, name).pk).figures_version
        for letter, name in VERSIONED.items()
    }


def test_the_city_composed_of_its_districts_equals_the_city_computed_whole(world):
    cast = world.cast
    for choice in (Q1, YEAR):
        composed = node_figures(cast.city, choice, today=TODAY)
        assert signature(composed) == live(cast.city, choice)
    # Non-trivial: both districts' branches and residents are in it, named by district.
    units = {u.name: u.figures for u in composed.units}
    assert set(units) == {"东城区", "西湖区"}
    assert composed.total.residents == units["东城区"].residents + units["西湖区"].residents > 0
    assert {line.unit for line in composed.lines} == {"东城区", "西湖区"}


def test_a_cached_dashboard_is_served_until_its_data_changes(world):
    cast = world.cast
    first = node_figures(cast.district_a, Q1, today=TODAY)
    # Written past the services (and so past the audit): the cache does not know.
    CommunityRegistration.objects.filter(member=world.members["A4"]).update(status="accepted")
    assert node_figures(cast.district_a, Q1, today=TODAY).total.registered == (
        first.total.registered
    )
    assert live(cast.district_a)["total"]["registered"] == first.total.registered + 1
    # An audited write there bumps the versions of its street and district: computed again.
    freshness.touch(
        [Change("update", CommunityRegistration.objects.get(member=world.members["A4"]))]
    )
    district = Organization.objects.get(pk=cast.district_a.pk)
    assert node_figures(district, Q1, today=TODAY).total.registered == (first.total.registered + 1)
    # So does the next day.
    other_day = node_figures(district, Q1, today=TODAY + datetime.timedelta(days=1))
    assert other_day.today == TODAY + datetime.timedelta(days=1)


def test_every_kind_of_write_leaves_the_cached_dashboards_equal_to_live(world):
    cast, m = world.cast, world.members
    actor = cast.user("district_staff")
    assert_cached_is_live(cast)

    def step(write, *, touches: str):
        """Run an audited write with every dashboard cached, then compare."""
        assert_cached_is_live(cast)  # fills the cache
        before = versions(cast)
        write()
        after = versions(cast)
        bumped = {letter for letter in VERSIONED if after[letter] > before[letter]}
        assert bumped == set(touches), write.__name__
        assert_cached_is_live(cast)

    def meeting_in_branch_a2():  # February's missing theme day, recorded late
        recording.meeting_record_new(
            branch=cast.branch_a2,
            details={"kind": T, "topic": "补开", "held_on": D(2026, 2, 26)},
            marks={},
            client_key=uuid.uuid4(),
            actor=actor,
        )

    def excusal_for_functional_a():
        cadence.excusal_create(
            excusal=Excusal(
                branch=cast.functional_a,
                period=Period.QUARTER,
                period_start=D(2026, 1, 1),
                kind=GA,
                reason="成员集中住院",
                approved_by="区委老干部局",
                approved_on=D(2026, 3, 30),
            ),
            actor=actor,
        )

    def registration_accepted():
        registration = CommunityRegistration.objects.get(member=m["A4"])
        registration_accept(registration=registration, branch=cast.branch_a, actor=actor)

    def care_visit_for_b2():
        care_services.visit_record(
            member=m["B2"],
            data={"visited_on": D(2026, 5, 18), "kind": CareVisitKind.ROUTINE, "visitors": "书记"},
            actor=actor,
        )

    def new_term_for_branch_a2():
        committee_term_create(
            branch=cast.branch_a2,
            number=2,
            starts_on=D(2026, 4, 1),
            ends_on=D(2031, 3, 31),
            has_committee=False,
            holders={"secretary": m["B1"]},
            actor=actor,
        )

    def member_moves_to_district_b():  # both districts' residents change
        member_update(member=m["B1"], changes={"community": cast.community_b}, actor=actor)

    def member_dies():
        member_set_status(
            member=m["A1"], status=MemberStatus.DECEASED, on=D(2026, 5, 2), actor=actor
        )

    def b2_joins_functional_a():  # a functional branch in the other street
        membership_add(
            member=m["B2"], branch=cast.functional_a, joined_on=D(2026, 4, 1), actor=actor
        )

    def b2_dies():  # her home street's figures, and functional_a's member count
        member_set_status(
            member=m["B2"], status=MemberStatus.DECEASED, on=D(2026, 5, 3), actor=actor
        )

    def meeting_in_district_b():
        recording.meeting_record_new(
            branch=cast.branch_b,
            details={"kind": MeetingKind.THEME_DAY, "topic": "学习", "held_on": D(2026, 2, 9)},
            marks={},
            client_key=uuid.uuid4(),
            actor=actor,
        )

    def city_wide_rule():  # a rule above the districts: every district
        cadence.cadence_rule_save(
            rule=CadenceRule(
                kind=MeetingKind.LECTURE,
                period=Period.QUARTER,
                minimum_count=1,
                valid_from=D(2026, 1, 1),
                source_note="市定规则",
            ),
            before=None,
            actor=actor,
        )

    # a: district A, s: its street A (functional_a, community_a), t: its street A2
    # (community_a2, branch_a2), b: district B.
    step(meeting_in_branch_a2, touches="at")
    step(excusal_for_functional_a, touches="as")
    step(registration_accepted, touches="as")
    step(care_visit_for_b2, touches="at")
    step(new_term_for_branch_a2, touches="at")
    step(member_moves_to_district_b, touches="atb")
    step(member_dies, touches="as")
    step(b2_joins_functional_a, touches="ast")
    step(b2_dies, touches="ast")
    step(meeting_in_district_b, touches="b")
    step(city_wide_rule, touches="astb")


def test_writes_no_figure_reads_leave_every_version_alone(world):
    cast = world.cast
    before = versions(cast)
    recognition_create(
        member=world.members["A1"],
        fields={"title": "优秀共产党员", "conferred_on": D(2026, 7, 1), "conferred_by": "区委"},
        actor=world.cast.user("district_staff"),
    )
    assert versions(cast) == before


def test_the_heat_map_page_gets_its_cells_from_live_compliance(world):
    cast = world.cast
    cached = node_figures(cast.district_a, Q1, today=TODAY)
    assert all(line.cells == {} for line in cached.lines)  # not kept in the cache
    whole = node_dashboard(cast.district_a, Q1, today=TODAY)
    page = with_heat_cells(cached, cached.heat_lines[:2])

    def cells(lines):
        return [(line.branch.pk, [(k.kind, k.cells_html) for k in line.kinds]) for line in lines]

    assert cells(page) == cells(whole.heat_lines[:2])
    assert page and page[0].kinds


def test_a_change_is_placed_by_old_values_too(world):
    """A member moved away: the audit's `before` names the district they left."""
    cast, member = world.cast, world.members["C1"]  # lives in district B
    change = Change(
        "update",
        member,
        before={"community": cast.community_a},
        after={"community": member.community},
    )
    assert freshness.version_paths([change]) == {
        node.path for node in (cast.district_a, cast.street_a, cast.district_b, cast.street_b)
    }


def test_a_shared_cache_that_is_down_slows_the_dashboard_but_does_not_break_it(
    world, settings, caplog
):
    settings.CACHES = {  # a Redis nobody listens on (loopback, a closed port)
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    cast = world.cast
    for node in (cast.district_a, cast.city):
        assert signature(node_figures(node, Q1, today=TODAY)) == live(node)
    assert "shared cache unreachable" in caplog.text


def test_the_morning_task_computes_every_districts_dashboard(world):
    cast, today = world.cast, timezone.localdate()
    assert "2 districts" in warm_dashboards()
    choice = choose_period({}, today=today)
    with CaptureQueriesContext(connection) as queries:
        city = node_figures(cast.city, choice, today=today)
    # The districts' versions and whether branches sit on the city: nothing computed.
    assert len(queries) == 2
    assert signature(city) == signature(compact(node_dashboard(cast.city, choice, today=today)))


def test_the_beat_schedule_warms_the_dashboards_before_office_hours(settings):
    from retiree_party.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-warm"]
    assert entry["task"] == "reports.warm_dashboards" and entry["task"] in app.tasks
    assert entry["schedule"].hour == {6}


def test_the_city_reads_the_lines_of_only_the_districts_its_page_shows(world):
    cast = world.cast
    for district in (cast.district_a, cast.district_b):  # both cached
        node_figures(district, Q1, today=TODAY)
    city = node_figures(cast.city, Q1, today=TODAY)
    whole = compact(node_dashboard(cast.city, Q1, today=TODAY))
    assert city.parts.lines_read() == []  # the figures need no line
    in_a = city.parts.heads[0][2].counts["heat"]
    assert 1 < in_a < len(city.heat_lines)
    page = city.heat_lines[0:in_a]
    assert [line.unit for line in page] == ["东城区"] * in_a
    assert city.parts.lines_read() == [0]  # district B's were not read
    for which in LINE_VIEWS:  # any slice of any list is the slice of the whole
        found, expected = city.view(which), whole.view(which)
        assert len(found) == len(expected)
        for a, b in ((0, 1), (1, 3), (0, in_a), (in_a - 1, in_a + 1), (2, 100), (5, 5)):
            assert [x.branch.pk for x in found[a:b]] == [x.branch.pk for x in expected[a:b]]
        if expected:
            assert found[-1].branch.pk == expected[-1].branch.pk
    assert [x.branch.pk for x in city.behind_first] == [x.branch.pk for x in whole.behind_first]


def test_a_node_assembled_from_its_areas_rows_equals_it_computed_alone(world):
    cast = world.cast
    for choice in (Q1, YEAR):
        rows = area_rows(cast.city, choice, today=TODAY)
        for node in nodes(cast)[1:]:
            with CaptureQueriesContext(connection) as queries:
                assembled = node_dashboard(node, choice, today=TODAY, rows=rows)
            assert len(queries) == 0
            assert signature(compact(assembled)) == live(node, choice), node
    with pytest.raises(ValueError):  # rows of another period
        node_dashboard(cast.street_a, Q1, today=TODAY, rows=area_rows(cast.city, YEAR, today=TODAY))


def test_versions_never_repeat_and_a_migration_bumps_them_all(world):
    from django.core.management import call_command

    cast = world.cast
    before = versions(cast)
    Organization.objects.filter(pk=cast.district_a.pk).touch_figures()
    after = versions(cast)
    # At least the time in microseconds: a restored backup's or a re-seeded database's
    # versions cannot meet the entries a shared cache kept from before.
    assert after["a"] > before["a"] and after["a"] >= 1_700_000_000 * 10**6
    assert after["b"] == before["b"]
    call_command("migrate", verbosity=0)
    assert all(v > after[k] for k, v in versions(cast).items())


def test_an_attendance_correction_that_breaks_or_fixes_a_quorum_reaches_the_cache(world):
    cast, m = world.cast, world.members
    actor = cast.user("community_secretary")
    assembly = world.meetings["a_ga_mar"]  # A1 and A2 present, A3 absent: 2 of 3 voting

    def branch_a_behind():
        district = Organization.objects.get(pk=cast.district_a.pk)
        line = next(
            line
            for line in node_figures(district, Q1, today=TODAY).lines
            if line.branch.pk == cast.branch_a.pk
        )
        return line.statuses.get("behind", 0)

    def mark(status):
        recording.meeting_record(
            meeting=assembly,
            details={},
            marks={m["A2"].pk: recording.Mark(status, "住院" if status == "excused" else "")},
            record_key=uuid.uuid4(),
            actor=actor,
        )

    assert branch_a_behind() == 0  # cached now
    mark("excused")  # 1 of 3: no quorum, the quarter's assembly was not validly held
    assert branch_a_behind() == 1
    assert_cached_is_live(cast)
    mark("present")
    assert branch_a_behind() == 0
    assert_cached_is_live(cast)
