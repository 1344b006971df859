"""Members, committees and meetings for the activities tests, built on the standing cast
(branch_a in community_a with group_a; branch_b one district over)."""

import datetime
import itertools
import uuid
from dataclasses import dataclass

import pytest

from activities.meetings.models import MeetingKind
from activities.meetings.services import recording
from branches.models import Branch, PartyGroup
from members.models import CommitteeTerm, Health, Member, MemberStatus, Position, Post

_ids = itertools.count(1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
GIVEN = "建国华明德文秀英兰玉珍志伟军平红梅丽强敏刚云海燕春生荣霞芳杰涛桂林淑清凤宝福利"
LONG_AGO = datetime.date(1980, 7, 1)


def chinese_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)] + GIVEN[(n * 3) % len(GIVEN)]


def member(
    *,
    branch,
    group=None,
    name=None,
    health=Health.GOOD,
    full_member_on=LONG_AGO,
    status=MemberStatus.ACTIVE,
):
    n = next(_ids)
    return Member.objects.create(
        name=name or chinese_name(n),
        gender="male" if n % 2 else "female",
        birth_date=datetime.date(1945, 1, 1) + datetime.timedelta(days=n * 37),
        id_number=f"110101194501{n:06d}",
        community=branch.organization if branch.organization.level == "community" else None,
        home_branch=branch,
        party_group=group,
        health=health,
        full_member_on=full_member_on,
        status=status,
        status_on=None if status == MemberStatus.ACTIVE else datetime.date(2024, 1, 1),
    )


def members(*, branch, count, group=None, start=0):
    return [member(branch=branch, group=group) for _ in range(count)]


@pytest.fixture
def make_member(cast):
    return member


@dataclass
class Roster:
    """A branch of our own in community_a (so the cast's users reach it exactly as they
    reach branch_a, while the cast's own members stay out of our counts)."""

    branch: Branch
    group: PartyGroup
    members: list  # the ten expected at a general assembly, in group-then-name order
    in_group: list
    bedridden: Member
    probationary: Member
    moved: Member
    term: CommitteeTerm | None = None

    @property
    def committee(self):
        return [p.member for p in self.term.positions.select_related("member")]


@pytest.fixture
def roster(cast):
    """Ten active members: six in the party group (one bedridden), four outside any group
    (one probationary, without a vote); plus one who moved away (never expected)."""
    branch = Branch.objects.create(
        organization=cast.community_a, name="翠园社区离退休干部第二党支部", venue=cast.venue_a
    )
    group = PartyGroup.objects.create(branch=branch, name="第一党小组")
    in_group = [member(branch=branch, group=group) for _ in range(5)]
    bedridden = member(branch=branch, group=group, name="钱卧床", health=Health.BEDRIDDEN)
    in_group.append(bedridden)
    others = [member(branch=branch) for _ in range(3)]
    probationary = member(branch=branch, name="王预备", full_member_on=None)
    others.append(probationary)
    moved = member(branch=branch, status=MemberStatus.MOVED)
    return Roster(branch, group, in_group + others, in_group, bedridden, probationary, moved)


@pytest.fixture
def committee(roster):
    """A five-member committee term, in force now."""
    term = CommitteeTerm.objects.create(
        branch=roster.branch,
        number=3,
        starts_on=datetime.date(2023, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
        has_committee=True,
    )
    posts = [Post.SECRETARY, Post.DEPUTY_SECRETARY, Post.ORGANISATION, Post.PUBLICITY]
    for post, who in zip(posts, roster.members[:4], strict=True):
        Position.objects.create(term=term, post=post, member=who)
    Position.objects.create(term=term, post=Post.MEMBER, member=roster.members[6])
    roster.term = term
    return roster


def record(
    *,
    branch,
    kind=MeetingKind.GENERAL_ASSEMBLY,
    held_on,
    marks=None,
    group=None,
    actor=None,
    topic="学习贯彻党的二十届四中全会精神",
):
    """A held meeting recorded through the service (everyone present unless marked)."""
    return recording.meeting_record_new(
        branch=branch,
        details={
            "kind": kind,
            "party_group": group,
            "topic": topic,
            "held_on": held_on,
        },
        marks=marks or {},
        client_key=uuid.uuid4(),
        actor=actor,
    ).meeting
