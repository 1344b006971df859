"""Reminders (提醒): items, outbound rows, their deliveries and each user's preferences."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedCharField
from branches.access import REVIEW_REMINDERS, ScopedQuerySet
from members.models import Member

# --- Reminders (提醒) ---------------------------------------------------------------------
# Owned by the reminders work (activities/messaging/ and activities/tasks.py).
# A sweep finds what is due and writes one Reminder row per (kind, subject,
# recipient, period): running it twice, or twice at once, creates nothing new (the unique
# constraints below, written with bulk_create(ignore_conflicts=True)).
#
# Two sorts of rows:
# - items: one thing due for one secretary (a meeting coming up, a visit overdue...). They
#   are the in-app inbox: written already delivered (state "sent"), read or not.
# - outbound rows: the daily digest of a recipient (e-mail, group-robot webhook, SMS) and,
#   when enabled, an SMS to a member (a meeting notice; a care visit notice to a carer
#   without a portal account). They go pending -> sending (claimed
#   with a conditional UPDATE and a lease) -> sent, or back to pending with a backoff, or
#   failed with the reason. Each channel of an outbound row is one ReminderDelivery with
#   a fixed idempotency key (the e-mail's Message-ID, the webhook's key header): a row is
#   written before the send, so a worker killed mid-send is retried with the same key and
#   the receiver records at most one delivery per key.
# An item whose condition no longer holds (attendance recorded, visit made...) gets
# `resolved_at` from the next full sweep; events (a meeting coming up, a greeting) once
# their day has passed. Resolved items stay in the inbox, apart, until pruned
# (writes.prune: read or resolved items and sent or failed outbound rows, when old).


class ReminderKind(models.TextChoices):
    MEETING_UPCOMING = "meeting_upcoming", _("Meeting coming up")
    ATTENDANCE_MISSING = "attendance_missing", _("Attendance not recorded")
    CADENCE_AT_RISK = "cadence_at_risk", _("Meeting cadence at risk")
    CARE_OVERDUE = "care_overdue", _("Care visit overdue")
    FOLLOW_UP_PAST_DUE = "follow_up_past_due", _("Follow-up past due")
    GREETING = "greeting", _("Birthday or political birthday")
    TERM_ENDING = "term_ending", _("Committee term ending")
    REGISTRATION_WAITING = "registration_waiting", _("Registration waiting to be accepted")
    NO_PARTICIPATION = "no_participation", _("No participation for three months")
    # A sender's "remind those who have not confirmed" (notices.NoticeReminder): one
    # item per secretary of each branch still open, per round (period "round-<id>").
    NOTICE_UNCONFIRMED = "notice_unconfirmed", _("Notice not yet confirmed")
    # Asked by units/ (registered in UnitsConfig.ready through due.register): an open
    # action item of a joint meeting past its deadline, to its owners; a task a unit sent
    # to a community (UnitEvent) still open past its deadline, to the community.
    ACTION_ITEM_OVERDUE = "action_item_overdue", _("Action item overdue")
    UNIT_TASK_OVERDUE = "unit_task_overdue", _("Task from an original unit overdue")
    MEETING_NOTICE = "meeting_notice", _("Meeting notice to a member")
    CARE_NOTICE = "care_notice", _("Care visit notice to a carer")
    DIGEST = "digest", _("Daily digest")


# Outbound kinds go through the sender; every other kind is an inbox item. Member
# notices go by SMS to a member (Reminder.member), not to a portal account.
MEMBER_NOTICE_KINDS = (ReminderKind.MEETING_NOTICE, ReminderKind.CARE_NOTICE)
OUTBOUND_KINDS = (ReminderKind.DIGEST, *MEMBER_NOTICE_KINDS)
ITEM_KINDS = tuple(k.value for k in ReminderKind if k not in OUTBOUND_KINDS)
# Items about an occasion rather than a condition: done once their day (due_on) has passed.
EVENT_KINDS = (ReminderKind.MEETING_UPCOMING, ReminderKind.GREETING)


class ReminderState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Channel(models.TextChoices):
    INAPP = "inapp", _("In-app inbox")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Group chat robot")
    SMS = "sms", _("Text message (SMS)")
    WECOM = "wecom", _("WeCom message")
    # A member's notice to their family contact (MemberMessaging): an SMS of its own.
    FAMILY = "family", _("Text message to a family contact")


class WebhookFlavour(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu group robot")
    GENERIC = "generic", _("Other (signed JSON)")


class ReminderQuerySet(ScopedQuerySet):
    """Reminders of an area (the branch or community the reminder is about). Reading other
    people's reminders needs can_review_reminders (district staff, for their district);
    everybody reads their own through `mine`."""

    scope_path_field = "area_path"
    scope_read = REVIEW_REMINDERS

    def mine(self, user):
        return self.filter(recipient=user)

    def items(self):
        return self.filter(kind__in=ITEM_KINDS)

    def unread(self):
        """Items still to look at: neither read nor resolved (the unread badge)."""
        return self.filter(read_at__isnull=True, resolved_at__isnull=True)

    def outbound(self):
        return self.filter(kind__in=OUTBOUND_KINDS)

    def reviewable_by(self, user):
        """The user's own reminders and those of the areas they review."""
        from branches.access import scope_for

        q = scope_for(user).q(REVIEW_REMINDERS, path_field="area_path")
        return self.filter(Q(recipient=user) | q) if q is not None else self.mine(user)


