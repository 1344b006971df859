"""Joint meetings (四方联席会议) x roles, on a meeting the street_a convened with
community_a, unit_a and branch_a: an open item owned by unit_a, a closed one owned by
community_a.

Reading the meeting: the area's readers (city, district, street) and the parties that
took part (the community's secretary, the unit's liaison, the branch's secretary).
Recording and editing: can_record_joint_meetings over the area (district and street
staff; the community secretary reads it as a party: 403). Closing an item: its owner
(the unit's liaison). Reopening it: the recorders. Builders find or make the rows by
their area, so a mirrored cast (tests/branches/test_scope.py) finds district B's twin.
"""

import datetime

from django.utils import timezone

from units.joint.models import ActionItem, JointMeeting, JointParty, Party

from . import Spec, row

RECORDERS = frozenset(
    {
        "district_staff",
        "street_staff",
        "community_secretary",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
OWNERS = RECORDERS | {"branch_secretary", "unit_liaison"}
LIST_READERS = OWNERS | {"city_admin"}
MEETING_RECORDERS = frozenset({"district_staff", "street_staff"})
MEETING_READERS = MEETING_RECORDERS | {
    "city_admin",
    "community_secretary",
    "branch_secretary",
    "unit_liaison",
}
TOPIC = "矩阵联席会议"


def _today():
    return timezone.localdate()


def meeting(cast) -> JointMeeting:
    found = JointMeeting.objects.filter(area=cast.street_a, topic=TOPIC).first()
    if found:
        return found
    m = JointMeeting.objects.create(
        area=cast.street_a, held_on=_today() - datetime.timedelta(days=10), topic=TOPIC
    )
    JointParty.objects.bulk_create(
        [
            JointParty(meeting=m, party=Party.STREET, organization=cast.street_a),
            JointParty(meeting=m, party=Party.COMMUNITY, organization=cast.community_a),
            JointParty(meeting=m, party=Party.UNIT, unit=cast.unit_a),
            JointParty(meeting=m, party=Party.BRANCH, branch=cast.branch_a),
        ]
    )
    ActionItem.objects.bulk_create(
        [
            ActionItem(
                meeting=m,
                title="矩阵单位待办",
                party=Party.UNIT,
                unit=cast.unit_a,
                due_on=_today() + datetime.timedelta(days=5),
            ),
            ActionItem(
                meeting=m,
                title="矩阵已办结",
                party=Party.COMMUNITY,
                organization=cast.community_a,
                due_on=_today() - datetime.timedelta(days=1),
                closed_at=timezone.now(),
                closing_note="已办",
            ),
        ]
    )
    return m


def unit_item(cast) -> ActionItem:
    return ActionItem.objects.get(meeting=meeting(cast), title="矩阵单位待办")


def closed_item(cast) -> ActionItem:
    return ActionItem.objects.get(meeting=meeting(cast), title="矩阵已办结")


def formset(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, fields in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": str(v) for k, v in fields.items()})
    return data


def edit_post(cast) -> dict:
    m = meeting(cast)
    item = unit_item(cast)
    return {
        "held_on": m.held_on.isoformat(),
        "topic": TOPIC,
        "place": "矩阵会议室",
        "matters": "改过的议题",
        "decisions": "",
        "version": str(m.version),
        **formset(
            "parties",
            [
                {"party": "street", "who": f"org:{cast.street_a.pk}"},
                {"party": "community", "who": f"org:{cast.community_a.pk}"},
                {"party": "unit", "who": f"unit:{cast.unit_a.pk}"},
            ],
        ),
        **formset(
            "items",
            [
                {
                    "id": item.pk,
                    "title": item.title,
                    "party": "unit",
                    "who": f"unit:{cast.unit_a.pk}",
                    "due_on": item.due_on.isoformat(),
                }
            ],
        ),
    }


def add_post(cast) -> dict:
    """Valid for the first recorder in name order, community_b_secretary (whose area is
    community_b); refused roles never get as far as reading it."""
    return {
        "held_on": _today().isoformat(),
        "topic": "矩阵新会议",
        **formset(
            "parties",
            [
                {"party": "community", "who": f"org:{cast.community_b.pk}"},
                {"party": "unit", "who": f"unit:{cast.unit_b.pk}"},
            ],
        ),
        **formset(
            "items",
            [
                {
                    "title": "矩阵新待办",
                    "party": "unit",
                    "who": f"unit:{cast.unit_b.pk}",
                    "due_on": _today().isoformat(),
                }
            ],
        ),
    }


def meetings(cast):
    return sorted(JointMeeting.objects.values_list("pk", "topic", "version"))


SPECS = [
    Spec("joint:list", ok=LIST_READERS),
    Spec("joint:my_items", ok=OWNERS),
    Spec(
        "joint:add",
        ok=RECORDERS,
        post=add_post,
        state=meetings,
    ),
    Spec("joint:meeting", kwargs=lambda c: {"pk": meeting(c).pk}, ok=MEETING_READERS),
    Spec(
        "joint:edit",
        kwargs=lambda c: {"pk": meeting(c).pk},
        ok=MEETING_RECORDERS,
        forbidden=MEETING_READERS - MEETING_RECORDERS,
        post=edit_post,
        state=lambda c: (row(meeting(c)), sorted(meeting(c).parties.values_list("pk"))),
    ),
    Spec(
        "joint:item_close",
        kwargs=lambda c: {"pk": unit_item(c).pk},
        ok=frozenset({"unit_liaison"}),
        forbidden=MEETING_READERS - {"unit_liaison"},
        post=lambda c: {"note": "名单已送到社区", "version": str(unit_item(c).version)},
        state=lambda c: row(unit_item(c)),
    ),
    Spec(
        "joint:item_reopen",
        kwargs=lambda c: {"pk": closed_item(c).pk},
        ok=MEETING_RECORDERS,
        forbidden=MEETING_READERS - MEETING_RECORDERS,
        post=lambda c: {"version": str(closed_item(c).version)},
        state=lambda c: row(closed_item(c)),
    ),
]
