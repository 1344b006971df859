"""The v1 read endpoints (organisations, branches, members, compliance, figures, notices
and receipts) x every API twin of the cast: the same scope as the pages, 404 outside.

A list answers 200 (narrowed to the scope) to a twin holding its capability anywhere and
404 to the others, as the pages' require_capability; a detail answers 200 inside the
scope, 403 where the object is read but the request needs more (unmasking), else 404.
"""

from ...security.matrix.notices_receipts import to_confirm
from . import ApiSpec

# Twins holding can_view_structure somewhere.
STRUCTURE = frozenset(
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
MEMBERS = STRUCTURE  # can_view_members: the same twins
ROSTER = MEMBERS | {"unit_liaison"}  # ... and the unit liaison's view of its retirees
SENDERS = STRUCTURE - {"branch_secretary"}  # can_send_notices
NOTICE_READERS = STRUCTURE  # can_send_notices or can_answer_notices
# Over community_a (district A, street A).
COMMUNITY_A_STRUCTURE = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary"}
)
BRANCH_A_MEMBERS = COMMUNITY_A_STRUCTURE | {"branch_secretary"}
DISTRICT_B = frozenset({"city_admin", "district_b_staff"})
BRANCH_B = frozenset({"city_admin", "district_b_staff", "community_b_secretary"})

SPECS = [
    # --- Organisations
    ApiSpec(name="organization-list", ok=STRUCTURE),
    ApiSpec(
        name="organization-detail",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=COMMUNITY_A_STRUCTURE,
    ),
    ApiSpec(
        name="organization-detail",
        case="district_b",
        kwargs=lambda c: {"pk": c.district_b.pk},
        ok=DISTRICT_B,
    ),
    # --- Branches
    ApiSpec(name="branch-list", ok=STRUCTURE),
    ApiSpec(name="branch-detail", kwargs=lambda c: {"pk": c.branch_a.pk}, ok=BRANCH_A_MEMBERS),
    ApiSpec(
        name="branch-detail",
        case="street-level functional",
        kwargs=lambda c: {"pk": c.functional_a.pk},
        ok=frozenset({"city_admin", "district_staff", "street_staff"}),
    ),
    ApiSpec(
        name="branch-detail", case="branch_b", kwargs=lambda c: {"pk": c.branch_b.pk}, ok=BRANCH_B
    ),
    # --- Members
    ApiSpec(name="member-list", ok=ROSTER),
    ApiSpec(
        name="member-detail",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=BRANCH_A_MEMBERS | {"unit_liaison"},
    ),
    ApiSpec(
        name="member-detail",
        case="unmasked",
        kwargs=lambda c: {"pk": c.member_a.pk},
        query=lambda c: "unmasked=1",
        ok=frozenset({"community_secretary", "branch_secretary"}),
        forbidden=frozenset({"city_admin", "district_staff", "street_staff", "unit_liaison"}),
    ),
    ApiSpec(
        name="member-detail", case="member_b", kwargs=lambda c: {"pk": c.member_b.pk}, ok=BRANCH_B
    ),
    # --- Compliance
    ApiSpec(name="compliance-list", ok=MEMBERS),
    ApiSpec(
        name="compliance-list",
        case="organization",
        query=lambda c: f"organization={c.community_a.pk}",
        ok=COMMUNITY_A_STRUCTURE,
    ),
    ApiSpec(
        name="compliance-list",
        case="district_b",
        query=lambda c: f"organization={c.district_b.pk}&period=quarter&year=2026&quarter=1",
        ok=DISTRICT_B,
    ),
    ApiSpec(
        name="compliance-list",
        case="branch",
        query=lambda c: f"branch={c.branch_a.pk}&period=year",
        ok=BRANCH_A_MEMBERS,
    ),
    # --- Dashboard figures
    ApiSpec(
        name="organization-figures",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=COMMUNITY_A_STRUCTURE,
    ),
    ApiSpec(
        name="organization-figures",
        case="district_b",
        kwargs=lambda c: {"pk": c.district_b.pk},
        query=lambda c: "period=month&month=1&year=2026",
        ok=DISTRICT_B,
    ),
    ApiSpec(
        name="branch-figures",
        kwargs=lambda c: {"pk": c.branch_a.pk},
        ok=COMMUNITY_A_STRUCTURE,
    ),
    ApiSpec(
        name="branch-figures",
        case="branch_b",
        kwargs=lambda c: {"pk": c.branch_b.pk},
        ok=BRANCH_B,
    ),
    # --- Notices and receipts (district A's notice to street A: branch_a, functional_a)
    ApiSpec(name="sent-notice-list", ok=SENDERS),
    ApiSpec(
        name="sent-notice-detail",
        kwargs=lambda c: {"pk": to_confirm(c).pk},
        ok=frozenset({"city_admin", "district_staff"}),
    ),
    ApiSpec(
        name="notice-receipt-list",
        kwargs=lambda c: {"notice_pk": to_confirm(c).pk},
        ok=frozenset({"city_admin", "district_staff"}),
    ),
    ApiSpec(name="received-notice-list", ok=NOTICE_READERS),
    ApiSpec(
        name="received-notice-detail",
        kwargs=lambda c: {"pk": to_confirm(c).pk},
        ok=frozenset({"street_staff", "community_secretary", "branch_secretary"}),
    ),
]
