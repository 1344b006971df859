"""Every v1 endpoint x every API twin of the cast (tests/api/matrix): 404 outside the
scope, a refused write changes nothing, an allowed write is audited."""

import pytest
from django.urls import get_resolver, reverse

from accounts.models import AuditEntry

from .conftest import API_ROLES
from .matrix import load_specs

SPECS = load_specs()


def v1_url_names() -> set[str]:
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        inner = getattr(pattern, "url_patterns", None)
        if inner is None:
            continue
        for sub in inner:
            if getattr(sub, "namespace", None) == "api_v1":
                return {p.name for p in sub.url_patterns}
    raise AssertionError("no api_v1 namespace")


def test_every_v1_endpoint_has_an_api_spec():
    keys = [spec.key for spec in SPECS]
    assert len(keys) == len(set(keys)), "an endpoint has two specs of the same case"
    names = {spec.name for spec in SPECS}
    assert v1_url_names() - names == set(), "v1 endpoints with no ApiSpec"
    assert names - v1_url_names() == set(), "ApiSpecs for endpoints that no longer exist"


def _url(spec, cast):
    url = reverse(f"api_v1:{spec.name}", kwargs=spec.kwargs(cast))
    if query := spec.query(cast):
        url += f"?{query}"
    return url


@pytest.mark.parametrize("spec", [s for s in SPECS if s.method == "get"], ids=lambda s: s.key)
def test_reads_answer_as_specified_for_every_twin(spec, cast, api_for):
    url = _url(spec, cast)
    wrong = {}
    for role in ("anonymous", *API_ROLES):
        status = api_for(role).get(url).status_code
        if status != spec.expected(role):
            wrong[role] = (status, spec.expected(role))
    assert wrong == {}, f"{url}: role -> (got, expected)"


WRITES = [s for s in SPECS if s.method != "get"]


@pytest.mark.parametrize("spec", WRITES, ids=lambda s: s.key)
def test_refused_writes_change_nothing_and_allowed_ones_are_audited(spec, cast, api_for):
    url = _url(spec, cast)
    wrong = {}
    for role in ("anonymous", *API_ROLES):
        expected = spec.expected(role)
        api = api_for(role)  # made first: creating a twin is itself audited
        before_state = spec.state(cast) if spec.state else None
        audited = AuditEntry.objects.count()
        response = getattr(api, spec.method)(url, spec.body(cast), format="json")
        if response.status_code != expected:
            wrong[role] = (response.status_code, expected, response.content[:200])
            continue
        if expected >= 400:
            if spec.state and spec.state(cast) != before_state:
                wrong[role] = "a refused write changed the state"
        elif AuditEntry.objects.count() == audited:
            wrong[role] = "an allowed write left no audit entry"
    assert wrong == {}, f"{url}: role -> problem"
