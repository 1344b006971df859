"""The secretaries' workbench: this period's cadence, meetings to record and coming up,
make-ups, care visits, registrations and notices, checked against numbers computed by
hand on a fixture (conftest.build_year) and against the pages its links open.
"""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from activities.care.models import CareNeed
from activities.meetings.compliance import CellStatus
from activities.meetings.models import Attendance, MeetingKind
from activities.meetings.services import recording
from activities.meetings.services.recording import Mark
from branches.models import Branch, PartyGroup
from notices.models import Notice, NoticeState, ResponseKind
from notices.selectors import unread_count
from tests.activities.conftest import member as make_member
from tests.activities.conftest import record

from .secretary_world import TODAY, D, held, notice, plan, visit

pytestmark = pytest.mark.django_db


def _panel(response):
    return response.context["panels"]["secretary"]


def _work(panel, branch):
    return next(w for w in panel["work"] if w.branch.pk == branch.pk)


def test_the_community_secretary_sees_the_hand_counted_year(cast, client_for, year):
    response = client_for("community_secretary").get("/")
    panel = _panel(response)
    assert [w.branch.pk for w in panel["work"]] == [cast.branch_a.pk]
    work = _work(panel, cast.branch_a)
    due = {d.cell.kind: d for d in work.due}
    assert set(due) == {
        MeetingKind.LIFE_MEETING,
        MeetingKind.GROUP,
        MeetingKind.LECTURE,
        MeetingKind.THEME_DAY,
    }
    assert work.due[0].cell.kind == MeetingKind.LIFE_MEETING  # urgent first
    assert [d.cell.kind for d in work.due if d.urgent] == [MeetingKind.LIFE_MEETING]
    assert {d.days_left for d in work.due} == {25}
    assert {d.remaining for d in work.due} == {1}
    assert due[MeetingKind.THEME_DAY].planned == year["theme_plan"]
    assert due[MeetingKind.LECTURE].planned == year["lecture_plan"]
    assert due[MeetingKind.GROUP].planned is None
    assert {d.cell.kind for d in work.done} == {MeetingKind.GENERAL_ASSEMBLY, MeetingKind.APPRAISAL}
    assert [(d.cell.span.start.month, d.cell.kind) for d in work.behind] == [
        (2, MeetingKind.GROUP),
        (3, MeetingKind.THEME_DAY),
        (6, MeetingKind.THEME_DAY),
    ]
    assert (panel["due"], panel["urgent"]) == (4, 1)
    assert panel["unrecorded_total"] == 1 and panel["unrecorded"] == [year["lecture_plan"]]
    assert panel["upcoming"] == [year["theme_plan"]]
    assert (work.make_ups, panel["make_ups"]) == (2, 2)
    assert {a.member.pk for a in panel["make_up_lines"]} == {
        cast.member_a.pk,
        cast.member_a_bedridden.pk,
    }
    assert (work.care_overdue, work.care_due) == (1, 1)
    assert [n.member.pk for n in panel["care_list"]] == [
        cast.member_a_bedridden.pk,
        cast.member_a.pk,
    ]
    assert panel["waiting_registrations"] == 1
    assert panel["notice_counts"] == {"waiting": 2, "unread": 1, "late": 1}
    assert [r.notice for r in panel["notices"]] == [year["to_reply"], year["to_confirm"]]
    assert [r.waiting_for for r in panel["notices"]] == ["reply", "open"]

    page = response.content.decode()
    assert "6 项" not in page
    assert "4 项，其中紧急 1 项" in page
    assert "紧急" in page and "还剩 25 天" in page
    assert "今年未达标 3 项" in page
    assert "2 人次" in page
    assert "逾期 1 人 · 本周到期 1 人" in page
    assert "2 条，未读 1 条" in page
    assert "12月9日截止，还剩 3 天" in page and "已过截止日 12月4日" in page


