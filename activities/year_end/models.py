"""The year-end cycle (年终) of a branch: 谈心谈话, the 组织生活会's per-member records,
民主评议党员 and 整改, per branch and year (DOMAIN.md, "The year's end").

Rules the steps follow (selectors.year_end_status computes them, never stored):
- 谈心谈话 is done when every active member of the branch is in at least one pair and
  every pair is recorded as held; started when a pair is planned.
- 组织生活会 is done when the cycle names a held meeting of kind life_meeting; started
  when it names a planned one.
- 民主评议 is done when every active member has a decided grade; started with the first.
- 整改 is done when the problems the meeting found are recorded (at least one item, or
  "no problems found" stated); items stay open until closed with evidence, across years.
The cycle is done when the four steps are. Talk notes and criticism texts are sensitive:
encrypted at rest, shown only with can_view_sensitive over the branch (like care notes).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.audit import person_repr
from accounts.crypto import EncryptedCharField, EncryptedTextField
from activities.care.models import CareVisit
from activities.meetings.models import Meeting
from branches.access import VIEW_MEMBERS, ScopedQuerySet
from branches.models import Branch
from members.models import Member


class BranchRowQuerySet(ScopedQuerySet):
    """Rows of one branch's year end: in scope where the branch is. They name members,
    so reading needs can_view_members; writing needs can_record_meeting."""

    scope_path_field = "cycle__branch__organization__path"
    scope_branch_field = "cycle__branch_id"
    scope_branch_path_field = "cycle__branch__organization__path"
    scope_read = VIEW_MEMBERS


class CycleQuerySet(ScopedQuerySet):
    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"
    scope_branch_path_field = "branch__organization__path"
    scope_read = VIEW_MEMBERS


class YearEndCycle(models.Model):
    """One branch's year end. Created by the first thing recorded for it."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="year_ends"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    life_meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("organisational life meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="year_ends",
    )
    observer = models.CharField(
        _("observer from the higher level"),
        max_length=80,
        blank=True,
        help_text=_("Who attended from the street or community (列席)."),
    )
    no_problems = models.BooleanField(_("no problems to rectify"), default=False)
    # Bumped by every save of the cycle's own fields or its members' meeting records: a
    # form carries the version it was loaded at (a second save over it is refused).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("year-end cycle")
        verbose_name_plural = _("year-end cycles")
        ordering = ["-year", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="year_end_once_per_year"),
        ]

    def __str__(self):
        return f"{self.year} {self.branch}"


class PairKind(models.TextChoices):
    SECRETARY_COMMITTEE = "secretary_committee", _("Secretary with a committee member")
    COMMITTEE_MEMBER = "committee_member", _("Committee member with a member")
    MEMBERS = "members", _("Members with each other")


