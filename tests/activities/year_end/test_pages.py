"""The year-end pages as a secretary uses them (community_secretary over the roster's
branch in community_a), what a reader without can_view_sensitive sees, and bad input."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from activities.year_end import services
from activities.year_end.models import Appraisal, RectificationItem, TalkPair, YearEndCycle

from ..conftest import member

pytestmark = pytest.mark.django_db
YEAR = 2026
NOTE = "谈到老伴住院，家中无人照料"


def page(branch, year=None):
    url = reverse("year_end:branch", args=[branch.pk])
    return f"{url}?year={year}" if year else url


def test_the_checklist_counts_down_and_names_who_is_missing(committee, clock, client_for):
    body = client_for("community_secretary").get(page(committee.branch)).content.decode()
    assert "距12月31日还有25天" in body
    assert "未开始" in body
    assert "尚未安排谈话的党员" in body and committee.members[9].name in body
    assert "尚未选定组织生活会" in body


def test_a_secretary_plans_the_suggested_pairs_and_records_a_talk(committee, clock, client_for):
    client = client_for("community_secretary")
    url = reverse("year_end:pair_suggest", args=[committee.branch.pk, YEAR])
    preview = client.get(url, {"which": "secretary"})
    assert preview.status_code == 200 and "安排这些谈话" in preview.content.decode()
    assert client.post(url, {"which": "secretary"}).status_code == 302
    client.post(url, {"which": "secretary"})  # a second click plans nothing more
    assert TalkPair.objects.count() == 4
    pair = TalkPair.objects.first()
    response = client.post(
        reverse("year_end:talk_record", args=[pair.pk]),
        {"held_on": "2026-12-01", "note": NOTE, "version": "1"},
    )
    assert response.status_code == 302
    assert TalkPair.objects.get(pk=pair.pk).held_on == datetime.date(2026, 12, 1)
    assert NOTE in client.get(page(committee.branch)).content.decode()
    # District staff read the checklist but not what was said.
    staff = client_for("district_staff").get(page(committee.branch)).content.decode()
    assert "已谈1对" in staff and NOTE not in staff


def test_a_talk_saved_over_a_newer_one_is_refused(committee, clock, client_for):
    client = client_for("community_secretary")
    a, b = committee.members[0], committee.members[5]
    client.post(
        reverse("year_end:pair_add", args=[committee.branch.pk, YEAR]),
        {"first": a.pk, "second": b.pk, "kind": "members"},
    )
    pair = TalkPair.objects.get()
    url = reverse("year_end:talk_record", args=[pair.pk])
    client.post(url, {"held_on": "2026-12-01", "note": "第一次", "version": "1"})
    response = client.post(url, {"held_on": "2026-12-02", "note": "第二次", "version": "1"})
    assert response.status_code == 200
    assert "其他人刚刚保存过" in response.content.decode()
    assert TalkPair.objects.get().note == "第一次"


def test_a_pair_with_a_member_of_another_branch_is_refused_on_the_form(
    committee, cast, clock, client_for
):
    response = client_for("community_secretary").post(
        reverse("year_end:pair_add", args=[committee.branch.pk, YEAR]),
        {"first": committee.members[0].pk, "second": cast.member_a.pk, "kind": "members"},
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not TalkPair.objects.exists() and not YearEndCycle.objects.exists()


def test_grading_a_member_of_another_branch_finds_no_such_member(
    committee, cast, clock, client_for
):
    url = reverse("year_end:appraisal", args=[committee.branch.pk, YEAR, cast.member_a.pk])
    response = client_for("community_secretary").post(url, {"decision": "qualified"})
    assert response.status_code == 404
    assert not Appraisal.objects.exists()


def test_an_unqualified_grade_without_its_outcome_is_explained(committee, clock, client_for):
    member = committee.members[5]
    url = reverse("year_end:appraisal", args=[committee.branch.pk, YEAR, member.pk])
    response = client_for("community_secretary").post(
        url, {"decision": "unqualified", "reason": "长期不参加组织生活", "votes_unqualified": "6"}
    )
    assert response.status_code == 200
    assert "评为“不合格”的，请登记组织处置。" in response.content.decode()
    assert not Appraisal.objects.exists()


def test_more_votes_than_members_are_refused(committee, clock, client_for):
    member = committee.members[5]
    url = reverse("year_end:appraisal", args=[committee.branch.pk, YEAR, member.pk])
    response = client_for("community_secretary").post(
        url, {"decision": "qualified", "votes_qualified": "11"}
    )
    assert "票数共11票，但支部只有10名党员。" in response.content.decode()
    assert not Appraisal.objects.exists()


def _add_item(client, branch, key, deadline="2026-12-20"):
    return client.post(
        reverse("year_end:item_add", args=[branch.pk, YEAR]),
        {
            "problem": "对卧床党员送学上门不及时",
            "measure": "建立送学台账",
            "owner": "支部书记",
            "deadline": deadline,
            "client_key": key,
        },
    )


def test_a_doubled_item_form_adds_one_item(committee, clock, client_for):
    client = client_for("community_secretary")
    key = str(uuid.uuid4())
    assert _add_item(client, committee.branch, key).status_code == 302
    assert _add_item(client, committee.branch, key).status_code == 302
    assert RectificationItem.objects.count() == 1


def test_the_open_item_is_still_shown_next_january_and_the_street_sees_it_overdue(
    committee, cast, clock, client_for
):
    client = client_for("community_secretary")
    _add_item(client, committee.branch, str(uuid.uuid4()))
    clock.day = datetime.date(2027, 1, 10)
    body = client.get(page(committee.branch)).content.decode()
    assert "2027年年终工作" in body
    assert "对卧床党员送学上门不及时" in body and "2026年遗留" in body
    assert "未完成，已超期" in body
    street = client_for("street_staff").get(reverse("year_end:overview", args=[cast.street_a.pk]))
    text = street.content.decode()
    assert "超期未完成的整改事项" in text and "对卧床党员送学上门不及时" in text
    # Closed, it leaves the next year's list.
    client = client_for("community_secretary")
    item = RectificationItem.objects.get()
    closing = client.post(
        reverse("year_end:item_close", args=[item.pk]),
        {"evidence": "已建立送学台账", "closed_on": "2027-01-09"},
    )
    assert closing.status_code == 302, closing.content.decode()[-3000:]
    assert "对卧床党员送学上门不及时" not in client.get(page(committee.branch)).content.decode()
    assert "对卧床党员送学上门不及时" in client.get(page(committee.branch, 2026)).content.decode()


def test_the_life_meeting_page_records_each_member(committee, clock, client_for):
    client = client_for("community_secretary")
    first = committee.members[0]
    response = client.post(
        reverse("year_end:life_meeting", args=[committee.branch.pk, YEAR]),
        {
            "meeting": "",
            "observer": "和平街道 王委员",
            "version": "",
            f"m{first.pk}_self_criticism": "on",
            f"m{first.pk}_criticism_given": "on",
            f"m{first.pk}_given_text": "学习不够深入",
        },
    )
    assert response.status_code == 302
    cycle = YearEndCycle.objects.get()
    row = cycle.life_records.get(member=first)
    assert (row.self_criticism, row.criticism_given, row.given_text) == (True, True, "学习不够深入")
    assert cycle.life_records.count() == 1  # members with nothing ticked leave no row
    assert cycle.observer == "和平街道 王委员"


def test_two_secretaries_saving_the_meeting_records_at_once_get_a_conflict(
    committee, clock, client_for
):
    client = client_for("community_secretary")
    url = reverse("year_end:life_meeting", args=[committee.branch.pk, YEAR])
    client.post(url, {"meeting": "", "observer": "第一位", "version": ""})
    version = str(YearEndCycle.objects.get().version)
    first = client.post(url, {"meeting": "", "observer": "王委员", "version": version})
    assert first.status_code == 302
    second = client.post(url, {"meeting": "", "observer": "李委员", "version": version})
    assert second.status_code == 200 and "其他人刚刚保存过" in second.content.decode()
    assert YearEndCycle.objects.get().observer == "王委员"


def test_the_pages_run_the_same_queries_for_a_small_and_a_large_branch(
    committee, cast, clock, client_for
):
    client = client_for("community_secretary")
    client.get(page(committee.branch))  # warm the session and the scope
    one = [(committee.members[0], committee.members[9], "members")]
    services.pairs_add(branch=committee.branch, year=YEAR, pairs=one, actor=None)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    overview = reverse("year_end:overview", args=[cast.community_a.pk])
    small = count(page(committee.branch)), count(overview)
    for which in ("secretary", "committee"):
        pairs = services.pair_suggestions(
            branch=committee.branch, year=YEAR, today=clock.day, which=which
        )
        services.pairs_add(branch=committee.branch, year=YEAR, pairs=pairs, actor=None)
    for n in range(8):
        extra = member(branch=committee.branch)
        services.appraisal_save(
            branch=committee.branch,
            year=YEAR,
            member=extra,
            data={"decision": "qualified"},
            version=None,
            actor=None,
        )
        services.item_add(
            branch=committee.branch,
            year=YEAR - n % 2,
            data={
                "source": "branch",
                "problem": f"问题{n}",
                "measure": "措施",
                "owner": "书记",
                "deadline": datetime.date(2026, 11, 1),
            },
            client_key=None,
            actor=None,
        )
    large = count(page(committee.branch)), count(overview)
    assert large == small


def test_the_ledger_prints_the_year_end_without_the_talk_notes(committee, clock, client_for):
    client = client_for("community_secretary")
    a, b = committee.members[0], committee.members[5]
    services.pairs_add(branch=committee.branch, year=YEAR, pairs=[(a, b, "members")], actor=None)
    pair = TalkPair.objects.get()
    services.talk_record(
        pair=pair, data={"held_on": clock.day, "note": NOTE}, version=1, actor=None
    )
    services.appraisal_save(
        branch=committee.branch,
        year=YEAR,
        member=b,
        data={"decision": "qualified", "absent_reason": "住院"},
        version=None,
        actor=None,
    )
    _add_item(client, committee.branch, str(uuid.uuid4()))
    url = reverse("activities:ledger", args=[committee.branch.pk])
    body = client.get(url, {"year": YEAR}).content.decode()
    section = body[body.index('id="ledger-year-end"') :]
    assert "已安排1对谈话，已谈1对。" in section
    assert b.name in section and "合格" in section and "住院" in section
    assert "对卧床党员送学上门不及时" in section and "整改中" in section
    assert NOTE not in body


def test_a_doubled_appraisal_or_talk_submit_saves_once_without_a_conflict(
    committee, clock, client_for
):
    client = client_for("community_secretary")
    member_ = committee.members[5]
    url = reverse("year_end:appraisal", args=[committee.branch.pk, YEAR, member_.pk])
    client.post(url, {"decision": "qualified"})
    data = {"decision": "excellent", "proposal": "excellent", "version": "1"}
    first = client.post(url, data)
    assert first.status_code == 302, first.content.decode()[-4000:]
    assert client.post(url, data).status_code == 302  # the second click: nothing to do
    assert Appraisal.objects.get().decision == "excellent"
    updates = AuditEntry.objects.filter(object_type="activities.appraisal", action="update")
    assert updates.count() == 1
    life = reverse("year_end:life_meeting", args=[committee.branch.pk, YEAR])
    again = {"meeting": "", "observer": "王委员", "version": ""}
    assert client.post(life, again).status_code == 302
    assert client.post(life, again).status_code == 302


def test_nothing_to_rectify_clicked_twice_stays_recorded(committee, clock, client_for):
    client = client_for("community_secretary")
    url = reverse("year_end:no_problems", args=[committee.branch.pk, YEAR])
    assert 'name="value" value="1"' in client.get(url).content.decode()
    client.post(url, {"value": "1"})
    client.post(url, {"value": "1"})
    assert YearEndCycle.objects.get().no_problems is True
    assert 'name="value" value="0"' in client.get(url).content.decode()
    client.post(url, {"value": "0"})
    assert YearEndCycle.objects.get().no_problems is False
