"""System checks for the security settings (`manage.py check --deploy` runs them)."""

import base64
import binascii
import ipaddress

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# The MLPS level-3 (等保三级) baseline the defaults must meet.
BASELINE = {
    "PASSWORD_MIN_LENGTH": ("min", 10),
    "PASSWORD_MIN_CLASSES": ("min", 3),
    "PASSWORD_HISTORY": ("min", 5),
    "PASSWORD_MAX_AGE_DAYS": ("max", 180),
    "LOGIN_FAILURE_LIMIT": ("max", 10),
    "SESSION_IDLE_TIMEOUT": ("max", 60 * 60),
    "AUDIT_RETENTION_DAYS": ("min", 180),
}

# The fixed keys settings.py falls back to outside production: public, so never for real data.
DEVELOPMENT_KEYS = frozenset(
    {"ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZC0=", "dev-only-field-hash-key"}
)
# FIELD_HASH_KEY: at least 32 characters (HMAC-SHA256 wants 256 bits of key), and not one
# character repeated: `head -c 32 /dev/urandom | base64` gives 44.
HASH_KEY_MIN_LENGTH = 32
# A random key has about 30 different bytes out of 32 (Fernet) and many different
# characters; fewer than these means a typed or patterned key.
MIN_DISTINCT = 16


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs, **kwargs):
    from .crypto import fernet

    try:
        fernet()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="accounts.E001")]
    if not settings.FIELD_HASH_KEY:
        return [checks.Error("FIELD_HASH_KEY is empty.", id="accounts.E002")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_policy_baseline(app_configs, **kwargs):
    warnings = []
    for name, (kind, limit) in BASELINE.items():
        value = getattr(settings, name)
        if (kind == "min" and value < limit) or (kind == "max" and value > limit):
            bound = "at least" if kind == "min" else "at most"
            warnings.append(
                checks.Warning(
                    f"{name} = {value} is below the MLPS level-3 baseline ({bound} {limit}).",
                    id="accounts.W001",
                )
            )
    return warnings


def _fernet_key_bytes(key: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(key.encode())
    except (binascii.Error, ValueError):
        return b""  # not a Fernet key at all: accounts.E001 says so


@checks.register(checks.Tags.security, deploy=True)
def check_keys_for_deployment(app_configs, **kwargs):
    """The development keys are in the repository; short or patterned keys are guessable."""
    generate = (
        "Generate new ones (README, Deploying) and re-encrypt with `manage.py reencrypt_fields`."
    )
    errors = []
    for n, key in enumerate(settings.FIELD_ENCRYPTION_KEYS, start=1):
        if key in DEVELOPMENT_KEYS:
            problem = "is the development key from settings.py"
        elif len(set(_fernet_key_bytes(key))) < MIN_DISTINCT:
            problem = "does not look random"
        else:
            continue
        errors.append(
            checks.Error(
                f"FIELD_ENCRYPTION_KEYS: key {n} {problem}.", hint=generate, id="accounts.E003"
            )
        )
    hash_key = settings.FIELD_HASH_KEY
    if hash_key in DEVELOPMENT_KEYS:
        problem = "is the development key from settings.py"
    elif len(hash_key) < HASH_KEY_MIN_LENGTH:
        problem = f"is shorter than {HASH_KEY_MIN_LENGTH} characters"
    elif len(set(hash_key)) < MIN_DISTINCT:
        problem = "does not look random"
    else:
        problem = ""
    if problem:
        errors.append(checks.Error(f"FIELD_HASH_KEY {problem}.", hint=generate, id="accounts.E004"))
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_trusted_proxies(app_configs, **kwargs):
    """Behind a reverse proxy every request comes from the proxy: without TRUSTED_PROXIES
    the audit log records the proxy's address and the per-address login throttle treats
    all users as one."""
    for proxy in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            return [
                checks.Error(
                    f"TRUSTED_PROXIES holds {proxy!r}, which is not an IP address.",
                    id="accounts.E005",
                )
            ]
    if settings.TRUSTED_PROXIES:
        return []
    return [
        checks.Warning(
            "TRUSTED_PROXIES is not set: behind a reverse proxy every user has the proxy's "
            "address (in the audit log and for the login throttle).",
            hint="Set TRUSTED_PROXIES to the proxy's address, e.g. TRUSTED_PROXIES=127.0.0.1.",
            id="accounts.W003",
        )
    ]
