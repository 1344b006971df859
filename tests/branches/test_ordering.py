"""Party groups are listed by their number (第一, 第二, 第三, 第十; their names sort 第一, 第三,
第二 by code point) and members by the pinyin of their names (阿 陈 李 欧阳 王 张 赵), on
every page that lists them."""

import datetime
import importlib
import re
import uuid

import pytest
from django.apps import apps
from django.urls import reverse

from activities.meetings.models import MeetingKind
from activities.meetings.services import planning
from branches.models import Branch, PartyGroup
from branches.numbering import ordinal_in
from tests.activities.conftest import member, record

GROUPS_IN_ORDER = ["第一党小组", "第二党小组", "第三党小组", "第十党小组"]
NAMES_IN_ORDER = ["阿明", "陈明", "李明", "欧阳明", "王明", "张明", "赵明"]
# One member in each later group, so the sheet shows the groups' order too.
LATER = {"第二党小组": "孙二", "第三党小组": "孙三", "第十党小组": "孙十"}


def in_page_order(text, words):
    """The words as they first appear in the text."""
    found = re.findall("|".join(sorted(map(re.escape, words), key=len, reverse=True)), text)
    return list(dict.fromkeys(found))


@pytest.fixture
def branch(cast):
    """A branch of community_a whose groups were created out of order and whose members
    were added in neither pinyin nor code point order."""
    branch = Branch.objects.create(
        organization=cast.community_a, name="翠园社区离退休干部第三党支部", venue=cast.venue_a
    )
    groups = {
        name: PartyGroup.objects.create(branch=branch, name=name)
        for name in ["第十党小组", "第三党小组", "第一党小组", "第二党小组"]
    }
    for name in ["赵明", "欧阳明", "阿明", "张明", "陈明", "王明", "李明"]:
        member(branch=branch, group=groups["第一党小组"], name=name)
    for group, name in LATER.items():
        member(branch=branch, group=groups[group], name=name)
    return branch


def test_groups_are_numbered_from_the_ordinal_in_their_names(branch):
    numbers = dict(PartyGroup.objects.filter(branch=branch).values_list("name", "number"))
    assert numbers == {"第一党小组": 1, "第二党小组": 2, "第三党小组": 3, "第十党小组": 10}
    assert [ordinal_in(n) for n in ["第十二党小组", "第二十三组", "第4组", "老年组"]] == [
        12,
        23,
        4,
        None,
    ]


def test_the_migration_numbers_by_ordinal_then_by_creation_order(cast):
    branch = cast.branch_b  # holds 第一党小组 already
    late = PartyGroup.objects.create(branch=branch, name="老干部合唱组", number=30)
    second = PartyGroup.objects.create(branch=branch, name="第二党小组", number=31)
    twin = PartyGroup.objects.create(branch=branch, name="第二组", number=32)
    migration = importlib.import_module("branches.migrations.0004_party_group_number")
    migration.number_groups(apps, None)
    numbers = dict(PartyGroup.objects.filter(branch=branch).values_list("pk", "number"))
    assert numbers == {cast.group_b.pk: 1, second.pk: 2, late.pk: 3, twin.pk: 4}


def test_the_branch_page_lists_groups_by_number(branch, client_for):
    text = client_for("community_secretary").get(
        reverse("branches:branch_detail", args=[branch.pk])
    )
    assert in_page_order(text.content.decode(), GROUPS_IN_ORDER) == GROUPS_IN_ORDER


def test_the_record_buttons_list_groups_by_number(branch, client_for):
    text = client_for("community_secretary").get(
        reverse("activities:meeting_list", args=[branch.pk])
    )
    assert in_page_order(text.content.decode(), GROUPS_IN_ORDER) == GROUPS_IN_ORDER
    text = client_for("community_secretary").get(
        reverse("activities:meeting_record_new", args=[branch.pk]) + "?kind=group"
    )
    assert in_page_order(text.content.decode(), GROUPS_IN_ORDER) == GROUPS_IN_ORDER


def test_the_accept_form_offers_groups_by_number(branch, cast, client_for):
    response = client_for("community_secretary").get(
        reverse("members:registration_accept", args=[cast.reg_a_reported.pk])
    )
    labels = [c.choice_label for c in response.context["form"]["party_group"]]
    ours = [label.removeprefix(f"{branch.name} · ") for label in labels if branch.name in label]
    assert ours == GROUPS_IN_ORDER


SHEET_ORDER = [*NAMES_IN_ORDER, "孙二", "孙三", "孙十"]


def test_the_sign_in_sheet_of_a_planned_meeting_lists_groups_by_number_names_by_pinyin(
    branch, client_for
):
    meeting, _ = planning.meeting_plan(
        branch=branch,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "学习",
            "planned_on": datetime.date.today(),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    response = client_for("community_secretary").get(
        reverse("activities:sign_in_sheet", args=[meeting.pk])
    )
    text = response.content.decode()
    assert in_page_order(text, SHEET_ORDER) == SHEET_ORDER
    assert in_page_order(text, GROUPS_IN_ORDER) == GROUPS_IN_ORDER


def test_the_sign_in_sheet_of_a_held_meeting_lists_groups_by_number_names_by_pinyin(
    branch, client_for
):
    meeting = record(branch=branch, held_on=datetime.date.today() - datetime.timedelta(days=3))
    response = client_for("community_secretary").get(
        reverse("activities:sign_in_sheet", args=[meeting.pk])
    )
    assert in_page_order(response.content.decode(), SHEET_ORDER) == SHEET_ORDER


def test_the_roster_lists_names_in_pinyin_order(branch, client_for):
    response = client_for("community_secretary").get(
        reverse("members:roster") + f"?branch={branch.pk}"
    )
    names = [m.name for m in response.context["page"].object_list]
    assert names == [
        "阿明",
        "陈明",
        "李明",
        "欧阳明",
        "孙二",
        "孙三",
        "孙十",
        "王明",
        "张明",
        "赵明",
    ]
    assert in_page_order(response.content.decode(), NAMES_IN_ORDER) == NAMES_IN_ORDER


def test_the_group_form_takes_the_number_from_the_name_or_as_typed_and_refuses_a_taken_one(
    branch, client_for
):
    client = client_for("community_secretary")
    url = reverse("branches:group_create", args=[branch.pk])
    client.post(url, {"name": "第五党小组", "number": ""})
    client.post(url, {"name": "老干部合唱组", "number": "4"})
    page = client.post(url, {"name": "书画组", "number": "3"})
    assert "本支部已有该序号的党小组。" in page.content.decode()
    numbers = dict(PartyGroup.objects.filter(branch=branch).values_list("name", "number"))
    assert (numbers["第五党小组"], numbers["老干部合唱组"]) == (5, 4)
    assert "书画组" not in numbers
