"""Dashboards need can_view_dashboard on the node: the city, district A, street A and
community A staff see community A's; street A2 staff, district B staff, a branch
secretary, a unit liaison and the separated admins get 404."""

from . import Spec

DASHBOARD_A = frozenset({"city_admin", "district_staff", "street_staff", "community_secretary"})
# Everyone with a dashboard grant somewhere: each has one top node, so is redirected.
DASHBOARD_USERS = DASHBOARD_A | {"district_b_staff", "community_b_secretary", "street_a2_staff"}
Q1 = "period=quarter&year=2026&quarter=1"

SPECS = [
    Spec("reports:index", redirect=DASHBOARD_USERS),
    Spec(
        "reports:org_dashboard",
        kwargs=lambda c: {"pk": c.community_a.pk},
        query=lambda c: Q1,
        ok=DASHBOARD_A,
    ),
    Spec(
        "reports:org_export",
        kwargs=lambda c: {"pk": c.community_a.pk, "table": "heatmap"},
        query=lambda c: Q1,
        ok=DASHBOARD_A,
        exports=("",),
    ),
    Spec(
        "reports:org_pdf",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=DASHBOARD_A,
        exports=("",),
    ),
    Spec(
        "reports:org_members",
        kwargs=lambda c: {"pk": c.community_a.pk},
        query=lambda c: "list=unregistered",
        ok=DASHBOARD_A,
    ),
    Spec(
        "reports:org_branches",
        kwargs=lambda c: {"pk": c.community_a.pk},
        query=lambda c: f"list=behind&{Q1}",
        ok=DASHBOARD_A,
    ),
    Spec(
        "reports:org_meetings",
        kwargs=lambda c: {"pk": c.community_a.pk},
        query=lambda c: "month=2026-02",
        ok=DASHBOARD_A,
    ),
    Spec("reports:branch_dashboard", kwargs=lambda c: {"pk": c.branch_a.pk}, ok=DASHBOARD_A),
    Spec(
        "reports:branch_export",
        kwargs=lambda c: {"pk": c.branch_a.pk, "table": "attendance"},
        ok=DASHBOARD_A,
        exports=("",),
    ),
    Spec(
        "reports:branch_pdf",
        kwargs=lambda c: {"pk": c.branch_a.pk},
        ok=DASHBOARD_A,
        exports=("",),
    ),
    Spec(
        "reports:branch_members",
        kwargs=lambda c: {"pk": c.branch_a.pk},
        query=lambda c: "list=inactive",
        ok=DASHBOARD_A,
    ),
]
