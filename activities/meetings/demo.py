"""Deterministic demo meetings for seed_demo: three years of organisational life that
follow the cadence rules with realistic gaps.

Most branches keep to the cadence; some fall behind (a fifth hold only about three in
four meetings, a few about half), a few are excused for a quarter (and hold nothing
then). Members mostly attend; some are often away; bedridden members are excused and
usually get the study delivered at home (送学上门) within two weeks; some other
absences are made up. A meeting's list is the roster of the day it was held (members
who died or moved away later still appear in earlier meetings).

Members, groups and committees are read from the database (seed after the members):
meetings are chaired and minuted by people (the branch's secretary and organisation
member, a group's leader), and each branch has its coming month's meetings planned.
Everything is written in batches, branch by branch, so memory stays flat: meetings and
make-ups with bulk_create, the attendance lines with COPY (see _write_lines).
Demo data leaves no audit rows (nobody did it).
"""

from __future__ import annotations

import calendar
import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from branches.models import Branch, PartyGroup
from members.models import GroupLeader, Health, Member, MemberStatus, Position, Post
from notices.models import Notice, NoticeKind, NoticeReceipt, NoticeState
from notices.services import audience_branches
from notices.text import render

from .models import (
    Attendance,
    AttendanceStatus,
    Excusal,
    MakeUp,
    MakeUpKind,
    Meeting,
    MeetingKind,
    MeetingMaterial,
    MeetingMode,
    MeetingStatus,
)

BATCH = 5000
BRANCHES_PER_FLUSH = 25
PLAN_DAYS_AHEAD = 30  # meetings planned from tomorrow on (the home page's "next 30 days")
# Who takes the minutes when the organisation member's post is vacant, in this order.
RECORDER_POSTS = [Post.ORGANISATION, Post.PUBLICITY, Post.DEPUTY_SECRETARY, Post.DISCIPLINE]

TOPICS = {
    MeetingKind.GENERAL_ASSEMBLY: [
        "学习贯彻党的二十大精神",
        "通报支部年度工作计划",
        "讨论发展党员和党费收缴情况",
        "学习贯彻党的二十届三中全会精神",
        "审议支部半年工作总结",
    ],
    MeetingKind.COMMITTEE: [
        "研究本月组织生活安排",
        "研究困难党员走访慰问",
        "研究送学上门名单",
        "研究主题党日活动方案",
    ],
    MeetingKind.GROUP: [
        "学习《中国共产党章程》",
        "交流学习体会",
        "学习时事政策",
        "收看专题教育片",
    ],
    MeetingKind.LECTURE: [
        "书记讲党课：坚定理想信念",
        "老党员讲传统：我的入党故事",
        "专题党课：中国式现代化",
        "专题党课：全面从严治党",
    ],
    MeetingKind.THEME_DAY: [
        "重温入党誓词",
        "参观红色教育基地",
        "社区环境整治志愿服务",
        "走访慰问困难老党员",
        "垃圾分类宣传志愿服务",
        "学习身边先进典型",
    ],
    MeetingKind.LIFE_MEETING: ["年度组织生活会：对照检查、批评与自我批评"],
    MeetingKind.APPRAISAL: ["年度民主评议党员"],
}
EXCUSE_REASONS = ["生病", "住院", "外出探亲", "照顾家人", "身体不适", "看病复查"]
EXCUSAL_REASONS = [
    "社区活动室改造，经区委老干部局同意暂停集中活动",
    "支部调整合并期间，经街道党工委同意",
    "多数党员冬季外出过冬，经街道党工委同意",
]


@dataclass
class MeetingSeed:
    meetings: int = 0
    attendances: int = 0
    make_ups: int = 0
    excusals: int = 0


@dataclass
class _Person:
    pk: int
    name: str
    group_id: int | None
    health: str
    full_member_on: datetime.date | None
    status: str
    status_on: datetime.date | None
    away: float  # how likely to miss a meeting

    def on_list(self, day: datetime.date) -> bool:
        return self.status == MemberStatus.ACTIVE or (
            self.status_on is not None and self.status_on > day
        )


def _months(start: datetime.date, end: datetime.date):
    day = start.replace(day=1)
    while day <= end:
        yield day
        day = (day + datetime.timedelta(days=32)).replace(day=1)


def _day_in(month: datetime.date, dom: int) -> datetime.date:
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(dom, last))