def test_each_due_kind_opens_where_it_is_done(cast, client_for, year):
    page = client_for("community_secretary").get("/").content.decode()
    branch = cast.branch_a.pk
    # Planned later this month: the plan; planned and passed: its recording screen;
    # not planned: plan it or record one held already.
    assert f'href="/meetings/{year["theme_plan"].pk}/"' in page
    assert f'href="/meetings/{year["lecture_plan"].pk}/record/"' in page
    assert f'href="/branches/{branch}/meetings/plan/?kind=group"' in page
    assert f'href="/branches/{branch}/meetings/record/?kind=group"' in page
    assert f'href="/branches/{branch}/meetings/record/?kind=life_meeting"' in page
    # The next meeting: its sign-in sheet and its recording screen.
    assert f'href="/meetings/{year["theme_plan"].pk}/sign-in-sheet/"' in page
    assert f'href="/meetings/{year["theme_plan"].pk}/record/"' in page
    # A make-up line: its make-up form; a member to visit: their care page.
    for line in Attendance.objects.filter(
        meeting__held_on=D(2026, 11, 8), meeting__branch=cast.branch_a
    ):
        assert f'href="/attendance/{line.pk}/make-up/"' in page
    assert f'href="/care/members/{cast.member_a_bedridden.pk}/"' in page


def test_the_counts_equal_the_pages_they_link_to(cast, client_for, year):
    client = client_for("community_secretary")
    response = client.get("/")
    page = response.content.decode()
    panel = _panel(response)
    work = _work(panel, cast.branch_a)
    branch = cast.branch_a.pk

    compliance_link = f"/branches/{branch}/compliance/?year=2026"
    assert f'href="{compliance_link}"' in page
    rows = client.get(compliance_link).context["rows"]
    cells = [cell for _kind, _label, kind_cells in rows for cell in kind_cells]
    assert len([c for c in cells if c.status == CellStatus.BEHIND]) == len(work.behind) == 3
    current = [c for c in cells if c.span.start <= TODAY <= c.span.end]
    assert len([c for c in current if c.status == CellStatus.IN_PROGRESS]) == len(work.due)

    make_ups = reverse("activities:makeup_list", args=[branch])
    assert f'href="{make_ups}"' in page
    listing = client.get(make_ups)
    assert listing.context["page"].paginator.count == work.make_ups == 2
    assert "尚未补学的共 2 人次" in listing.content.decode()

    care = reverse("care:branch", args=[branch])
    assert f'href="{care}"' in page
    care_page = client.get(care).context
    assert len(care_page["overdue"]) == work.care_overdue
    assert len(care_page["this_week"]) == work.care_due
    assert care_page["row"].overdue == work.care_overdue

    registrations = reverse("members:registration_list")
    assert f'href="{registrations}"' in page
    listing = client.get(registrations)
    assert listing.context["page"].paginator.count == panel["waiting_registrations"]


def test_a_kind_due_once_a_year_turns_urgent_in_the_last_60_days(cast, client_for, monkeypatch):
    """Nothing held: 组织生活会 and 民主评议 are owed; urgent from 2 November (59 days
    left) on, not on 1 November (60 days) nor in October."""
    client = client_for("branch_secretary")
    for day, urgent in [
        (D(2026, 10, 1), False),
        (D(2026, 11, 1), False),
        (D(2026, 11, 2), True),
        (TODAY, True),
    ]:
        monkeypatch.setattr(timezone, "localdate", lambda *args, day=day, **kwargs: day)
        work = _work(_panel(client.get("/")), cast.branch_a)
        yearly = [d for d in work.due if d.cell.kind in ("life_meeting", "appraisal")]
        assert len(yearly) == 2, day
        assert {d.urgent for d in yearly} == {urgent}, day
        assert {d.days_left for d in yearly} == {(D(2026, 12, 31) - day).days}
        assert all(not d.urgent for d in work.due if d not in yearly)
    page = client.get("/").content.decode()
    assert page.count(">紧急<") == 2
    held(cast.branch_a, MeetingKind.LIFE_MEETING, D(2026, 12, 1))
    work = _work(_panel(client.get("/")), cast.branch_a)
    assert [d.cell.kind for d in work.due if d.urgent] == [MeetingKind.APPRAISAL]
    assert MeetingKind.LIFE_MEETING in {d.cell.kind for d in work.done}


