"""Log-in, log-out and lockout: audited, new session key, not fooled by X-Forwarded-For."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry, LoginFailure, UserSession

from ..factories import PASSWORD

LOGIN = reverse("accounts:login")


def _login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_a_login_gets_a_new_session_key_and_is_audited(cast, client):
    # An anonymous session exists first (the 大字版 switch stores its choice there).
    client.post(reverse("accounts:large_mode"), {"large_mode": "on"})
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = _login(client, "district_staff", REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before  # session fixation: the pre-login key is worthless
    entry = AuditEntry.objects.filter(action=AuditAction.LOGIN).get()
    assert (entry.actor, entry.ip) == (cast.user("district_staff"), "198.51.100.20")
    assert UserSession.objects.filter(user=cast.user("district_staff"), session_key=after).exists()


def test_a_failed_login_and_a_logout_are_audited(cast, client):
    response = _login(client, "district_staff", "Bad#Guess-91", REMOTE_ADDR="198.51.100.21")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).get()
    assert (failed.actor, failed.object_repr, failed.ip) == (
        None,
        "district_staff",
        "198.51.100.21",
    )
    assert failed.changes["after"] == {"reason": "wrong_credentials"}
    assert "Bad#Guess-91" not in str(failed.changes)  # never the password tried
    _login(client, "district_staff")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("accounts:logout"))
    logout = AuditEntry.objects.filter(action=AuditAction.LOGOUT).get()
    assert logout.actor == cast.user("district_staff")
    assert logout.changes["after"] == {"reason": "user"}
    assert not UserSession.objects.filter(session_key=key).exists()


def test_five_failures_lock_the_user_name_even_for_the_right_password(cast, client):
    for n in range(5):
        # each try from a different address: the name's own count locks it
        _login(client, "district_staff", "wrong", REMOTE_ADDR=f"198.51.100.{n + 1}")
    response = _login(client, "district_staff", REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    locked = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).first()  # newest
    assert locked.changes["after"] == {"reason": "locked"}
    # Other accounts are not affected (from another address).
    assert _login(client, "street_staff", REMOTE_ADDR="198.51.100.98").status_code == 302


def _spray(client, addr, count=None, **extra):
    """A guesser tries one wrong password on many user names from one address."""
    for n in range(count or settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _login(client, f"guess{n}", "wrong", REMOTE_ADDR=addr, **extra)


def test_five_failures_from_an_office_address_do_not_lock_out_its_other_users(cast, client):
    # A community office: everyone has the same public address.
    for _ in range(5):
        _login(client, "district_staff", "wrong", REMOTE_ADDR="203.0.113.50")
    # That name is locked, even with the right password...
    assert _login(client, "district_staff", REMOTE_ADDR="203.0.113.50").status_code == 200
    # ...but a colleague at the same address logs in.
    assert _login(client, "street_staff", REMOTE_ADDR="203.0.113.50").status_code == 302


def test_a_guesser_spraying_names_throttles_the_address_for_a_minute(cast, client):
    _spray(client, "203.0.113.60")
    response = _login(client, "district_staff", REMOTE_ADDR="203.0.113.60")
    assert response.status_code == 200
    assert "来自此网络地址的登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    refused = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).first()  # newest
    assert refused.changes["after"] == {"reason": "address_throttled"}
    # The user name itself is not locked: from elsewhere it logs in...
    assert _login(client, "district_staff", REMOTE_ADDR="203.0.113.61").status_code == 302
    client.logout()
    # ...and from the office again once the minute has passed.
    LoginFailure.objects.update(at=timezone.now() - datetime.timedelta(seconds=61))
    assert _login(client, "district_staff", REMOTE_ADDR="203.0.113.60").status_code == 302


def test_a_rotating_forged_forwarded_for_does_not_escape_the_address_throttle(cast, client):
    # The guesser forges a new X-Forwarded-For on every try.
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _login(
            client,
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.{n}.{n}.{n}",
        )
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.9"}
    # The address is throttled now: even a right password from it waits.
    response = _login(
        client, "district_staff", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    # The same account from another address logs in.
    assert _login(client, "district_staff", REMOTE_ADDR="203.0.113.10").status_code == 302


def test_behind_the_trusted_proxy_each_forwarded_client_counts_on_its_own(cast, client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    _spray(client, "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"198.51.100.66"}
    ok = _login(
        client, "district_staff", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.67"
    )
    assert ok.status_code == 302
    client.logout()
    refused = _login(
        client, "street_staff", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66"
    )
    assert refused.status_code == 200


def test_the_lockout_ends_when_the_failures_age_out(cast, client):
    for _ in range(5):
        _login(client, "district_staff", "wrong")
    assert _login(client, "district_staff").status_code == 200
    LoginFailure.objects.update(at=timezone.now() - datetime.timedelta(minutes=16))
    assert _login(client, "district_staff").status_code == 302


def test_user_name_case_variants_share_one_counter(cast, client):
    for name in ("District_Staff", "DISTRICT_STAFF", "district_staff", "dIstrict_staff", " x "):
        _login(client, name.replace(" x ", "district_STAFF"), "wrong", REMOTE_ADDR="192.0.2.1")
    assert LoginFailure.objects.filter(username="district_staff").count() == 5
    assert _login(client, "district_staff", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_successful_login_clears_the_names_failures(cast, client):
    for _ in range(3):
        _login(client, "district_staff", "wrong", REMOTE_ADDR="192.0.2.7")
    _login(client, "district_staff", REMOTE_ADDR="192.0.2.8")
    assert not LoginFailure.objects.filter(username="district_staff", name_cleared=False).exists()
    assert LoginFailure.objects.filter(ip="192.0.2.7").count() == 3  # the address keeps its


def test_the_admin_login_is_locked_out_too(cast, client):
    for _ in range(5):
        _login(client, "system_admin", "wrong")
    user = cast.user("system_admin")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    response = client.post(
        reverse("admin:login"), {"username": "system_admin", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("threshold", [3])
def test_the_policy_sets_the_threshold(cast, client, threshold):
    from accounts.models import SecurityPolicy

    SecurityPolicy.objects.create(
        pk=1, **{**SecurityPolicy.defaults(), "lockout_threshold": threshold}
    )
    for _ in range(threshold):
        _login(client, "district_staff", "wrong")
    assert _login(client, "district_staff").status_code == 200
