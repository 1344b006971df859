"""The REST API in the portal's matrix: a logged-in session is not an API credential, so
every v1 endpoint answers 401 to every role there. What each API client may do is in the
API's own matrix (tests/api/matrix, tests/api/test_matrix.py)."""

from ...api.matrix import load_specs
from . import Spec

_seen = {}
for _spec in load_specs():
    _seen.setdefault(_spec.name, _spec)

SPECS = [
    Spec(name=f"api_v1:{name}", kwargs=spec.kwargs, everyone=401, anonymous=401)
    for name, spec in _seen.items()
]
