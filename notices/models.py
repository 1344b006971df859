"""Notices (通知), study materials (学习资料) and bulletins (定期通报) sent down the tree, and
the receipts (回执) that come back up.

A notice is written at one node (its `organization`: a district, street or community, or
the city) and addressed to parts of that node's subtree, optionally only to some kinds
of branch. Sending resolves the audience to branches once and writes one NoticeReceipt
per branch: the receipts are the answer to "who has it, who opened it, who confirmed".
Staff of a node inside the audience (a street, a community) see the notice too and may
pass it down (转发) with their own note: a forward is a Notice whose `forwarded_from` is
the notice it passes on and whose `root` is the original; it writes no receipts of its
own, the original's receipts of the forward's branches are shown with it, so the sender
sees every branch through every level.

Visibility: the sender's node and those above it (the subtree rule), and whoever covers
one of its receipts' branches (a street, community or branch secretary). Anybody else
gets 404, as everywhere.
"""

from __future__ import annotations

import os
import uuid
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import (
    ANSWER_NOTICES,
    SEND_NOTICES,
    VIEW_STRUCTURE,
    ScopedQuerySet,
    scope_for,
)
from branches.models import Branch, Organization


class NoticeKind(models.TextChoices):
    NOTICE = "notice", _("Notice")
    STUDY = "study", _("Study material")
    BULLETIN = "bulletin", _("Bulletin")


class ResponseKind(models.TextChoices):
    NONE = "none", _("No answer needed")
    CONFIRM = "confirm", _("Confirm receipt")
    REPLY = "reply", _("Reply with text or a file")


class NoticeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class NoticeQuerySet(ScopedQuerySet):
    scope_path_field = "organization__path"

    def visible_to(self, user, capability: str | None = None):
        """Notices the user may read: written at or below the nodes they send notices
        from (the sender's side), or addressed to a branch they cover (the recipients'
        side). Drafts only on the sender's side. Reading (`capability` None or
        VIEW_STRUCTURE, as `get_for_user` asks) is both sides; another capability
        (SEND_NOTICES) only the sender's side with it. Whoever holds neither capability
        (the system administrator, for one) sees no notice."""
        if capability in (None, VIEW_STRUCTURE):
            capability = None
        scope = scope_for(user)
        sender_side = scope.q(capability or SEND_NOTICES, path_field="organization__path")
        if capability:
            return self.filter(sender_side) if sender_side is not None else self.none()
        addressed = self._addressed(user)
        return self.filter(addressed if sender_side is None else (sender_side | addressed))

    def addressed_to(self, user):
        """The recipients' side alone: sent notices reaching a branch the user covers."""
        return self.filter(self._addressed(user))

    @staticmethod
    def _addressed(user) -> Q:
        receipts = NoticeReceipt.objects.covered_by(user)
        # An original: a receipt of one of the user's branches. A forward: such a receipt
        # of its original, for a branch under the forwarding node (a street's note is not
        # shown to the branches of another street).
        original = Q(root__isnull=True) & Exists(receipts.filter(notice=OuterRef("pk")))
        forward = Q(root__isnull=False) & Exists(
            receipts.filter(
                notice=OuterRef("root_id"), path__startswith=OuterRef("organization__path")
            )
        )
        return Q(state=NoticeState.SENT) & (original | forward)

    def sent(self):
        return self.filter(state=NoticeState.SENT)

    def study(self):
        return self.filter(kind=NoticeKind.STUDY)


