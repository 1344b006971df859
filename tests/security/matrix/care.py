"""Care (党内关怀) and activities x roles, on the cast's member_a (community_a, home
branch_a) and branch_a.

Reading care needs can_view_members over the member or branch (the area roles above
community_a and branch_a's secretary; the unit liaison sees no care); recording care
needs can_record_care (the community and branch secretaries), the other readers get
403. Activities are recorded with can_record_meeting (the same two secretaries).
"""

import datetime

from activities.care.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    CareNeed,
    Carer,
    CareVisit,
    CareVisitKind,
    FollowUp,
)

from . import Spec, row

READERS_A = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "branch_secretary"}
)
WRITERS_A = frozenset({"community_secretary", "branch_secretary"})
READ_ONLY_A = READERS_A - WRITERS_A
CARERS = frozenset({"community_secretary", "branch_secretary", "community_b_secretary"})
MEMBER_READERS = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
DAY = datetime.date(2026, 1, 10)


def need(cast):
    found = CareNeed.objects.filter(member=cast.member_a).first()
    return found or CareNeed.objects.create(
        member=cast.member_a, poor_health=True, interval_days=30, started_on=DAY
    )


def carer(cast):
    n = need(cast)
    return n.carers.first() or Carer.objects.create(need=n, name="矩阵结对人", is_lead=True)


def visit(cast):
    found = CareVisit.objects.filter(member=cast.member_a).first()
    return found or CareVisit.objects.create(
        member=cast.member_a,
        visited_on=DAY,
        kind=CareVisitKind.ROUTINE,
        visitors="张书记",
        summary="身体尚可",
    )


def follow_up(cast):
    v = visit(cast)
    return v.follow_ups.first() or FollowUp.objects.create(
        visit=v, matter="申请助餐", owner_name="居委会", due_on=DAY
    )


def activity(cast):
    found = Activity.objects.filter(branch=cast.branch_a).first()
    return found or Activity.objects.create(
        kind=ActivityKind.VOLUNTEER,
        title="楼道清洁志愿服务",
        held_on=DAY,
        branch=cast.branch_a,
        organization=cast.community_a,
    )


def visit_form(cast):
    return {
        "kind": CareVisitKind.SICK_VISIT,
        "visited_on": "2026-01-15",
        "visitors": "李委员",
        "summary": "住院探望",
        "matters_raised": "",
    }


def visits_of_a(cast):
    return sorted(
        (v.pk, v.visited_on, v.kind, v.visitors)
        for v in CareVisit.objects.filter(member=cast.member_a)
    )


def activities_of_a(cast):
    return sorted((a.pk, a.title, a.held_on) for a in Activity.objects.filter(branch=cast.branch_a))


def exists(model, pk):
    return model.objects.filter(pk=pk).exists()


SPECS = [
    Spec("care:mine", ok=CARERS),
    Spec("care:review", ok=CARERS),
    Spec("care:follow_ups", ok=MEMBER_READERS),
    Spec(
        "care:coverage",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=READERS_A - {"branch_secretary"},
    ),
    Spec("care:branch", kwargs=lambda c: {"branch_pk": c.branch_a.pk}, ok=READERS_A),
    Spec(
        "care:register",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=READERS_A,
        exports=("", "format=pdf", "format=xlsx", "full=1"),
    ),
    Spec("care:member", kwargs=lambda c: {"pk": c.member_a.pk}, ok=READERS_A),
    Spec(
        "care:need_edit",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"poor_health": "on", "interval_days": "14", "started_on": "2026-01-01"},
        state=lambda c: list(CareNeed.objects.values_list("pk", "interval_days")),
    ),
    Spec(
        "care:need_delete",
        kwargs=lambda c: {"pk": need(c).member_id},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {},
        state=lambda c: list(CareNeed.objects.values_list("pk", flat=True)),
    ),
    Spec(
        "care:carer_add",
        kwargs=lambda c: {"pk": need(c).member_id},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"name": "王党员", "relation": "党员志愿者", "since": "2026-01-01"},
        state=lambda c: list(Carer.objects.values_list("pk", "name")),
    ),
    Spec(
        "care:carer_remove",
        kwargs=lambda c: {"pk": carer(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {},
        state=lambda c: list(Carer.objects.values_list("pk", flat=True)),
    ),
    Spec(
        "care:visit_create",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=visit_form,
        state=visits_of_a,
    ),
    Spec("care:visit_detail", kwargs=lambda c: {"pk": visit(c).pk}, ok=READERS_A),
    Spec(
        "care:visit_edit",
        kwargs=lambda c: {"pk": visit(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=visit_form,
        state=lambda c: row(visit(c)),
    ),
    Spec(
        "care:visit_delete",
        kwargs=lambda c: {"pk": visit(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {},
        state=visits_of_a,
    ),
    Spec(
        "care:follow_up_add",
        kwargs=lambda c: {"pk": visit(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"matter": "修理门锁", "owner_name": "物业", "due_on": "2026-02-01"},
        state=lambda c: list(FollowUp.objects.values_list("pk", "matter")),
    ),
    Spec(
        "care:follow_up_edit",
        kwargs=lambda c: {"pk": follow_up(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"state": "solved", "solved_on": "2026-01-20", "due_on": "2026-01-10"},
        state=lambda c: row(follow_up(c)),
    ),
    Spec("care:activity_list", kwargs=lambda c: {"branch_pk": c.branch_a.pk}, ok=READERS_A),
    Spec(
        "care:activity_create",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {
            "kind": "preaching",
            "title": "二十届四中全会精神宣讲",
            "held_on": "2026-01-12",
        },
        state=activities_of_a,
    ),
    Spec("care:activity_detail", kwargs=lambda c: {"pk": activity(c).pk}, ok=READERS_A),
    Spec(
        "care:activity_edit",
        kwargs=lambda c: {"pk": activity(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"kind": "volunteer", "title": "改名的志愿服务", "held_on": "2026-01-10"},
        state=lambda c: row(activity(c)),
    ),
    Spec(
        "care:activity_participants",
        kwargs=lambda c: {"pk": activity(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {f"p{c.member_a.pk}": "on", f"h{c.member_a.pk}": "2.5"},
        state=lambda c: list(ActivityParticipant.objects.values_list("member_id", "service_hours")),
    ),
    Spec(
        "care:activity_delete",
        kwargs=lambda c: {"pk": activity(c).pk},
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {},
        state=activities_of_a,
    ),
]