def test_a_branch_secretary_and_street_staff_see_their_own_branches_only(cast, client_for, year):
    held(cast.branch_b, MeetingKind.THEME_DAY, D(2026, 11, 3))
    panel = _panel(client_for("branch_secretary").get("/"))
    assert [w.branch.pk for w in panel["work"]] == [cast.branch_a.pk]
    assert "waiting_registrations" not in panel  # accepting registrations is the community's
    assert panel["notice_counts"]["waiting"] == 2

    # Street staff record the meetings of the street's own functional branch only: its
    # cadence, no care (not theirs), no registrations; its notices.
    notice(cast, "功能型支部通知", response=ResponseKind.CONFIRM, to=cast.street_a)
    response = client_for("street_staff").get("/")
    panel = _panel(response)
    assert [w.branch.pk for w in panel["work"]] == [cast.functional_a.pk]
    assert panel["work"][0].due and "care_overdue" not in panel
    assert panel["notice_counts"]["waiting"] == 1
    page = response.content.decode()
    assert cast.branch_a.name not in page.split("您负责的片区")[0]
    # Nothing held all year: 11 months of 主题党日 and three quarters of 大会 and 党课
    # behind (no committee, no party group); the latest six are named, the page has all.
    work = panel["work"][0]
    assert len(work.behind) == 17 and len(work.behind_shown) == 6
    assert "今年未达标 17 项</a>：…、8月主题党日、三季度支部党员大会、三季度党课、9月主题" in page
    link = f"/branches/{cast.functional_a.pk}/compliance/?year=2026"
    assert f'href="{link}"' in page
    rows = client_for("street_staff").get(link).context["rows"]
    assert sum(c.status == CellStatus.BEHIND for _k, _l, cells in rows for c in cells) == 17

    assert _panel(client_for("community_b_secretary").get("/"))["notice_counts"]["waiting"] == 0
    assert "secretary" not in client_for("district_staff").get("/").context["panels"]


def test_notices_link_to_the_notice_once_its_page_exists(cast, client_for, year):
    page = client_for("community_secretary").get("/").content.decode()
    titles = ["学习资料反馈", "关于开展组织生活会的通知"]
    assert all(title in page for title in titles)
    assert "主题党日参考" not in page and "已确认的通知" not in page
    try:
        link = reverse("notices:detail", args=[year["to_confirm"].pk])
    except NoReverseMatch:  # the notice pages come with the notices work
        assert 'href="/notices/' not in page
        return
    assert f'href="{link}"' in page


def test_a_withdrawn_notice_waits_for_nobody(cast, client_for, year):
    Notice.objects.filter(pk=year["to_confirm"].pk).update(state=NoticeState.WITHDRAWN)
    panel = _panel(client_for("community_secretary").get("/"))
    assert panel["notice_counts"]["waiting"] == 1


def _grow(cast):
    """District-size data around the secretary: another branch in the community with two
    groups and forty members, a year of meetings with attendance, care needs, many
    plans and notices."""
    other = Branch.objects.create(organization=cast.community_a, name="翠园社区第三党支部")
    groups = [PartyGroup.objects.create(branch=other, name=f"第{n}党小组") for n in (1, 2)]
    people = [make_member(branch=other, group=groups[n % 2]) for n in range(40)]
    for branch in (cast.branch_a, other):
        for month in range(1, 12):
            for kind in (MeetingKind.THEME_DAY, MeetingKind.LECTURE, MeetingKind.COMMITTEE):
                held(branch, kind, D(2026, month, 3))
            plan(branch, MeetingKind.THEME_DAY, D(2026, month, 28))
        for n in range(1, 25):
            plan(branch, MeetingKind.LECTURE, TODAY + datetime.timedelta(days=n))
    for month in (9, 10, 11):
        record(
            branch=other,
            kind=MeetingKind.GENERAL_ASSEMBLY,
            held_on=D(2026, month, 5),
            marks={p.pk: Mark("absent") for p in people[:15]},
        )
    for n, person in enumerate(people):
        CareNeed.objects.create(member=person, interval_days=14 + n, started_on=D(2025, 1, 1))
        visit(person, TODAY - datetime.timedelta(days=n))
    for n in range(30):
        notice(cast, f"通知{n}", response=ResponseKind.CONFIRM, deadline=TODAY)
    return other


