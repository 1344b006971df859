"""`check --deploy` refuses the development keys and weak keys, and warns when the
reverse proxy is not named (TRUSTED_PROXIES)."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from accounts.checks import check_keys_for_deployment, check_trusted_proxies

DEV_FERNET = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZC0="
GOOD_HASH_KEY = "Qm9vdHN0cmFwLWZyZWUtcmFuZG9tLWtleS1fLTEyMzQ1Njc4OQ"


def _ids(messages):
    return sorted(m.id for m in messages)


def test_the_keys_settings_py_falls_back_to_are_refused(settings):
    # Outside production settings.py fills in its fixed keys: the tests run with them.
    assert settings.FIELD_ENCRYPTION_KEYS == [DEV_FERNET]
    assert _ids(check_keys_for_deployment(None)) == ["accounts.E003", "accounts.E004"]


@pytest.mark.parametrize(
    ("hash_key", "why"),
    [("x", "shorter than 32"), ("h" * 40, "does not look random"), ("ab" * 20, "random")],
)
def test_a_short_or_patterned_hash_key_is_refused(settings, hash_key, why):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.FIELD_HASH_KEY = hash_key
    [error] = check_keys_for_deployment(None)
    assert error.id == "accounts.E004" and why in error.msg


def test_a_patterned_fernet_key_is_refused_and_random_keys_pass(settings):
    patterned = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="  # 32 x "A": a valid Fernet key
    Fernet(patterned)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), patterned]
    settings.FIELD_HASH_KEY = GOOD_HASH_KEY
    [error] = check_keys_for_deployment(None)
    assert error.id == "accounts.E003" and "key 2" in error.msg
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert check_keys_for_deployment(None) == []


def test_trusted_proxies_unset_warns_and_a_wrong_entry_is_an_error(settings):
    settings.TRUSTED_PROXIES = []
    assert _ids(check_trusted_proxies(None)) == ["accounts.W003"]
    settings.TRUSTED_PROXIES = ["127.0.0.1", "nginx.local"]
    assert _ids(check_trusted_proxies(None)) == ["accounts.E005"]
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    assert check_trusted_proxies(None) == []


def test_check_deploy_under_production_settings_fails_with_the_development_keys():
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": Fernet.generate_key().decode() * 2,
        "ALLOWED_HOSTS": "portal.example.cn",
        "TRUSTED_PROXIES": "127.0.0.1",
        "FIELD_ENCRYPTION_KEYS": DEV_FERNET,
        "FIELD_HASH_KEY": "x",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "accounts.E003" in result.stderr and "accounts.E004" in result.stderr
