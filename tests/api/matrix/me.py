from . import ApiSpec

# Any authenticated client reads who it is; the outsider (no roles) too.
SPECS = [
    ApiSpec(
        name="me",
        ok=frozenset(
            {
                "city_admin",
                "district_staff",
                "street_staff",
                "community_secretary",
                "branch_secretary",
                "unit_liaison",
                "district_b_staff",
                "community_b_secretary",
                "street_a2_staff",
                "outsider",
            }
        ),
    )
]
