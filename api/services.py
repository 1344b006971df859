"""Writes on API clients and tokens (the system administrator's; audited)."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction

from . import tokens
from .models import ApiClient, ApiToken

# Tokens live at most this long; a client asks for a new one before it runs out.
MAX_TOKEN_DAYS = 366


def _client_state(client: ApiClient) -> dict:
    return {
        "name": client.name,
        "description": client.description,
        "contact": client.contact,
        "rate_per_minute": client.rate_per_minute,
        "active": client.user.is_active,
    }


@transaction.atomic
def client_create(
    *,
    name: str,
    description: str = "",
    contact: str = "",
    rate_per_minute: int,
    actor,
    request=None,
) -> ApiClient:
    """A new API client with its own service account (no password, no roles yet: the
    security administrator grants those)."""
    user_model = get_user_model()
    base = f"api-{timezone.now():%Y%m%d%H%M%S}"
    username, n = base, 1
    while user_model.objects.filter(username=username).exists() and n < 100:
        n += 1
        username = f"{base}-{n}"
    user = user_model(username=username, full_name=name, is_service_account=True)
    user.set_unusable_password()
    user.save()
    client = ApiClient.objects.create(
        user=user,
        name=name,
        description=description,
        contact=contact,
        rate_per_minute=rate_per_minute,
        created_by=actor,
    )
    audit.record(
        AuditAction.CREATE, client, actor=actor, request=request, after=_client_state(client)
    )
    return client


@transaction.atomic
def token_issue(
    *, client: ApiClient, days: int, label: str = "", actor, request=None
) -> tuple[ApiToken, str]:
    """A new token for `client`: returns the row and the token itself, which is shown
    once and never stored."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(
            _("A token is valid for 1 to %(days)d days.") % {"days": MAX_TOKEN_DAYS}
        )
    raw, prefix, digest = tokens.new_token()
    token = ApiToken.objects.create(
        client=client,
        prefix=prefix,
        digest=digest,
        label=label,
        expires_at=timezone.now() + datetime.timedelta(days=days),
        created_by=actor,
    )
    audit.record(
        AuditAction.CREATE,
        token,
        actor=actor,
        request=request,
        after={"client": client.name, "prefix": prefix, "expires_at": token.expires_at},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor, request=None) -> ApiToken:
    """Revoke at once; revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            AuditAction.UPDATE,
            token,
            actor=actor,
            request=request,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at},
        )
    return token
