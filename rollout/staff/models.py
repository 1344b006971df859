"""Staff accounts in bulk (三权分立): the system administrator imports accounts, whose role
grants wait in a `GrantBatch` until the security administrator approves or rejects them;
each approved account gets a one-time `ActivationLink` to set its own password."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import MANAGE_ROLES, Role, ScopedQuerySet
from branches.models import Branch, Organization, OriginalUnit

# The roles an import may ask for: the working roles. The three admin roles are granted
# one by one on the role pages, never in bulk.
IMPORTABLE_ROLES = (
    Role.CITY_ADMIN,
    Role.DISTRICT_STAFF,
    Role.STREET_STAFF,
    Role.COMMUNITY_SECRETARY,
    Role.BRANCH_SECRETARY,
    Role.UNIT_LIAISON,
)


class BatchState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    DECIDED = "decided", _("Decided")


class GrantState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class GrantBatchQuerySet(ScopedQuerySet):
    # A batch sits on the organisation covering all its nodes: a security administrator
    # over that subtree reviews it; the system administrators over it follow it.
    scope_path_field = "organization__path"
    scope_read = MANAGE_ROLES


class GrantBatch(models.Model):
    """The role grants of one staff import, decided by the security administrator."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="grant_batches",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imported at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=12, choices=BatchState.choices, default=BatchState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Bumped by every decision: a decision made on an older page is refused.
    version = models.PositiveIntegerField(default=1)

    objects = GrantBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("role grant batch")
        verbose_name_plural = _("role grant batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return _("Staff import %(number)s") % {"number": self.pk}


class PendingGrant(models.Model):
    """One role asked for one account on one node; a StaffRole once approved."""

    batch = models.ForeignKey(
        GrantBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="grants"
    )
    excel_row = models.PositiveIntegerField(_("row"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="pending_grants",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    original_unit = models.ForeignKey(
        OriginalUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=GrantState.choices, default=GrantState.PENDING
    )

    class Meta:
        verbose_name = _("requested role")
        verbose_name_plural = _("requested roles")
        ordering = ["batch", "excel_row", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False)
                | Q(branch__isnull=False)
                | Q(original_unit__isnull=False),
                name="pending_grant_has_node",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    @property
    def node(self):
        return self.organization or self.branch or self.original_unit


class LinkChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class ActivationLink(models.Model):
    """A one-time link to set one's first password. Only the SHA-256 digest of the token
    is stored; a new link for the same account replaces the older ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="activation_links",
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    channel = models.CharField(_("sent by"), max_length=8, choices=LinkChannel.choices)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("sending failed"), max_length=500, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activation link")
        verbose_name_plural = _("activation links")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="activation_link_user_idx")]

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.replaced_at is None and self.expires_at > now
