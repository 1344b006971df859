"""Every URL pattern x every role of the standing cast.

Out of scope answers 404, a refused POST changes nothing, and an allowed POST writes an
audit entry (AUDIT_EXEMPT names the few that need not). A URL pattern without a Spec
fails test_every_url_pattern_has_a_spec, so a new view cannot ship untested.
"""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import AuditAction, AuditEntry

from ..otp import login_as
from . import matrix
from .matrix import ROLES, Spec

# Django's admin has its own permission system; tests/security/test_admin.py covers it.
EXEMPT_NAMESPACES = {"admin"}


def load_specs() -> list[Spec]:
    specs = []
    for module in pkgutil.iter_modules(matrix.__path__):
        specs += importlib.import_module(f"{matrix.__name__}.{module.name}").SPECS
    return specs


SPECS = load_specs()


def url_names(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            if ns in EXEMPT_NAMESPACES:
                continue
            inner = f"{namespace}{ns}:" if ns else namespace
            yield from url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"URL pattern {pattern.pattern} has no name"
            yield f"{namespace}{pattern.name}"


def test_every_url_pattern_has_a_spec():
    names = set(url_names())
    keys = [spec.key for spec in SPECS]
    assert len(keys) == len(set(keys)), "a URL has two specs of the same case"
    specced = [spec.name for spec in SPECS]
    assert names - set(specced) == set(), "URL patterns with no access spec"
    assert set(specced) - names == set(), "specs for URLs that no longer exist"


def _client_as(client, cast, role):
    client.logout()
    if role != "anonymous":
        login_as(client, cast.user(role), key=role)  # admin roles: second factor passed
    return client


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_get_answers_as_specified_for_every_role(spec, cast, client):
    url = reverse(spec.name, kwargs=spec.kwargs(cast))
    if query := spec.query(cast):
        url += f"?{query}"
    wrong = {}
    for role in ROLES:
        status = _client_as(client, cast, role).get(url).status_code
        if status != spec.expected(role):
            wrong[role] = (status, spec.expected(role))
    assert wrong == {}, f"{url}: role -> (got, expected)"


WRITE_SPECS = [spec for spec in SPECS if spec.post]


@pytest.mark.parametrize("spec", WRITE_SPECS, ids=lambda s: s.key)
def test_a_refused_post_changes_nothing(spec, cast, client):
    url = reverse(spec.name, kwargs=spec.kwargs(cast))
    refused = [r for r in ROLES if spec.expected(r) in (302, 403, 404) and r not in spec.redirect]
    assert refused, "a write spec should refuse somebody"
    before = spec.state(cast)
    for role in refused:
        response = _client_as(client, cast, role).post(url, spec.post(cast))
        assert response.status_code == spec.expected(role), role
        assert spec.state(cast) == before, f"{role} changed {spec.name}"


# Write paths that leave no audit entry, each with the reason. Only a user's own
# settings and inbox may be here: anything touching members, registrations, meetings,
# attendance, care, the organisation, roles, rules, users, policies, or showing
# unmasked data must be audited (issue 8, MLPS level 3).
AUDIT_EXEMPT = {
    "reminders:item": "opening one's own reminder marks it read: one's own inbox",
    "reminders:mark_all_read": "marks one's own reminders read: one's own inbox",
    "reminders:preferences": "one's own delivery settings (digest time, channels)",
}
# For the coverage figure "write paths audited / total": len(AUDITED_WRITE_SPECS) of
# len(WRITE_SPECS).
AUDITED_WRITE_SPECS = [spec.name for spec in WRITE_SPECS if spec.name not in AUDIT_EXEMPT]


def test_the_audit_exemptions_are_write_paths():
    assert set(AUDIT_EXEMPT) <= {spec.name for spec in WRITE_SPECS}, "stale exemption"


@pytest.mark.parametrize("spec", WRITE_SPECS, ids=lambda s: s.key)
def test_an_allowed_post_takes_effect_and_is_audited(spec, cast, client):
    url = reverse(spec.name, kwargs=spec.kwargs(cast))
    role = sorted(spec.ok)[0]
    before = spec.state(cast)
    data = spec.post(cast)
    client = _client_as(client, cast, role)  # logging in writes an entry of its own
    entries = AuditEntry.objects.count()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    written = AuditEntry.objects.count() - entries
    assert spec.state(cast) != before
    if spec.name in AUDIT_EXEMPT:
        assert written == 0, f"{spec.name} is audited now: drop its exemption"
    else:
        assert written > 0, f"{spec.name} changed data without an audit entry"


# The twin of the check above, for what leaves the portal: downloads and print views name
# members (a ledger prints reasons such as 住院), so each one given out is audited once.
DOWNLOAD_TYPES = ("application/pdf", "application/vnd.openxmlformats", "text/csv")
READ_SPECS = [spec for spec in SPECS if spec.ok]
# Downloads that name nobody, each with the reason.
DOWNLOAD_EXEMPT = {
    "members:import_template": "a blank roster workbook: the column headings only",
    "rollout_jobs:template": "a blank import workbook: the headings and one example row",
}


def _gives_out(response) -> bool:
    """A download (a file type, or any Content-Disposition) or a print view."""
    if response.get("Content-Type", "").startswith(DOWNLOAD_TYPES):
        return True
    if response.has_header("Content-Disposition"):
        return True
    return not response.streaming and b"data-print" in response.content


def _with(url: str, query: str) -> str:
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.mark.parametrize("spec", READ_SPECS, ids=lambda s: s.name)
def test_every_download_and_print_is_audited_once_for_every_allowed_role(spec, cast, client):
    url = reverse(spec.name, kwargs=spec.kwargs(cast))
    if query := spec.query(cast):
        url += f"?{query}"
    if not spec.exports:
        response = _client_as(client, cast, sorted(spec.ok)[0]).get(url)
        exempt = spec.name in DOWNLOAD_EXEMPT
        assert _gives_out(response) == exempt, f"{spec.name}: list it in `exports` or not"
        return
    for role in sorted(spec.ok):
        user = cast.user(role)
        client = _client_as(client, cast, role)  # logging in writes an entry of its own
        for variant in spec.exports:
            last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            response = client.get(_with(url, variant))
            assert response.status_code == 200, (role, variant)
            if response.streaming:
                b"".join(response.streaming_content)
            written = list(AuditEntry.objects.filter(pk__gt=last))
            assert len(written) == 1, f"{spec.name} {variant!r} as {role}: {len(written)} entries"
            entry = written[0]
            assert (entry.action, entry.actor_id) == (AuditAction.EXPORT, user.pk)
            assert entry.object_type and entry.object_repr
            assert "format" in (entry.changes.get("after") or {}), entry.changes