def test_the_query_count_does_not_grow_with_the_data(cast, client_for, year):
    client = client_for("community_secretary")
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        client.get("/")
    other = _grow(cast)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/")
    panel = _panel(response)
    assert [w.branch.pk for w in panel["work"]] == [cast.branch_a.pk, other.pk]
    # 30 notices reach both branches (60 receipts) and the year had 2: 32 notices.
    assert _work(panel, other).make_ups == 45 and panel["notice_counts"]["waiting"] == 32
    assert len(large) == len(small), "\n".join(q["sql"][:150] for q in large.captured_queries)
    # The request's own (session, user, scope: 3), the panel's 16 (secretary.py's
    # docstring), the page's areas and branches (2), the menu's counts; the units panel:
    # the tasks from units (1), the feedback reports' community and letters (2), the
    # action items (1); the data completeness of the community (4).
    assert len(small) <= 31


def test_the_glance_numbers_match_the_sections(cast, client_for, year):
    client = client_for("community_secretary")
    page = client.get("/").content.decode()
    # The data completeness's count is its page's (rollout.completeness).
    data = client.get(reverse("completeness:overview")).context["figures"].total
    glance = page.split('id="wb-cadence"')[0]
    tags = dict(
        re.findall(r'id="wb-count-([a-z-]+)">[^<]*<span class="tag[^"]*">([^<]+)</span>', glance)
    )
    assert tags == {
        "due": "4 项，其中紧急 1 项",
        "make-ups": "2 人次",
        "care": "逾期 1 人 · 本周到期 1 人",
        "registrations": "1",
        "notices": "2 条，未读 1 条",
        "completeness": f"待补全 {data.to_fix} 项 · 完整率 {data.rate_label}",
    }


def test_a_planned_meeting_is_recorded_from_the_workbench_link(cast, client_for, year):
    """The 登记 button of the passed plan opens its recording screen, which saves it;
    the workbench then owes one lecture less."""
    client = client_for("community_secretary")
    link = reverse("activities:meeting_record", args=[year["lecture_plan"].pk])
    assert client.get(link).status_code == 200
    recording.meeting_record(
        meeting=year["lecture_plan"],
        details={"held_on": D(2026, 12, 1), "topic": "党课"},
        marks={},
        record_key=uuid.uuid4(),
        actor=cast.user("community_secretary"),
    )
    panel = _panel(client.get("/"))
    assert MeetingKind.LECTURE not in {d.cell.kind for d in _work(panel, cast.branch_a).due}
    assert panel["unrecorded_total"] == 0


def test_the_full_panel_speaks_chinese(cast, client_for, year):
    from tests.test_chinese_ui import latin_words

    for key in ("community_secretary", "branch_secretary", "street_staff"):
        page = client_for(key).get("/").content.decode()
        # The cast's user names are data (the greeting shows them).
        assert latin_words(page, frozenset(key.split("_")) | {key}) == set(), key


def test_more_branches_than_a_community_has_are_cut_with_a_link_to_all(cast, client_for, today):
    for n in range(21):
        Branch.objects.create(organization=cast.community_a, name=f"翠园社区第{n + 10}党支部")
    response = client_for("community_secretary").get("/")
    panel = _panel(response)
    assert len(panel["work"]) == 20 and panel["more_branches"]
    assert "这里列出您负责的前 20 个支部" in response.content.decode()


def test_notices_are_counted_as_the_notices_pages_count_them(cast, client_for, today):
    # One notice reaching two branches of the community is one notice to answer, as the
    # menu's unread badge and the received list count it.
    Branch.objects.create(organization=cast.community_a, name="翠园社区第二支部")
    notice(cast, "两个支部都收到的通知", response=ResponseKind.CONFIRM)
    client = client_for("community_secretary")
    counts = _panel(client.get("/"))["notice_counts"]
    assert counts["unread"] == counts["waiting"] == 1
    assert unread_count(cast.user("community_secretary")) == 1
