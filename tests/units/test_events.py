"""Unit events (原单位 -> 社区): the liaison reports, the community accepts, declines or
does each kind through the members' services; conflicts, scope, the list's query
string and its query count, the workbench's counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from members.models import Member, MemberStatus, RegistrationStatus
from members.validators import make_id_number
from tests.factories import audit_entries
from tests.security.matrix.unit_events import event
from units.events import services
from units.events.models import DEFAULT_DAYS, UnitEvent, UnitEventKind
from units.events.services import EventError
from units.messages.models import UnitMessage, UnitMessageKind

TODAY = timezone.localdate


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def secretary(cast):
    return cast.user("community_secretary")


def outcome_message(event_):
    return UnitMessage.objects.get(kind=UnitMessageKind.EVENT_OUTCOME, subject=f"event:{event_.pk}")


# --- Reporting ---------------------------------------------------------------------------


def test_the_liaison_reports_a_newly_retired_cadre_with_the_default_deadline(cast, client_for):
    client = client_for("unit_liaison")
    url = reverse("unit_events:report", args=[cast.unit_a.pk, "newly_retired"])
    response = client.post(
        url,
        {
            "name": " 孙桂芝 ",
            "gender": "female",
            "birth_date": "1965-03-08",
            "phone": "139 1234 5678",
            "address": "翠园小区3栋501",
            "retirement_type": "tuixiu",
            "retired_on": (TODAY() - days(30)).isoformat(),
            "former_post": "教研室主任",
            "community": cast.community_a.pk,
            "due_on": (TODAY() + days(DEFAULT_DAYS)).isoformat(),
        },
    )
    assert response.status_code == 302
    created = UnitEvent.objects.get()
    assert (created.kind, created.unit, created.community) == (
        "newly_retired",
        cast.unit_a,
        cast.community_a,
    )
    assert (created.name, created.phone, created.state) == ("孙桂芝", "13912345678", "open")
    assert created.due_on == TODAY() + days(DEFAULT_DAYS)
    assert created.reported_by == cast.user("unit_liaison")
    [entry] = audit_entries(created)
    assert entry.changes["after"]["name"] == "孙**"  # the trail masks the person
    assert "13912345678" not in str(entry.changes)
    # The form offers the district's communities, grouped by street; not district B's.
    page = client.get(url).content.decode()
    assert cast.community_a2.name in page and cast.community_b.name not in page
    assert f'<optgroup label="{cast.street_a.name}">' in page


def test_other_kinds_name_a_retiree_of_the_unit_and_go_to_their_community(cast, client_for):
    client = client_for("unit_liaison")
    url = reverse("unit_events:report", args=[cast.unit_a.pk, "moved"])
    # member_a_reported lives in community_a but retired from unit_b: not offered.
    response = client.post(url, {"member": cast.member_a_reported.pk, "due_on": TODAY()})
    assert response.status_code == 200 and "member" in response.context["form"].errors
    response = client.post(url, {"member": cast.member_a.pk, "due_on": TODAY()})
    assert response.status_code == 302
    created = UnitEvent.objects.get()
    assert (created.member, created.community) == (cast.member_a, cast.community_a)


def test_a_liaison_reports_only_for_their_own_unit(cast, client_for):
    url = reverse("unit_events:report", args=[cast.unit_b.pk, "moved"])
    assert client_for("unit_liaison").get(url).status_code == 404
    url = reverse("unit_events:report", args=[cast.unit_a.pk, "nonsense"])
    assert client_for("unit_liaison").get(url).status_code == 404


# --- Doing each kind ---------------------------------------------------------------------


def test_registering_a_newly_retired_cadre_creates_the_member_and_an_accepted_registration(
    cast, secretary
):
    task = event(cast, UnitEventKind.NEWLY_RETIRED)
    number = make_id_number("319901", task.birth_date, 8, male=False)
    fields = {
        "name": task.name,
        "gender": task.gender,
        "birth_date": task.birth_date,
        "id_number": number,
        "phone": task.phone,
        "address": task.address,
        "retirement_type": task.retirement_type,
        "retired_on": task.retired_on,
        "former_post": task.former_post,
    }
    done = services.event_register(
        event=task,
        version=task.version,
        fields=fields,
        branch=cast.branch_a,
        party_group=cast.group_a,
        actor=secretary,
    )
    member = Member.objects.by_id_number(number).get()
    assert (member.community, member.original_unit, member.home_branch, member.party_group) == (
        cast.community_a,
        cast.unit_a,
        cast.branch_a,
        cast.group_a,
    )
    registration = member.registrations.get()
    # Accepted, and at once notified: unit_a has a liaison, whose inbox got the notice.
    assert registration.status == RegistrationStatus.NOTIFIED
    assert (done.state, done.result_member, done.version) == ("done", member, 2)
    assert UnitEvent.objects.get(pk=task.pk).result_member == member
    assert audit_entries(member) and audit_entries(registration)
    assert [e.changes["after"]["state"] for e in audit_entries(task)] == ["done"]
    message = outcome_message(task)
    assert (message.unit, message.community) == (cast.unit_a, cast.community_a)


def test_registering_through_the_page_starts_from_the_events_details(cast, client_for):
    task = event(cast, UnitEventKind.NEWLY_RETIRED)
    client = client_for("community_secretary")
    url = reverse("unit_events:do", args=[task.pk])
    form = client.get(url).context["form"]
    assert form["name"].value() == "孙桂芝"
    assert form["former_post"].value() == "教研室主任"
    assert form["phone"].value() == "13912345678"
    response = client.post(
        url,
        {
            "version": task.version,
            "name": "孙桂芝",
            "gender": "female",
            "birth_date": "1965-03-08",
            "id_number": make_id_number("319901", datetime.date(1965, 3, 8), 8, male=False),
            "retirement_type": "tuixiu",
            "branch": cast.branch_a.pk,
        },
    )
    assert response.status_code == 302
    assert UnitEvent.objects.get(pk=task.pk).state == "done"
    # A second secretary with the same page open: refused, nothing registered twice.
    response = client.post(
        url, {"version": task.version, "branch": cast.branch_a.pk, "name": "孙桂芝"}
    )
    assert response.status_code == 404  # the task is closed: nothing left to do
    assert Member.objects.filter(name="孙桂芝").count() == 1


def test_moved_away_withdraws_the_registration_and_leaves_the_branch(cast, secretary):
    task = event(cast, UnitEventKind.MOVED)
    on = TODAY() - days(3)
    services.event_status(event=task, version=task.version, on=on, actor=secretary)
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.status, member.status_on, member.home_branch) == (MemberStatus.MOVED, on, None)
    assert cast.member_a.registrations.get().status == RegistrationStatus.WITHDRAWN
    assert audit_entries(member)[-1].changes["after"]["status"] == "moved"
    assert UnitEvent.objects.get(pk=task.pk).state == "done"
    assert outcome_message(task)


def test_a_death_is_recorded_on_the_day_it_happened(cast, secretary):
    task = event(cast, UnitEventKind.DIED)
    services.event_status(event=task, version=task.version, on=task.happened_on, actor=secretary)
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.status, member.status_on) == (MemberStatus.DECEASED, task.happened_on)
    assert member.home_branch == cast.branch_a  # a death keeps the history as it was
    assert audit_entries(member)[-1].changes["after"]["status"] == "deceased"


def test_a_future_death_date_is_refused_and_nothing_changes(cast, secretary):
    task = event(cast, UnitEventKind.DIED)
    with pytest.raises(EventError):
        services.event_status(
            event=task, version=task.version, on=TODAY() + days(1), actor=secretary
        )
    assert UnitEvent.objects.get(pk=task.pk).state == "open"
    assert Member.objects.get(pk=cast.member_a.pk).status == MemberStatus.ACTIVE


def test_a_relation_transfer_changes_only_the_relation_fields(cast, secretary):
    task = event(cast, UnitEventKind.RELATION_TRANSFERRED)
    before = Member.objects.get(pk=cast.member_a.pk)
    services.event_transfer(
        event=task,
        version=task.version,
        relation={
            "relation_kind": "branch",
            "relation_branch": cast.branch_a,
            "relation_note": "2026年转入",
            "name": "改名",  # not a relation field: ignored
        },
        actor=secretary,
    )
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.relation_kind, member.relation_branch, member.relation_note) == (
        "branch",
        cast.branch_a,
        "2026年转入",
    )
    assert (member.name, member.status, member.home_branch) == (
        before.name,
        before.status,
        before.home_branch,
    )
    entry = audit_entries(member)[-1]
    assert set(entry.changes["after"]) <= {"relation_kind", "relation_branch", "relation_note"}


def test_a_visit_closes_with_what_came_of_it(cast, secretary):
    task = event(cast)
    with pytest.raises(EventError):
        services.event_visited(event=task, version=task.version, outcome=" ", actor=secretary)
    services.event_visited(event=task, version=task.version, outcome="已上门看望", actor=secretary)
    task.refresh_from_db()
    assert (task.state, task.outcome, task.handled_by) == ("done", "已上门看望", secretary)
    assert outcome_message(task).body == "已上门看望"


# --- Accept, decline, conflicts ----------------------------------------------------------


def test_declining_needs_a_reason_and_tells_the_unit(cast, secretary):
    task = event(cast)
    with pytest.raises(EventError) as refused:
        services.event_decline(event=task, version=task.version, reason="  ", actor=secretary)
    assert refused.value.code == "reason"
    assert UnitEvent.objects.get(pk=task.pk).state == "open"
    assert not UnitMessage.objects.exists()
    services.event_decline(event=task, version=task.version, reason="已由子女照顾", actor=secretary)
    task.refresh_from_db()
    assert (task.state, task.outcome) == ("declined", "已由子女照顾")
    assert outcome_message(task).body == "已由子女照顾"
    assert audit_entries(task)[-1].changes["after"]["state"] == "declined"


def test_the_decline_page_refuses_an_empty_reason(cast, client_for):
    task = event(cast)
    response = client_for("community_secretary").post(
        reverse("unit_events:decline", args=[task.pk]), {"version": task.version, "reason": ""}
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert UnitEvent.objects.get(pk=task.pk).state == "open"


def test_two_secretaries_at_once_the_second_gets_a_conflict(cast, secretary):
    task = event(cast)
    stale = UnitEvent.objects.get(pk=task.pk)  # the second secretary's page
    services.event_accept(event=task, version=task.version, actor=secretary)
    entries = AuditEntry.objects.count()
    with pytest.raises(EventError) as refused:
        services.event_decline(
            event=stale, version=stale.version, reason="不归我们", actor=secretary
        )
    assert refused.value.code == "conflict"
    stored = UnitEvent.objects.get(pk=task.pk)
    assert (stored.state, stored.version, stored.outcome) == ("accepted", 2, "")
    assert AuditEntry.objects.count() == entries and not UnitMessage.objects.exists()


def test_a_conflict_leaves_the_member_untouched(cast, secretary):
    task = event(cast, UnitEventKind.MOVED)
    with pytest.raises(EventError):
        services.event_status(event=task, version=task.version + 1, on=TODAY(), actor=secretary)
    assert Member.objects.get(pk=cast.member_a.pk).status == MemberStatus.ACTIVE


def test_the_page_shows_the_conflict_in_chinese(cast, client_for):
    task = event(cast)
    client = client_for("community_secretary")
    services.event_accept(event=task, version=task.version, actor=cast.user("community_secretary"))
    response = client.post(
        reverse("unit_events:decline", args=[task.pk]), {"version": 1, "reason": "不归我们"}
    )
    assert response.status_code == 200
    assert "其他人刚刚办理了这项任务" in response.content.decode()
    assert UnitEvent.objects.get(pk=task.pk).state == "accepted"


# --- Scope -------------------------------------------------------------------------------


def _foreign_events(cast):
    """unit_b's event in community_a (member_a_reported) and in community_b (member_b)."""
    in_a = UnitEvent.objects.create(
        unit=cast.unit_b,
        community=cast.community_a,
        kind="moved",
        member=cast.member_a_reported,
        due_on=TODAY(),
    )
    in_b = UnitEvent.objects.create(
        unit=cast.unit_b,
        community=cast.community_b,
        kind="died",
        member=cast.member_b,
        due_on=TODAY(),
    )
    return in_a, in_b


