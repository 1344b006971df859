"""Seconded in-service members (选派在职党员) x roles. The cast's unit_a sends 王建国 onto
branch_a's committee (created on first use, through branch_a and unit_a only, so the
district sweep mirrors it with branch_b and unit_b).

The area roles above branch_a read the branch's list; its community and branch
secretaries keep it; the unit_a liaison reads the secondment (on the workbench) but may
not change it (403 on the write pages, 404 on the branch's list: a liaison sees no
branch)."""

import datetime

from members.models import SecondedMember, SecondmentRole

from . import Spec, row

BRANCH_A_MEMBER_READERS = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "branch_secretary"}
)
EDITORS = frozenset({"community_secretary", "branch_secretary"})


def a_seconded(cast) -> SecondedMember:
    person, _ = SecondedMember.objects.get_or_create(
        branch=cast.branch_a,
        unit=cast.unit_a,
        name="王建国",
        defaults={"role": SecondmentRole.COMMITTEE, "starts_on": datetime.date(2025, 1, 1)},
    )
    return person


def seconded_pk(cast):
    return {"pk": a_seconded(cast).pk}


def edit_form(cast):
    person = a_seconded(cast)
    return {
        "name": person.name,
        "unit": person.unit_id,
        "role": person.role,
        "job_title": "组织部副部长",
        "phone": "",
        "starts_on": person.starts_on.isoformat(),
        "note": "",
        "version": SecondedMember.objects.get(pk=person.pk).version,
    }


def state(cast):
    return list(SecondedMember.objects.order_by("pk").values_list("pk", "name", "ends_on"))


SPECS = [
    Spec(
        "members:seconded_list",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=BRANCH_A_MEMBER_READERS,
    ),
    Spec(
        "members:seconded_create",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=EDITORS,
        forbidden=BRANCH_A_MEMBER_READERS - EDITORS,
        post=lambda c: {
            "name": "李敏",
            "unit": c.unit_a.pk,
            "role": "liaison",
            "job_title": "",
            "phone": "",
            "starts_on": "2025-03-01",
            "ends_on": "",
            "note": "",
        },
        state=state,
    ),
    Spec(
        "members:seconded_edit",
        kwargs=seconded_pk,
        ok=EDITORS,
        forbidden=(BRANCH_A_MEMBER_READERS - EDITORS) | {"unit_liaison"},
        post=edit_form,
        state=lambda c: row(a_seconded(c)),
    ),
    Spec(
        "members:seconded_end",
        kwargs=seconded_pk,
        ok=EDITORS,
        forbidden=(BRANCH_A_MEMBER_READERS - EDITORS) | {"unit_liaison"},
        post=lambda c: {
            "ends_on": "2025-12-31",
            "version": SecondedMember.objects.get(pk=a_seconded(c).pk).version,
        },
        state=lambda c: row(a_seconded(c)),
    ),
    Spec(
        "members:seconded_delete",
        kwargs=seconded_pk,
        ok=EDITORS,
        forbidden=(BRANCH_A_MEMBER_READERS - EDITORS) | {"unit_liaison"},
        post=lambda c: {},
        state=state,
    ),
]
