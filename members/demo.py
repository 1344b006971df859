"""Deterministic demo members for seed_demo: about 30 per branch at every size, with
registrations, party-group leaders, branch committees, service roles and honours.

Ages 60-100 (a few 离休 veterans over 90), a realistic health mix (some bedridden, some
living alone), ~90% registered and accepted, some only reported. ID numbers are valid
(MOD 11-2 check digit, birth date and gender inside). Bulk inserts only: a district
(~10,000 members) takes a few seconds.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from branches.demo import Structure, person_name
from branches.models import BranchKind

from .models import (
    COMMITTEE_POSTS,
    BranchMembership,
    CommitteeTerm,
    CommunityRegistration,
    Gender,
    GroupLeader,
    Health,
    Living,
    Member,
    MemberStatus,
    Position,
    Post,
    Recognition,
    RegistrationStatus,
    RelationKind,
    RetirementType,
    SecondedMember,
    SecondmentRole,
    ServiceKind,
    ServiceRole,
)
from .validators import make_id_number

BATCH = 2000
FORMER_POSTS = [
    "科员",
    "科长",
    "副处长",
    "处长",
    "教师",
    "医生",
    "工程师",
    "会计",
    "车间主任",
    "副局长",
]
RANKS = ["科级", "副处级", "处级", "副局级", "正高级职称", "副高级职称", ""]
SKILLS = ["书法", "摄影", "理论宣讲", "太极拳", "合唱", "法律咨询", "义诊", "编写社区简报", ""]
ROADS = ["解放路", "人民路", "建设路", "文化路", "和平路", "胜利街", "幸福里", "新华路"]
ETHNICITIES = ["汉族"] * 30 + ["回族", "满族", "蒙古族", "朝鲜族"]
HONOURS = [
    ("优秀共产党员", "区委"),
    ("优秀党务工作者", "街道党工委"),
    ("最美银发志愿者", "区委老干部局"),
    ("老有所为先进个人", "市委老干部局"),
]


@dataclass
class MemberSeed:
    members: int = 0
    registrations: int = 0
    terms: int = 0
    positions: int = 0
    service_roles: int = 0
    recognitions: int = 0
    memberships: int = 0
    group_leaders: int = 0


def _insert(model, objs):
    """INSERT many rows with executemany: the demo's two big tables load ~4x faster than
    through bulk_create, whose per-value SQL compilation dominates at 10,000 rows. The
    caller reads the new ids back by a unique key."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _years_ago(today, years, rng):
    return today - datetime.timedelta(days=int(years * 365.25) + rng.randint(0, 364))


def _branch_size(rng) -> int:
    roll = rng.random()
    if roll < 0.05:
        return rng.randint(2, 6)  # a shrinking branch: the "fewer than 3" warning
    if roll < 0.08:
        return rng.randint(51, 58)  # an overgrown one: "more than 50"
    return rng.randint(22, 38)


def _health(rng, age):
    roll = rng.random()
    bedridden = 0.03 + (0.09 if age >= 85 else 0)
    if roll < bedridden:
        return Health.BEDRIDDEN
    if roll < bedridden + 0.15:
        return Health.POOR
    if roll < bedridden + 0.45:
        return Health.FAIR
    return Health.GOOD


def _living(rng, health, age):
    if health == Health.BEDRIDDEN and rng.random() < 0.2:
        return Living.CARE_HOME
    roll = rng.random()
    alone = 0.12 + (0.08 if age >= 80 else 0)
    if roll < alone:
        return Living.ALONE
    if roll < alone + 0.3:
        return Living.EMPTY_NEST
    return Living.WITH_FAMILY