class TalkPair(models.Model):
    """谈心谈话: two members of the branch who talk before the 组织生活会. Stored with
    the smaller member id first, so a pair is planned once whichever way round."""

    cycle = models.ForeignKey(
        YearEndCycle, verbose_name=_("year end"), on_delete=models.CASCADE, related_name="pairs"
    )
    first = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    second = models.ForeignKey(
        Member, verbose_name=_("talks with"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind of pair"), max_length=20, choices=PairKind.choices)
    held_on = models.DateField(_("talk held on"), null=True, blank=True)
    # What was said: sensitive (health, family, criticism), encrypted at rest.
    note = EncryptedTextField(_("short note"), blank=True)
    care_visit = models.ForeignKey(
        CareVisit,
        verbose_name=_("care visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("For a bedridden member: the care visit at which the talk took place."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BranchRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("talk pair")
        verbose_name_plural = _("talk pairs")
        ordering = ["cycle", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "first", "second"], name="talk_pair_once"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="talk_pair_ordered"),
        ]

    def __str__(self):
        return f"{self.first} · {self.second}"

    def audit_repr(self) -> str:
        return (
            f"{self.cycle.year} {person_repr(self.first.name, self.first_id)} · "
            f"{person_repr(self.second.name, self.second_id)}"
        )

    @property
    def is_done(self) -> bool:
        return self.held_on is not None


class LifeRecord(models.Model):
    """One member at the 组织生活会: self-criticism, criticism given and received."""

    cycle = models.ForeignKey(
        YearEndCycle,
        verbose_name=_("year end"),
        on_delete=models.CASCADE,
        related_name="life_records",
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    self_criticism = models.BooleanField(_("self-criticism done"), default=False)
    criticism_given = models.BooleanField(_("criticism given"), default=False)
    given_text = EncryptedCharField(_("criticism given (short)"), max_length=200, blank=True)
    criticism_received = models.BooleanField(_("criticism received"), default=False)
    received_text = EncryptedCharField(_("criticism received (short)"), max_length=200, blank=True)

    objects = BranchRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting record of a member")
        verbose_name_plural = _("meeting records of members")
        ordering = ["cycle", "member__name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="life_record_once"),
        ]

    def __str__(self):
        return f"{self.cycle_id} · {self.member_id}"

    def audit_repr(self) -> str:
        return f"{self.cycle.year} {person_repr(self.member.name, self.member_id)}"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    QUALIFIED = "qualified", _("Qualified")
    BASICALLY_QUALIFIED = "basically_qualified", _("Basically qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")


class Outcome(models.TextChoices):
    """What follows a 不合格 grade: recorded here, decided elsewhere."""

    CORRECT_BY_DEADLINE = "correct_by_deadline", _("Correct within a time limit")
    ADVISED_TO_LEAVE = "advised_to_leave", _("Advised to leave the party")


@dataclass(frozen=True)
class GradeRule:
    """What a decided grade needs besides itself (rules as data, checked by services)."""

    needs_reason: bool = False
    outcomes: tuple[str, ...] = ()


GRADE_RULES: dict[str, GradeRule] = {
    Grade.EXCELLENT: GradeRule(),
    Grade.QUALIFIED: GradeRule(),
    Grade.BASICALLY_QUALIFIED: GradeRule(needs_reason=True),
    Grade.UNQUALIFIED: GradeRule(
        needs_reason=True, outcomes=(Outcome.CORRECT_BY_DEADLINE, Outcome.ADVISED_TO_LEAVE)
    ),
}


class Appraisal(models.Model):
    """民主评议 of one member: the self-assessment, the members' votes per grade, the
    committee's proposal and the decision. A member who could not attend is graded too,
    with the reason they were absent."""

    cycle = models.ForeignKey(
        YearEndCycle,
        verbose_name=_("year end"),
        on_delete=models.CASCADE,
        related_name="appraisals",
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    self_assessment = models.CharField(
        _("self-assessment"), max_length=20, choices=Grade.choices, blank=True
    )
    votes_excellent = models.PositiveSmallIntegerField(_("votes for excellent"), default=0)
    votes_qualified = models.PositiveSmallIntegerField(_("votes for qualified"), default=0)
    votes_basically_qualified = models.PositiveSmallIntegerField(
        _("votes for basically qualified"), default=0
    )
    votes_unqualified = models.PositiveSmallIntegerField(_("votes for unqualified"), default=0)
    proposal = models.CharField(
        _("committee's proposal"), max_length=20, choices=Grade.choices, blank=True
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Grade.choices, blank=True)
    reason = models.CharField(
        _("reason for the grade"),
        max_length=200,
        blank=True,
        help_text=_("Needed for basically qualified and unqualified."),
    )
    outcome = models.CharField(
        _("what follows"), max_length=20, choices=Outcome.choices, blank=True
    )
    absent_reason = models.CharField(
        _("why the member could not attend"),
        max_length=120,
        blank=True,
        help_text=_("Leave empty when the member attended."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BranchRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["cycle", "member__name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="appraisal_once"),
            models.CheckConstraint(
                condition=~Q(decision="unqualified") | ~Q(outcome=""),
                name="appraisal_unqualified_has_outcome",
                violation_error_message=_("Record what follows an unqualified grade."),
            ),
        ]

    def __str__(self):
        return f"{self.cycle_id} · {self.member_id} · {self.decision or '—'}"

    def audit_repr(self) -> str:
        return f"{self.cycle.year} {person_repr(self.member.name, self.member_id)}"

    @property
    def votes(self) -> list[tuple[str, int]]:
        return [
            (Grade.EXCELLENT.label, self.votes_excellent),
            (Grade.QUALIFIED.label, self.votes_qualified),
            (Grade.BASICALLY_QUALIFIED.label, self.votes_basically_qualified),
            (Grade.UNQUALIFIED.label, self.votes_unqualified),
        ]


class ItemSource(models.TextChoices):
    BRANCH = "branch", _("The branch's problem")
    COMMITTEE_MEMBER = "committee_member", _("A committee member's problem")


class ItemQuerySet(ScopedQuerySet):
    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"
    scope_branch_path_field = "branch__organization__path"
    scope_read = VIEW_MEMBERS

    def still_open(self):
        return self.filter(closed_on__isnull=True)

    def shown_in(self, year: int):
        """A year's items and the open ones of earlier years (they carry over)."""
        return self.filter(Q(year=year) | Q(year__lt=year, closed_on__isnull=True))


class RectificationItem(models.Model):
    """整改: a problem found at the 组织生活会, with who fixes it, how and by when, and the
    evidence when it is closed. Open items carry over into the next years."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="rectifications"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("whose problem"), max_length=20, choices=ItemSource.choices)
    committee_member = models.ForeignKey(
        Member,
        verbose_name=_("committee member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    problem = models.CharField(_("problem found"), max_length=300)
    measure = models.CharField(_("measure"), max_length=300)
    owner = models.CharField(_("responsible"), max_length=60)
    deadline = models.DateField(_("deadline"))
    evidence = models.CharField(_("evidence of the rectification"), max_length=300, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Idempotency: a doubled POST of the same add form finds the first item.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(
                fields=["branch", "deadline"],
                condition=Q(closed_on__isnull=True),
                name="rectification_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | ~Q(evidence=""),
                name="rectification_closed_has_evidence",
                violation_error_message=_("Write the evidence."),
            ),
            models.CheckConstraint(
                condition=Q(source="branch", committee_member__isnull=True)
                | Q(source="committee_member", committee_member__isnull=False),
                name="rectification_member_iff_member_problem",
                violation_error_message=_("Choose the committee member."),
            ),
        ]

    def __str__(self):
        return self.problem[:60]

    def audit_repr(self) -> str:
        return f"{self.year} {self.branch} · {self.deadline:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None
