"""The TOTP second factor of the admin roles: set up at the first log-in, then asked at
every log-in, on the portal's log-in as on the admin's."""

import datetime
import importlib
import io
import re
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry, TOTPDevice, UserSession

from ..factories import PASSWORD
from ..otp import device_for, totp_now

ADMIN_ROLES = ("system_admin", "security_admin", "auditor")
WORKING_ROLES = ("district_staff", "community_secretary", "branch_secretary", "unit_liaison")


def _a_while_later(device):
    """Wrong codes slow the next try down (django-otp's throttling): let time pass."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(hours=1)
    )


def _password_login(username):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("key", ADMIN_ROLES)
def test_an_admin_sets_up_the_second_factor_at_first_login(cast, key):
    client = _password_login(key)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "otpauth://totp/" in html
    device = TOTPDevice.objects.get(user=cast.user(key), confirmed=False)
    # A wrong code is refused and audited.
    wrong = client.post(reverse("accounts:otp_setup"), {"token": "000000"})
    assert wrong.status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.OTP_FAILED, actor=cast.user(key)).exists()
    key_before = client.cookies[settings.SESSION_COOKIE_NAME].value
    _a_while_later(device)
    done = client.post(reverse("accounts:otp_setup"), {"token": totp_now(device), "next": "/"})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action=AuditAction.OTP_SETUP, actor=cast.user(key)).exists()
    # The session gained privilege: it got a new key, still tracked for the user.
    key_after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert key_after != key_before
    assert UserSession.objects.filter(session_key=key_after, user=cast.user(key)).exists()
    assert client.get(reverse("home")).status_code == 200


def test_the_secret_is_never_shown_again_once_set_up(cast):
    device_for(cast.user("auditor"))
    client = _password_login("auditor")
    response = client.get(reverse("accounts:otp_setup"))
    assert response.status_code == 302
    assert "otpauth" not in response.content.decode()
    assert response["Location"] == reverse("home")
    # ...where the gate sends the unverified session to the code page instead.
    assert client.get(reverse("home"))["Location"].startswith(reverse("accounts:otp_verify"))


@pytest.mark.parametrize("key", ADMIN_ROLES)
def test_every_later_portal_login_asks_for_the_code(cast, key):
    device = device_for(cast.user(key))
    client = _password_login(key)
    page = {
        "system_admin": reverse("accounts:user_list"),
        "security_admin": reverse("branches:role_list"),
        "auditor": reverse("accounts:audit_list"),
    }[key]
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.post(reverse("accounts:otp_verify"), {"token": "123456"}).status_code == 200
    assert client.get(page).status_code == 302  # still not through
    _a_while_later(device)
    ok = client.post(reverse("accounts:otp_verify"), {"token": totp_now(device), "next": page})
    assert ok.status_code == 302 and ok["Location"] == page
    assert client.get(page).status_code == 200


def test_a_code_cannot_be_replayed(cast):
    device = device_for(cast.user("auditor"))
    token = totp_now(device)
    first = _password_login("auditor")
    assert first.post(reverse("accounts:otp_verify"), {"token": token}).status_code == 302
    second = _password_login("auditor")
    assert second.post(reverse("accounts:otp_verify"), {"token": token}).status_code == 200


def test_wrong_codes_are_throttled(cast):
    device = device_for(cast.user("auditor"))
    client = _password_login("auditor")
    for _ in range(3):
        client.post(reverse("accounts:otp_verify"), {"token": "000000"})
    response = client.post(reverse("accounts:otp_verify"), {"token": totp_now(device)})
    assert response.status_code == 200
    assert "错误次数过多" in response.content.decode()


@pytest.mark.parametrize("key", WORKING_ROLES)
def test_working_roles_are_not_asked_for_a_second_factor(cast, key):
    client = _password_login(key)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("accounts:otp_setup")).status_code == 404
    assert client.get(reverse("accounts:otp_verify")).status_code == 404


def test_the_logout_and_language_switch_stay_reachable_before_the_code(cast):
    client = _password_login("auditor")
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_role_granted_to_a_logged_in_user_requires_the_second_factor_at_once(cast):
    from tests.factories import grant

    client = _password_login("outsider")
    assert client.get(reverse("home")).status_code == 200
    grant(cast.user("outsider"), "auditor", cast.city)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))


def test_the_security_administrator_resets_a_lost_second_factor(cast, client_for):
    auditor = cast.user("auditor")
    device_for(auditor)
    auditor_client = _password_login("auditor")
    security = client_for("security_admin")
    response = security.post(reverse("accounts:user_otp_reset", args=[auditor.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=auditor).exists()
    assert auditor_client.get(reverse("home")).status_code == 302  # logged out
    assert AuditEntry.objects.filter(action=AuditAction.OTP_RESET).get().object_id == str(
        auditor.pk
    )
    # The next log-in sets up a new one.
    again = _password_login("auditor")
    assert again.get(reverse("home"))["Location"].startswith(reverse("accounts:otp_setup"))


def test_the_system_administrator_cannot_reset_second_factors(cast, client_for):
    device_for(cast.user("auditor"))
    client = client_for("system_admin")
    response = client.post(reverse("accounts:user_otp_reset", args=[cast.user("auditor").pk]))
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=cast.user("auditor")).exists()


def test_nobody_resets_their_own_second_factor(cast, client_for):
    client = client_for("security_admin")
    me = cast.user("security_admin")
    assert client.post(reverse("accounts:user_otp_reset", args=[me.pk])).status_code == 403
    assert TOTPDevice.objects.filter(user=me).exists()


def test_the_qr_code_needs_no_inline_style(cast):
    client = _password_login("auditor")
    html = client.get(reverse("accounts:otp_setup")).content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "style" not in svg


def test_the_totp_secret_is_encrypted_in_the_database(cast):
    """The key column holds ciphertext only; the key read back makes codes that verify."""
    device = device_for(cast.user("auditor"))
    hex_key = device.key
    assert re.fullmatch(r"[0-9a-f]{40}", hex_key)
    table = connection.ops.quote_name(TOTPDevice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {table} WHERE id = %s", [device.pk])  # noqa: S608
        [stored] = cursor.fetchone()
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        everything = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert stored.startswith("enc1:") and hex_key not in stored
    assert hex_key not in everything and hex_key.upper() not in everything
    stored_device = TOTPDevice.objects.get(pk=device.pk)
    assert stored_device.key == hex_key
    token = totp_now(stored_device)  # once: read twice, a step's end gives two codes
    assert stored_device.verify_token(token)
    assert not stored_device.verify_token(token)  # no replay


def test_django_otp_finds_the_encrypted_device(cast):
    """The OTP admin site's form and the session check go through devices_for_user and
    persistent ids: both must reach accounts.TOTPDevice."""
    from django_otp import devices_for_user
    from django_otp.models import Device

    device = device_for(cast.user("auditor"))
    assert list(devices_for_user(cast.user("auditor"))) == [device]
    assert Device.from_persistent_id(device.persistent_id) == device


def test_the_migration_moves_plain_otp_totp_devices_encrypted(cast):
    """Databases made before the change hold django-otp's table with plain keys: the
    migration copies each device encrypted (its counters too) and empties that table."""
    migration = importlib.import_module("accounts.migrations.0006_totp_device_encrypted")
    user = cast.user("auditor")
    hex_key = "3132333435363738393031323334353637383930"
    quote = connection.ops.quote_name
    old = quote(migration.OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {old} (id integer PRIMARY KEY, user_id integer, name varchar(64), "
            "confirmed boolean, key varchar(80), step integer, t0 bigint, digits integer, "
            "tolerance integer, drift integer, last_t bigint, "
            "throttling_failure_timestamp timestamp NULL, throttling_failure_count integer)"
        )
        cursor.execute(
            f"INSERT INTO {old} VALUES (7, %s, 'phone', %s, %s, 30, 0, 6, 1, 0, 55, NULL, 2)",  # noqa: S608
            [user.pk, True, hex_key],
        )
    migration.copy_devices(django_apps, SimpleNamespace(connection=connection))
    device = TOTPDevice.objects.get(user=user)
    assert (device.key, device.name, device.confirmed) == (hex_key, "phone", True)
    assert (device.last_t, device.throttling_failure_count) == (55, 2)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {old}")  # noqa: S608
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            f"SELECT key FROM {quote(TOTPDevice._meta.db_table)} WHERE id = %s",  # noqa: S608
            [device.pk],
        )
        assert hex_key not in cursor.fetchone()[0]
    device.throttling_failure_count = 0
    assert device.verify_token(totp_now(device))


def test_rotating_the_encryption_key_rewrites_the_totp_secrets(cast, settings):
    """reencrypt_fields rewrites the device's key: after a rotation and the old key's
    removal the second factor still works."""
    device = device_for(cast.user("auditor"))
    hex_key = device.key
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    out = io.StringIO()
    # (Named: a full run would also visit test_crypto's scratch model, whose table exists
    # only inside that module's tests.)
    call_command("reencrypt_fields", "accounts.TOTPDevice", stdout=out)
    assert "accounts.TOTPDevice: 1 rows rewritten (key)" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key retired
    device = TOTPDevice.objects.get(pk=device.pk)
    assert device.key == hex_key
    assert device.verify_token(totp_now(device))
