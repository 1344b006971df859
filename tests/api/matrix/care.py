"""Care through the API x the API twins, on member_a (community_a, home branch_a): read
by can_view_members over the member, recorded by can_record_care (the community and
branch secretaries); the other readers are refused with 403, everyone else 404."""

import uuid

from activities.care.models import CareVisit, FollowUp

from ...security.matrix.care import READ_ONLY_A, READERS_A, WRITERS_A, visit
from . import ApiSpec
from .me import SPECS as ME_SPECS

EVERY_TWIN = ME_SPECS[0].ok  # every twin lists: the list is cut to its scope


def visits_state(cast):
    return [
        *CareVisit.objects.order_by("pk").values_list("pk", "kind", "visited_on"),
        *FollowUp.objects.order_by("pk").values_list("pk", "state"),
    ]


def visit_body(cast):
    return {
        "client_key": str(uuid.uuid4()),
        "member": cast.member_a.pk,
        "kind": "routine",
        "visited_on": "2026-01-12",
        "visitors": "接口矩阵走访人",
    }


SPECS = [
    ApiSpec(name="care-visit-list", ok=EVERY_TWIN),
    ApiSpec(
        name="care-visit-list",
        case="filtered",
        query=lambda c: f"member={c.member_a.pk}&kind=routine&visited_from=2026-01-01",
        ok=EVERY_TWIN,
    ),
    ApiSpec(name="care-visit-detail", kwargs=lambda c: {"pk": visit(c).pk}, ok=READERS_A),
    ApiSpec(
        name="care-visit-list",
        case="record",
        method="post",
        body=visit_body,
        ok=WRITERS_A,
        forbidden=READ_ONLY_A,
        state=visits_state,
    ),
    ApiSpec(
        name="care-coverage-node",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=READERS_A - {"branch_secretary"},
    ),
    ApiSpec(
        name="care-coverage-node",
        case="district",
        kwargs=lambda c: {"pk": c.district_a.pk},
        query=lambda c: "by=branch",
        ok=frozenset({"city_admin", "district_staff"}),
    ),
    ApiSpec(name="care-coverage-branch", kwargs=lambda c: {"pk": c.branch_a.pk}, ok=READERS_A),
]
