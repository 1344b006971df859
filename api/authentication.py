"""Bearer-token authentication for API clients (DRF)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from . import tokens
from .models import ApiToken

# last_used_at is written at most this often per token, not on every request.
LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)


class ClientTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. A revoked, expired, unknown or malformed token,
    or a disabled client, is refused with 401; no header means anonymous (then 401 from
    the permission check)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed authorization header."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Malformed authorization header.")) from None
        prefix = tokens.split(raw)
        token = (
            ApiToken.objects.select_related("client__user").filter(prefix=prefix).first()
            if prefix
            else None
        )
        if token is None or not tokens.matches(raw, token.digest):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        # The request log (api.requestlog) names the client and token of the request,
        # also when a genuine token is refused (revoked, expired, client disabled).
        request._request.api_token = token
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        user = token.client.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("This API client is disabled."))
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token

    def authenticate_header(self, request):
        return self.keyword
