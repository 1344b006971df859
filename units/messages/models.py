"""Community -> unit messages (社区 -> 原单位) and the unit's contact channels.

A unit is told things whether or not anybody there has a portal account: a
`UnitMessage` lands in the inbox of the unit's liaisons (the in-app channel) and goes
out to the unit's contact (`UnitContact`: e-mail, a group-chat robot) through the
reminders' channels (activities.messaging.channels). Each channel of a message is one
`UnitDelivery` with its own state and a fixed idempotency key, so a retry after a crash
carries the key of the lost attempt. A message is delivered once any of its deliveries
is sent: that moment, not a date someone types, is when the unit was notified.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedCharField
from activities.messaging.models import WebhookFlavour
from branches.access import VIEW_UNIT_WORK, ScopedQuerySet
from branches.models import Level, Organization, OriginalUnit


class UnitContact(models.Model):
    """How a unit is reached besides its liaisons' inboxes (the person and phone are on
    OriginalUnit: contact_name, contact_phone)."""

    unit = models.OneToOneField(
        OriginalUnit,
        verbose_name=_("original unit"),
        on_delete=models.CASCADE,
        related_name="channels",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    webhook_flavour = models.CharField(
        _("robot"),
        max_length=10,
        choices=WebhookFlavour.choices,
        default=WebhookFlavour.WECOM,
    )
    webhook_url = EncryptedCharField(_("robot address (webhook URL)"), max_length=500, blank=True)
    webhook_secret = EncryptedCharField(_("robot signing secret"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic lock: a save carries the version its form was loaded at.
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("unit contact channels")
        verbose_name_plural = _("unit contact channels")

    def __str__(self):
        return str(self.unit)

    def audit_repr(self) -> str:
        return str(self.unit)


class UnitMessageKind(models.TextChoices):
    REGISTRATION_ACCEPTED = "registration_accepted", _("Registration accepted")
    EVENT_OUTCOME = "event_outcome", _("Outcome of a reported event")
    FEEDBACK_REPORT = "feedback_report", _("Feedback report")
    ACTION_ITEM = "action_item", _("Joint meeting action item")
    TEST = "test", _("Test message")


class UnitMessageQuerySet(ScopedQuerySet):
    """Messages of the communities in one's area, and those to one's own unit."""

    scope_path_field = "community__path"
    scope_unit_field = "unit_id"
    scope_read = VIEW_UNIT_WORK


class UnitMessage(models.Model):
    unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("original unit"),
        on_delete=models.PROTECT,
        related_name="messages",
    )
    community = models.ForeignKey(
        Organization,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"level": Level.COMMUNITY},
        related_name="unit_messages",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=UnitMessageKind.choices)
    # What it is about, e.g. "registration:12": one message per kind and subject.
    subject = models.CharField(_("about"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set by the first delivery that succeeds (any channel).
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read by the unit at"), null=True, blank=True)

    objects = UnitMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message to a unit")
        verbose_name_plural = _("messages to units")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject"], name="unit_message_once"),
        ]
        indexes = [models.Index(fields=["unit", "-created_at"], name="unit_message_inbox_idx")]

    def __str__(self):
        return self.title

    def audit_repr(self) -> str:
        return f"{self.unit} · {self.title}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class UnitDelivery(models.Model):
    """One channel of one message: the in-app inbox (sent when written, if the unit has
    a liaison), e-mail, or the robot. Claimed by the sender with a conditional update."""

    message = models.ForeignKey(
        UnitMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=8)  # activities.messaging Channel
    state = models.CharField(
        _("state"), max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("reason"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery to a unit")
        verbose_name_plural = _("deliveries to units")
        ordering = ["message", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "channel"], name="unit_delivery_once_per_channel"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="unit_delivery_to_send_idx",
            ),
        ]

    def __str__(self):
        return f"{self.message} · {self.channel}"
