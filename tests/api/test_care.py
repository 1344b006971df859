"""/api/v1/care-visits/ and /api/v1/care-coverage/: visits as the care pages show them
(notes masked without can_view_sensitive), the coverage from the care pages' selector,
and recording a visit through the page's form and service (idempotent on the client's
key, audited, the dashboards' last-visit date and a 送学上门's make-up kept)."""

import datetime
import uuid
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import localdate as today

from accounts.models import AuditEntry
from activities.care.models import CareNeed, CareVisit, FollowUp
from activities.meetings.models import Attendance, AttendanceStatus, BranchMonthTally, MeetingKind
from activities.meetings.services import recording

from ..activities.conftest import member

LIST = reverse("api_v1:care-visit-list")
DAYS = datetime.timedelta(days=1)


def detail(visit):
    return reverse("api_v1:care-visit-detail", kwargs={"pk": visit.pk})


def node_coverage(node, by=""):
    url = reverse("api_v1:care-coverage-node", kwargs={"pk": node.pk})
    return f"{url}?by={by}" if by else url


def branch_coverage(branch):
    return reverse("api_v1:care-coverage-branch", kwargs={"pk": branch.pk})


def a_visit(who, day, kind="routine", summary="血压偏高，按时服药", **fields):
    return CareVisit.objects.create(
        member=who, visited_on=day, kind=kind, visitors="张书记", summary=summary, **fields
    )


def snapshot():
    return [
        *CareVisit.objects.order_by("pk").values_list("pk", "kind", "visited_on"),
        *FollowUp.objects.order_by("pk").values_list("pk", "state"),
        *CareNeed.objects.order_by("pk").values_list("pk", "last_visit_on"),
        AuditEntry.objects.count(),
    ]


# --- Reads -------------------------------------------------------------------------------


def test_the_list_holds_the_scope_newest_first(cast, api_for):
    older = a_visit(cast.member_a, datetime.date(2026, 1, 5))
    newer = a_visit(cast.member_a, datetime.date(2026, 2, 5), kind="festival", occasion="春节")
    same_day = a_visit(cast.member_a_bedridden, datetime.date(2026, 2, 5))
    other = a_visit(cast.member_b, datetime.date(2026, 2, 6))
    rows = api_for("community_secretary").get(LIST).json()["results"]
    assert [r["id"] for r in rows] == [same_day.pk, newer.pk, older.pk]
    row = rows[1]
    assert (row["member"], row["member_name"]) == (cast.member_a.pk, "赵德明")
    assert row["branch"] == cast.branch_a.pk
    assert (row["kind"], row["kind_display"], row["occasion"]) == ("festival", "节日慰问", "春节")
    assert row["visited_on"] == "2026-02-05" and row["made_up"] is False
    assert [r["id"] for r in api_for("community_b_secretary").get(LIST).json()["results"]] == [
        other.pk
    ]
    assert api_for("unit_liaison").get(LIST).json()["count"] == 0
    assert api_for("outsider").get(LIST).json()["count"] == 0


def test_notes_are_masked_without_the_sensitive_capability(cast, api_for):
    visit = a_visit(cast.member_a, datetime.date(2026, 1, 5), matters_raised="需要助餐")
    FollowUp.objects.create(visit=visit, matter="申请助餐服务", owner_name="居委会", due_on=today())
    shown = api_for("community_secretary").get(detail(visit)).json()
    assert shown["notes_shown"] is True
    assert (shown["summary"], shown["matters_raised"]) == ("血压偏高，按时服药", "需要助餐")
    assert [x["matter"] for x in shown["follow_ups"]] == ["申请助餐服务"]
    assert shown["follow_ups"][0]["state_display"] == "待办"
    # The district reads the visit but not the member's health: masked as on the page.
    for key in ("district_staff", "street_staff", "city_admin"):
        masked = api_for(key).get(detail(visit)).json()
        assert masked["notes_shown"] is False, key
        assert (masked["summary"], masked["matters_raised"]) == ("***", "***")
        assert [x["matter"] for x in masked["follow_ups"]] == ["***"]
        row = api_for(key).get(LIST).json()["results"][0]
        assert (row["summary"], row["matters_raised"]) == ("***", "***")
        assert "血压" not in api_for(key).get(LIST).content.decode()
    assert api_for("district_b_staff").get(detail(visit)).status_code == 404


def test_the_list_filters(cast, api_for):
    january = a_visit(cast.member_a, datetime.date(2026, 1, 5))
    phone = a_visit(cast.member_a_bedridden, datetime.date(2026, 2, 5), kind="phone")
    api = api_for("community_secretary")

    def ids(query):
        response = api.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids(f"member={cast.member_a.pk}") == [january.pk]
    assert ids(f"branch={cast.branch_a.pk}") == [phone.pk, january.pk]
    assert ids("kind=phone") == [phone.pk]
    assert ids("visited_from=2026-02-01&visited_to=2026-02-28") == [phone.pk]
    phone.refresh_from_db()
    assert ids(urlencode({"updated_since": phone.updated_at.isoformat()})) == [phone.pk]
    assert api.get(f"{LIST}?kind=chat").status_code == 400
    assert api.get(f"{LIST}?member=x").status_code == 400


