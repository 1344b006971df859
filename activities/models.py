"""Organisational life (组织生活): meetings, per-member attendance, make-up study, cadence
rules and excusals.

Sections: 1. meetings and attendance, 2. cadence rules and excusals. Care (CareNeed,
CareVisit, Activity) is added below as section 3 by the care work; a 送学上门 care visit
can then point at the MakeUp it delivered (MakeUp is ready for a one-to-one link).

Rules the numbers follow (DOMAIN.md):
- The expected list of a meeting is fixed when attendance is first recorded: one
  Attendance row per expected member. Later roster changes never rewrite history, and a
  member's attendance counts once, for the meeting's branch.
- Attendance rate = (present + remote + made up) / expected. Only an excused or absent
  row can be made up (services.makeup_record enforces it).
- Quorum counts voting members (full members on the meeting day, snapshotted in
  Attendance.is_voting) who are present or take part remotely; make-up never counts
  towards a quorum. See activities.quorum.
- A bedridden member's absence is not the branch's failure: cadence compliance counts
  meetings held, never who came; the recording screen starts a bedridden member as
  excused (reason 卧床) rather than absent; a 送学上门 make-up then counts them in the
  rate like anyone who attended. They stay on the quorum's list (the portal drops
  nobody from it by itself; see activities.quorum).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import masked_name, person_repr
from accounts.crypto import EncryptedCharField, EncryptedTextField
from branches.access import EDIT_RULES, VIEW_MEMBERS, ScopedQuerySet
from branches.models import Branch, Level, Organization, PartyGroup, Venue
from members.models import Member

from .periods import MONTHS_IN, Period, Span, span_of

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
    # Derived (activities.summaries keeps it with the attendance): the quorum rule this
    # held meeting failed (activities.quorum.HALF / FOUR_FIFTHS), empty when it was met
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


__all__ = [
    "MONTHS_IN",
    "Attendance",
    "AttendanceStatus",
    "CadenceRule",
    "Excusal",
    "MakeUp",
    "MakeUpKind",
    "Meeting",
    "MeetingKind",
    "MeetingMode",
    "MeetingStatus",
    "Period",
]


# --- 3. Care (党内关怀) and activities besides meetings ----------------------------------
# Owned by the care work (activities/care_*.py). Care needs, their carers (结对人, "1+X"),
# care visits with follow-ups, and the other activities members take part in.
#
# Rules the numbers follow:
# - Coverage counts in-person visits only (IN_PERSON_VISITS): a phone call keeps in
#   touch, but it is not a visit.
# - A member with an open need is "visited within the interval" when the last in-person
#   visit is at most `interval_days` days ago: a visit exactly `interval_days` days ago
#   (the boundary day) still counts. Overdue: more days than the interval since the
#   last visit, or since the need started when there has been no visit yet.
# - Moved and deceased members drop out of every care list and figure.
# - A 送学上门 visit may name the meeting it makes up for; it then carries the MakeUp
#   that closes the member's absence or excusal for that meeting (care_services).
# - An activity is never a meeting: it credits its participants (service hours) and
#   never counts in any branch's meeting cadence or attendance.


class CareVisitKind(models.TextChoices):
    HOME_STUDY = "home_study", _("Study delivered at home")
    SICK_VISIT = "sick_visit", _("Sick visit")
    FESTIVAL = "festival", _("Holiday greetings")
    BIRTHDAY = "birthday", _("Birthday or political birthday")
    HARDSHIP = "hardship", _("Hardship help")
    ROUTINE = "routine", _("Routine visit")
    PHONE = "phone", _("Phone call")


# Kinds that count as a visit for coverage (everything but a phone call).
IN_PERSON_VISITS = tuple(k.value for k in CareVisitKind if k != CareVisitKind.PHONE)


class CareScopedQuerySet(ScopedQuerySet):
    """Care rows belong to a member: in scope where the member is (community of
    residence or home branch). They name members, so reading needs can_view_members;
    writing needs can_record_care; notes need can_view_sensitive (care_selectors)."""

    scope_path_field = "member__community__path"
    scope_branch_field = "member__home_branch_id"
    scope_read = VIEW_MEMBERS


class CareNeedQuerySet(CareScopedQuerySet):
    def open(self):
        """Needs still open, of members still here (moved and deceased drop out)."""
        return self.filter(closed_on__isnull=True, member__status="active")


class CareNeed(models.Model):
    """What a member needs (关怀对象): the reasons, how often to visit, and the carers."""

    member = models.OneToOneField(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="care_need"
    )
    poor_health = models.BooleanField(_("poor health or bedridden"), default=False)
    limited_mobility = models.BooleanField(_("limited mobility"), default=False)
    lives_alone = models.BooleanField(_("lives alone or empty nest"), default=False)
    aged_80_plus = models.BooleanField(_("aged 80 or over"), default=False)
    hospitalised = models.BooleanField(_("in hospital"), default=False)
    interval_days = models.PositiveSmallIntegerField(
        _("visit at least every (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("A visit on the last day of the interval still counts as on time."),
    )
    # Health and living details: encrypted at rest (accounts.crypto), never queried.
    care_note = EncryptedTextField(
        _("care note"),
        blank=True,
        help_text=_("Health and living details. Shown only to those who may see them."),
    )
    started_on = models.DateField(_("care started on"))
    closed_on = models.DateField(_("care ended on"), null=True, blank=True)
    close_reason = models.CharField(_("why care ended"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Derived for the dashboards: the member's latest in-person visit, rewritten by the
    # visit services (activities.summaries); the care pages compute it live.
    last_visit_on = models.DateField(null=True, blank=True, editable=False)

    objects = CareNeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("care need")
        verbose_name_plural = _("care needs")
        ordering = ["member__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_days__gte=1), name="care_need_interval_positive"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("started_on")),
                name="care_need_closed_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.member}"

    def audit_repr(self) -> str:
        return self.member.audit_repr()

    REASON_FIELDS = (
        "poor_health",
        "limited_mobility",
        "lives_alone",
        "aged_80_plus",
        "hospitalised",
    )

    @property
    def reasons(self) -> list[str]:
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in self.REASON_FIELDS
            if getattr(self, name)
        ]

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class CarerQuerySet(ScopedQuerySet):
    scope_path_field = "need__member__community__path"
    scope_branch_field = "need__member__home_branch_id"
    scope_read = VIEW_MEMBERS


class Carer(models.Model):
    """结对人: one of the "1+X" people who look after a member with a need. The lead
    carer (the "1", usually a branch or community cadre) and any helpers (the "X":
    fellow members, volunteers, grid workers, family). A carer with a portal account
    sees the member on their own "who to visit this week" list."""

    need = models.ForeignKey(
        CareNeed, verbose_name=_("care need"), on_delete=models.CASCADE, related_name="carers"
    )
    name = models.CharField(_("name"), max_length=40)
    relation = models.CharField(
        _("who they are"),
        max_length=40,
        blank=True,
        help_text=_("e.g. branch secretary, party member volunteer, grid worker"),
    )
    is_lead = models.BooleanField(_("lead carer"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_assignments",
    )
    helper_member = models.ForeignKey(
        Member,
        verbose_name=_("party member pairing up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caring_for",
    )
    since = models.DateField(_("since"), null=True, blank=True)

    objects = CarerQuerySet.as_manager()

    class Meta:
        verbose_name = _("carer")
        verbose_name_plural = _("carers")
        ordering = ["need", "-is_lead", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["need"], condition=Q(is_lead=True), name="carer_one_lead_per_need"
            ),
            models.UniqueConstraint(
                fields=["need", "user"],
                condition=Q(user__isnull=False),
                name="carer_account_once_per_need",
            ),
        ]

    def __str__(self):
        return self.name

    def audit_repr(self) -> str:
        """The carer's name masked (a relative, a neighbour, or a member pairing up)."""
        return masked_name(self.name)


