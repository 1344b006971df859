"""Security headers and CSP-safe markup on every URL pattern, for every role.

Walks the same Specs as the URL x role matrix (every URL pattern has one) with
production's transport settings, over HTTPS, and checks each response, whatever its
status (200, redirects, 403, 404, 405): Django 6's CSP with a per-request nonce and no
'unsafe-inline' or 'unsafe-eval', HSTS, X-Frame-Options, nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy, secure HttpOnly cookies, and HTML that needs no
'unsafe-inline' (no inline style, no script without the nonce, no on* handlers).
"""

import re

import pytest
from django.urls import reverse

from .matrix import ROLES
from .test_url_matrix import SPECS, _client_as

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)
STYLE_TAG = re.compile(r"<style\b[^>]*>", re.I)
INLINE_STYLE = re.compile(r"""\sstyle\s*=\s*["']""", re.I)
EVENT_HANDLER = re.compile(r"""<[^>]+\son[a-z]+\s*=\s*["']""", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


@pytest.fixture
def production_transport(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def header_problems(response) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp:
        return ["no Content-Security-Policy"]
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"CSP allows unsafe code: {csp}")
    directives = csp_directives(csp)
    # Django adds the nonce to the header only when the page used it.
    nonces = [w for w in directives.get("script-src", []) if w.startswith("'nonce-")]
    if [w for w in directives.get("script-src", []) if w not in nonces] != ["'self'"]:
        problems.append(f"script-src is {directives.get('script-src')}")
    for name, expected in (
        ("default-src", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
    ):
        if directives.get(name) != expected:
            problems.append(f"CSP {name} is {directives.get(name)}")
    expected_headers = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    }
    for name, value in expected_headers.items():
        if response.get(name) != value:
            problems.append(f"{name} is {response.get(name)!r}")
    for name, morsel in response.cookies.items():
        if not morsel["secure"]:
            problems.append(f"cookie {name} is not Secure")
        if name != "csrftoken" and not morsel["httponly"]:
            problems.append(f"cookie {name} is not HttpOnly")
    if response.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        nonce = nonces[0][len("'nonce-") : -1] if nonces else "-"
        for tag in SCRIPT_TAG.findall(html):
            if f'nonce="{nonce}"' not in tag:
                problems.append(f"script without this response's nonce: {tag}")
        for tag in STYLE_TAG.findall(html):
            problems.append(f"inline <style>: {tag}")
        if INLINE_STYLE.search(html):
            problems.append("an inline style attribute")
        if match := EVENT_HANDLER.search(html):
            problems.append(f"an inline event handler: {match.group(0)[:120]}")
        if JS_URL.search(html):
            problems.append("a javascript: URL")
    return problems


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_every_response_of_every_url_carries_the_security_headers(
    spec, cast, client, production_transport
):
    url = reverse(spec.name, kwargs=spec.kwargs(cast))
    if query := spec.query(cast):
        url += f"?{query}"
    wrong = {}
    for role in ROLES:
        response = _client_as(client, cast, role).get(url, secure=True)
        if problems := header_problems(response):
            wrong[role] = (response.status_code, problems)
    assert wrong == {}, url


ADMIN_URLS = ["admin:index", "admin:login", "admin:accounts_user_changelist"]


@pytest.mark.parametrize("name", ADMIN_URLS)
def test_the_admin_pages_carry_the_security_headers(name, cast, client, production_transport):
    user = cast.user("system_admin")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    wrong = {}
    for role in ("anonymous", "system_admin", "auditor"):
        response = _client_as(client, cast, role).get(reverse(name), secure=True)
        if problems := header_problems(response):
            wrong[role] = (response.status_code, problems)
    assert wrong == {}


def test_the_header_check_catches_a_page_without_them(client, settings, production_transport):
    """The checker itself: a response missing the middleware's headers is reported."""
    from django.http import HttpResponse

    bare = HttpResponse('<p style="color:red">x</p><script>alert(1)</script>')
    problems = header_problems(bare)
    assert problems == ["no Content-Security-Policy"]
    bare["Content-Security-Policy"] = "default-src 'self'; script-src 'self' 'unsafe-inline'"
    problems = " ".join(header_problems(bare))
    for expected in ("unsafe code", "script-src is", "X-Frame-Options", "inline style", "nonce"):
        assert expected in problems
