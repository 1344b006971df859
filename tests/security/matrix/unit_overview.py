"""The unit overview (units/overview/) x roles, on unit_a (东城区教育局, district A).

Who has units to look at: the city, a district's staff (the units of their district) and
a unit's liaison (their unit: the list sends a liaison of one unit straight to it).
Street and community staff read units' work elsewhere: 404 here. The page drills into a
district only for those whose area covers it (or the unit's liaison)."""

from . import Spec

UNIT_A_READERS = frozenset({"city_admin", "district_staff", "unit_liaison"})

SPECS = [
    Spec(
        "unit_overview:list",
        ok=frozenset({"city_admin", "district_staff", "district_b_staff"}),
        redirect=frozenset({"unit_liaison"}),
    ),
    Spec(
        "unit_overview:unit",
        kwargs=lambda cast: {"pk": cast.unit_a.pk},
        ok=UNIT_A_READERS,
        exports=("format=xlsx",),
    ),
    Spec(
        "unit_overview:unit",
        kwargs=lambda cast: {"pk": cast.unit_a.pk},
        query=lambda cast: f"area={cast.district_a.pk}&start=2026-01-01",
        ok=UNIT_A_READERS,
        case="district",
    ),
]