class CareVisit(models.Model):
    """One care visit (关怀走访): who went, when, what kind, what was raised."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="care_visits"
    )
    visited_on = models.DateField(_("date"))
    kind = models.CharField(_("kind of visit"), max_length=12, choices=CareVisitKind.choices)
    occasion = models.CharField(
        _("occasion"),
        max_length=20,
        blank=True,
        help_text=_("For holiday greetings: e.g. 春节, 七一, 重阳."),
    )
    visitors = models.CharField(_("visitors"), max_length=120)
    # Free text that may hold health or family details: encrypted at rest.
    summary = EncryptedTextField(_("what happened"), blank=True)
    matters_raised = EncryptedTextField(_("problems raised"), blank=True)
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting made up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_visits",
        help_text=_("For study delivered at home: the meeting the member missed."),
    )
    make_up = models.OneToOneField(
        MakeUp,
        verbose_name=_("make-up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_visit",
    )
    # Idempotency: a doubled or retried POST of the same form finds the first visit.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CareScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [
            # "Last in-person visit per member" reads only this index.
            models.Index(fields=["member", "kind", "visited_on"], name="care_visit_member_idx"),
            models.Index(fields=["visited_on"], name="care_visit_day_idx"),
            # The last in-person visit of a member: one index probe (dashboards, care lists).
            models.Index(
                fields=["member", "-visited_on"],
                condition=~models.Q(kind="phone"),
                name="care_visit_in_person_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="home_study")
                | (Q(meeting__isnull=True) & Q(make_up__isnull=True)),
                name="care_visit_makeup_only_for_home_study",
            ),
        ]

    def __str__(self):
        return f"{self.visited_on:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def counts_as_visit(self) -> bool:
        return self.kind in IN_PERSON_VISITS


class FollowUpState(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed without a solution")


OPEN_FOLLOW_UPS = (FollowUpState.OPEN, FollowUpState.IN_PROGRESS)


class FollowUpQuerySet(CareScopedQuerySet):
    scope_path_field = "visit__member__community__path"
    scope_branch_field = "visit__member__home_branch_id"

    def still_open(self):
        return self.filter(state__in=OPEN_FOLLOW_UPS, visit__member__status="active")

    def past_due(self, today: datetime.date):
        """Open and due before today (due today is not yet late)."""
        return self.still_open().filter(due_on__lt=today)


class FollowUp(models.Model):
    """A problem raised on a visit (实际问题) that somebody must solve by a date."""

    visit = models.ForeignKey(
        CareVisit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    # Copied from the visit's problems raised, so encrypted at rest like them.
    matter = EncryptedCharField(_("matter to follow up"), max_length=300)
    owner_name = models.CharField(_("responsible"), max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_follow_ups",
    )
    due_on = models.DateField(_("due by"))
    state = models.CharField(
        _("state"), max_length=12, choices=FollowUpState.choices, default=FollowUpState.OPEN
    )
    solved_on = models.DateField(_("solved or closed on"), null=True, blank=True)
    outcome = EncryptedCharField(_("outcome"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["state", "due_on"], name="follow_up_state_due_idx")]
        constraints = [
            # Solved or closed: with the date; open or in progress: without one.
            models.CheckConstraint(
                condition=(Q(state__in=["solved", "closed"]) & Q(solved_on__isnull=False))
                | (Q(state__in=["open", "in_progress"]) & Q(solved_on__isnull=True)),
                name="follow_up_solved_iff_dated",
            ),
        ]

    def __str__(self):
        return self.matter[:60]

    def audit_repr(self) -> str:
        """Not the matter (sensitive, encrypted): the member, masked, and the due date."""
        member = self.visit.member
        return f"{self.due_on:%Y-%m-%d} {person_repr(member.name, member.pk)}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_FOLLOW_UPS


class ActivityKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("Volunteer service")
    CULTURE_SPORT = "culture_sport", _("Culture and sport")
    PREACHING = "preaching", _("Policy preaching")
    SUPERVISION = "supervision", _("Social supervision")
    LEADER_TRAINING = "leader_training", _("Training for branch leaders")


class ActivityQuerySet(ScopedQuerySet):
    """Activities organised in the user's area or by the user's branch."""

    scope_path_field = "organization__path"
    scope_branch_field = "branch_id"
    scope_read = VIEW_MEMBERS


class Activity(models.Model):
    """发挥作用 in practice: volunteer service, culture and sport, 宣讲, supervision,
    leader training. Organised by a branch (often a functional one) or a volunteer team."""

    kind = models.CharField(_("kind of activity"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=120)
    held_on = models.DateField(_("date"))
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organised in"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("organising branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    team = models.CharField(_("volunteer team"), max_length=80, blank=True)
    place = models.CharField(_("place"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-held_on", "-pk"]
        indexes = [
            models.Index(fields=["branch", "held_on"], name="activity_branch_day_idx"),
            models.Index(fields=["organization", "held_on"], name="activity_org_day_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(branch__isnull=False) | ~Q(team=""),
                name="activity_has_organiser",
            ),
        ]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}"

    @property
    def organiser(self) -> str:
        parts = [self.branch.name if self.branch_id else "", self.team]
        return " · ".join(p for p in parts if p)


class ParticipationQuerySet(CareScopedQuerySet):
    pass


class ActivityParticipant(models.Model):
    """A member who took part, with the service hours credited to them."""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="activity_participations",
    )
    service_hours = models.DecimalField(
        _("service hours"),
        max_digits=5,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0)],
    )

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["activity", "member__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"], name="activity_participant_once"
            ),
            models.CheckConstraint(
                condition=Q(service_hours__gte=0), name="activity_hours_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.service_hours}"


# --- 4. Reminders (提醒) ------------------------------------------------------------------
# Owned by the reminders work (activities/reminders.py, reminder_sender.py, channels.py,
# tasks.py). A sweep finds what is due and writes one Reminder row per (kind, subject,
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
# (reminders.prune: read or resolved items and sent or failed outbound rows, when old).


from branches.access import REVIEW_REMINDERS  # noqa: E402


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

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["reminder", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "channel"], name="reminder_delivery_once_per_channel"
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
        ]
        return [channel.value for on, channel in chosen if on]


# --- 5. Dashboard summaries (derived; activities.summaries keeps them) -----------------


class BranchMonthTally(models.Model):
    """Held meetings and their attendance per branch x calendar month (by held_on): the
    dashboards read these instead of aggregating every attendance row of a district.

    Derived data: activities.summaries rewrites a (branch, month) row in the same
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
