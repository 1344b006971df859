"""API clients in the browser, on a 375 px phone in 大字版 and at 1280 px: the system
administrator creates a client and issues a token (shown once, gone on reload), the
security administrator grants the client a community secretary's role on the role pages,
the token then works against /api/v1/me/ (a real HTTP request to the live server), the
system administrator revokes it and it gets 401; the auditor finds both requests in the
request log. Every page: no serious axe-core violation, nothing sticking out sideways.

E2E_SCREENSHOTS=some/folder keeps the pictures (api-<size>-<page>.png)."""

import json
import re
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import Client

from api.models import ApiClient, ApiToken

from ..conftest import build_cast
from ..otp import login_as
from .conftest import PageProblems, axe_violations, expect, open_menu, screenshot
from .test_print_pages_a11y import STICKING_OUT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("chromium"),
    pytest.mark.django_db(transaction=True),
]

SIZES = {
    "375-large": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "1280": {"viewport": {"width": 1280, "height": 900}},
}
NAME = "智慧党建平台"


@pytest.fixture
def cast(transactional_db):
    return build_cast()


def me(base, raw) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (the live server on loopback)
        f"{base}/api/v1/me/", headers={"Authorization": f"Bearer {raw}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Session:
    """One browser context per role, signed in through a test-client session (the admin
    roles with their second factor passed)."""

    def __init__(self, browser, live_server, cast, axe_source, size):
        self.browser, self.base, self.cast = browser, live_server.url, cast
        self.axe_source, self.size = axe_source, size
        self.context = None
        self.errors = []

    def as_user(self, key):
        self.close()
        user = self.cast.user(key)
        if self.size == "375-large":  # 大字版, as a phone user with poor sight has it
            user.large_mode = True
            user.save(update_fields=["large_mode"])
        client = Client()
        login_as(client, user, key=key)
        # bypass_csp: axe-core is injected as an inline script.
        self.context = self.browser.new_context(bypass_csp=True, locale="zh-CN", **SIZES[self.size])
        self.context.set_default_timeout(20_000)
        self.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": self.base,
                }
            ]
        )
        page = self.context.new_page()
        self.problems = PageProblems(page)
        return page

    def look(self, page, name):
        page.wait_for_load_state("load")
        if self.size == "375-large":
            assert page.evaluate("() => document.body.classList.contains('large-mode')")
        screenshot(page, f"api-{self.size}-{name}")
        assert page.evaluate(STICKING_OUT) == [], name
        assert axe_violations(page, self.axe_source) == [], name

    def close(self):
        if self.context:
            self.errors += self.problems.errors
            self.context.close()
            self.context = None


@pytest.mark.parametrize("size", list(SIZES))
def test_a_client_is_created_given_a_role_and_its_token_works_until_revoked(
    browser, live_server, cast, axe_source, size
):
    s = Session(browser, live_server, cast, axe_source, size)
    base = live_server.url

    # The system administrator creates the client from the menu.
    page = s.as_user("system_admin")
    page.goto(f"{base}/")
    open_menu(page)
    page.get_by_role("link", name="接口客户端", exact=True).click()
    s.look(page, "client-list-empty")
    page.get_by_role("link", name="新建接口客户端").click()
    page.get_by_label("客户端名称").fill(NAME)
    page.get_by_label("用途").fill("市级平台读取支部和会议数据")
    page.get_by_label("联系人").fill("李工 13800000000")
    page.get_by_label("每分钟请求数").fill("60")
    s.look(page, "client-form")
    page.get_by_role("button", name="创建客户端").click()
    # The row is read once the redirect to it has landed (the form's URL ends in /new/).
    page.wait_for_url(re.compile(r".*/api-clients/\d+/$"))
    client = ApiClient.objects.get(name=NAME)
    assert page.url == f"{base}/api-clients/{client.pk}/"
    assert "尚无角色" in page.locator("main").inner_text()

    # ... and issues a token: shown once, with the copy hint; gone on reload.
    page.get_by_role("link", name="签发令牌").click()
    page.get_by_label("标签").fill("正式环境")
    page.get_by_label("有效天数").fill("30")
    page.get_by_role("button", name="签发令牌").click()
    page.wait_for_url(f"{base}/api-clients/{client.pk}/tokens/*/issued/")
    raw = page.locator("#new-token").input_value().strip()
    token = ApiToken.objects.get(client=client)
    assert raw.startswith(f"{token.prefix}.")
    assert "令牌只显示这一次" in page.locator("main").inner_text()
    s.look(page, "token-shown-once")
    page.reload()
    assert page.locator("#new-token").count() == 0
    assert raw not in page.content()
    assert "已经显示过一次" in page.locator("main").inner_text()
    page.get_by_role("link", name="返回客户端").click()
    page.wait_for_url(f"{base}/api-clients/{client.pk}/")
    assert token.prefix in page.locator("main").inner_text() and raw not in page.content()
    s.look(page, "client-detail")

    # Without a role the client sees nothing of the portal, but the token is good.
    status, body = me(base, raw)
    assert (status, body["roles"]) == (200, [])

    # The security administrator grants it a community secretary's role.
    page = s.as_user("security_admin")
    page.goto(f"{base}/")
    open_menu(page)
    page.get_by_role("link", name="接口客户端", exact=True).click()
    page.get_by_role("link", name=NAME, exact=True).click()
    page.get_by_role("link", name="授予角色").click()
    page.wait_for_url(f"{base}/roles/new/**")
    assert f"为“接口客户端：{NAME}”授予角色" in page.locator("h1").inner_text()
    page.get_by_label("角色").select_option("community_secretary")
    page.get_by_label("组织代码").fill(cast.community_a.code)
    s.look(page, "role-grant")
    page.get_by_role("button", name="授予角色").click()
    page.wait_for_url(f"{base}/roles/")
    assert f"接口客户端：{NAME}" in page.locator("main").inner_text()
    s.look(page, "role-list")

    # The token now carries the role.
    status, body = me(base, raw)
    assert status == 200
    assert [(r["role"], r["node"]) for r in body["roles"]] == [
        ("community_secretary", cast.community_a.name)
    ]

    # The system administrator revokes it: 401 from then on.
    page = s.as_user("system_admin")
    page.goto(f"{base}/api-clients/{client.pk}/")
    assert "社区" in page.locator("main").inner_text()
    page.get_by_role("link", name="吊销").click()
    s.look(page, "token-revoke")
    page.get_by_role("button", name="吊销").click()
    page.wait_for_url(f"{base}/api-clients/{client.pk}/")
    assert "已于" in page.locator("main").inner_text()
    status, body = me(base, raw)
    assert status == 401 and body["detail"] == "该令牌已被吊销。"

    # The auditor finds the three requests in the log, newest (refused) first.
    page = s.as_user("auditor")
    page.goto(f"{base}/")
    open_menu(page)
    page.get_by_role("link", name="接口请求日志").click()
    page.get_by_label("接口客户端").select_option(label=NAME)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/api-requests/?*client=*")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(3)
    assert "401" in rows.nth(0).inner_text() and "200" in rows.nth(2).inner_text()
    s.look(page, "request-log")

    # The docs, as the community secretary who may hand them to the city's IT staff.
    page = s.as_user("community_secretary")
    page.goto(f"{base}/api-docs/")
    assert "调用方客户端及其角色" in page.locator("main").inner_text()
    s.look(page, "docs")
    s.close()
    assert s.errors == []