def seed_members(*, rng: random.Random, structure: Structure, today: datetime.date) -> MemberSeed:
    seed = MemberSeed()
    units_by_district = defaultdict(list)
    for unit in structure.units:
        units_by_district[unit.district_id].append(unit)
    communities = {c.pk: c for c in structure.communities}
    streets = {s.pk: s for s in structure.streets}
    groups_by_branch = defaultdict(list)
    for group in structure.groups:
        groups_by_branch[group.branch_id].append(group)

    used_ids: set[str] = set()
    members: list[Member] = []
    registrations: list[CommunityRegistration] = []
    by_branch = defaultdict(list)
    for branch in structure.branches:
        if branch.kind != BranchKind.COMMUNITY or branch.dissolved_on:
            continue
        community = communities[branch.organization_id]
        district = streets[community.parent_id].parent
        units = units_by_district[district.pk]
        for _ in range(_branch_size(rng)):
            member = _member(rng, today, community, units, district.code[-6:], used_ids)
            members.append(member)
            registration = _registration(rng, today, member, branch, groups_by_branch[branch.pk])
            if registration is not None:
                registrations.append(registration)
            if member.home_branch_id:
                by_branch[branch.pk].append(member)
    # Placement is decided before the insert: one insert each, no update afterwards.
    _insert(Member, members)
    # _insert has set each id_number_hash (the ID number itself is stored encrypted).
    ids = dict(Member.objects.values_list("id_number_hash", "pk"))
    for member in members:
        member.pk = ids[member.id_number_hash]
    for registration in registrations:
        registration.member_id = registration.member.pk
    _insert(CommunityRegistration, registrations)
    seed.members, seed.registrations = len(members), len(registrations)
    placed = [m for m in members if m.home_branch_id]

    # Functional branches: members from the street's communities take part besides.
    memberships = []
    by_street = defaultdict(list)
    for member in placed:
        if member.status == MemberStatus.ACTIVE:
            by_street[communities[member.community_id].parent_id].append(member)
    functional_members = defaultdict(list)
    for branch in structure.branches:
        if branch.kind != BranchKind.FUNCTIONAL:
            continue
        pool = by_street[branch.organization_id]
        for member in rng.sample(pool, min(len(pool), rng.randint(15, 30))):
            memberships.append(
                BranchMembership(
                    member=member,
                    branch=branch,
                    joined_on=_years_ago(today, rng.uniform(0, 4), rng),
                )
            )
            functional_members[branch.pk].append(member)
    BranchMembership.objects.bulk_create(memberships, batch_size=BATCH)
    seed.memberships = len(memberships)

    # Party-group leaders.
    leaders = []
    for branch_id, branch_members in by_branch.items():
        for group in groups_by_branch[branch_id]:
            candidates = [
                m for m in branch_members if m.party_group_id == group.pk and m.status == "active"
            ]
            if candidates:
                leaders.append(
                    GroupLeader(
                        group=group,
                        member=rng.choice(candidates),
                        starts_on=_years_ago(today, rng.uniform(0, 4), rng),
                    )
                )
    GroupLeader.objects.bulk_create(leaders, batch_size=BATCH)
    seed.group_leaders = len(leaders)

    # Committee terms: a committee with 7+ full members, else a secretary.
    terms, posts = [], []
    for branch in structure.branches:
        if branch.dissolved_on:
            continue
        pool = (
            by_branch[branch.pk]
            if branch.kind == BranchKind.COMMUNITY
            else (functional_members[branch.pk])
        )
        full = [
            m
            for m in pool
            if m.status == MemberStatus.ACTIVE and m.full_member_on and m.full_member_on <= today
        ]
        if not full:
            continue
        committee = len(full) >= 7
        if committee and rng.random() < 0.04:
            continue  # overdue election: the "no committee" warning
        years = 5 if branch.kind == BranchKind.COMMUNITY else 3
        starts = today - datetime.timedelta(days=rng.randint(0, years * 365 - 1))
        term = CommitteeTerm(
            branch=branch,
            number=rng.randint(1, 4),
            starts_on=starts,
            ends_on=starts.replace(year=starts.year + years)
            if not (starts.month == 2 and starts.day == 29)
            else starts.replace(year=starts.year + years, day=28),
            has_committee=committee,
        )
        terms.append(term)
        wanted = COMMITTEE_POSTS if committee else [Post.SECRETARY]
        if committee and len(full) < 12:
            wanted = [Post.SECRETARY, Post.ORGANISATION, Post.PUBLICITY]
        holders = rng.sample(full, min(len(wanted), len(full)))
        for post, holder in zip(wanted, holders, strict=False):
            vacant = post != Post.SECRETARY and rng.random() < 0.05
            posts.append((term, Position(post=post, member=None if vacant else holder)))
    CommitteeTerm.objects.bulk_create(terms, batch_size=BATCH)
    for term, position in posts:
        position.term = term
    Position.objects.bulk_create([p for _, p in posts], batch_size=BATCH)
    seed.terms, seed.positions = len(terms), len(posts)

    # Playing a part: service roles and honours.
    roles, honours = [], []
    for member in placed:
        if member.status != MemberStatus.ACTIVE:
            continue
        if rng.random() < 0.25:
            kind = rng.choice(ServiceKind.values)
            starts = _years_ago(today, rng.uniform(0, 8), rng)
            ends = None
            if rng.random() < 0.2:
                ends = min(starts + datetime.timedelta(days=rng.randint(180, 1500)), today)
            roles.append(
                ServiceRole(
                    member=member,
                    kind=kind,
                    organization_name=communities[member.community_id].name
                    + ("居委会" if kind in {"residents", "grid_leader", "grid_member"} else ""),
                    starts_on=starts,
                    ends_on=ends,
                )
            )
        if rng.random() < 0.03:
            title, by = rng.choice(HONOURS)
            honours.append(
                Recognition(
                    member=member,
                    title=title,
                    conferred_by=by,
                    conferred_on=_years_ago(today, rng.uniform(0, 5), rng),
                )
            )
    ServiceRole.objects.bulk_create(roles, batch_size=BATCH)
    Recognition.objects.bulk_create(honours, batch_size=BATCH)
    seed.service_roles, seed.recognitions = len(roles), len(honours)
    return seed


