"""Care (党内关怀): care needs, carers, visits, follow-ups, and the activities members take part in
besides meetings. Rules the numbers follow: see section comment below."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.audit import masked_name, person_repr
from accounts.crypto import EncryptedCharField, EncryptedTextField
from activities.meetings.models import MakeUp, Meeting
from branches.access import VIEW_MEMBERS, ScopedQuerySet
from branches.models import Branch, Organization
from members.models import Member

# --- Care (党内关怀) and activities besides meetings -------------------------------------
# Owned by the care work (activities/care/). Care needs, their carers (结对人, "1+X"),
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
#   that closes the member's absence or excusal for that meeting (care.services).
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
    writing needs can_record_care; notes need can_view_sensitive (care.selectors)."""

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
    # visit services (activities.meetings.summaries); the care pages compute it live.
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
