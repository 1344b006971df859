"""Organisational life (组织生活): meetings, per-member attendance, make-up study, cadence
rules and excusals.

Sections: 1. meetings and attendance, 2. cadence rules and excusals, 3. the dashboards'
summary. Care (activities.care.models) points here: a 送学上门 care visit carries the
MakeUp it delivered (a one-to-one link).

Rules the numbers follow (DOMAIN.md):
- The expected list of a meeting is fixed when attendance is first recorded: one
  Attendance row per expected member. Later roster changes never rewrite history, and a
  member's attendance counts once, for the meeting's branch.
- Attendance rate = (present + remote + made up) / expected. Only an excused or absent
  row can be made up (services.makeups.makeup_record enforces it).
- Quorum counts voting members (full members on the meeting day, snapshotted in
  Attendance.is_voting) who are present or take part remotely; make-up never counts
  towards a quorum. See activities.meetings.quorum.
- A bedridden member's absence is not the branch's failure: cadence compliance counts
  meetings held, never who came; the recording screen starts a bedridden member as
  excused (reason 卧床) rather than absent; a 送学上门 make-up then counts them in the
  rate like anyone who attended. They stay on the quorum's list (the portal drops
  nobody from it by itself; see activities.meetings.quorum).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.access import EDIT_RULES, VIEW_MEMBERS, ScopedQuerySet
from branches.models import Branch, Level, Organization, PartyGroup, Venue
from members.models import Member

from .periods import Period, Span, span_of

# --- 1. Meetings and attendance --------------------------------------------------------


class MeetingKind(models.TextChoices):
    GENERAL_ASSEMBLY = "general_assembly", _("General assembly of members")
    COMMITTEE = "committee", _("Branch committee meeting")
    GROUP = "group", _("Party group meeting")
    LECTURE = "lecture", _("Party lecture")
    THEME_DAY = "theme_day", _("Theme party day")
    LIFE_MEETING = "life_meeting", _("Organisational life meeting")
    APPRAISAL = "appraisal", _("Democratic appraisal of members")


# Kinds whose validity needs a quorum of voting members (支部工作条例).
QUORUM_KINDS = {MeetingKind.GENERAL_ASSEMBLY, MeetingKind.COMMITTEE}


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingMode(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    ONLINE = "online", _("Online")
    MIXED = "mixed", _("On site and online")


class MeetingQuerySet(ScopedQuerySet):
    """Meetings of the branches in the user's scope. They name members, so reading them
    needs can_view_members; recording needs can_record_meeting."""

    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"
    scope_branch_path_field = "branch__organization__path"
    scope_read = VIEW_MEMBERS

    def held(self):
        return self.filter(status=MeetingStatus.HELD)


class Meeting(models.Model):
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("kind of meeting"), max_length=20, choices=MeetingKind.choices)
    party_group = models.ForeignKey(
        PartyGroup,
        verbose_name=_("party group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
        help_text=_("Only for a party group meeting."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    topic = models.CharField(_("topic"), max_length=200)
    planned_on = models.DateField(_("planned date"))
    held_on = models.DateField(_("date held"), null=True, blank=True)
    # Wall-clock times in Asia/Shanghai on held_on (or planned_on while planned).
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("venue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    venue_note = models.CharField(_("other place or online platform"), max_length=120, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=MeetingMode.choices, default=MeetingMode.ON_SITE
    )
    host = models.CharField(_("host"), max_length=40, blank=True)
    recorder = models.CharField(_("recorder"), max_length=40, blank=True)
    lecturer = models.CharField(_("lecturer"), max_length=60, blank=True)
    is_election = models.BooleanField(
        _("election"),
        default=False,
        help_text=_("An election needs more than four fifths of the voting members present."),
    )
    # Derived (activities.meetings.summaries keeps it with the attendance): the quorum rule this
    # held meeting failed (activities.meetings.quorum.HALF / FOUR_FIFTHS), empty when it was met
    # or none applies. A meeting that failed its quorum does not count for the cadence.
    quorum_missed = models.CharField(max_length=12, blank=True, default="", editable=False)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # Idempotency: the key the plan/record form carried when it created this meeting, and
    # the key of the last attendance recording. A retried or doubled POST finds them.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    record_key = models.UUIDField(null=True, blank=True, editable=False)
    # Bumped by every service that changes the meeting or its attendance: a form carries
    # the version it was loaded at, so a save over someone else's is caught, not lost.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Self check-in (扫码签到, activities.meetings.checkin): the QR code carries the meeting
    # and this round, signed. Closing early sets checkin_closed_at; opening again starts a
    # new round, so a code from an earlier round stays refused.
    checkin_round = models.PositiveSmallIntegerField(
        _("self check-in code number"), default=0, editable=False
    )
    checkin_closed_at = models.DateTimeField(
        _("self check-in closed at"), null=True, blank=True, editable=False
    )
    checkin_closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("self check-in closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-planned_on", "-pk"]
        indexes = [
            # Compliance counts held meetings per branch, month and kind: this partial index
            # holds every column that query reads, so it never touches the table.
            models.Index(
                fields=["branch", "held_on", "kind", "party_group", "quorum_missed"],
                condition=Q(status="held"),
                name="meeting_held_branch_day_idx",
            ),
            models.Index(fields=["branch", "planned_on"], name="meeting_branch_planned_idx"),
            # Held meetings in a date range across many branches (dashboards' trend and
            # inactive members): no scan of the whole table.
            models.Index(
                fields=["held_on", "branch"],
                condition=Q(status="held"),
                name="meeting_held_day_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="group", party_group__isnull=False)
                | (~Q(kind="group") & Q(party_group__isnull=True)),
                name="meeting_group_iff_group_meeting",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_on__isnull=False),
                name="meeting_held_has_date",
            ),
            models.CheckConstraint(
                condition=Q(is_election=False) | Q(kind="general_assembly"),
                name="meeting_election_is_general_assembly",
            ),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()} · {self.topic}"

    @property
    def day(self) -> datetime.date:
        return self.held_on or self.planned_on

    @property
    def is_held(self) -> bool:
        return self.status == MeetingStatus.HELD

    @property
    def place(self) -> str:
        parts = [self.venue.name if self.venue_id else "", self.venue_note]
        return " · ".join(p for p in parts if p)


def attachment_path(instance, filename):
    # The stored name is ours (the original is kept in original_name): no user-controlled
    # path parts reach the file system.
    ext = filename.rsplit(".", 1)[-1].lower()
    today = timezone.localdate()
    return f"meetings/{today:%Y/%m}/{instance.meeting_id}-{instance.kind}-{today:%d}.{ext}"


class AttachmentKind(models.TextChoices):
    SIGN_SHEET = "sign_sheet", _("Signed sign-in sheet")
    MINUTES = "minutes", _("Minutes (scan)")
    PHOTO = "photo", _("Photo of the meeting")
    OTHER = "other", _("Other")


class AttachmentQuerySet(ScopedQuerySet):
    scope_path_field = "meeting__branch__organization__path"
    scope_branch_field = "meeting__branch_id"
    scope_branch_path_field = "meeting__branch__organization__path"
    scope_read = VIEW_MEMBERS


class MeetingAttachment(models.Model):
    """A photo or scan (the signed sheet, the minutes), served only through the portal."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=AttachmentKind.choices, default=AttachmentKind.SIGN_SHEET
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["meeting", "pk"]

    def __str__(self):
        return self.original_name


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    REMOTE = "remote", _("Online or by phone")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


