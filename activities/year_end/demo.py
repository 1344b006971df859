"""Demo year ends for seed_demo: the branches of the demo street in this year, one in
three done (but for the 组织生活会 while it is still ahead), one in progress, one not
started; the demo secretary's own branch in
progress (pairs planned, half the talks held), with an open 整改 item carried over from
last year. Bulk inserts; demo data leaves no audit rows (nobody did it).

Run after the members and meetings seeds (it reads the committees and the 组织生活会).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from branches.models import Branch

from .models import (
    Appraisal,
    Grade,
    ItemSource,
    RectificationItem,
    TalkPair,
    YearEndCycle,
)
from .selectors import branch_members, life_meetings
from .services import pair_suggestions

BRANCHES = 12
ITEMS = [
    (
        "学习制度落实不经常，线上学习参与率低",
        "每月第一周组织线上学习，委员分片包干帮学",
        "组织委员",
    ),
    ("对卧床党员送学上门不够及时", "建立送学台账，每季度至少上门一次", "支部书记"),
    ("联系原单位反馈不及时", "每半年向原单位寄送双向联系反馈表", "宣传委员"),
]
TALK_NOTES = ["交流学习体会，提出改进支部活动的建议", "谈身体和家庭情况，愿意继续参加志愿服务"]


@dataclass
class YearEndSeed:
    cycles: int = 0
    pairs: int = 0
    appraisals: int = 0
    items: int = 0


def _pairs(branch, year, today):
    found, seen = [], set()
    for which in ("secretary", "committee"):
        try:
            suggested = pair_suggestions(branch=branch, year=year, today=today, which=which)
        except ValueError:  # no committee on record: nobody to pair by the rules
            continue
        for a, b, kind in suggested:
            first, second = (a, b) if a.pk < b.pk else (b, a)
            if (first.pk, second.pk) not in seen:
                seen.add((first.pk, second.pk))
                found.append((first, second, kind))
    return found


def seed_year_end(*, rng: random.Random, today: datetime.date, street, branch) -> YearEndSeed:
    seed = YearEndSeed()
    year = today.year
    branches = list(
        Branch.objects.active(today)
        .filter(organization__path__startswith=street.path)
        .exclude(pk=branch.pk)
        .order_by("pk")[: BRANCHES - 1]
    )
    plans = [(branch, "in_progress")] + [
        (b, ("done", "in_progress", "not_started")[i % 3]) for i, b in enumerate(branches)
    ]
    pairs, appraisals, items = [], [], []
    for b, plan in plans:
        if plan == "not_started":
            continue
        # The year's 组织生活会, held if it was (it is usually held in mid-December).
        meetings = life_meetings(b, year)
        meeting = meetings.filter(status="held").first() or meetings.first()
        cycle = YearEndCycle.objects.create(
            branch=b,
            year=year,
            life_meeting=meeting,
            observer="街道党工委 王委员" if meeting else "",
        )
        seed.cycles += 1
        planned = _pairs(b, year, today)
        for n, (first, second, kind) in enumerate(planned):
            held = plan == "done" or n % 2 == 0
            pairs.append(
                TalkPair(
                    cycle=cycle,
                    first=first,
                    second=second,
                    kind=kind,
                    held_on=today - datetime.timedelta(days=rng.randint(3, 40)) if held else None,
                    note=rng.choice(TALK_NOTES) if held else "",
                )
            )
        if plan == "done":
            for n, member in enumerate(branch_members(b)):
                grade = Grade.EXCELLENT if n % 5 == 0 else Grade.QUALIFIED
                appraisals.append(
                    Appraisal(
                        cycle=cycle,
                        member=member,
                        self_assessment=Grade.QUALIFIED,
                        proposal=grade,
                        decision=grade,
                    )
                )
        problem, measure, owner = ITEMS[rng.randrange(len(ITEMS))]
        if plan == "done":
            items.append(
                RectificationItem(
                    branch=b,
                    year=year,
                    source=ItemSource.BRANCH,
                    problem=problem,
                    measure=measure,
                    owner=owner,
                    deadline=today + datetime.timedelta(days=60),
                )
            )
            items.append(
                RectificationItem(
                    branch=b,
                    year=year,
                    source=ItemSource.BRANCH,
                    problem=ITEMS[0][0],
                    measure=ITEMS[0][1],
                    owner=ITEMS[0][2],
                    deadline=today - datetime.timedelta(days=5),
                    evidence="已建立线上学习群，11月参学率达到九成",
                    closed_on=today - datetime.timedelta(days=7),
                )
            )
    # The demo branch's item of last year, still open: it carries over, past its deadline.
    problem, measure, owner = ITEMS[1]
    items.append(
        RectificationItem(
            branch=branch,
            year=year - 1,
            source=ItemSource.BRANCH,
            problem=problem,
            measure=measure,
            owner=owner,
            deadline=datetime.date(year, 3, 31),
        )
    )
    TalkPair.objects.bulk_create(pairs)
    Appraisal.objects.bulk_create(appraisals)
    RectificationItem.objects.bulk_create(items)
    seed.pairs, seed.appraisals, seed.items = len(pairs), len(appraisals), len(items)
    return seed
