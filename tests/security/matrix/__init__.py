"""The URL x role matrix: one Spec per URL pattern, gathered from the modules beside this
file (one module per app). test_url_matrix.py fails when a URL pattern has no Spec.

A Spec names who gets 200 (`ok`), who is redirected (`redirect`), who is refused with
403 because they can read the object but not change it (`forbidden`), and optionally a
uniform status for everyone logged in (`everyone`). Every other role gets 404. A URL
may have further specs for other objects, each named by its `case`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.forms.models import model_to_dict

# Every member of the standing cast, plus anonymous.
ROLES = (
    "anonymous",
    "city_admin",
    "district_staff",
    "street_staff",
    "community_secretary",
    "branch_secretary",
    "unit_liaison",
    "system_admin",
    "security_admin",
    "auditor",
    "district_b_staff",
    "community_b_secretary",
    "street_a2_staff",
    "outsider",
)
LOGGED_IN = frozenset(ROLES) - {"anonymous"}

# Who can see and manage things in community_a (district A, street A).
STRUCTURE_VIEWERS = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "system_admin",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
BRANCH_MANAGERS = frozenset(
    {
        "district_staff",
        "street_staff",
        "community_secretary",
        "system_admin",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
COMMUNITY_A_VIEWERS = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "system_admin"}
)
COMMUNITY_A_MANAGERS = frozenset(
    {"district_staff", "street_staff", "community_secretary", "system_admin"}
)


@dataclass(frozen=True)
class Spec:
    name: str
    kwargs: Callable = lambda cast: {}
    query: Callable = lambda cast: ""
    ok: frozenset = frozenset()
    redirect: frozenset = frozenset()
    forbidden: frozenset = frozenset()
    everyone: int | None = None  # a status every logged-in role gets (e.g. 405)
    anonymous: int = 302  # LoginRequiredMiddleware sends strangers to the login page
    # For write views: valid form data, and the state a refused POST must leave unchanged.
    post: Callable | None = None
    state: Callable | None = None
    # Downloads and print views (they name people): the query strings to try ("" the URL
    # as specified, "format=pdf" added to it...). Each allowed role's request for each
    # writes exactly one audit entry; a GET that answers a download or a print view
    # without being listed here fails the matrix.
    exports: tuple = ()
    # A second spec of the same URL on another object (e.g. a street-level branch).
    case: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}[{self.case}]" if self.case else self.name

    def expected(self, role: str) -> int:
        if role == "anonymous":
            return self.anonymous
        if self.everyone is not None:
            return self.everyone
        if role in self.ok:
            return 200
        if role in self.redirect:
            return 302
        if role in self.forbidden:
            return 403
        return 404


def row(obj) -> dict:
    """The stored field values of one object, read afresh from the database."""
    return model_to_dict(type(obj).objects.get(pk=obj.pk))