def _count(api, url):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_queries_are_pinned_and_constant_with_data_size(cast, api_for):
    api = api_for("community_secretary")
    api.get(LIST)
    visit = a_visit(cast.member_a, datetime.date(2026, 1, 5))
    FollowUp.objects.create(visit=visit, matter="事项", owner_name="居委会", due_on=today())
    small = (
        _count(api, LIST),
        _count(api, detail(visit)),
        _count(api, node_coverage(cast.community_a)),
    )
    for n in range(12):
        someone = member(branch=cast.branch_a)
        CareNeed.objects.create(member=someone, poor_health=True, started_on=today() - 40 * DAYS)
        a_visit(someone, today() - n * DAYS)
        FollowUp.objects.create(visit=visit, matter=f"事项{n}", owner_name="居委会", due_on=today())
    big = (
        _count(api, LIST),
        _count(api, detail(visit)),
        _count(api, node_coverage(cast.community_a)),
    )
    assert big == small == (5, 5, 6)


# --- Coverage ----------------------------------------------------------------------------


def test_coverage_is_the_care_pages_figure(cast, api_for):
    CareNeed.objects.create(
        member=cast.member_a, poor_health=True, interval_days=30, started_on=today() - 100 * DAYS
    )
    CareNeed.objects.create(
        member=cast.member_a_bedridden,
        poor_health=True,
        interval_days=30,
        started_on=today() - 100 * DAYS,
    )
    CareNeed.objects.create(
        member=cast.member_b, lives_alone=True, interval_days=30, started_on=today() - 5 * DAYS
    )
    a_visit(cast.member_a, today() - 30 * DAYS)  # on the boundary day: still covered
    a_visit(cast.member_a_bedridden, today() - 3 * DAYS, kind="phone")  # a call is no visit
    data = api_for("district_staff").get(node_coverage(cast.community_a)).json()
    assert (data["node"], data["name"], data["by"]) == (cast.community_a.pk, "翠园社区", "branch")
    assert data["on"] == today().isoformat()
    row = {
        "id": cast.branch_a.pk,
        "name": cast.branch_a.name,
        "needs": 2,
        "covered": 1,
        "overdue": 1,
        "waiting": 0,
        "follow_ups_past_due": 0,
        "share": 0.5,
    }
    assert data["rows"] == [row]
    assert data["total"] == {**row, "id": None, "name": ""}
    city = api_for("city_admin").get(node_coverage(cast.city)).json()
    assert city["by"] == "community"
    assert {(r["name"], r["needs"], r["covered"]) for r in city["rows"]} == {
        ("翠园社区", 2, 1),
        ("梅岭社区", 1, 0),
    }
    assert city["total"]["waiting"] == 1  # member_b: a new need inside its first interval
    # The branch's own view, for its secretary (who does not read the community's).
    own = api_for("branch_secretary").get(branch_coverage(cast.branch_a)).json()
    assert own["total"] == {**row, "id": None, "name": ""}
    assert api_for("branch_secretary").get(node_coverage(cast.community_a)).status_code == 404
    assert api_for("community_b_secretary").get(branch_coverage(cast.branch_a)).status_code == 404
    bad = api_for("district_staff").get(node_coverage(cast.community_a, by="street"))
    assert bad.status_code == 400 and list(bad.json()) == ["by"]


# --- Record a visit ------------------------------------------------------------------------


def visit_body(cast, **extra):
    return {
        "client_key": str(uuid.uuid4()),
        "member": cast.member_a.pk,
        "kind": "sick_visit",
        "visited_on": (today() - DAYS).isoformat(),
        "visitors": "刘书记、小王",
        "summary": "术后恢复良好",
        "follow_up_matter": "联系社区医生上门",
        "follow_up_owner": "居委会",
        "follow_up_due": (today() + 7 * DAYS).isoformat(),
        **extra,
    }


