"""The API's URL x role matrix: one ApiSpec per v1 endpoint (and per object case), in the
modules beside this file (one per subject). tests/api/test_matrix.py fails when a v1 URL
pattern has none; tests/security/matrix/api.py turns them into the portal matrix's specs
(a logged-in session is not an API credential: 401 for every role there).

Each role of the cast is played by its API twin (tests/api/conftest.py): an API client
holding the same roles. `ok` roles get 200 (201 for a write), `forbidden` ones 403 (they
read the object but may not change it), every other twin 404, no token 401.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ApiSpec:
    name: str  # the URL name inside the api_v1 namespace, e.g. "branch-list"
    kwargs: Callable = lambda cast: {}
    query: Callable = lambda cast: ""
    ok: frozenset = frozenset()
    forbidden: frozenset = frozenset()
    # Writes: the JSON body of a valid request, the status an allowed role gets, and the
    # state a refused one must leave unchanged (an allowed one writes an audit entry).
    method: str = "get"
    body: Callable | None = None
    created: int = 201
    state: Callable | None = None
    case: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}[{self.case}]" if self.case else self.name

    def expected(self, role: str) -> int:
        if role == "anonymous":
            return 401
        if role in self.ok:
            return 200 if self.method == "get" else self.created
        if role in self.forbidden:
            return 403
        return 404


def load_specs() -> list[ApiSpec]:
    import importlib
    import pkgutil

    specs = []
    for module in pkgutil.iter_modules(__path__):
        specs += importlib.import_module(f"{__name__}.{module.name}").SPECS
    return specs
