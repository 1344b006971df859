"""Take the README's screenshots from a running demo (`make demo` in another terminal).

    .venv/bin/python docs/screenshots.py [--base http://127.0.0.1:8000]

Logs in as the demo community secretary and saves docs/screenshot-*.png (desktop and a
375 px phone in 大字版), then each role's workbench (工作台, the home page) as
docs/screenshots/workbench-<login>-1280.png and, for the secretaries, -375.png in 大字版.
Uses Debian's Chromium through Playwright, as the e2e tests do.
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
SHOTS = HERE / "screenshots"
# Each role's workbench: secretaries, street and district staff, the unit's liaison.
WORKBENCH_LOGINS = ("community", "branch", "functional", "street", "district", "liaison")
PASSWORD = "Demo@2026!"  # noqa: S105 (the printed demo password)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    options = parser.parse_args()
    base = options.base.rstrip("/")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=options.chromium, args=ARGS)
        desktop = browser.new_context(viewport={"width": 1200, "height": 760}, locale="zh-CN")
        page = desktop.new_page()
        log_in(page, base, "community")
        page.get_by_role("link", name="组织架构").click()
        page.wait_for_load_state("load")
        page.locator("table a").first.click()
        page.wait_for_load_state("load")
        page.screenshot(path=HERE / "screenshot-branch.png")
        desktop.close()
        for login in WORKBENCH_LOGINS:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page = context.new_page()
            log_in(page, base, login)
            page.screenshot(path=SHOTS / f"workbench-{login}-1280.png", full_page=True)
            context.close()

        phone = browser.new_context(
            viewport={"width": 375, "height": 740}, device_scale_factor=1, locale="zh-CN"
        )
        page = phone.new_page()
        log_in(page, base, "community")
        switch = page.locator("form[action$='/large-mode/'] button")
        large = switch.inner_text().strip() == "大字版"
        if large:
            switch.click()
            page.wait_for_load_state("load")
        page.goto(f"{base}/org/")  # the tree opens on the secretary's community
        page.wait_for_load_state("load")
        page.screenshot(path=HERE / "screenshot-phone-large.png")
        page.goto(f"{base}/")
        page.wait_for_load_state("load")
        page.screenshot(path=SHOTS / "workbench-community-375.png", full_page=True)
        if large:  # leave the demo user as it was
            page.locator("form[action$='/large-mode/'] button").click()
        browser.close()
    print("saved", *sorted(p.name for p in HERE.glob("screenshot-*.png")), "and workbenches")


if __name__ == "__main__":
    main()