def test_a_visit_sent_twice_is_recorded_once_and_the_dashboards_see_it(cast, api_for):
    need = CareNeed.objects.create(
        member=cast.member_a, poor_health=True, interval_days=30, started_on=today() - 100 * DAYS
    )
    api = api_for("branch_secretary")
    before_coverage = api.get(branch_coverage(cast.branch_a)).json()["total"]
    assert (before_coverage["covered"], before_coverage["overdue"]) == (0, 1)
    body = visit_body(cast)
    first = api.post(LIST, body, format="json")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["replayed"] is False and data["summary"] == "术后恢复良好"
    assert [x["matter"] for x in data["follow_ups"]] == ["联系社区医生上门"]
    visit = CareVisit.objects.get(pk=data["id"])
    assert (visit.member, visit.kind, visit.visitors) == (
        cast.member_a,
        "sick_visit",
        "刘书记、小王",
    )
    assert str(visit.client_key) == body["client_key"]
    assert visit.recorded_by.api_client.name == "twin of branch_secretary"
    entries = AuditEntry.objects.filter(object_type="activities.carevisit", object_id=str(visit.pk))
    assert entries.count() == 1
    need.refresh_from_db()
    assert need.last_visit_on == today() - DAYS  # the dashboards' derived date
    after = api.get(branch_coverage(cast.branch_a)).json()["total"]
    assert (after["covered"], after["overdue"]) == (1, 0)

    before = snapshot()
    again = api.post(LIST, body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == visit.pk and again.json()["replayed"] is True
    assert snapshot() == before


def test_a_home_study_visit_makes_up_the_meeting(cast, api_for):
    held_on = today() - 10 * DAYS
    meeting = recording.meeting_record_new(
        branch=cast.branch_a,
        details={"kind": MeetingKind.THEME_DAY, "topic": "主题党日", "held_on": held_on},
        marks={cast.member_a.pk: recording.Mark(AttendanceStatus.ABSENT)},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    tally = BranchMonthTally.objects.get(branch=cast.branch_a, month=held_on.replace(day=1))
    assert tally.made_up == 0
    body = visit_body(cast, kind="home_study", meeting=meeting.pk, visited_on=today().isoformat())
    response = api_for("community_secretary").post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["made_up"] is True and response.json()["meeting"] == meeting.pk
    line = Attendance.objects.get(meeting=meeting, member=cast.member_a)
    assert line.make_up.kind == "home_delivery" and line.make_up.made_up_on == today()
    tally.refresh_from_db()
    assert tally.made_up == 1


def test_visit_validation_answers_the_forms_messages_and_writes_nothing(cast, api_for):
    api = api_for("community_secretary")
    before = snapshot()
    future = api.post(LIST, visit_body(cast, visited_on="2999-01-01"), format="json")
    assert future.status_code == 400 and future.json() == {"visited_on": ["日期不能晚于今天。"]}
    meeting = recording.meeting_record_new(
        branch=cast.branch_a,
        details={"kind": MeetingKind.THEME_DAY, "topic": "主题党日", "held_on": today() - DAYS},
        marks={cast.member_a.pk: recording.Mark(AttendanceStatus.ABSENT)},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    before = snapshot()
    routine = api.post(LIST, visit_body(cast, meeting=meeting.pk), format="json")
    assert routine.json() == {"meeting": ["只有送学上门才能补学会议。"]}
    no_owner = api.post(LIST, visit_body(cast, follow_up_owner=""), format="json")
    assert no_owner.status_code == 400 and list(no_owner.json()) == ["follow_up_owner"]
    missing = api.post(LIST, {"member": cast.member_a.pk}, format="json")
    assert set(missing.json()) == {"client_key", "kind", "visited_on", "visitors"}
    assert snapshot() == before


def test_recording_is_scoped_like_the_visit_page(cast, api_for):
    body = visit_body(cast)
    apis = {key: api_for(key) for key in ("street_staff", "district_b_staff", "unit_liaison")}
    before = snapshot()
    assert apis["street_staff"].post(LIST, body, format="json").status_code == 403
    assert apis["district_b_staff"].post(LIST, body, format="json").status_code == 404
    assert apis["unit_liaison"].post(LIST, body, format="json").status_code == 404
    assert snapshot() == before


def test_a_key_used_for_another_member_is_refused(cast, api_for):
    body = visit_body(cast)
    assert api_for("community_secretary").post(LIST, body, format="json").status_code == 201
    api = api_for("community_b_secretary")
    before = snapshot()
    reused = api.post(LIST, {**body, "member": cast.member_b.pk}, format="json")
    assert reused.status_code == 409
    assert "术后" not in reused.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("key", ["community_secretary", "branch_secretary"])
def test_the_visit_answers_in_the_list_afterwards(cast, api_for, key):
    api = api_for(key)
    created = api.post(LIST, visit_body(cast), format="json").json()
    assert [r["id"] for r in api.get(f"{LIST}?member={cast.member_a.pk}").json()["results"]] == [
        created["id"]
    ]


def test_notes_from_a_client_that_may_not_read_them_are_refused(cast, api_for, monkeypatch):
    """Every role that records care reads the notes today; were one not to, the notes it
    sends are refused (the page does not show it those fields) rather than dropped."""
    from activities.care.selectors import CareGate

    api = api_for("community_secretary")
    monkeypatch.setattr(CareGate, "sensitive", lambda self, member: False)
    before = snapshot()
    response = api.post(LIST, visit_body(cast), format="json")
    assert response.status_code == 400
    assert response.json() == {"summary": ["您无权查看或填写该党员的关怀记录内容。"]}
    assert snapshot() == before
    plain = api.post(LIST, visit_body(cast, summary="", follow_up_matter=""), format="json")
    assert plain.status_code == 201 and plain.json()["summary"] == "***"
