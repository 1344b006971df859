"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core injected per page.

No `playwright install`: the browser is /usr/bin/chromium (apt-get install chromium), and
axe-core comes from the npm registry (`make vendor` runs `npm ci`).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from ..conftest import CHROMIUM, REQUIRE_SERVICES, require_service
from ..factories import PASSWORD

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Set E2E_SCREENSHOTS=some/folder to keep a picture of every page the tests check.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser():
    require_service("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        message = f"{AXE} is missing: run `make vendor` (npm ci)"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by a page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _failed(self, request):
        # Chromium cancels requests still in flight when the page navigates away (the
        # favicon, typically): that is not an error of the page.
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"failed: {request.url} ({request.failure})")

    def _response(self, response):
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")


def expect(actual, *args, **kwargs):
    """Playwright's retrying assertions, imported when used as sync_playwright is: without
    the playwright package the e2e tests are skipped, not broken at collection."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, *args, **kwargs)


def no_sideways_scroll(page) -> bool:
    """True when the page needs no sideways scrolling.

    A click on a link returns once the navigation has started; until the new document has
    loaded, `document.documentElement` can be null, so wait for it first.
    """
    page.wait_for_load_state("load")
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def log_in(page, base_url, username):
    """Log in through the login page as `username` (the cast's password), on to the
    workbench."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def open_menu(page):
    """Open the phone's collapsed menu, if the page has one, and wait until it is open.

    Bootstrap slides it open: a click on an entry while it slides can land on what was
    under the entry, and nothing happens (its class is `collapsing` until done, then
    `collapse show`)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#main-nav.collapse.show")).to_be_visible()


def axe_violations(page, axe_source, *, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core on the current page; the serious and critical violations, described."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }"""
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in result
        if v["impact"] in impacts
    ]


def screenshot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
