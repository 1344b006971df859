"""Unit events (原单位 -> 社区) x roles, on an event from unit_a to community_a about
member_a (its district B twin: unit_b, community_b, member_b).

Reading an event needs can_view_unit_work over its community (the city, district A,
street A, community_a's secretary) or being the reporting unit's liaison. Handling it
(accept, decline, do) needs can_handle_unit_events over the community: its secretary.
Reporting needs can_report_unit_events over the unit: unit_a's liaison.
"""

import datetime

from django.utils import timezone

from units.events.models import TaskState, UnitEvent, UnitEventKind

from . import Spec, row

READERS = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "unit_liaison"}
)
HANDLERS = frozenset({"community_secretary"})
# The list: whoever reads any unit work (each sees their own area's or unit's events).
LIST_READERS = READERS | {"district_b_staff", "community_b_secretary", "street_a2_staff"}


def event(cast, kind=UnitEventKind.VISIT_REQUESTED, *, state=TaskState.OPEN, member=None):
    """An event of `kind` from unit_a to community_a, about member_a unless a newcomer
    (or `member`). The same one on a second call."""
    today = timezone.localdate()
    found = UnitEvent.objects.filter(
        unit=cast.unit_a, community=cast.community_a, kind=kind, state=state
    ).first()
    if found:
        return found
    if kind == UnitEventKind.NEWLY_RETIRED:
        fields = {
            "name": "孙桂芝",
            "gender": "female",
            "birth_date": datetime.date(1965, 3, 8),
            "phone": "13912345678",
            "address": "翠园小区3栋501",
            "retirement_type": "tuixiu",
            "retired_on": today - datetime.timedelta(days=30),
            "former_post": "教研室主任",
        }
    else:
        fields = {"member": member or cast.member_a}
    return UnitEvent.objects.create(
        unit=cast.unit_a,
        community=cast.community_a,
        kind=kind,
        state=state,
        happened_on=today - datetime.timedelta(days=3),
        due_on=today + datetime.timedelta(days=14),
        **fields,
    )


def visit(cast):
    return event(cast)


def events(cast):
    return sorted(UnitEvent.objects.values_list("pk", "state", "version", "outcome"))


SPECS = [
    Spec("unit_events:list", ok=LIST_READERS),
    Spec(
        "unit_events:report",
        kwargs=lambda c: {"unit_pk": c.unit_a.pk, "kind": "moved"},
        ok=frozenset({"unit_liaison"}),
        post=lambda c: {
            "member": c.member_a.pk,
            "happened_on": timezone.localdate().isoformat(),
            "details": "已搬到女儿家",
            "due_on": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        },
        state=lambda c: sorted(UnitEvent.objects.values_list("pk", flat=True)),
    ),
    Spec("unit_events:detail", kwargs=lambda c: {"pk": visit(c).pk}, ok=READERS),
    Spec(
        "unit_events:accept",
        kwargs=lambda c: {"pk": visit(c).pk},
        ok=HANDLERS,
        forbidden=READERS - HANDLERS,
        post=lambda c: {"version": str(visit(c).version)},
        state=events,
    ),
    Spec(
        "unit_events:decline",
        kwargs=lambda c: {"pk": visit(c).pk},
        ok=HANDLERS,
        forbidden=READERS - HANDLERS,
        post=lambda c: {"version": str(visit(c).version), "reason": "该同志已由子女接走照顾"},
        state=events,
    ),
    Spec(
        "unit_events:do",
        kwargs=lambda c: {"pk": visit(c).pk},
        ok=HANDLERS,
        forbidden=READERS - HANDLERS,
        post=lambda c: {"version": str(visit(c).version), "outcome": "已上门看望，身体恢复良好"},
        state=lambda c: (events(c), row(c.member_a)["status"]),
    ),
    # Each kind's own form (GET: the pages speak Chinese to everyone who reaches them).
    *(
        Spec(
            "unit_events:do",
            case=kind,
            kwargs=lambda c, kind=kind: {"pk": event(c, kind).pk},
            ok=HANDLERS,
            forbidden=READERS - HANDLERS,
        )
        for kind in ("newly_retired", "moved", "died", "relation_transferred")
    ),
    *(
        Spec(
            "unit_events:report",
            case=kind,
            kwargs=lambda c, kind=kind: {"unit_pk": c.unit_a.pk, "kind": kind},
            ok=frozenset({"unit_liaison"}),
        )
        for kind in ("newly_retired", "visit_requested")
    ),
]