def _listed(client):
    return {e.pk for e in client.get(reverse("unit_events:list")).context["page"].object_list}


def test_a_liaison_sees_only_their_units_events(cast, client_for):
    own = event(cast)
    in_a, in_b = _foreign_events(cast)
    client = client_for("unit_liaison")
    assert _listed(client) == {own.pk}
    for other in (in_a, in_b):
        assert client.get(reverse("unit_events:detail", args=[other.pk])).status_code == 404


def test_a_community_sees_only_its_own_tasks(cast, client_for):
    own = event(cast)
    in_a, in_b = _foreign_events(cast)
    client = client_for("community_secretary")
    assert _listed(client) == {own.pk, in_a.pk}
    assert client.get(reverse("unit_events:detail", args=[in_b.pk])).status_code == 404
    response = client.post(
        reverse("unit_events:decline", args=[in_b.pk]), {"version": 1, "reason": "越界"}
    )
    assert response.status_code == 404
    assert UnitEvent.objects.get(pk=in_b.pk).state == "open"
    assert _listed(client_for("community_b_secretary")) == {in_b.pk}


def test_street_staff_read_but_may_not_handle(cast, client_for):
    task = event(cast)
    client = client_for("street_staff")
    assert client.get(reverse("unit_events:detail", args=[task.pk])).status_code == 200
    response = client.post(reverse("unit_events:accept", args=[task.pk]), {"version": 1})
    assert response.status_code == 403
    assert UnitEvent.objects.get(pk=task.pk).state == "open"


