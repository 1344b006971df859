"""Joint meetings (四方联席会议): the rules of a record, who owns an item, closing and
reopening, conflicts, the audit trail, who reads a meeting, the workbench section and
the pages' queries."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.timezone import localdate as today

from accounts.models import AuditEntry
from units.joint import selectors, services
from units.joint.models import ActionItem, JointMeeting, Party
from units.joint.services import ItemEntry, PartyEntry
from units.messages.models import UnitMessage, UnitMessageKind
from workbench import units as workbench_units

from ..security.matrix.joint import edit_post, formset, meeting

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def record(cast, *, items=None, parties=None, actor=None):
    parties = parties or [
        PartyEntry(Party.STREET, cast.street_a),
        PartyEntry(Party.COMMUNITY, cast.community_a, "张书记"),
        PartyEntry(Party.UNIT, cast.unit_a, "刘联络员"),
    ]
    items = (
        items
        if items is not None
        else [ItemEntry("提供名单", Party.UNIT, cast.unit_a, today() + 7 * DAY)]
    )
    return services.meeting_record(
        area=cast.street_a,
        data={"held_on": today(), "place": "", "topic": "报到", "matters": "", "decisions": ""},
        parties=parties,
        items=items,
        actor=actor or cast.user("street_staff"),
    )


# --- The rules of a record ----------------------------------------------------------------


def test_a_meeting_needs_two_parties(cast):
    with pytest.raises(ValidationError) as error:
        record(cast, parties=[PartyEntry(Party.STREET, cast.street_a)], items=[])
    assert "至少要有两个参会方" in str(error.value)
    assert not JointMeeting.objects.exists()


def test_a_node_must_stand_for_the_party_it_is_named_as(cast):
    with pytest.raises(ValidationError) as error:
        record(
            cast,
            parties=[
                PartyEntry(Party.STREET, cast.community_a),
                PartyEntry(Party.UNIT, cast.unit_a),
            ],
        )
    assert "不属于“街道（镇）”" in str(error.value)


def test_an_owner_must_match_its_party_and_have_been_there(cast):
    with pytest.raises(ValidationError) as error:
        record(cast, items=[ItemEntry("走访", Party.BRANCH, cast.unit_a, today())])
    assert "请选择与责任单位相符的责任方" in str(error.value)
    with pytest.raises(ValidationError) as error:
        record(cast, items=[ItemEntry("走访", Party.BRANCH, cast.branch_a, today())])
    assert "不在参会方之中" in str(error.value)
    assert not JointMeeting.objects.exists()


def test_recording_audits_the_meeting_parties_and_items_and_tells_the_unit(cast):
    before = AuditEntry.objects.count()
    m = record(cast)
    types = list(AuditEntry.objects.order_by("pk")[before:].values_list("object_type", "action"))
    assert ("units.jointmeeting", "create") in types
    assert types.count(("units.jointparty", "create")) == 3
    assert ("units.actionitem", "create") in types
    item = m.action_items.get()
    message = UnitMessage.objects.get(kind=UnitMessageKind.ACTION_ITEM)
    assert message.subject == f"action:{item.pk}" and message.unit == cast.unit_a
    assert "提供名单" in message.title


def test_the_recording_page_shows_the_rules_in_chinese(cast, client_for):
    client = client_for("street_staff")
    data = {
        "held_on": today().isoformat(),
        "topic": "少一方",
        **formset("parties", [{"party": "street", "who": f"org:{cast.community_a.pk}"}]),
        **formset("items", []),
    }
    response = client.post(reverse("joint:add"), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "不属于“街道（镇）”" in text and "至少要有两个参会方" in text
    assert not JointMeeting.objects.exists()


def test_a_recorder_cannot_name_a_unit_of_another_district(cast, client_for):
    data = {
        "held_on": today().isoformat(),
        "topic": "外区单位",
        **formset(
            "parties",
            [
                {"party": "street", "who": f"org:{cast.street_a.pk}"},
                {"party": "unit", "who": f"unit:{cast.unit_b.pk}"},
            ],
        ),
        **formset("items", []),
    }
    response = client_for("street_staff").post(reverse("joint:add"), data)
    assert response.status_code == 200
    assert not JointMeeting.objects.exists()


# --- Editing ------------------------------------------------------------------------------


def test_an_edit_over_a_newer_version_is_a_conflict(cast, client_for):
    m = meeting(cast)
    stale = edit_post(cast)
    client = client_for("street_staff")
    assert client.post(reverse("joint:edit", args=[m.pk]), stale).status_code == 302
    m.refresh_from_db()
    assert m.version == 2 and m.matters == "改过的议题"
    again = {**stale, "matters": "第二个人的修改"}  # still carries version 1
    response = client_for("district_staff").post(reverse("joint:edit", args=[m.pk]), again)
    assert response.status_code == 200
    assert "其他人刚刚保存过" in response.content.decode()
    m.refresh_from_db()
    assert m.matters == "改过的议题"


def test_an_edit_touches_only_what_changed_and_audits_it(cast):
    m = record(cast)
    item = m.action_items.get()
    parties = [
        PartyEntry(Party.STREET, cast.street_a),
        PartyEntry(Party.COMMUNITY, cast.community_a, "张书记、李委员"),
        PartyEntry(Party.UNIT, cast.unit_a, "刘联络员"),
    ]
    items = [ItemEntry("提供名单", Party.UNIT, cast.unit_a, today() + 9 * DAY, pk=item.pk)]
    before = AuditEntry.objects.count()
    data = {"held_on": today(), "place": "", "topic": "报到", "matters": "", "decisions": ""}
    assert services.meeting_update(
        meeting=m,
        data=data,
        parties=parties,
        items=items,
        version=1,
        actor=cast.user("street_staff"),
    )
    changes = list(AuditEntry.objects.order_by("pk")[before:].values_list("object_type", "changes"))
    assert [t for t, _ in changes] == ["units.jointparty", "units.actionitem"]
    assert changes[1][1]["after"] == {"due_on": (today() + 9 * DAY).isoformat()}
    assert not services.meeting_update(
        meeting=m,
        data=data,
        parties=parties,
        items=items,
        version=2,
        actor=cast.user("street_staff"),
    )


def test_a_party_owning_a_closed_item_cannot_be_dropped(cast):
    m = record(cast)
    item = m.action_items.get()
    services.item_close(item=item, note="已办", version=1, actor=cast.user("unit_liaison"))
    with pytest.raises(ValidationError) as error:
        services.meeting_update(
            meeting=m,
            data={"topic": "报到"},
            parties=[
                PartyEntry(Party.STREET, cast.street_a),
                PartyEntry(Party.COMMUNITY, cast.community_a),
            ],
            items=[],
            version=1,
            actor=cast.user("street_staff"),
        )
    assert "不在参会方之中" in str(error.value)


# --- Closing and reopening ----------------------------------------------------------------


def test_the_owner_closes_an_item_once_and_the_unit_is_told(cast):
    item = record(cast).action_items.get()
    services.item_close(item=item, note="名单已送到", version=1, actor=cast.user("unit_liaison"))
    item.refresh_from_db()
    assert item.closed_at and item.closing_note == "名单已送到" and item.version == 2
    assert UnitMessage.objects.filter(subject=f"action:{item.pk}:closed").exists()
    stale = ActionItem.objects.get(pk=item.pk)
    with pytest.raises(ValidationError) as error:
        services.item_close(item=stale, note="再点一次", version=2, actor=cast.user("unit_liaison"))
    assert "已被办结" in str(error.value)


def test_a_close_over_a_newer_version_is_a_conflict(cast):
    item = record(cast).action_items.get()
    ActionItem.objects.filter(pk=item.pk).update(version=5)
    with pytest.raises(ValidationError, match="其他人刚刚保存过"):
        services.item_close(item=item, note="x", version=1, actor=cast.user("unit_liaison"))
    assert ActionItem.objects.get(pk=item.pk).closed_at is None


def test_the_recorder_reopens_and_the_owner_closes_again(cast, client_for):
    item = record(cast).action_items.get()
    services.item_close(item=item, note="已办", version=1, actor=cast.user("unit_liaison"))
    url = reverse("joint:item_reopen", args=[item.pk])
    assert client_for("unit_liaison").post(url, {"version": 2}).status_code == 403
    assert client_for("street_staff").post(url, {"version": 2}).status_code == 302
    item.refresh_from_db()
    assert item.closed_at is None and item.closing_note == "" and item.version == 3
    close = reverse("joint:item_close", args=[item.pk])
    response = client_for("unit_liaison").post(close, {"note": "补办", "version": 3})
    assert response.status_code == 302
    assert ActionItem.objects.get(pk=item.pk).closing_note == "补办"


# --- Who owns, who reads ------------------------------------------------------------------


def test_node_items_belong_to_that_nodes_staff_only(cast):
    m = record(
        cast,
        parties=[
            PartyEntry(Party.STREET, cast.street_a),
            PartyEntry(Party.COMMUNITY, cast.community_a),
            PartyEntry(Party.BRANCH, cast.branch_a),
            PartyEntry(Party.UNIT, cast.unit_a),
        ],
        items=[
            ItemEntry("街道协调", Party.STREET, cast.street_a, today()),
            ItemEntry("社区走访", Party.COMMUNITY, cast.community_a, today()),
            ItemEntry("支部党日", Party.BRANCH, cast.branch_a, today()),
            ItemEntry("单位名单", Party.UNIT, cast.unit_a, today()),
        ],
    )
    assert m.action_items.count() == 4

    def owned(key):
        return set(ActionItem.objects.owned_by(cast.user(key)).values_list("title", flat=True))

    assert owned("street_staff") == {"街道协调"}
    assert owned("community_secretary") == {"社区走访", "支部党日"}
    assert owned("branch_secretary") == {"支部党日"}
    assert owned("unit_liaison") == {"单位名单"}
    assert owned("district_staff") == set()  # the bureau's list is not flooded
    assert owned("community_b_secretary") == set()


def test_a_liaison_reads_the_meetings_their_unit_took_part_in_only(cast, client_for):
    ours = record(cast)
    theirs = record(
        cast,
        parties=[
            PartyEntry(Party.STREET, cast.street_a),
            PartyEntry(Party.COMMUNITY, cast.community_a),
        ],
        items=[],
    )
    client = client_for("unit_liaison")
    assert client.get(reverse("joint:meeting", args=[ours.pk])).status_code == 200
    assert client.get(reverse("joint:meeting", args=[theirs.pk])).status_code == 404
    listing = client.get(reverse("joint:list"))
    assert list(listing.context["page"].object_list) == [ours]
    # The branch secretary took part in neither.
    assert (
        client_for("branch_secretary").get(reverse("joint:meeting", args=[ours.pk])).status_code
        == 404
    )


def test_a_community_reads_the_streets_meeting_it_took_part_in(cast, client_for):
    m = record(cast)
    client = client_for("community_secretary")
    assert client.get(reverse("joint:meeting", args=[m.pk])).status_code == 200
    assert client.get(reverse("joint:edit", args=[m.pk])).status_code == 403
    assert (
        client_for("street_a2_staff").get(reverse("joint:meeting", args=[m.pk])).status_code == 404
    )


def test_the_meeting_page_names_its_recorder_by_full_name(cast, client_for):
    # The name is the account's full_name (first and last names are not used): the page
    # showed the user name, a Latin word, in its place.
    recorder = cast.user("street_staff")
    recorder.full_name = "王委员"
    recorder.save(update_fields=["full_name"])
    m = record(cast, actor=recorder)
    body = client_for("community_secretary").get(reverse("joint:meeting", args=[m.pk]))
    assert "<dd>王委员</dd>" in body.content.decode()


# --- The workbench and the list -----------------------------------------------------------


def test_the_workbench_shows_open_items_overdue_first_until_closed(cast, client_for):
    record(
        cast,
        items=[
            ItemEntry("以后再办", Party.UNIT, cast.unit_a, today() + 10 * DAY),
            ItemEntry("早该办了", Party.UNIT, cast.unit_a, today() - 2 * DAY),
        ],
    )
    client = client_for("unit_liaison")
    home = client.get("/").content.decode()
    assert home.index("早该办了") < home.index("以后再办")
    assert "已逾期" in home
    section = next(
        s for s in client.get("/").context["panels"]["units"]["sections"] if s["name"] == "joint"
    )
    listing = client.get(reverse("joint:my_items"))
    assert section["data"]["total"] == len(listing.context["items"]) == 2
    late = ActionItem.objects.get(title="早该办了")
    client.post(reverse("joint:item_close", args=[late.pk]), {"note": "办了", "version": 1})
    home = client.get("/").content.decode()
    assert "早该办了" not in home and "以后再办" in home
    assert len(client.get(reverse("joint:my_items")).context["items"]) == 1
    assert [
        i.title for i in client.get(reverse("joint:my_items") + "?show=closed").context["items"]
    ] == ["早该办了"]


def test_the_workbench_has_no_section_for_those_who_own_nothing(cast, rf):
    request = rf.get("/")
    request.user = cast.user("city_admin")
    from branches.access import scope_for

    assert selectors.workbench_section(request, scope_for(request.user), today()) is None
    assert "joint" in [name for name, *_rest in workbench_units.SECTIONS]


# --- Queries ------------------------------------------------------------------------------


def _grow(cast, n):
    for i in range(n):
        record(cast, items=[ItemEntry(f"事项{i}", Party.UNIT, cast.unit_a, today() - i * DAY)])


@pytest.mark.parametrize("url", ["joint:my_items", "joint:list"])
def test_the_lists_cost_the_same_queries_for_2_and_12_rows(
    cast, client_for, url, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("unit_liaison")
    _grow(cast, 2)
    client.get(reverse(url))  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(reverse(url))
    _grow(cast, 10)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse(url))
    assert len(small) == len(large), (len(small), len(large))


def test_the_meeting_page_and_the_workbench_section_have_fixed_queries(
    cast, client_for, django_assert_num_queries, rf
):
    from branches.access import scope_for

    m = record(
        cast, items=[ItemEntry(f"事项{i}", Party.UNIT, cast.unit_a, today()) for i in range(6)]
    )
    request = rf.get("/")
    request.user = cast.user("unit_liaison")
    scope = scope_for(request.user)  # one query, cached on the user
    # The count and the first rows.
    with django_assert_num_queries(2):
        section = selectors.workbench_section(request, scope, today())
        [item.owner.name for item, _late in section["items"]]
    client = client_for("unit_liaison")
    client.get(reverse("joint:meeting", args=[m.pk]))
    # session + user + grants, the meeting, the items owned, the parties, the items.
    with django_assert_num_queries(7):
        client.get(reverse("joint:meeting", args=[m.pk]))


def test_an_edit_deletes_an_open_item_and_audits_it(cast, client_for):
    m = meeting(cast)
    item = ActionItem.objects.get(meeting=m, title="矩阵单位待办")
    data = edit_post(cast)
    data["items-0-delete"] = "on"
    response = client_for("street_staff").post(reverse("joint:edit", args=[m.pk]), data)
    assert response.status_code == 302
    assert not ActionItem.objects.filter(pk=item.pk).exists()
    assert AuditEntry.objects.filter(
        object_type="units.actionitem", object_id=str(item.pk), action="delete"
    ).exists()
    # The branch was left out of the parties: its row is gone, and its deletion audited.
    assert AuditEntry.objects.filter(
        object_type="units.jointparty", action="delete", object_id__gt=""
    ).exists()


def test_a_street_records_for_itself_and_names_the_nodes_it_reaches(cast):
    areas = list(selectors.recording_areas(cast.user("street_staff")))
    assert areas == [cast.street_a]
    grouped, nodes = selectors.party_choices(cast.street_a)
    assert set(nodes) == {
        f"org:{cast.district_a.pk}",
        f"org:{cast.street_a.pk}",
        f"org:{cast.community_a.pk}",
        f"unit:{cast.unit_a.pk}",
        f"branch:{cast.branch_a.pk}",
        f"branch:{cast.functional_a.pk}",
    }
    assert next(label for label, _rows in grouped) == Party.BUREAU.label
