"""数据完整率 (rollout/completeness/) x roles.

Everyone who reads members over an area or a branch has the page for their own scope
(the city, districts, streets, communities, a branch secretary for their branch). An
area outside one's scope is 404: community_a is read by the levels above it and its
own secretary only. The admins and unit liaisons have no such page (404)."""

from . import Spec

AREA_READERS = frozenset(
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
COMMUNITY_A_READERS = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary"}
)

SPECS = [
    Spec("completeness:overview", ok=AREA_READERS),
    Spec(
        "completeness:overview",
        query=lambda cast: f"area={cast.community_a.pk}&problem=no_secretary",
        ok=COMMUNITY_A_READERS,
        case="community_a",
    ),
    Spec(
        "completeness:overview",
        query=lambda cast: f"area={cast.district_a.pk}&problem=no_branch",
        ok=frozenset({"city_admin", "district_staff"}),
        case="district_a",
    ),
]
