"""The 区划调整 writes: what moves, what stays, the conflict, the audit, the paths."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry
from activities.meetings.models import Meeting
from activities.messaging.models import Reminder, ReminderKind
from branches.models import Branch, Organization, PartyGroup, StaffRole
from members.models import Member
from notices.models import NoticeReceipt
from rollout.regions import selectors, services
from tests import factories as f
from tests.notices.conftest import sent_notice

pytestmark = pytest.mark.django_db
ON = datetime.date(2026, 2, 16)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_a_move_rewrites_every_path_column_by_prefix_and_is_audited_once(cast):
    sent_notice(cast)  # receipts carry their branch's path
    actor = cast.user("district_staff")
    Reminder.objects.create(
        kind=ReminderKind.DIGEST,
        subject="digest",
        recipient=actor,
        period="2026-02-16",
        area_path=cast.community_a.path,
        title="每日提醒",
    )
    old, street = cast.community_a.path, fresh(cast.street_a2)
    token = selectors.move_preview(fresh(cast.community_a), street).token
    entries = AuditEntry.objects.count()
    done = services.community_move(
        community=cast.community_a, street=street, actor=actor, expected=token
    )
    new = f"{street.path}{cast.community_a.code}/"
    assert fresh(cast.community_a).path == new
    assert fresh(cast.community_a).parent_id == street.pk
    assert fresh(cast.community_a).code == "319901001001"  # codes stay
    assert done["notices.NoticeReceipt"] >= 1
    assert not NoticeReceipt.objects.filter(path__startswith=old).exists()
    assert Reminder.objects.get(subject="digest").area_path == new
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.latest("pk")
    assert entry.object_type == "rollout.regionchange"
    assert entry.changes["after"]["operation"] == "move"


def test_the_move_costs_the_same_queries_for_any_size(cast, django_assert_max_num_queries):
    for n in range(30):  # more members and branches change nothing in the count
        f.member(name=f"成员{n}", community=cast.community_a)
        f.branch(organization=cast.community_a, name=f"第{n}支部")
    community, street = fresh(cast.community_a), fresh(cast.street_a2)
    token = selectors.move_preview(community, street).token
    # lock, preview (4 counts), parent, 3 path columns, bump, audit (3), savepoints
    with django_assert_max_num_queries(16):
        services.community_move(
            community=community, street=street, actor=cast.user("city_admin"), expected=token
        )


def test_a_stale_preview_is_a_conflict_and_changes_nothing(cast):
    community, street = fresh(cast.community_a), fresh(cast.street_a2)
    token = selectors.move_preview(community, street).token
    f.member(name="新来的", community=cast.community_a)  # someone adds a member meanwhile
    with pytest.raises(services.Conflict):
        services.community_move(
            community=community, street=street, actor=cast.user("city_admin"), expected=token
        )
    assert fresh(cast.community_a).path == community.path


def test_merging_communities_moves_the_living_and_closes_the_other_with_its_code(cast):
    kept, merged = fresh(cast.community_a), fresh(cast.community_a2)
    role = f.user(username="sec_a2", role="community_secretary", node=merged)
    members = Member.objects.filter(community=merged).count()
    meetings = Meeting.objects.filter(branch=cast.branch_a2).count()
    token = selectors.community_merge_preview(kept, merged).token
    services.community_merge(
        kept=kept, merged=merged, on=ON, actor=cast.user("district_staff"), expected=token
    )
    merged = fresh(merged)
    assert merged.closed_on == ON and merged.code == "319901002001"
    assert fresh(cast.branch_a2).organization_id == kept.pk
    assert Member.objects.filter(community=kept).count() >= members
    assert not Member.objects.filter(community=merged).exists()
    assert Meeting.objects.filter(branch=cast.branch_a2).count() == meetings
    # Granting is the security administrator's: the role stays on the closed community.
    assert StaffRole.objects.get(user=role).organization_id == merged.pk
    assert (
        selectors.reorganizable(cast.user("city_admin"), "community").filter(pk=merged.pk).exists()
        is False
    )


def test_merging_branches_moves_members_and_groups_and_keeps_meetings_where_held(cast):
    kept, merged = fresh(cast.branch_a), fresh(cast.branch_a2)
    PartyGroup.objects.create(branch=merged, name=cast.group_a.name)
    member = f.member(name="乙五", community=cast.community_a2, home_branch=merged)
    meeting = Meeting.objects.create(branch=merged, kind="theme_day", planned_on=ON, topic="学")
    token = selectors.branch_merge_preview(kept, merged).token
    services.branch_merge(
        kept=kept, merged=merged, on=ON, actor=cast.user("district_staff"), expected=token
    )
    assert fresh(member).home_branch_id == kept.pk
    assert fresh(meeting).branch_id == merged.pk
    assert fresh(merged).dissolved_on == ON
    names = list(PartyGroup.objects.filter(branch=kept).values_list("number", "name"))
    assert len({number for number, _ in names}) == len(names) == 2
    assert f"{cast.group_a.name}（{merged.name}）" in {name for _, name in names}


def test_a_split_takes_the_chosen_branches_and_their_members(cast):
    community = fresh(cast.community_a)
    second = f.branch(organization=community, name="翠园第二支部")
    stays = f.member(name="留下", community=community, home_branch=cast.branch_a)
    goes = f.member(name="走了", community=community, home_branch=second)
    token = selectors.split_preview(community, [second]).token
    new = services.community_split(
        community=community,
        name="翠园东社区",
        code="319901001009",
        branches=[second],
        actor=cast.user("district_staff"),
        expected=token,
    )
    assert new.parent_id == community.parent_id and new.path.endswith("/319901001009/")
    assert fresh(second).organization_id == new.pk
    assert fresh(goes).community_id == new.pk
    assert fresh(stays).community_id == community.pk


def test_a_split_refuses_a_branch_of_another_community(cast):
    community = fresh(cast.community_a)
    token = selectors.split_preview(community, [cast.branch_a2]).token
    with pytest.raises(ValidationError):
        services.community_split(
            community=community,
            name="错",
            code="319901001008",
            branches=[fresh(cast.branch_a2)],
            actor=cast.user("district_staff"),
            expected=token,
        )
    assert not Organization.objects.filter(code="319901001008").exists()


def test_a_rename_keeps_code_and_path(cast):
    node = fresh(cast.community_a)
    services.node_rename(
        node=node,
        name="翠园新村社区",
        actor=cast.user("district_staff"),
        expected=selectors.rename_preview(node).token,
    )
    renamed = fresh(node)
    assert (renamed.name, renamed.code, renamed.path) == ("翠园新村社区", node.code, node.path)
    assert Branch.objects.filter(organization=renamed).exists()


def test_a_branch_split_takes_the_chosen_members_out_of_their_groups(cast):
    branch = fresh(cast.branch_a)
    goes = f.member(name="分出", community=cast.community_a, home_branch=branch)
    goes.party_group = cast.group_a
    goes.save(update_fields=["party_group"])
    stays = f.member(name="留下", community=cast.community_a, home_branch=branch)
    token = selectors.branch_split_preview(branch, [goes]).token
    new = services.branch_split(
        branch=branch,
        name="翠园社区第二党支部",
        members=[goes],
        actor=cast.user("district_staff"),
        expected=token,
    )
    assert (new.organization_id, new.kind) == (branch.organization_id, branch.kind)
    assert (fresh(goes).home_branch_id, fresh(goes).party_group_id) == (new.pk, None)
    assert fresh(stays).home_branch_id == branch.pk
    assert PartyGroup.objects.get(pk=cast.group_a.pk).branch_id == branch.pk
