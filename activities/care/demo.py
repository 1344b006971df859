"""Deterministic demo care and activities for seed_demo, at every size, bulk inserts only.

- Care needs for members whose data calls for them (bedridden or poor health, limited
  mobility, living alone or empty nest, 80 and over; a few in hospital), with the
  suggested interval and "1+X" carers: the branch's lead carer (the demo community and
  branch secretaries' accounts where they exist, so their "who to visit this week"
  lists are filled) and one or two party members pairing up.
- Twelve months of visits: routine visits roughly on each member's interval (about one
  in seven needs has slipped and is overdue now), hospital visits, phone calls, festival
  rounds (春节, 七一, 重阳) to members with needs and to everyone 80 and over, birthday
  visits, and the 送学上门 make-ups already in the meeting data turned into home-study
  visits linked to their meeting and MakeUp.
- Follow-ups on about one visit in eight: mostly solved, some in progress or open, a
  few past due.
- Activities: each branch's volunteer service, culture and sport, 宣讲 and supervision;
  functional branches' activities drawing on their members from several communities;
  training for branch leaders per street.

Run after the members and meetings seeds (it reads both), and after the demo logins.
Demo data leaves no audit rows (nobody did it).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from activities.meetings.models import MakeUp, MakeUpKind
from branches.access import Role
from branches.models import Branch, BranchKind, Level, Organization, StaffRole
from members.models import BranchMembership, Health, Living, Member, MemberStatus

from .models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    CareNeed,
    Carer,
    CareVisit,
    CareVisitKind,
    FollowUp,
    FollowUpState,
)

BATCH = 5000
HISTORY_DAYS = 365
MATTERS = [
    ("反映楼道照明损坏，夜间出行不便", "社区居委会"),
    ("希望申请居家养老助餐服务", "街道社区服务中心"),
    ("卫生间需要加装扶手", "社区居委会"),
    ("咨询医保异地报销手续", "原单位老干部处"),
    ("希望有人陪同去医院复查", "党员志愿者"),
    ("电视机顶盒故障，无法收看新闻", "物业服务中心"),
    ("希望参加支部线上学习，需要学会使用手机", "支部宣传委员"),
    ("老伴住院，家中无人照料", "社区居委会"),
]
SUMMARIES = {
    CareVisitKind.ROUTINE: [
        "了解近况，精神状态良好",
        "拉家常，听取对社区工作的意见",
        "询问身体情况和生活需求",
    ],
    CareVisitKind.SICK_VISIT: ["到医院探望，病情稳定", "送去慰问品，嘱咐安心养病"],
    CareVisitKind.FESTIVAL: ["送去节日慰问品和慰问金", "转达组织的节日问候"],
    CareVisitKind.BIRTHDAY: ["送上生日祝福和蛋糕", "重温入党誓词，过政治生日"],
    CareVisitKind.HARDSHIP: ["了解家庭困难情况，协助申请救助", "送去困难帮扶金"],
    CareVisitKind.PHONE: ["电话问候，身体尚好", "电话了解近况"],
    CareVisitKind.HOME_STUDY: ["送学上门，讲解学习材料", "送去学习材料并交流体会"],
}
ACTIVITY_TITLES = {
    ActivityKind.VOLUNTEER: [
        "社区环境整治志愿服务",
        "助老陪伴志愿服务",
        "文明交通劝导",
        "垃圾分类宣传",
    ],
    ActivityKind.CULTURE_SPORT: ["庆七一合唱汇演", "重阳节太极拳展示", "书画作品展", "健步走活动"],
    ActivityKind.PREACHING: ["党的创新理论进社区宣讲", "红色故事进校园", "老党员讲党课"],
    ActivityKind.SUPERVISION: ["社区公共设施巡查", "菜市场食品安全监督", "社会风气监督走访"],
}
CARER_RELATIONS = ["党员志愿者", "党小组长", "网格员", "楼组长"]


@dataclass
class CareSeed:
    needs: int = 0
    carers: int = 0
    visits: int = 0
    follow_ups: int = 0
    activities: int = 0
    participants: int = 0


@dataclass
class _Person:
    pk: int
    name: str
    community_id: int
    branch_id: int | None
    health: str
    living: str
    mobility: bool
    birth_date: datetime.date
    joined_on: datetime.date | None

    def age_on(self, day):
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _festivals(start: datetime.date, today: datetime.date):
    """(occasion, day) of the festival rounds between start and today."""
    # Spring Festival and the Double Ninth move with the lunar calendar: these dates
    # are close enough for demo data.
    days = []
    for year in range(start.year, today.year + 1):
        days += [
            ("春节", datetime.date(year, 1, 24)),
            ("七一", datetime.date(year, 6, 28)),
            ("重阳", datetime.date(year, 10, 15)),
        ]
    return [(name, day) for name, day in days if start <= day <= today]


def seed_care(*, rng: random.Random, today: datetime.date, stdout=None) -> CareSeed:
    seed = CareSeed()
    start = today - datetime.timedelta(days=HISTORY_DAYS)
    people = [
        _Person(*row)
        for row in Member.objects.filter(status=MemberStatus.ACTIVE)
        .order_by("pk")
        .values_list(
            "pk",
            "name",
            "community_id",
            "home_branch_id",
            "health",
            "living",
            "mobility_impaired",
            "birth_date",
            "joined_party_on",
        )
    ]
    by_branch: dict[int, list[_Person]] = defaultdict(list)
    for person in people:
        if person.branch_id:
            by_branch[person.branch_id].append(person)
    leads = _lead_accounts()

    needs, person_of = _needs(people, rng, today)
    CareNeed.objects.bulk_create(needs, batch_size=BATCH)
    seed.needs = len(needs)
    carers = _carers(needs, person_of, by_branch, leads, rng)
    Carer.objects.bulk_create(carers, batch_size=BATCH)
    seed.carers = len(carers)
    if stdout is not None:
        stdout.write(f"  care: {seed.needs} needs, {seed.carers} carers")

    # Visits stream out in batches (a city has hundreds of thousands): memory stays flat.
    buffer: list[CareVisit] = []
    for visit in _visits(needs, people, rng, start, today):
        buffer.append(visit)
        if len(buffer) >= BATCH:
            _write_visits(buffer, rng, today, seed)
            buffer = []
    _write_visits(buffer + _home_study_visits(start), rng, today, seed)
    if stdout is not None:
        stdout.write(f"  care: {seed.visits} visits, {seed.follow_ups} follow-ups")

    activities, participants = _activities(by_branch, rng, start, today)
    seed.activities, seed.participants = activities, participants
    return seed


def _lead_accounts() -> dict[tuple[str, int], tuple[int, str]]:
    """Demo secretaries who become lead carers: ("org", community id) or ("branch", id)
    -> (user id, display name)."""
    accounts = {}
    for user_id, name, username, role, org_id, branch_id in StaffRole.objects.filter(
        role__in=[Role.COMMUNITY_SECRETARY, Role.BRANCH_SECRETARY]
    ).values_list(
        "user_id", "user__full_name", "user__username", "role", "organization_id", "branch_id"
    ):
        key = ("branch", branch_id) if role == Role.BRANCH_SECRETARY else ("org", org_id)
        accounts.setdefault(key, (user_id, (name or username)[:40]))
    return accounts


def _needs(people, rng, today):
    needs, person_of = [], {}
    for person in people:
        age = person.age_on(today)
        poor = person.health in (Health.POOR, Health.BEDRIDDEN)
        alone = person.living in (Living.ALONE, Living.EMPTY_NEST)
        old = age >= 80
        if not (poor or person.mobility or alone or old):
            continue
        if person.health != Health.BEDRIDDEN and rng.random() < 0.2:
            continue  # not everybody has a care record yet: the to-review list
        hospitalised = rng.random() < (0.12 if poor else 0.02)
        if hospitalised:
            interval = 7
        elif person.health == Health.BEDRIDDEN:
            interval = 14
        elif poor or person.mobility or person.living == Living.ALONE:
            interval = 30
        else:
            interval = 60
        notes = []
        if person.health == Health.BEDRIDDEN:
            notes.append("长期卧床，需送学上门")
        if hospitalised:
            notes.append("近期住院治疗")
        if person.living == Living.ALONE:
            notes.append("独居，子女在外地")
        need = CareNeed(
            member_id=person.pk,
            poor_health=poor,
            limited_mobility=person.mobility,
            lives_alone=alone,
            aged_80_plus=old,
            hospitalised=hospitalised,
            interval_days=interval,
            care_note="；".join(notes),
            started_on=today - datetime.timedelta(days=rng.randint(60, 1100)),
        )
        needs.append(need)
        person_of[person.pk] = person
    return needs, person_of


def _carers(needs, person_of, by_branch, leads, rng):
    """The "1": the community secretary's account where the demo has one (else the
    branch secretary's, else a name); the "X": the branch secretary's account, and one
    or two party members of the same branch pairing up."""
    carers = []
    for need in needs:
        person = person_of[need.member_id]
        community = leads.get(("org", person.community_id))
        branch = leads.get(("branch", person.branch_id))
        lead = community or branch
        if lead is not None:
            carers.append(
                Carer(need_id=need.pk, user_id=lead[0], name=lead[1], relation="书记", is_lead=True)
            )
        else:
            carers.append(Carer(need_id=need.pk, name="支部书记", relation="书记", is_lead=True))
        if community is not None and branch is not None and branch[0] != community[0]:
            carers.append(
                Carer(need_id=need.pk, user_id=branch[0], name=branch[1], relation="支部书记")
            )
        mates = [p for p in by_branch.get(person.branch_id, []) if p.pk != person.pk]
        for helper in rng.sample(mates, min(len(mates), rng.choice((1, 1, 2)))):
            carers.append(
                Carer(
                    need_id=need.pk,
                    name=helper.name,
                    relation=rng.choice(CARER_RELATIONS),
                    helper_member_id=helper.pk,
                    since=need.started_on,
                )
            )
    return carers


def _visit(member_id, day, kind, rng, visitors="支部书记", occasion=""):
    return CareVisit(
        member_id=member_id,
        visited_on=day,
        kind=kind,
        occasion=occasion,
        visitors=visitors,
        summary=rng.choice(SUMMARIES[kind]),
    )


def _write_visits(visits, rng, today, seed: CareSeed) -> None:
    """Insert a batch of visits, then their follow-ups (decided before the insert, so
    the visits go in with their matters raised in one statement)."""
    if not visits:
        return
    planned = [(visit, _follow_up(visit, rng, today)) for visit in visits]
    CareVisit.objects.bulk_create(visits, batch_size=BATCH)
    follow_ups = []
    for visit, item in planned:
        if item is not None:
            item.visit_id = visit.pk
            follow_ups.append(item)
    FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
    seed.visits += len(visits)
    seed.follow_ups += len(follow_ups)


def _visits(needs, people, rng, start, today):
    """Routine, hospital, hardship and phone visits on each need's rhythm, then the
    festival rounds and political birthdays (a generator)."""
    for need in needs:
        # About one need in seven has slipped: nobody has come for a while.
        slipped = rng.random() < 0.15
        stop = today - datetime.timedelta(days=need.interval_days + rng.randint(5, 60))
        day = max(start, need.started_on) + datetime.timedelta(days=rng.randint(0, 10))
        end = stop if slipped else today
        while day <= end:
            kind = CareVisitKind.ROUTINE
            roll = rng.random()
            if need.hospitalised and roll < 0.5:
                kind = CareVisitKind.SICK_VISIT
            elif roll < 0.08:
                kind = CareVisitKind.HARDSHIP
            elif roll < 0.2:
                kind = CareVisitKind.PHONE
            yield _visit(need.member_id, day, kind, rng)
            jitter = rng.randint(-need.interval_days // 4, need.interval_days // 6)
            day += datetime.timedelta(days=max(3, need.interval_days + jitter))
    cared = {need.member_id for need in needs}
    for occasion, day in _festivals(start, today):
        for person in people:
            if person.pk in cared or person.age_on(day) >= 80:
                when = day + datetime.timedelta(days=rng.randint(0, 6))
                if when <= today:
                    yield _visit(person.pk, when, CareVisitKind.FESTIVAL, rng, "社区党委", occasion)
    for person in people:
        if person.pk in cared and person.joined_on and rng.random() < 0.5:
            joined = person.joined_on
            if (joined.month, joined.day) == (2, 29):
                joined = joined.replace(day=28)
            political = joined.replace(year=today.year)
            if political > today:
                political = political.replace(year=today.year - 1)
            if political >= start:
                yield _visit(person.pk, political, CareVisitKind.BIRTHDAY, rng, occasion="政治生日")


def _home_study_visits(start):
    """The meeting data's 送学上门 make-ups, as home-study visits linked to them."""
    return [
        CareVisit(
            member_id=member_id,
            visited_on=day,
            kind=CareVisitKind.HOME_STUDY,
            visitors=by,
            summary=f"送学上门：{material}"[:200],
            meeting_id=meeting_id,
            make_up_id=pk,
        )
        for pk, member_id, meeting_id, day, by, material in MakeUp.objects.filter(
            kind=MakeUpKind.HOME_DELIVERY, made_up_on__gte=start
        )
        .order_by("pk")
        .values_list(
            "pk",
            "attendance__member_id",
            "attendance__meeting_id",
            "made_up_on",
            "delivered_by",
            "material",
        )
    ]


