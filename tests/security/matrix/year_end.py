"""The year end (年终) x roles, on the cast's branch_a (community_a) in 2026.

Reading needs can_view_members over the branch (the area roles above community_a and
branch_a's secretary); every form needs can_record_meeting (the community and branch
secretaries), the other readers get 403. The street's list of branches: the roles over
street_a.
"""

import datetime
import uuid

from activities.year_end.models import (
    Appraisal,
    LifeRecord,
    PairKind,
    RectificationItem,
    TalkPair,
    YearEndCycle,
)
from members.models import CommitteeTerm, Position, Post

from . import Spec

YEAR = 2026
READERS_A = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "branch_secretary"}
)
WRITERS_A = frozenset({"community_secretary", "branch_secretary"})
READ_ONLY_A = READERS_A - WRITERS_A


def cycle(cast):
    return YearEndCycle.objects.get_or_create(branch=cast.branch_a, year=YEAR)[0]


def pair(cast):
    a, b = sorted([cast.member_a, cast.member_a_bedridden], key=lambda m: m.pk)
    return TalkPair.objects.get_or_create(
        cycle=cycle(cast), first=a, second=b, defaults={"kind": PairKind.MEMBERS}
    )[0]


def item(cast):
    return RectificationItem.objects.get_or_create(
        branch=cast.branch_a,
        year=YEAR,
        problem="学习不经常",
        defaults={
            "source": "branch",
            "measure": "每月集中学习",
            "owner": "组织委员",
            "deadline": datetime.date(2026, 3, 31),
        },
    )[0]


def with_committee(cast):
    """branch_a with member_a as its secretary (the suggestions need a committee)."""
    term, created = CommitteeTerm.objects.get_or_create(
        branch=cast.branch_a,
        number=1,
        defaults={"starts_on": datetime.date(2024, 1, 1), "ends_on": datetime.date(2028, 12, 31)},
    )
    if created:
        Position.objects.create(term=term, post=Post.SECRETARY, member=cast.member_a)
    return {"branch_pk": cast.branch_a.pk, "year": YEAR}


def branch_year(cast):
    return {"branch_pk": cast.branch_a.pk, "year": YEAR}


def pairs_of_a(cast):
    return sorted(
        TalkPair.objects.filter(cycle__branch=cast.branch_a).values_list(
            "pk", "first_id", "second_id", "held_on"
        )
    )


def write_spec(name, kwargs, post, state, **extra):
    return Spec(
        name,
        kwargs=kwargs,
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=post,
        state=state,
        **extra,
    )


SPECS = [
    Spec("year_end:branch", kwargs=lambda c: {"branch_pk": c.branch_a.pk}, ok=READERS_A),
    Spec(
        "year_end:overview",
        kwargs=lambda c: {"pk": c.street_a.pk},
        ok=frozenset({"city_admin", "district_staff", "street_staff"}),
    ),
    write_spec(
        "year_end:pair_add",
        branch_year,
        post=lambda c: {
            "first": c.member_a.pk,
            "second": c.member_a_bedridden.pk,
            "kind": PairKind.MEMBERS,
        },
        state=pairs_of_a,
    ),
    write_spec(
        "year_end:pair_suggest",
        with_committee,
        query=lambda c: "which=committee",
        post=lambda c: {"which": "committee"},
        state=pairs_of_a,
    ),
    write_spec(
        "year_end:talk_record",
        lambda c: {"pk": pair(c).pk},
        post=lambda c: {"held_on": "2026-11-20", "note": "谈学习体会", "version": "1"},
        state=pairs_of_a,
    ),
    write_spec(
        "year_end:pair_delete",
        lambda c: {"pk": pair(c).pk},
        post=lambda c: {},
        state=pairs_of_a,
    ),
    write_spec(
        "year_end:life_meeting",
        branch_year,
        post=lambda c: {
            "meeting": "",
            "observer": "和平街道 王委员",
            "version": "",
            f"m{c.member_a.pk}_self_criticism": "on",
        },
        state=lambda c: (
            list(YearEndCycle.objects.values_list("pk", "observer")),
            list(LifeRecord.objects.values_list("pk", "member_id", "self_criticism")),
        ),
    ),
    write_spec(
        "year_end:appraisal",
        lambda c: {**branch_year(c), "member_pk": c.member_a.pk},
        post=lambda c: {
            "self_assessment": "qualified",
            "votes_excellent": "0",
            "votes_qualified": "2",
            "votes_basically_qualified": "0",
            "votes_unqualified": "0",
            "proposal": "qualified",
            "decision": "qualified",
        },
        state=lambda c: list(Appraisal.objects.values_list("pk", "member_id", "decision")),
    ),
    write_spec(
        "year_end:item_add",
        branch_year,
        post=lambda c: {
            "problem": "对卧床党员送学不及时",
            "measure": "建立送学台账",
            "owner": "支部书记",
            "deadline": "2026-12-31",
            "client_key": str(uuid.uuid4()),
        },
        state=lambda c: list(RectificationItem.objects.values_list("pk", "problem")),
    ),
    write_spec(
        "year_end:no_problems",
        branch_year,
        post=lambda c: {"value": "1"},
        state=lambda c: list(YearEndCycle.objects.values_list("pk", "no_problems")),
    ),
    write_spec(
        "year_end:item_close",
        lambda c: {"pk": item(c).pk},
        post=lambda c: {"evidence": "已建立学习群并按月学习", "closed_on": "2026-11-30"},
        state=lambda c: list(RectificationItem.objects.values_list("pk", "closed_on")),
    ),
]
