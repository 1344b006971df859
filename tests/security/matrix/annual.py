"""The annual return (年报): read with can_view_dashboard on the node (the city, district A,
street A and community A staff for community A); submitted only by a role on the node
itself (community A's secretary); reviewed only by a role on the node just above (street
A's staff); the other readers get 403, everyone else 404."""

from reports.annual.services import annual_return_submit
from reports.models import AnnualReturn

from . import Spec

READERS_A = frozenset({"city_admin", "district_staff", "street_staff", "community_secretary"})
DASHBOARD_USERS = READERS_A | {"district_b_staff", "community_b_secretary", "street_a2_staff"}
YEAR = 2025


def _page(c):
    return {"pk": c.community_a.pk, "year": YEAR}


def _submitted(c):
    """Community A's return, submitted by its secretary (for the street to review)."""
    if not AnnualReturn.objects.filter(organization=c.community_a, year=YEAR).exists():
        annual_return_submit(
            node=c.community_a, year=YEAR, revision=0, actor=c.user("community_secretary")
        )
    return _page(c)


def _state(c):
    return list(
        AnnualReturn.objects.filter(organization=c.community_a, year=YEAR).values_list(
            "state", "submissions", "revision"
        )
    )


def _revision(c):
    row = AnnualReturn.objects.filter(organization=c.community_a, year=YEAR).first()
    return str(row.revision if row else 0)


SPECS = [
    Spec("reports:annual_index", redirect=DASHBOARD_USERS),
    Spec("reports:annual_return", kwargs=_page, ok=READERS_A),
    Spec(
        "reports:annual_submit",
        kwargs=_page,
        ok=frozenset({"community_secretary"}),
        forbidden=READERS_A - {"community_secretary"},
        post=lambda c: {"revision": _revision(c)},
        state=_state,
    ),
    Spec(
        "reports:annual_review",
        kwargs=_submitted,
        ok=frozenset({"street_staff"}),
        forbidden=READERS_A - {"street_staff"},
        post=lambda c: {
            "decision": "return",
            "comment": "请核对迁出人数",
            "revision": _revision(c),
        },
        state=_state,
    ),
    Spec("reports:annual_xlsx", kwargs=_page, ok=READERS_A, exports=("",)),
    Spec("reports:annual_pdf", kwargs=_page, ok=READERS_A, exports=("",)),
]
