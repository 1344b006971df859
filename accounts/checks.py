"""System checks for the security settings (`manage.py check --deploy` runs them)."""

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
    if settings.FIELD_HASH_KEY == "dev-only-field-hash-key":
        warnings.append(
            checks.Warning("FIELD_HASH_KEY is the development key.", id="accounts.W002")
        )
    return warnings