def _registration(rng, today, member, branch, groups):
    """社区报到 for a new member: ~88% accepted (most then notified to the unit), ~7%
    only reported, the rest not registered yet. An accepted one places the member."""
    roll = rng.random()
    if member.status == MemberStatus.MOVED or roll < 0.05:
        return None
    reported = _years_ago(today, rng.uniform(0, 6), rng)
    reported = min(max(reported, member.birth_date + datetime.timedelta(days=365 * 55)), today)
    registration = CommunityRegistration(
        member=member, community_id=member.community_id, reported_on=reported
    )
    if roll < 0.12:
        return registration  # reported, waiting for the community
    group = rng.choice(groups) if groups else None
    registration.status = RegistrationStatus.ACCEPTED
    registration.accepted_on = min(reported + datetime.timedelta(days=rng.randint(1, 30)), today)
    registration.branch = branch
    registration.party_group = group
    if member.original_unit_id and rng.random() < 0.7:
        registration.status = RegistrationStatus.NOTIFIED
        registration.notified_on = min(
            registration.accepted_on + datetime.timedelta(days=rng.randint(3, 60)), today
        )
    member.home_branch = branch
    member.party_group = group
    if getattr(member, "wants_branch_relation", False):
        member.relation_kind = RelationKind.BRANCH
        member.relation_branch = branch
    return registration


