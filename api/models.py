"""Other systems' door into the portal: API clients, their tokens and the request log.

An API client is an account (accounts.User with is_service_account) created by the
system administrator and given roles by the security administrator exactly like a
person (三权分立 holds), so it sees what a user with those roles sees: the same
`visible_to` and `get_for_user`. It authenticates with a bearer token of which only a
digest is stored.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    name = models.CharField(_("client name"), max_length=80, unique=True)
    description = models.CharField(_("what it is for"), max_length=200, blank=True)
    contact = models.CharField(_("contact person"), max_length=80, blank=True)
    # Throttling per client (api.throttling): requests per minute.
    rate_per_minute = models.PositiveIntegerField(_("requests per minute"), default=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Optimistic lock: two administrators editing the same client get a conflict.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    client = models.ForeignKey(
        ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="tokens"
    )
    # The token is "<prefix>.<secret>"; the prefix finds the row, the digest (SHA-256 of
    # the whole token: it is random, so no slow hash is needed) proves it.
    prefix = models.CharField(_("token prefix"), max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    label = models.CharField(_("label"), max_length=80, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.client} {self.prefix}"

    def usable(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class ApiRequest(models.Model):
    """One request to the API and its outcome, for the auditor (api.requestlog)."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    client = models.ForeignKey(
        ApiClient,
        verbose_name=_("API client"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="requests",
    )
    token = models.ForeignKey(
        ApiToken,
        verbose_name=_("API token"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    query = models.CharField(_("query"), max_length=300, blank=True)
    status = models.PositiveSmallIntegerField(_("status"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        verbose_name = _("API request")
        verbose_name_plural = _("API requests")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["client", "-at"], name="api_request_client_at_idx")]

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"