ATTENDING = (AttendanceStatus.PRESENT, AttendanceStatus.REMOTE)
NOT_ATTENDING = (AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT)


class AttendanceQuerySet(ScopedQuerySet):
    scope_path_field = "meeting__branch__organization__path"
    scope_branch_field = "meeting__branch_id"
    scope_branch_path_field = "meeting__branch__organization__path"
    scope_read = VIEW_MEMBERS


class Attendance(models.Model):
    """One expected member at one meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendances"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="attendances"
    )
    status = models.CharField(
        _("attendance"),
        max_length=8,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.PRESENT,
    )
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    # A full member on the meeting day has a vote: the quorum counts these (snapshot).
    is_voting = models.BooleanField(_("voting member"), default=True)
    # Set when the member checked in themselves (扫码签到): the line is then "present
    # (self check-in)". Cleared if the secretary, having seen it, marks them otherwise.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "pk"]
        indexes = [
            # Per-meeting counts by status (rates, quorum) read only this index.
            models.Index(fields=["meeting", "status"], name="attendance_meeting_status_idx"),
            # "Did this member take part?" (dashboards' inactive members) from the index.
            # (a plain composite index: SQLite has no INCLUDE columns)
            models.Index(fields=["member", "status", "meeting"], name="attendance_member_cov_idx"),
            # Who took part in a range of meetings, read from the index alone.
            models.Index(fields=["meeting", "status", "member"], name="attendance_meeting_cov_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="attendance_once_per_meeting"
            ),
            models.CheckConstraint(
                condition=~Q(status="excused") | ~Q(reason=""),
                name="attendance_excused_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.get_status_display()}"


class VisitorStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("visitor", "Waiting for the secretary")
    CONFIRMED = "confirmed", pgettext_lazy("visitor", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("visitor", "Rejected")


class VisitorQuerySet(ScopedQuerySet):
    scope_path_field = "meeting__branch__organization__path"
    scope_branch_field = "meeting__branch_id"
    scope_branch_path_field = "meeting__branch__organization__path"
    scope_read = VIEW_MEMBERS


class CheckInVisitor(models.Model):
    """Someone not on the meeting's list who checked in by typing a name: a request the
    secretary confirms (a visitor line, 列席) or rejects. Never counted in the rates."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="visitors"
    )
    name = models.CharField(_("name"), max_length=40)
    note = models.CharField(_("branch or unit"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=VisitorStatus.choices, default=VisitorStatus.PENDING
    )
    requested_at = models.DateTimeField(_("checked in at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = VisitorQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("meeting", "visitor")
        verbose_name_plural = pgettext_lazy("meeting", "visitors")
        ordering = ["meeting", "requested_at", "pk"]
        constraints = [
            # The same name typed twice is one request (checking in twice is harmless).
            models.UniqueConstraint(fields=["meeting", "name"], name="visitor_once_per_meeting")
        ]

    def __str__(self):
        return f"{self.meeting_id} · {self.audit_repr()}"

    def audit_repr(self) -> str:
        return masked_person(self.name)


def masked_person(name: str) -> str:
    """张三华 -> 张*华, 张三 -> 张*, 欧阳明华 -> 欧**华: how the public check-in page and the
    trail show a name."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


class MakeUpKind(models.TextChoices):
    STUDY = "study", _("Make-up study")
    HOME_DELIVERY = "home_delivery", _("Study delivered at home")


class MakeUp(models.Model):
    """补学 / 送学上门: closes an absence or excusal for that meeting.

    A 送学上门 is also a care visit; the care models (added later in this app) link a
    CareVisit to the MakeUp it delivered, one to one.
    """

    attendance = models.OneToOneField(
        Attendance, verbose_name=_("attendance"), on_delete=models.CASCADE, related_name="make_up"
    )
    kind = models.CharField(
        _("how"), max_length=14, choices=MakeUpKind.choices, default=MakeUpKind.STUDY
    )
    made_up_on = models.DateField(_("date"))
    delivered_by = models.CharField(_("delivered by"), max_length=60)
    material = models.CharField(_("what was studied or delivered"), max_length=200)
    # The study material (学习资料) taken to the member, from the branch's library; the
    # free text above still says what was studied (its title when left empty).
    study_material = models.ForeignKey(
        "notices.Notice",
        verbose_name=_("study material"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="make_ups",
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("make-up")
        verbose_name_plural = _("make-ups")
        ordering = ["-made_up_on", "-pk"]
        indexes = [models.Index(fields=["made_up_on"], name="make_up_day_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.made_up_on:%Y-%m-%d}"


class MaterialQuerySet(ScopedQuerySet):
    scope_path_field = "meeting__branch__organization__path"
    scope_branch_field = "meeting__branch_id"
    scope_branch_path_field = "meeting__branch__organization__path"
    scope_read = VIEW_MEMBERS


class MeetingMaterial(models.Model):
    """A study material (a notice of kind 学习资料 addressed to the meeting's branch) used
    at a meeting. Linking twice is a no-op (the unique constraint)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="materials"
    )
    notice = models.ForeignKey(
        "notices.Notice",
        verbose_name=_("study material"),
        on_delete=models.CASCADE,
        related_name="meeting_uses",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    objects = MaterialQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting material")
        verbose_name_plural = _("meeting materials")
        ordering = ["meeting", "linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "notice"], name="meeting_material_once"),
        ]
        indexes = [models.Index(fields=["notice", "meeting"], name="meeting_material_notice_idx")]

    def __str__(self):
        return f"{self.meeting_id} · {self.notice_id}"


# --- 2. Cadence rules and excusals -----------------------------------------------------


class CadenceRuleQuerySet(ScopedQuerySet):
    """District rules inside the user's scope; the default rules (no district) are read by
    everyone who may edit rules and changed only from a city-level grant."""

    scope_path_field = "district__path"
    scope_read = EDIT_RULES

    def in_force(self, start: datetime.date, end: datetime.date):
        """Rules in force at some point in [start, end]."""
        return self.filter(valid_from__lte=end).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=start)
        )


class CadenceRule(models.Model):
    """How often a kind of meeting must be held: at least `minimum_count` per `period`.

    Rules without a district are the defaults seeded from DOMAIN.md; a district may set
    its own rule for a kind, which then replaces the default for that kind while in force.
    """

    district = models.ForeignKey(
        Organization,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        limit_choices_to={"level": Level.DISTRICT},
        related_name="cadence_rules",
        help_text=_("Empty: the default for every district."),
    )
    kind = models.CharField(_("kind of meeting"), max_length=20, choices=MeetingKind.choices)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    minimum_count = models.PositiveSmallIntegerField(
        _("at least"), default=1, validators=[MinValueValidator(1)]
    )
    per_group = models.BooleanField(
        _("for each party group"),
        default=False,
        help_text=_("The minimum applies to every party group of the branch."),
    )
    valid_from = models.DateField(_("in force from"))
    valid_to = models.DateField(_("in force until"), null=True, blank=True)
    source_note = models.CharField(_("source"), max_length=300)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CadenceRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        ordering = ["district__path", "kind", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="cadence_rule_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(minimum_count__gte=1), name="cadence_rule_minimum_positive"
            ),
            models.CheckConstraint(
                condition=Q(per_group=False) | Q(kind="group"),
                name="cadence_rule_per_group_only_for_groups",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_period_display()} ≥ {self.minimum_count}"

    def in_force_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def cadence_label(self) -> str:
        """ "每年 1 次", "每季度 1 次", "每月 2 次": the period's label is a noun (年份)."""
        texts = {
            Period.MONTH: _("%(n)d a month"),
            Period.QUARTER: _("%(n)d a quarter"),
            Period.YEAR: _("%(n)d a year"),
        }
        return str(texts[self.period]) % {"n": self.minimum_count}


class ExcusalQuerySet(ScopedQuerySet):
    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"
    scope_read = VIEW_MEMBERS


class Excusal(models.Model):
    """A branch excused from the cadence for one period (all kinds, or one kind)."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="excusals"
    )
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    period_start = models.DateField(_("first day of the period"))
    kind = models.CharField(
        _("kind of meeting"),
        max_length=20,
        choices=MeetingKind.choices,
        blank=True,
        help_text=_("Empty: every kind of meeting."),
    )
    reason = models.CharField(_("reason"), max_length=300)
    approved_by = models.CharField(_("approved by"), max_length=60)
    approved_on = models.DateField(_("approved on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ExcusalQuerySet.as_manager()

    class Meta:
        verbose_name = _("excusal")
        verbose_name_plural = _("excusals")
        ordering = ["-period_start", "branch"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "period", "period_start", "kind"], name="excusal_unique"
            ),
        ]

    def __str__(self):
        return f"{self.branch} · {self.span.label}"

    def save(self, *args, **kwargs):
        # Always stored as the first day of its period.
        self.period_start = span_of(self.period, self.period_start).start
        super().save(*args, **kwargs)

    @property
    def span(self) -> Span:
        return span_of(self.period, self.period_start)

    def covers(self, span: Span, kind: str) -> bool:
        return (not self.kind or self.kind == kind) and self.span.contains(span)


# --- 3. Dashboard summaries (derived; activities.meetings.summaries keeps them) -------


class BranchMonthTally(models.Model):
    """Held meetings and their attendance per branch x calendar month (by held_on): the
    dashboards read these instead of aggregating every attendance row of a district.

    Derived data: activities.meetings.summaries rewrites a (branch, month) row in the same
    transaction as any meeting, attendance or make-up write touching it;
    `manage.py rebuild_summaries` recomputes all of them from the source rows.
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the month's first day
    held = models.PositiveIntegerField(default=0)
    expected = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    remote = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    made_up = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "month"], name="branch_month_tally_unique")
        ]
        indexes = [models.Index(fields=["month", "branch"], name="branch_month_tally_month_idx")]

    def __str__(self):
        return f"{self.branch_id} {self.month:%Y-%m}"