def _follow_up(visit, rng, today) -> FollowUp | None:
    """About one visit in eight raises a problem to follow up: mostly solved by now,
    some in progress or open, a few past due. Sets the visit's matters raised."""
    if visit.kind == CareVisitKind.PHONE or rng.random() > 0.12:
        return None
    matter, owner = rng.choice(MATTERS)
    due = visit.visited_on + datetime.timedelta(days=rng.choice((7, 14, 30)))
    age = (today - visit.visited_on).days
    roll = rng.random()
    if (age > 30 and roll < 0.93) or (age <= 30 and roll < 0.4):
        solved = min(today, due + datetime.timedelta(days=rng.randint(-5, 10)))
        solved = max(solved, visit.visited_on)
        state = FollowUpState.SOLVED if rng.random() < 0.9 else FollowUpState.CLOSED
        outcome = "已协调解决" if state == FollowUpState.SOLVED else "已转原单位办理"
    else:
        solved, outcome = None, ""
        state = FollowUpState.IN_PROGRESS if rng.random() < 0.5 else FollowUpState.OPEN
    visit.matters_raised = matter
    return FollowUp(
        matter=matter, owner_name=owner, due_on=due, state=state, solved_on=solved, outcome=outcome
    )


def _activities(by_branch, rng, start, today):
    """A few activities per branch per quarter; functional branches draw on their
    members (BranchMembership); one leader training per street per half year."""
    functional_members: dict[int, list[int]] = defaultdict(list)
    for branch_id, member_id in BranchMembership.objects.filter(
        left_on__isnull=True, member__status=MemberStatus.ACTIVE
    ).values_list("branch_id", "member_id"):
        functional_members[branch_id].append(member_id)
    activities: list[Activity] = []
    crowds: list[list[int]] = []
    for branch_id, org_id, kind in Branch.objects.filter(dissolved_on__isnull=True).values_list(
        "pk", "organization_id", "kind"
    ):
        pool = [p.pk for p in by_branch.get(branch_id, [])]
        if kind == BranchKind.FUNCTIONAL:
            pool = sorted(set(pool) | set(functional_members.get(branch_id, [])))
            kinds = [ActivityKind.VOLUNTEER, ActivityKind.VOLUNTEER, ActivityKind.PREACHING]
        else:
            kinds = list(ACTIVITY_TITLES)
        if not pool:
            continue
        count = rng.randint(3, 8)
        for _ in range(count):
            activity_kind = rng.choice(kinds)
            day = start + datetime.timedelta(days=rng.randint(0, (today - start).days))
            activities.append(
                Activity(
                    kind=activity_kind,
                    title=rng.choice(ACTIVITY_TITLES[activity_kind]),
                    held_on=day,
                    organization_id=org_id,
                    branch_id=branch_id,
                    place="社区党群服务中心",
                )
            )
            crowds.append(rng.sample(pool, min(len(pool), rng.randint(4, 15))))
    leaders = _leaders(today)
    for street_id in Organization.objects.filter(level=Level.STREET).values_list("pk", flat=True):
        for month in (3, 9):
            day = datetime.date(today.year if month <= today.month else today.year - 1, month, 20)
            if not start <= day <= today:
                continue
            crowd = leaders.get(street_id, [])
            if not crowd:
                continue
            activities.append(
                Activity(
                    kind=ActivityKind.LEADER_TRAINING,
                    title="离退休干部党支部书记培训班",
                    held_on=day,
                    organization_id=street_id,
                    team="街道党工委组织科",
                    place="街道党群服务中心",
                )
            )
            crowds.append(crowd)
    Activity.objects.bulk_create(activities, batch_size=BATCH)
    lines = []
    for activity, crowd in zip(activities, crowds, strict=True):
        base = Decimal("3") if activity.kind == ActivityKind.LEADER_TRAINING else Decimal("2")
        for member_id in crowd:
            hours = base + Decimal(rng.choice((-1, 0, 0, 1, 2))) / 2
            lines.append(
                ActivityParticipant(
                    activity_id=activity.pk, member_id=member_id, service_hours=hours
                )
            )
    ActivityParticipant.objects.bulk_create(lines, batch_size=BATCH)
    return len(activities), len(lines)


def _leaders(today: datetime.date) -> dict[int, list[int]]:
    """Branch secretaries and deputies (current posts) per street."""
    from members.models import Position, Post

    leaders: dict[int, list[int]] = defaultdict(list)
    rows = (
        Position.objects.filter(
            post__in=[Post.SECRETARY, Post.DEPUTY_SECRETARY],
            member__status=MemberStatus.ACTIVE,
            term__ends_on__gte=today,
        )
        .values_list("member_id", "term__branch__organization__path")
        .order_by("member_id")
    )
    street_of = dict(Organization.objects.filter(level=Level.STREET).values_list("path", "pk"))
    for member_id, path in rows:
        for prefix in Organization.path_prefixes(path):
            if prefix in street_of:
                leaders[street_of[prefix]].append(member_id)
                break
    return {k: sorted(set(v)) for k, v in leaders.items()}