def _member(rng, today, community, units, area, used_ids) -> Member:
    age = 60 + int(rng.betavariate(1.5, 2.4) * 41)
    lixiu = age >= 92 and rng.random() < 0.6
    born = today - datetime.timedelta(days=int(age * 365.25) + rng.randint(1, 360))
    male = rng.random() < (0.7 if age >= 85 else 0.55)
    while True:
        id_number = make_id_number(area, born, rng.randint(0, 999), male=male)
        if id_number not in used_ids:
            used_ids.add(id_number)
            break
    joined = born + datetime.timedelta(days=int(rng.uniform(17, 40) * 365.25))
    if lixiu:
        joined = min(joined, datetime.date(1949, 9, 1))
    full = joined + datetime.timedelta(days=365 + rng.randint(0, 60))
    if rng.random() < 0.03:
        full = None  # the date was never recorded: not counted as a full member
    retire_age = rng.randint(60, 65) if lixiu else (rng.randint(55, 60) if not male else 60)
    unit = rng.choice(units) if units and rng.random() < 0.85 else None
    health = _health(rng, age)
    status, status_on = MemberStatus.ACTIVE, None
    roll = rng.random()
    if roll < 0.02:
        status, status_on = (
            MemberStatus.DECEASED,
            today - datetime.timedelta(days=rng.randint(5, 700)),
        )
    elif roll < 0.03:
        status, status_on = MemberStatus.MOVED, today - datetime.timedelta(days=rng.randint(5, 700))
    relation_roll = rng.random()
    relation = (
        RelationKind.UNIT
        if relation_roll < 0.6 and unit
        else RelationKind.BRANCH
        if relation_roll < 0.95
        else RelationKind.OTHER
    )
    member = Member(
        name=person_name(rng),
        gender=Gender.MALE if male else Gender.FEMALE,
        birth_date=born,
        ethnicity=rng.choice(ETHNICITIES),
        id_number=id_number,
        phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        if rng.random() < 0.9
        else "",
        address=f"{community.name}{rng.choice(ROADS)}{rng.randint(1, 120)}号{rng.randint(1, 6)}"
        f"单元{rng.randint(1, 7)}0{rng.randint(1, 4)}",
        community=community,
        original_unit=unit,
        former_post=rng.choice(FORMER_POSTS) if unit else "",
        rank=rng.choice(RANKS) if unit else "",
        retirement_type=RetirementType.LIXIU if lixiu else RetirementType.TUIXIU,
        retired_on=min(born.replace(year=born.year + retire_age, day=1), today),
        joined_party_on=joined,
        full_member_on=full,
        # A relation held by a branch is set once the home branch is known.
        relation_kind=RelationKind.OTHER if relation == RelationKind.BRANCH else relation,
        relation_note="外省原单位党组织" if relation == RelationKind.OTHER else "",
        health=health,
        mobility_impaired=health == Health.BEDRIDDEN
        or (health == Health.POOR and rng.random() < 0.5)
        or rng.random() < 0.04,
        living=_living(rng, health, age),
        skills=rng.choice(SKILLS),
        status=status,
        status_on=status_on,
    )
    member.wants_branch_relation = relation == RelationKind.BRANCH
    return member


def seed_secondments(*, branch, unit, today: datetime.date) -> int:
    """选派在职党员 from the demo liaison's unit to the demo branch: one sent onto its
    committee, holding the organisation post of the current term (the deputy's, for a
    secretary-only term; the member who held it steps down), and one liaison whose
    secondment ends within a month (the branch page and the liaison's workbench warn).
    Returns how many."""
    term = CommitteeTerm.objects.current(today).filter(branch=branch).order_by("-starts_on").first()
    committee = SecondedMember.objects.create(
        name="王建国",
        phone="13900001234",
        unit=unit,
        branch=branch,
        role=SecondmentRole.COMMITTEE,
        job_title="机关党委副书记",
        starts_on=term.starts_on if term else today,
        ends_on=term.ends_on if term else None,
        note="原单位党委选派",
    )
    if term is not None:
        post = Post.ORGANISATION if term.has_committee else Post.DEPUTY_SECRETARY
        Position.objects.update_or_create(
            term=term, post=post, defaults={"member": None, "seconded": committee}
        )
    SecondedMember.objects.create(
        name="李敏",
        unit=unit,
        branch=branch,
        role=SecondmentRole.LIAISON,
        job_title="老干部处干部",
        starts_on=today - datetime.timedelta(days=365),
        ends_on=today + datetime.timedelta(days=20),
    )
    return 2