def seed_meetings(
    *, rng: random.Random, today: datetime.date, years: int = 3, stdout=None
) -> MeetingSeed:
    """Meetings from 1 January `years - 1` years ago up to today, plus the plans for the
    next PLAN_DAYS_AHEAD days."""
    seed = MeetingSeed()
    start = datetime.date(today.year - years + 1, 1, 1)

    people: dict[int, list[_Person]] = defaultdict(list)
    rows = (
        Member.objects.filter(home_branch__isnull=False)
        .filter(Q(status=MemberStatus.ACTIVE) | Q(status_on__gt=start))
        .order_by("pk")
        .values_list(
            "pk",
            "name",
            "home_branch_id",
            "party_group_id",
            "health",
            "full_member_on",
            "status",
            "status_on",
        )
    )
    for pk, name, branch_id, group_id, health, full_on, status, status_on in rows:
        roll = rng.random()
        away = 0.04 if roll < 0.8 else (0.25 if roll < 0.95 else 0.5)
        people[branch_id].append(
            _Person(pk, name, group_id, health, full_on, status, status_on, away)
        )
    groups: dict[int, list[int]] = defaultdict(list)
    for pk, branch_id in PartyGroup.objects.order_by("pk").values_list("pk", "branch_id"):
        groups[branch_id].append(pk)
    leaders = dict(
        GroupLeader.objects.filter(ends_on__isnull=True).values_list("group_id", "member_id")
    )
    # Committee members per branch per term:
    # [starts_on, ends_on, has_committee, {members}, {post: member}]
    terms: dict[int, dict] = defaultdict(dict)
    for branch_id, term_id, starts, ends, has_committee, member_id, post in (
        Position.objects.filter(member__isnull=False)
        .order_by("term__branch_id", "term_id")
        .values_list(
            "term__branch_id",
            "term_id",
            "term__starts_on",
            "term__ends_on",
            "term__has_committee",
            "member_id",
            "post",
        )
    ):
        entry = terms[branch_id].setdefault(term_id, [starts, ends, has_committee, set(), {}])
        entry[3].add(member_id)
        entry[4].setdefault(post, member_id)

    branches = list(
        Branch.objects.order_by("pk").values_list(
            "pk", "established_on", "dissolved_on", "venue_id"
        )
    )
    pending: list[tuple[Meeting, list[_Person]]] = []
    excusals: list[Excusal] = []
    for index, branch in enumerate(branches):
        members = people.get(branch[0], [])
        if members:
            excusal = _plan_branch(
                branch,
                members,
                groups.get(branch[0], []),
                terms[branch[0]],
                leaders,
                rng,
                start,
                today,
                pending,
            )
            if excusal is not None:
                excusals.append(excusal)
        if (index + 1) % BRANCHES_PER_FLUSH == 0:
            _flush(pending, rng, today, seed)
            pending = []
            if stdout is not None and (index + 1) % (BRANCHES_PER_FLUSH * 8) == 0:
                stdout.write(f"  meetings: {index + 1}/{len(branches)} branches")
    _flush(pending, rng, today, seed)
    Excusal.objects.bulk_create(excusals, batch_size=BATCH)
    seed.excusals = len(excusals)
    return seed


def _chairs(members, terms, leaders):
    """Who chairs and who minutes, by name: (host, recorder) of branch meetings and
    {group: (host, recorder)} of group meetings. The latest term's secretary and
    organisation member (else the next post held); without a term, the branch's first
    members. A group's leader chairs it, a fellow member minutes."""
    names = {p.pk: p.name for p in members}
    posts = max(terms.values(), key=lambda t: t[0])[4] if terms else {}
    host = names.get(posts.get(Post.SECRETARY)) or next(iter(names.values()))
    recorder = next((names[posts[p]] for p in RECORDER_POSTS if posts.get(p) in names), None)
    if recorder is None or recorder == host:
        recorder = next((name for name in names.values() if name != host), host)
    by_group = defaultdict(list)
    for p in members:
        if p.group_id is not None:
            by_group[p.group_id].append(p.pk)
    group_chairs = {}
    for group_id, pks in by_group.items():
        leader = leaders.get(group_id) if leaders.get(group_id) in names else pks[0]
        fellow = next((pk for pk in pks if pk != leader), leader)
        group_chairs[group_id] = (names[leader], names[fellow])
    return (host, recorder), group_chairs