# --- The list: order, filters, query string, query count ---------------------------------


def _make(cast, n, *, start=0):
    rows = []
    for i in range(start, start + n):
        rows.append(
            UnitEvent(
                unit=cast.unit_a,
                community=cast.community_a,
                kind="visit_requested",
                member=cast.member_a,
                due_on=TODAY() + days(i % 7 - 3),
                state=["open", "accepted", "done", "declined"][i % 4],
                handled_at=timezone.now() if i % 4 >= 2 else None,
            )
        )
    UnitEvent.objects.bulk_create(rows)


def test_open_tasks_come_first_by_due_day_and_overdue_is_said_in_words(cast, client_for):
    _make(cast, 8)
    response = client_for("community_secretary").get(reverse("unit_events:list"))
    rows = list(response.context["page"].object_list)
    states = [r.state for r in rows]
    assert states[:4] == sorted(states[:4], key=lambda s: s not in ("open", "accepted"))
    open_rows = [r for r in rows if r.state in ("open", "accepted")]
    assert [r.due_on for r in open_rows] == sorted(r.due_on for r in open_rows)
    assert rows.index(open_rows[-1]) < len(open_rows)
    assert "逾期" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("state=overdue&kind=visit_requested", 200),
        ("state=%C2%B2", 200),  # a superscript two
        ("kind=nonsense&page=99999999999999999999999999", 200),
        ("page=%C2%B9", 200),
        ("state=open%00", 400),  # NUL: refused by the middleware
    ],
)
def test_the_lists_query_string_is_parsed_by_a_form(cast, client_for, query, status):
    _make(cast, 4)
    response = client_for("community_secretary").get(f"{reverse('unit_events:list')}?{query}")
    assert response.status_code == status


