"""Writes on API clients and tokens (the system administrator's; audited)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction

from . import tokens
from .models import ApiClient, ApiRequest, ApiToken

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


class ClientConflict(Exception):
    """Somebody else saved the client since the form was opened."""


@transaction.atomic
def client_update(
    *,
    client: ApiClient,
    version: int,
    name: str,
    description: str,
    contact: str,
    rate_per_minute: int,
    actor,
    request=None,
) -> ApiClient:
    """Save the client's name, purpose, contact and rate if nobody saved it since
    `version` was read (ClientConflict otherwise). The account's full name follows the
    name, so role lists show the client as it is called now."""
    client = ApiClient.objects.select_for_update().select_related("user").get(pk=client.pk)
    if client.version != version:
        raise ClientConflict
    before = _client_state(client)
    client.name = name
    client.description = description
    client.contact = contact
    client.rate_per_minute = rate_per_minute
    client.version += 1
    client.save(update_fields=["name", "description", "contact", "rate_per_minute", "version"])
    if client.user.full_name != name:
        client.user.full_name = name
        client.user.save(update_fields=["full_name"])
    after = _client_state(client)
    if after != before:
        audit.record(
            AuditAction.UPDATE, client, actor=actor, request=request, before=before, after=after
        )
    return client


@transaction.atomic
def client_set_active(*, client: ApiClient, active: bool, actor, request=None) -> ApiClient:
    """Disable (every token refused at once) or enable the client's account."""
    client = ApiClient.objects.select_for_update().select_related("user").get(pk=client.pk)
    user = client.user
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            AuditAction.UPDATE,
            client,
            actor=actor,
            request=request,
            before={"active": not active},
            after={"active": active},
        )
    return client


def prune_requests(*, now=None, days: int | None = None, batch: int = 5000) -> int:
    """Delete request log rows older than API_REQUEST_LOG_DAYS (180), in batches (each
    its own transaction); one audit entry per run that deleted something. Returns the
    number of rows deleted."""
    days = settings.API_REQUEST_LOG_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            pks = list(
                ApiRequest.objects.filter(at__lt=cutoff)
                .order_by("at", "pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not pks:
                break
            count, _per_model = ApiRequest.objects.filter(pk__in=pks).delete()
        deleted += count
        if len(pks) < batch:
            break
    if deleted:
        audit.record(
            AuditAction.DELETE,
            object_type="api.apirequest",
            object_repr=f"pruned API requests older than {days} days",
            before={"at_before": cutoff.isoformat()},
            after={"rows": deleted},
        )
    return deleted
