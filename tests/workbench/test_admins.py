"""The three administrators' workbench (三权分立): each sees their own queue only, and
its numbers equal the pages it leads to."""

import datetime

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction, AuditEntry
from accounts.tasks import verify_audit_chain
from tests import factories as f
from tests.factories import PASSWORD
from workbench.admins import next_check

LOGIN = reverse("accounts:login")


def _login(username, password, addr):
    return Client().post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=addr)


def home(client):
    return client.get("/").content.decode()


def test_the_system_administrator_sees_accounts_without_a_role_as_the_user_list_does(
    cast, client_for
):
    # The cast's "outsider" has no role; so has a new account; a disabled one waits for
    # nothing.
    waiting = f.user(username="new_clerk", full_name="新来的干事")
    gone = f.user(username="left_clerk")
    gone.is_active = False
    gone.save()
    client = client_for("system_admin")
    page = home(client)
    assert "2 个启用的账号尚未分配角色" in page
    assert f'href="/accounts/users/{waiting.pk}/"' in page and "新来的干事" in page
    assert "left_clerk" not in page
    listed = client.get("/accounts/users/?active=1&role=none")
    assert listed.context["page"].paginator.count == 2
    assert {u.username for u in listed.context["page"].object_list} == {"outsider", "new_clerk"}
    # Not the security administrator's or the auditor's work.
    assert "登录失败次数" not in page and "审计链上次校验" not in page


def test_a_locked_out_account_is_listed_for_the_system_administrator(cast, client_for):
    for n in range(5):
        _login("street_staff", "wrong", f"198.51.100.{n + 1}")
    for n in range(4):  # one short of the lockout
        _login("district_staff", "wrong", f"198.51.100.{n + 11}")
    page = home(client_for("system_admin"))
    locked = page.split("当前锁定中")[1].split("</section>")[0]
    assert f'href="/accounts/users/{cast.user("street_staff").pk}/"' in locked
    assert "district_staff" not in locked


def test_the_security_administrator_sees_failed_logins_lockouts_and_who_waits(cast, client_for):
    for n in range(5):
        _login("street_staff", "wrong", f"198.51.100.{n + 1}")
    # Refused while locked, even with the right password: twice.
    _login("street_staff", PASSWORD, "198.51.100.30")
    _login("street_staff", PASSWORD, "198.51.100.31")
    _login("nobody_here", "guess", "198.51.100.40")
    client = client_for("security_admin")
    page = home(client)
    assert "最近 7 天的登录失败" in page
    facts = page.split("最近 7 天的登录失败")[1].split("</dl>")[0]
    assert "登录失败次数</dt><dd>8</dd>" in facts
    assert "因用户名锁定被拒绝</dt><dd>2</dd>" in facts
    assert "被锁定的用户名</dt><dd>1</dd>" in facts
    assert '<span class="tag">street_staff</span>' in facts
    # The account waiting for a role, one tap from the grant form, filled in.
    link = reverse("branches:role_grant") + "?username=outsider"
    assert f'href="{link}"' in page
    form = client.get(link).content.decode()
    assert 'value="outsider"' in form
    # Not the system administrator's or the auditor's work.
    assert "/accounts/users/" not in page and "审计链上次校验" not in page


def test_the_auditor_sees_the_last_check_of_the_chain_and_the_next_one_due(cast, client_for):
    client = client_for("auditor")
    page = home(client)
    assert "从未校验" in page and "审计链从未校验过" in page
    client.post(reverse("accounts:audit_check"), {"confirm": "on"})
    check = AuditEntry.objects.filter(action=AuditAction.VERIFY).get()
    page = home(client)
    assert "auditor ·" in page and "完好，已校验" in page
    assert f"完好，已校验 {check.changes['after']['checked']} 条" in page
    assert "审计链从未校验过" not in page and "夜间自动校验已超过一天未运行" not in page
    # The nightly check leaves its entry too: it is the last one now.
    verify_audit_chain()
    page = home(client)
    assert "夜间自动校验 ·" in page
    due = next_check(timezone.now())
    assert f"{timezone.localtime(due):%Y-%m-%d %H:%M}" in page
    # Not the administrators' work.
    assert "尚未分配角色" not in page and "登录失败次数" not in page


def test_a_broken_or_missing_nightly_check_is_shouted(cast, client_for):
    audit.record(
        AuditAction.VERIFY,
        object_type="accounts.auditentry",
        object_repr="audit chain (scheduled)",
        after={"checked": 10, "ok": False, "broken": [3]},
    )
    page = home(client_for("auditor"))
    assert "已被破坏：请立即报告" in page


def test_the_nightly_check_is_scheduled_when_the_workbench_says():
    schedule = settings.CELERY_BEAT_SCHEDULE["audit-verify"]
    assert schedule["task"] == verify_audit_chain.name
    hour, minute = settings.AUDIT_VERIFY_AT
    assert schedule["schedule"].hour == {hour} and schedule["schedule"].minute == {minute}
    tz = timezone.get_current_timezone()
    before = datetime.datetime(2026, 5, 20, hour - 1, 0, tzinfo=tz)
    after = datetime.datetime(2026, 5, 20, hour, minute + 1, tzinfo=tz)
    assert next_check(before) == datetime.datetime(2026, 5, 20, hour, minute, tzinfo=tz)
    assert next_check(after) == datetime.datetime(2026, 5, 21, hour, minute, tzinfo=tz)


def _count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_each_administrators_queue_runs_a_fixed_number_of_queries(cast, client_for):
    keys = ("system_admin", "security_admin", "auditor")
    before = {key: _count(client_for(key)) for key in keys}
    for n in range(30):
        f.user(username=f"clerk{n}")
    for n in range(5):
        _login("clerk0", "wrong", f"198.51.100.{n + 1}")  # locked out
    verify_audit_chain()
    after = {key: _count(client_for(key)) for key in keys}
    # The request's own (session, user, second factor, roles); the auditor's last check;
    # the accounts waiting (list and count), the policy, the locked names, and once some
    # name is locked, their accounts; the system administrator's areas on the home page;
    # the security administrator's failed log-ins; the staff imports' waiting counts.
    assert before == {"system_admin": 10, "security_admin": 10, "auditor": 5}
    assert after == {"system_admin": 11, "security_admin": 11, "auditor": 5}


def test_the_nightly_check_is_a_registered_task():
    from retiree_party.celery import app

    assert "accounts.verify_audit_chain" in app.tasks