def _plan_branch(branch, members, group_ids, terms, leaders, rng, start, today, pending):
    """Append one branch's meetings (with their expected lists) to `pending`; return
    the branch's excusal, if it got one."""
    branch_id, established, dissolved, venue_id = branch
    branch_chairs, group_chairs = _chairs(members, terms, leaders)
    plan_until = today + datetime.timedelta(days=PLAN_DAYS_AHEAD)
    roll = rng.random()
    hold = 0.97 if roll < 0.72 else (0.75 if roll < 0.92 else 0.5)
    skips_lectures = rng.random() < 0.08  # a branch that never gets round to lectures
    theme_dom = rng.choice([1, 5, 10, 15, 20, 25])
    excusal = None
    excused_quarter = None
    if rng.random() < 0.04:
        month = rng.choice(list(_months(start, today)))
        excused_quarter = (month.year, (month.month - 1) // 3)
        first = datetime.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
        excusal = Excusal(
            branch_id=branch_id,
            period="quarter",
            period_start=first,
            reason=rng.choice(EXCUSAL_REASONS),
            approved_by="区委老干部局 组织科",
            approved_on=first,
        )

    def exists(day):
        return (established is None or established <= day) and (
            dissolved is None or day < dissolved
        )

    def make(kind, day, expected, group_id=None, status=MeetingStatus.HELD):
        held = status == MeetingStatus.HELD
        topic = rng.choice(TOPICS[kind])
        host, recorder = group_chairs.get(group_id, branch_chairs)
        meeting = Meeting(
            branch_id=branch_id,
            kind=kind,
            party_group_id=group_id,
            status=status,
            topic=topic,
            planned_on=day,
            held_on=day if held else None,
            start_time=datetime.time(rng.choice([9, 9, 14, 15]), rng.choice([0, 30])),
            venue_id=venue_id,
            mode=MeetingMode.MIXED if rng.random() < 0.1 else MeetingMode.ON_SITE,
            host=host,
            recorder=recorder,
            lecturer=host if kind == MeetingKind.LECTURE else "",
            minutes=(
                f"{host}主持，{recorder}记录。会议主题：“{topic}”。"
                "与会党员围绕这一主题学习讨论，结合自身实际交流了体会。"
                if held
                else ""
            ),
            cancel_reason="天气原因，改期举行" if status == MeetingStatus.CANCELLED else "",
        )
        pending.append((meeting, expected if held else []))

    def on_list(day, group_id=None, only=None):
        return [
            p
            for p in members
            if p.on_list(day)
            and (group_id is None or p.group_id == group_id)
            and (only is None or p.pk in only)
        ]

    def committee_on(day):
        latest = None
        for starts, _ends, has_committee, member_ids, _posts in terms.values():
            if starts <= day and (latest is None or starts > latest[0]):
                latest = (starts, has_committee, member_ids)
        return latest[2] if latest and latest[1] else None

    for month in _months(start, plan_until):
        if (month.year, (month.month - 1) // 3) == excused_quarter:
            continue
        candidates = [(MeetingKind.THEME_DAY, _day_in(month, theme_dom), None, None)]
        committee = committee_on(_day_in(month, 28))
        if committee:
            candidates.append(
                (MeetingKind.COMMITTEE, _day_in(month, rng.randint(1, 8)), None, committee)
            )
        for group_id in group_ids:
            candidates.append(
                (MeetingKind.GROUP, _day_in(month, rng.randint(5, 25)), group_id, None)
            )
        if month.month % 3 == 2:  # mid-quarter: the assembly and the lecture
            candidates.append(
                (MeetingKind.GENERAL_ASSEMBLY, _day_in(month, rng.randint(10, 20)), None, None)
            )
            if not skips_lectures:
                candidates.append(
                    (MeetingKind.LECTURE, _day_in(month, rng.randint(1, 28)), None, None)
                )
        if month.month == 12:  # the yearly life meeting and appraisal, together
            day = _day_in(month, rng.randint(10, 25))
            candidates.append((MeetingKind.LIFE_MEETING, day, None, None))
            candidates.append((MeetingKind.APPRAISAL, day, None, None))
        for kind, day, group_id, only in candidates:
            if day > plan_until or not exists(day):
                continue
            if day > today:
                make(kind, day, [], group_id, status=MeetingStatus.PLANNED)
                continue
            factor = 0.92 if kind == MeetingKind.GROUP else 1.0
            if rng.random() >= hold * factor:
                if rng.random() < 0.1:
                    make(kind, day, [], group_id, status=MeetingStatus.CANCELLED)
                continue
            expected = on_list(day, group_id, only)
            if expected:
                make(kind, day, expected, group_id)
    return excusal


def _flush(pending, rng: random.Random, today: datetime.date, seed: MeetingSeed) -> None:
    if not pending:
        return
    Meeting.objects.bulk_create([m for m, _ in pending], batch_size=BATCH)
    seed.meetings += len(pending)
    lines: list[tuple] = []  # (meeting, member, status, reason, is_voting)
    make_ups: dict[tuple[int, int], tuple[str, datetime.date, str]] = {}
    for meeting, expected in pending:
        day = meeting.held_on
        for person in expected:
            status, reason = AttendanceStatus.PRESENT, ""
            made_up = None
            if person.health == Health.BEDRIDDEN:
                status, reason = AttendanceStatus.EXCUSED, "卧床"
                if rng.random() < 0.85:
                    made_up = MakeUpKind.HOME_DELIVERY
            elif rng.random() < person.away:
                if rng.random() < 0.7:
                    status, reason = AttendanceStatus.EXCUSED, rng.choice(EXCUSE_REASONS)
                    made_up = MakeUpKind.STUDY if rng.random() < 0.4 else None
                else:
                    status = AttendanceStatus.ABSENT
                    made_up = MakeUpKind.STUDY if rng.random() < 0.25 else None
            elif meeting.mode == MeetingMode.MIXED and rng.random() < 0.3:
                status = AttendanceStatus.REMOTE
            voting = person.full_member_on is not None and person.full_member_on <= day
            lines.append((meeting.pk, person.pk, str(status), reason, voting))
            if made_up:
                when = day + datetime.timedelta(days=rng.randint(1, 14))
                if when <= today:
                    # Delivered home by the chair; studied with the one who minuted.
                    by = meeting.host if made_up == MakeUpKind.HOME_DELIVERY else meeting.recorder
                    make_ups[meeting.pk, person.pk] = (made_up, when, meeting.topic, by)
    _write_lines(lines, make_ups, seed)


def _write_lines(lines, make_ups, seed: MeetingSeed) -> None:
    """Attendance lines are the bulk of the data (~700,000 at district size), so they
    skip the ORM: bulk_create spends four fifths of its time building model instances
    and compiling SQL. On PostgreSQL they go in with COPY, on SQLite (in-process, where
    one statement per row is cheap) with executemany. The few make-ups then find their
    lines' ids with one query."""
    table = connection.ops.quote_name(Attendance._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(Attendance._meta.get_field(name).column)
        for name in ("meeting", "member", "status", "reason", "is_voting")
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for line in lines:
                    copy.write_row(line)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
            for start in range(0, len(lines), BATCH):
                cursor.executemany(sql, lines[start : start + BATCH])
    seed.attendances += len(lines)
    if not make_ups:
        return
    # The flush's meetings were just inserted: their ids form one range.
    meeting_ids = [meeting_id for meeting_id, _member in make_ups]
    found = Attendance.objects.filter(
        meeting_id__gte=min(meeting_ids), meeting_id__lte=max(meeting_ids)
    ).values_list("pk", "meeting_id", "member_id")
    rows = []
    for pk, meeting_id, member_id in found.iterator(chunk_size=BATCH):
        wanted = make_ups.get((meeting_id, member_id))
        if wanted is not None:
            kind, when, topic, by = wanted
            rows.append(
                MakeUp(
                    attendance_id=pk,
                    kind=kind,
                    made_up_on=when,
                    delivered_by=by,
                    material=f"“{topic}”学习材料",
                )
            )
    MakeUp.objects.bulk_create(rows, batch_size=BATCH)
    seed.make_ups += len(rows)


STUDY_TITLE = "学习贯彻《中国共产党支部工作条例（试行）》"
STUDY_BODY = """请各支部在本月主题党日集中学习以下内容，并为行动不便的党员送学上门。

1. 支部的职责和组织设置；
2. 组织生活制度：“三会一课”、主题党日、组织生活会；
3. 结合离退休干部实际，谈一谈发挥作用的打算。

学习后请点击“确认收到”。"""


def seed_study_material(*, district, street, branch, author, today) -> int:
    """A study material (学习资料) the district sent to the street, in the library of
    every branch there, used at the demo branch's latest held meeting and taken to the
    bedridden members of that meeting (送学上门). Returns the branches it reached."""
    notice = Notice.objects.create(
        organization=district,
        author=author,
        kind=NoticeKind.STUDY,
        title=STUDY_TITLE,
        body=STUDY_BODY,
        body_html=render(STUDY_BODY),
        deadline=today + datetime.timedelta(days=14),
    )
    notice.audience.set([street])
    rows = list(audience_branches(notice, on=today).values_list("pk", "organization__path"))
    NoticeReceipt.objects.bulk_create(
        NoticeReceipt(notice=notice, branch_id=pk, path=path) for pk, path in rows
    )
    Notice.objects.filter(pk=notice.pk).update(
        state=NoticeState.SENT,
        sent_at=timezone.make_aware(datetime.datetime.combine(today, datetime.time(9))),
        recipient_count=len(rows),
    )
    meeting = (
        Meeting.objects.filter(branch=branch, status=MeetingStatus.HELD)
        .order_by("-held_on", "-pk")
        .first()
    )
    if meeting is not None:
        MeetingMaterial.objects.create(meeting=meeting, notice=notice, linked_by=author)
        MakeUp.objects.filter(attendance__meeting=meeting, kind=MakeUpKind.HOME_DELIVERY).update(
            study_material=notice
        )
    return len(rows)