def test_the_state_filter_keeps_what_it_says(cast, client_for):
    _make(cast, 8)
    client = client_for("community_secretary")
    url = reverse("unit_events:list")
    overdue = client.get(url + "?state=overdue").context["page"].object_list
    assert overdue and all(e.state in ("open", "accepted") and e.due_on < TODAY() for e in overdue)
    bad = client.get(url + "?state=%C2%B2")
    assert bad.context["form"].errors and len(bad.context["page"].object_list) == 8


def test_the_task_list_costs_the_same_queries_with_more_data(
    cast, client_for, django_assert_num_queries
):
    client = client_for("community_secretary")
    url = reverse("unit_events:list") + "?state=open"
    _make(cast, 3)
    client.get(url)  # warm the session
    # session, user, the user's grants, count, the page's rows (unit, community and
    # member joined).
    with django_assert_num_queries(5) as few:
        client.get(url)
    _make(cast, 30, start=3)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


# --- The workbench -----------------------------------------------------------------------


def test_the_workbench_counts_equal_the_list_they_link_to(cast, client_for):
    _make(cast, 12)
    for role in ("community_secretary", "unit_liaison"):
        client = client_for(role)
        section = next(
            s["data"]
            for s in client.get(reverse("home")).context["panels"]["units"]["sections"]
            if s["name"] == "events"
        )
        url = reverse("unit_events:list")
        opened = client.get(url + "?state=open").context["page"].paginator.count
        overdue = client.get(url + "?state=overdue").context["page"].paginator.count
        assert (section["open"], section["overdue"]) == (opened, overdue) == (6, 4)
        assert section["next_due"] == TODAY() - days(3)
    assert section["reporter"] and len(section["recent"]) == 5


def test_the_workbench_section_is_absent_for_those_it_does_not_concern(cast, client_for):
    response = client_for("branch_secretary").get(reverse("home"))
    sections = (response.context["panels"].get("units") or {}).get("sections", [])
    assert "events" not in [s["name"] for s in sections]


def test_a_newcomers_phone_is_whole_to_the_unit_and_in_the_audited_form(cast, client_for):
    task = event(cast, UnitEventKind.NEWLY_RETIRED)
    url = reverse("unit_events:detail", args=[task.pk])
    for role, whole in (
        ("community_secretary", False),
        ("unit_liaison", True),
        ("street_staff", False),
        ("district_staff", False),
    ):
        page = client_for(role).get(url).content.decode()
        assert ("13912345678" in page) is whole, role
        assert ("139****5678" in page) is not whole, role
    client = client_for("community_secretary")
    page = client.get(reverse("unit_events:do", args=[task.pk])).content.decode()
    assert "13912345678" in page
    entry = audit_entries(task)[-1]
    assert (entry.action, entry.actor) == ("view_sensitive", cast.user("community_secretary"))


def test_erasing_a_member_takes_the_events_about_them_and_their_outcome_messages(cast, secretary):
    from members.erasure import member_erase

    task = event(cast, UnitEventKind.MOVED)
    services.event_status(event=task, version=task.version, on=TODAY(), actor=secretary)
    other = event(cast, UnitEventKind.VISIT_REQUESTED)
    other.member = cast.member_b
    other.save(update_fields=["member"])
    assert outcome_message(task)
    member_erase(member=Member.objects.get(pk=cast.member_a.pk), actor=None)
    assert list(UnitEvent.objects.all()) == [other]
    assert not UnitMessage.objects.filter(subject=f"event:{task.pk}").exists()
