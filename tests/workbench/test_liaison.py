"""The original-unit liaison's workbench: their unit's retirees, registered and where,
each one's last participation and care status, who has not registered; numbers equal the
roster's, no health or care details, nobody of another unit."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities import summaries
from activities.care.models import CareNeed, CareVisit
from activities.meetings.models import Attendance, MakeUp, MeetingKind
from tests import factories as f
from tests.reports.conftest import held

d = datetime.date


@pytest.fixture
def unit(cast, frozen_today):
    """unit_a's retirees (today 2026-05-20): 赵德明 (the cast's member_a: branch_a, made
    up on 2 May for April's theme day, care overdue), 吴小红 (registration only reported),
    郑国强 (never registered), 冯志远 (branch_a2, took part on 15 April, visited on 10 May);
    and one who moved away, not counted."""
    a = cast.member_a
    wu = f.member(name="吴小红", community=cast.community_a, original_unit=cast.unit_a)
    f.registration(member=wu, status="reported")
    zheng = f.member(name="郑国强", community=cast.community_a2, original_unit=cast.unit_a)
    feng = f.member(name="冯志远", community=cast.community_a2, original_unit=cast.unit_a)
    f.registration(member=feng, branch=cast.branch_a2)
    f.member(
        name="褚搬走",
        community=cast.community_a2,
        original_unit=cast.unit_a,
        status="moved",
        status_on=d(2026, 1, 5),
    )
    april = held(cast.branch_a, MeetingKind.THEME_DAY, d(2026, 4, 10), [(a, "absent")])
    MakeUp.objects.create(
        attendance=Attendance.objects.get(meeting=april, member=a),
        made_up_on=d(2026, 5, 2),
        delivered_by="支部书记",
        material="四月主题党日学习材料",
    )
    held(cast.branch_a2, MeetingKind.THEME_DAY, d(2026, 4, 15), [(feng, "present")])
    CareNeed.objects.create(
        member=a,
        interval_days=30,
        started_on=d(2026, 1, 1),
        care_note="心脏病，需定期复查",
        lives_alone=True,
    )
    CareNeed.objects.create(member=feng, interval_days=30, started_on=d(2026, 1, 1))
    CareVisit.objects.create(
        member=feng, visited_on=d(2026, 5, 10), kind="routine", visitors="书记"
    )
    summaries.rebuild()
    return {"wu": wu, "zheng": zheng, "feng": feng}


def rows(page: str) -> list[str]:
    body = page.split('id="unit-people"')[1].split("</table>")[0]
    return [cell.split("</a>")[0].rsplit(">", 1)[1] for cell in body.split('<th scope="row">')[1:]]


def test_the_liaison_sees_their_units_retirees_counted_by_hand(cast, unit, client_for):
    page = client_for("unit_liaison").get("/").content.decode()
    panel = page.split('aria-labelledby="my-units"')[1]
    facts = panel.split('class="facts"')[1].split("</dl>")[0]
    # 4 on the roll (the one who moved away is not), 2 registered (赵德明, 冯志远),
    # 1 reported, 1 never registered.
    found = {
        label: re.sub(r"<[^>]+>|\s", "", value)
        for label, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", facts, re.S)
    }
    assert found == {
        "离退休干部人数": "4",
        "已到社区报到": "2",
        "已报到，待社区接收": "1",
        "未报到": "1",
    }
    # Where: branch_a (翠园社区) one, branch_a2 (枫林社区) one.
    places = page.split('id="unit-places"')[1].split("</section>")[0]
    assert f"{cast.branch_a.name}</span>" in places and "翠园社区 · 1 人" in places
    assert f"{cast.branch_a2.name}</span>" in places and "枫林社区 · 1 人" in places


def test_each_retirees_last_participation_and_care_longest_without_first(cast, unit, client_for):
    page = client_for("unit_liaison").get("/").content.decode()
    assert rows(page) == ["吴小红", "郑国强", "冯志远", "赵德明"]
    table = page.split('id="unit-people"')[1].split("</table>")[0]
    feng = table.split("冯志远")[1].split("</tr>")[0]
    assert "4月15日" in feng and "按时走访" in feng
    zhao = table.split("赵德明")[1].split("</tr>")[0]
    assert "5月2日" in zhao and "走访逾期" in zhao  # made up in May; never visited since January
    wu = table.split("吴小红")[1].split("</tr>")[0]
    assert "暂无参加记录" in wu and "—" in wu
    unregistered = page.split('id="unit-unregistered"')[1].split("</section>")[0]
    assert "郑国强" in unregistered and "吴小红" not in unregistered


def test_no_health_or_care_details_and_nobody_of_another_unit(cast, unit, client_for):
    page = client_for("unit_liaison").get("/").content.decode()
    for private in ("心脏病", "独居", "卧床", "lives", cast.member_a.phone):
        assert private not in page
    for other in (cast.member_b.name, cast.member_a_reported.name, cast.member_a_bedridden.name):
        assert other not in page
    assert "褚搬走" not in page


def test_the_counts_equal_the_rosters_the_liaison_is_led_to(cast, unit, client_for):
    client = client_for("unit_liaison")
    page = client.get("/").content.decode()
    unit_q = f"original_unit={cast.unit_a.pk}"
    for query, n in (
        (unit_q, 4),
        (f"registration=reported&amp;{unit_q}", 1),
        (f"registration=none&amp;{unit_q}", 1),
    ):
        assert f'href="/members/?{query}">{n}</a>' in page
        url = "/members/?" + query.replace("&amp;", "&")
        assert client.get(url).context["page"].paginator.count == n, url


def _count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


# The request's own (session, user, roles) and the panel's: units, the counts, where
# they take part, the page of retirees (count and rows), the first not registered, the
# people the unit seconds to branches (选派; their posts take one more query when there are
# some: tests/members/test_secondments.py); the units panel: unread messages to the unit,
# the unit events' counts and latest outcomes, the joint meetings' open action items (a
# count; their rows when any), the feedback reports waiting for acknowledgement.
LIAISON_QUERIES = 3 + 7 + 1 + 2 + 1 + 1


def test_the_list_is_paged_and_the_queries_do_not_grow_with_the_unit(cast, unit, client_for):
    client = client_for("unit_liaison")
    assert _count(client) == LIAISON_QUERIES
    for n in range(30):
        member = f.member(
            name=f"新成员{n:02d}", community=cast.community_a2, original_unit=cast.unit_a
        )
        if n % 2:
            f.registration(member=member, branch=cast.branch_a2)
    assert _count(client) == LIAISON_QUERIES
    page = client.get("/").content.decode()
    assert len(rows(page)) == 20 and "第 1 页 / 共 2 页" in page
    second = client.get("/?retirees=2").content.decode()
    assert len(rows(second)) == 14 and "赵德明" in second  # the latest participation comes last
    # The list of those not registered is bounded too, and leads to the roster of all.
    assert "查看全部 16 名未报到人员" in page
    assert client.get("/?retirees=%E2%81%B9").status_code == 200