class Notice(models.Model):
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=NoticeKind.choices, default=NoticeKind.NOTICE
    )
    title = models.CharField(_("title"), max_length=120)
    # Markdown as written; `body_html` is it rendered and cleaned by an allow-list
    # (notices.text), kept so a page never renders Markdown per request.
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    response = models.CharField(
        _("answer expected"),
        max_length=8,
        choices=ResponseKind.choices,
        default=ResponseKind.CONFIRM,
    )
    deadline = models.DateField(_("answer by"), null=True, blank=True)
    # Audience: the nodes chosen (inside the sender's subtree) and, when not empty, only
    # branches of these kinds. Resolved to receipts when sent.
    audience = models.ManyToManyField(
        Organization, verbose_name=_("sent to"), related_name="+", blank=True
    )
    branch_kinds = models.JSONField(_("kinds of branch"), default=list, blank=True)
    # A forward (转发): the notice it passes on, and the original at the top of the chain.
    forwarded_from = models.ForeignKey(
        "self",
        verbose_name=_("forwarded from"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="forwards",
    )
    root = models.ForeignKey(
        "self",
        verbose_name=_("original notice"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # 定期通报: the period its figures are of (e.g. "2026-11", "2026-Q3"), and the figures
    # as they were when generated, so the PDF shows what was reviewed.
    bulletin_period = models.CharField(_("period"), max_length=12, blank=True)
    bulletin_figures = models.JSONField(default=dict, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=NoticeState.choices, default=NoticeState.DRAFT
    )
    recipient_count = models.PositiveIntegerField(_("branches addressed"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Optimistic lock for drafts edited by two people (as Meeting.version).
    version = models.PositiveIntegerField(default=1, editable=False)
    # The writing form's key: a doubled "save" of a new notice writes one draft.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-sent_at", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(forwarded_from__isnull=True, root__isnull=True)
                | Q(forwarded_from__isnull=False, root__isnull=False),
                name="notice_forward_has_root",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "deadline"], name="notice_state_deadline_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def original_id(self) -> int:
        """The notice whose receipts this one shows (itself unless a forward)."""
        return self.root_id or self.pk

    @property
    def is_forward(self) -> bool:
        return self.forwarded_from_id is not None


class ReceiptQuerySet(ScopedQuerySet):
    """Receipts are read by who covers their branch (path of the branch's node)."""

    scope_path_field = "path"
    scope_branch_field = "branch_id"
    scope_branch_path_field = "path"

    def covered_by(self, user):
        """Receipts of the branches a user sends notices to or answers them for."""
        scope = scope_for(user)
        parts = [
            part
            for capability in (SEND_NOTICES, ANSWER_NOTICES)
            if (
                part := scope.q(
                    capability,
                    path_field="path",
                    branch_field="branch_id",
                    branch_path_field="path",
                )
            )
            is not None
        ]
        return self.filter(reduce(or_, parts)) if parts else self.none()

    def answerable_by(self, user):
        return self.visible_to(user, ANSWER_NOTICES)

    def open(self):
        return self.filter(confirmed_at__isnull=True)


class NoticeReceipt(models.Model):
    """One branch's copy of a notice: opened, confirmed (回执), replied (反馈)."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="receipts"
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="notice_receipts"
    )
    # The path of the branch's node when sent: scope queries and per-street counts
    # without a join.
    path = models.CharField(max_length=255, editable=False)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["path", "branch__name"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "branch"], name="receipt_once_per_branch"),
        ]
        indexes = [
            models.Index(
                fields=["path"], name="receipt_path_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["branch"],
                condition=Q(confirmed_at__isnull=True),
                name="receipt_open_branch_idx",
            ),
        ]

    def __str__(self):
        return f"{self.notice_id} · {self.branch_id}"


def attachment_path(instance, filename):
    # A random name: the uploader's file name is kept only in `original_name`.
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"notices/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str | None = None):
        """A notice's files: to whoever may read the notice (NoticeQuerySet.visible_to).
        A reply's files are not served here."""
        return self.filter(notice__in=Notice.objects.visible_to(user, capability))


class NoticeAttachment(models.Model):
    """A file of a notice (PDF, Word, image) or of a branch's reply. Served only through
    the portal, always as a download (never inline), after its first bytes were checked
    (notices.uploads)."""

    notice = models.ForeignKey(
        Notice,
        verbose_name=_("notice"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    receipt = models.ForeignKey(
        NoticeReceipt,
        verbose_name=_("reply of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice attachment")
        verbose_name_plural = _("notice attachments")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notice__isnull=False, receipt__isnull=True)
                | Q(notice__isnull=True, receipt__isnull=False),
                name="notice_attachment_has_one_owner",
            ),
        ]

    def __str__(self):
        return self.original_name

    @property
    def stem(self) -> str:
        """The file's name without its extension (shown beside `format_label`)."""
        return os.path.splitext(self.original_name)[0] or self.original_name

    @property
    def format_label(self) -> str:
        """PDF, DOCX, JPG...: how people name the file's format."""
        ext = os.path.splitext(self.original_name)[1].lstrip(".").upper()
        return "JPG" if ext == "JPEG" else ext


class NoticeReminder(models.Model):
    """One "remind those who have not confirmed" by the sender. The reminders app writes
    one inbox item per secretary of each branch still open (activities.messaging), once
    per recipient per round (its unique key), and the digest carries it to their
    channels."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="reminders"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # Branches still open when asked (the items name them).
    branch_count = models.PositiveIntegerField(_("branches reminded"), default=0)

    class Meta:
        verbose_name = _("notice reminder")
        verbose_name_plural = _("notice reminders")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.notice_id} · {self.requested_at:%Y-%m-%d %H:%M}"