class Reminder(models.Model):
    kind = models.CharField(_("kind"), max_length=24, choices=ReminderKind.choices)
    # What it is about, e.g. "meeting:12", "care:7", "cadence:3:committee:2026-10-01".
    subject = models.CharField(_("about"), max_length=80)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    # A meeting notice goes to a member (by SMS), not to a portal account.
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    # Which occurrence: the day, ISO week, month or cadence period it is for. The same
    # thing is reminded again in a later period (a visit still overdue next week).
    period = models.CharField(_("period"), max_length=20)
    area_path = models.CharField(_("area"), max_length=255, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    # An SMS notice's template parameters (branch, day, place...): providers send only
    # approved templates (短信模板), filled with these (activities/messaging/sms.py).
    sms_params = models.JSONField(_("SMS template parameters"), default=dict, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    digest = models.ForeignKey(
        "self",
        verbose_name=_("daily digest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # An item whose condition no longer holds (set by the sweep): shown apart, not unread.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # The sender's claim (with its lease); until claimed, the sweep run that wrote the row.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("reason"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "recipient", "period"],
                condition=Q(recipient__isnull=False),
                name="reminder_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["kind", "subject", "member", "period"],
                condition=Q(member__isnull=False),
                name="reminder_once_per_member",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False, member__isnull=True)
                | Q(recipient__isnull=True, member__isnull=False),
                name="reminder_has_one_recipient",
            ),
        ]
        indexes = [
            # The sender's claim: due pending rows and expired leases, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="reminder_to_send_idx",
            ),
            # The inbox and its unread count.
            models.Index(fields=["recipient", "read_at"], name="reminder_inbox_idx"),
            # The digest builder: a recipient's items not yet in a digest.
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(digest__isnull=True),
                name="reminder_undigested_idx",
            ),
            models.Index(
                fields=["area_path"],
                condition=Q(state="failed"),
                name="reminder_failed_area_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # The sweep's open items per kind (resolution) and events whose day passed.
            models.Index(
                fields=["kind", "due_on"],
                condition=Q(resolved_at__isnull=True),
                name="reminder_open_idx",
            ),
            # The prune: old rows, oldest first.
            models.Index(fields=["created_at"], name="reminder_created_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None and self.resolved_at is None

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def is_event(self) -> bool:
        return self.kind in EVENT_KINDS


class DeliveryState(models.TextChoices):
    ATTEMPTING = "attempting", _("Being delivered")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class ReceiptState(models.TextChoices):
    """What the SMS provider's delivery receipt (状态报告) said, after it took the message."""

    WAITING = "waiting", _("Waiting for the receipt")
    DELIVERED = "delivered", _("Reached the phone")
    UNDELIVERED = "undelivered", _("Did not reach the phone")


class ReminderDelivery(models.Model):
    """One channel of one outbound reminder. Written before the send: a row still
    "attempting" after a crash means the outcome is unknown, and the retry reuses `key`
    (the e-mail's Message-ID, the webhook's idempotency header), so the receiver can
    record it once."""

    reminder = models.ForeignKey(
        Reminder,
        verbose_name=_("reminder"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=DeliveryState.choices,
        default=DeliveryState.ATTEMPTING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    last_error = models.CharField(_("reason"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("last attempt at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # SMS through a provider (activities/messaging/sms.py): which one, its id for the
    # message (Tencent SerialNo, Alibaba BizId), the keyed hash of the number (replies
    # are matched on it: the number itself stays encrypted on the member), and the
    # receipt the provider sent back later (callback or polling).
    provider = models.CharField(_("SMS provider"), max_length=10, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=64, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    receipt = models.CharField(
        _("receipt"), max_length=12, choices=ReceiptState.choices, blank=True
    )
    receipt_reason = models.CharField(_("receipt reason"), max_length=200, blank=True)
    receipt_at = models.DateTimeField(_("receipt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["reminder", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "channel"], name="reminder_delivery_once_per_channel"
            ),
        ]
        indexes = [
            # A receipt names the provider's id for the message.
            models.Index(
                fields=["provider", "provider_id"],
                condition=~Q(provider_id=""),
                name="delivery_provider_id_idx",
            ),
            # A reply (上行短信) is matched to the latest notice sent to its number.
            models.Index(
                fields=["phone_hash", "delivered_at"],
                condition=~Q(phone_hash=""),
                name="delivery_phone_idx",
            ),
        ]

    def __str__(self):
        return f"{self.reminder_id} · {self.get_channel_display()} · {self.get_state_display()}"


def default_digest_time():
    return datetime.time(8, 0)


class ReminderPreference(models.Model):
    """How one person wants their reminders. The in-app inbox is always on; the daily
    digest goes to the channels chosen here at `digest_time` (Asia/Shanghai)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="reminder_preference",
    )
    use_email = models.BooleanField(_("send the digest by e-mail"), default=False)
    use_webhook = models.BooleanField(_("send the digest to a group chat robot"), default=False)
    use_sms = models.BooleanField(_("send the digest by text message"), default=False)
    # WeCom (企业微信) application messages to one person, where the deployment has a
    # WeCom application (REMINDER_WECOM_*): their account's UserID in the corporation.
    use_wecom = models.BooleanField(_("send the digest as a WeCom message"), default=False)
    wecom_userid = models.CharField(_("WeCom account (UserID)"), max_length=64, blank=True)
    digest_time = models.TimeField(_("daily digest at"), default=default_digest_time)
    email = models.EmailField(_("e-mail address"), blank=True)
    webhook_flavour = models.CharField(
        _("kind of robot"),
        max_length=10,
        choices=WebhookFlavour.choices,
        default=WebhookFlavour.WECOM,
    )
    # The robot's address carries its access key, so both are kept encrypted.
    webhook_url = EncryptedCharField(_("robot address (webhook URL)"), max_length=500, blank=True)
    webhook_secret = EncryptedCharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("Only for robots with signing switched on (DingTalk, Feishu, others)."),
    )
    phone = EncryptedCharField(_("mobile number"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")

    def __str__(self):
        return f"{self.user}"

    @property
    def channels(self) -> list[str]:
        """The digest's outbound channels, in a fixed order."""
        chosen = [
            (self.use_email, Channel.EMAIL),
            (self.use_webhook, Channel.WEBHOOK),
            (self.use_sms, Channel.SMS),
            (self.use_wecom, Channel.WECOM),
        ]
        return [channel.value for on, channel in chosen if on]


class ReplyAnswer(models.TextChoices):
    WILL_COME = "will_come", _("Will come")
    CANNOT_COME = "cannot_come", _("Cannot come")
    UNCLEAR = "unclear", _("Answer not understood")


class SmsReply(models.Model):
    """A member's answer to a meeting notice by SMS (上行短信): 1 will come, 2 cannot come
    (and an optional reason after it). Matched by the keyed hash of the sending number to
    the latest notice sent to that number; `key` (the provider and its id for the
    message) makes a callback delivered twice, or polled after a callback, count once."""

    key = models.CharField(max_length=120, unique=True, editable=False)
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="sms_replies"
    )
    meeting = models.ForeignKey(
        "activities.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="sms_replies",
    )
    reminder = models.ForeignKey(
        Reminder,
        verbose_name=_("meeting notice"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    answer = models.CharField(_("answer"), max_length=12, choices=ReplyAnswer.choices)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS reply")
        verbose_name_plural = _("SMS replies")
        ordering = ["meeting", "member", "-received_at", "-pk"]
        indexes = [models.Index(fields=["meeting", "member"], name="smsreply_meeting_idx")]

    def __str__(self):
        return f"{self.meeting_id} · {self.member_id} · {self.get_answer_display()}"


# --- How notices reach a member (set by their secretary) --------------------------------
# Member notices (MEMBER_NOTICE_KINDS) go by SMS to the member's phone. A member may opt
# out of a kind, prefer a call from the secretary to any text, or have a family contact
# (a son or daughter) receive the notice instead of or as well as them, with their
# consent recorded. None of it is sent inside the quiet hours (REMINDER_QUIET_HOURS).


class MemberChannel(models.TextChoices):
    SMS = "sms", _("Text message (SMS)")
    CALL = "call", _("A phone call from the secretary (no text messages)")


class FamilyRelation(models.TextChoices):
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    SPOUSE = "spouse", _("Spouse")
    OTHER = "other", _("Other relative")


class FamilyMode(models.TextChoices):
    ALSO = "also", _("As well as the member")
    INSTEAD = "instead", _("Instead of the member")


class ConsentHow(models.TextChoices):
    SIGNED = "signed", _("Signed on paper")
    IN_PERSON = "in_person", _("Said in person to the secretary")
    PHONE = "phone", _("Said on the phone to the secretary")


class MemberMessaging(models.Model):
    """How the portal's notices reach one member. Written only by
    `services.member_messaging_save` (audited, versioned)."""

    member = models.OneToOneField(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="messaging"
    )
    channel = models.CharField(
        _("preferred channel"), max_length=8, choices=MemberChannel.choices, default="sms"
    )
    family_name = models.CharField(_("family contact's name"), max_length=40, blank=True)
    family_relation = models.CharField(
        _("relation to the member"), max_length=10, choices=FamilyRelation.choices, blank=True
    )
    # Encrypted like the member's own phone; decrypted only to send.
    family_phone = EncryptedCharField(
        _("family contact's mobile number"), max_length=20, blank=True
    )
    family_mode = models.CharField(
        _("the family contact receives notices"),
        max_length=8,
        choices=FamilyMode.choices,
        default="also",
    )
    consent_by = models.CharField(
        _("consent given by"),
        max_length=40,
        blank=True,
        help_text=_("The member, or who spoke for them."),
    )
    consent_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_how = models.CharField(
        _("consent given how"), max_length=10, choices=ConsentHow.choices, blank=True
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("member's notice settings")
        verbose_name_plural = _("members' notice settings")

    def __str__(self):
        return f"{self.member_id}"

    @property
    def has_family_contact(self) -> bool:
        return bool(self.family_phone)


class MemberOptOut(models.Model):
    """A member does not want one kind of notice: who recorded it and when."""

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="notice_opt_outs",
    )
    kind = models.CharField(
        _("kind"),
        max_length=24,
        choices=[(k.value, k.label) for k in MEMBER_NOTICE_KINDS],
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("opt-out from a notice")
        verbose_name_plural = _("opt-outs from notices")
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="member_opt_out_once"),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.kind}"
