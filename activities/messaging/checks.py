"""Start-up checks for the SMS provider (registered in ActivitiesConfig.ready): a real
provider sends approved templates only, so every outbound kind needs its template code,
and the signature and keys must be set. The logging backend needs none of it."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register("reminders")
def sms_provider_configured(app_configs=None, **kwargs):
    from . import sms

    try:
        backend = import_string(settings.REMINDER_SMS_BACKEND)
    except ImportError as error:
        return [Error(f"REMINDER_SMS_BACKEND cannot be imported: {error}", id="reminders.E010")]
    if not issubclass(backend, sms.ProviderBackend):
        return []
    errors = [
        Error(
            f"No SMS template for the reminder kind {kind!r}: the provider sends approved "
            "templates only.",
            hint=f'Add it to REMINDER_SMS_TEMPLATES (JSON: {{"{kind}": "<template code>"}}).',
            id="reminders.E011",
        )
        for kind in sms.missing_templates()
    ]
    for name in ("SIGN_NAME", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET"):
        if not getattr(settings, f"REMINDER_SMS_{name}"):
            errors.append(Error(f"REMINDER_SMS_{name} is not set.", id="reminders.E012"))
    if backend.name == "tencent" and not settings.REMINDER_SMS_APP_ID:
        errors.append(
            Error("REMINDER_SMS_APP_ID (Tencent's SmsSdkAppId) is not set.", id="reminders.E013")
        )
    return errors
