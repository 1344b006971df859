"""The three administrators log in in a real browser: password, then the second factor
with a code computed from the key the set-up page shows, as an authenticator app would.

Before the second factor the page carries no menu and no htmx fragment (the reminder
badge once fetched the second-factor page into itself, again and again); the log-in
ends on the home page with one <main> and a handful of requests."""

import base64
import time

import pytest
from django_otp.oath import hotp

from ..conftest import build_cast
from ..factories import PASSWORD
from .conftest import PageProblems, open_menu, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

# Every request of one log-in (pages, their CSS/JS/icon, the form posts and redirects):
# about 20 when it works; the nesting badge made 58 in five seconds.
MAX_REQUESTS = 40

VIEWPORTS = {
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


@pytest.fixture
def cast(transactional_db):
    return build_cast()


def key_from_setup_page(page) -> bytes:
    secret = page.locator(".otp-secret").inner_text().replace(" ", "")
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def step_now() -> int:
    """The RFC 6238 time step (30 s) an authenticator app is on now."""
    return int(time.time()) // 30


def code(key: bytes, step: int) -> str:
    """The 6-digit code an authenticator app shows for `key` at `step` (SHA-1).

    A code is good once, so the second log-in takes the step after the first one's, or the
    step of now if the log-out and log-in took longer. Not "now + 1": when the first code
    was read at a step's last moment and checked in the next, the device learns a drift
    of -1, and "now + 1" would then fall outside its window of one step either side."""
    return f"{hotp(key, step):06d}"


def settled_page(page):
    """Let every request the page makes finish; check it is one page, with no fragment."""
    page.wait_for_load_state("networkidle")
    assert page.locator("main").count() == 1
    assert page.locator("[hx-get], [hx-post], [hx-trigger]").count() == 0
    assert page.locator("nav .nav-link").count() == 0  # no menu before the log-in is done


def password_login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")


@pytest.mark.parametrize("width", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("username", ["system_admin", "security_admin", "auditor"])
def test_an_administrator_logs_in_with_a_real_totp_code(
    browser, live_server, cast, username, width
):
    base = live_server.url
    context = browser.new_context(locale="zh-CN", **VIEWPORTS[width])
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = PageProblems(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    if width == "phone":  # 大字版, as a phone user with poor sight has it
        user = cast.user(username)
        user.large_mode = True
        user.save(update_fields=["large_mode"])

    # First log-in: set up the authenticator from the key on the page.
    password_login(page, base, username)
    page.wait_for_url("**/accounts/otp/setup/**")
    settled_page(page)
    large = "large-mode" in (page.locator("body").get_attribute("class") or "")
    assert large == (width == "phone")
    screenshot(page, f"otp-setup-{username}-{width}")
    key = key_from_setup_page(page)
    first_step = step_now()
    page.fill("input[name=token]", code(key, first_step))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("main").count() == 1
    assert page.locator("#unread-count").count() == 1  # the badge, once, after the log-in
    assert len(requests) <= MAX_REQUESTS, requests
    screenshot(page, f"otp-home-{username}-{width}")

    # Every later log-in: the verify page, the next code of the same key.
    open_menu(page)  # the phone's collapsed menu
    page.locator("form[action$='/logout/'] button").click()
    page.wait_for_url("**/accounts/login/**")
    requests.clear()
    password_login(page, base, username)
    page.wait_for_url("**/accounts/otp/verify/**")
    settled_page(page)
    screenshot(page, f"otp-verify-{username}-{width}")
    page.fill("input[name=token]", code(key, max(first_step + 1, step_now())))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("main").count() == 1
    assert len(requests) <= MAX_REQUESTS, requests
    context.close()
    assert problems.errors == []
