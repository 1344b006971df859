"""The roster: retired cadre party members, their two ties, roles and branch committees.

A member's party relation (组织关系) is held by an original unit or a branch; separately
the member registers with the community where they live (社区报到) and is placed in one
home branch (and maybe a party group), where their attendance counts exactly once.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import VIEW_MEMBERS, VIEW_UNIT_MEMBERS, ScopedQuerySet
from branches.models import Branch, Level, Organization, OriginalUnit, PartyGroup


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class RetirementType(models.TextChoices):
    LIXIU = "lixiu", _("Lixiu (pre-1949 veteran)")
    TUIXIU = "tuixiu", _("Tuixiu (retired)")


class RelationKind(models.TextChoices):
    UNIT = "unit", _("Original unit's branch")
    BRANCH = "branch", _("A branch in this portal")
    OTHER = "other", _("Elsewhere")


class Health(models.TextChoices):
    GOOD = "good", _("Healthy")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")
    BEDRIDDEN = "bedridden", _("Bedridden")


class Living(models.TextChoices):
    WITH_FAMILY = "with_family", _("Lives with family")
    ALONE = "alone", _("Lives alone")
    EMPTY_NEST = "empty_nest", _("Empty-nest couple")
    CARE_HOME = "care_home", _("In a care home")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")


class MemberQuerySet(ScopedQuerySet):
    """Members in the user's area or branch; a unit liaison reads its unit's retirees."""

    scope_path_field = "community__path"
    scope_branch_field = "home_branch_id"
    scope_unit_field = "original_unit_id"
    scope_read = VIEW_MEMBERS
    scope_unit_read = VIEW_UNIT_MEMBERS

    def active(self):
        return self.filter(status=MemberStatus.ACTIVE)


class Member(models.Model):
    name = models.CharField(_("name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族", blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    community = models.ForeignKey(
        Organization,
        verbose_name=_("community of residence"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Level.COMMUNITY},
        related_name="residents",
    )
    original_unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("original unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retirees",
    )
    former_post = models.CharField(_("former post"), max_length=60, blank=True)
    rank = models.CharField(_("rank"), max_length=40, blank=True)
    retirement_type = models.CharField(
        _("retirement type"),
        max_length=8,
        choices=RetirementType.choices,
        default=RetirementType.TUIXIU,
    )
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    joined_party_on = models.DateField(_("joined the party on"), null=True, blank=True)
    full_member_on = models.DateField(_("full member since"), null=True, blank=True)
    relation_kind = models.CharField(
        _("party relation held by"),
        max_length=8,
        choices=RelationKind.choices,
        default=RelationKind.UNIT,
    )
    relation_branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch holding the relation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="held_relations",
    )
    relation_note = models.CharField(_("relation note"), max_length=120, blank=True)
    health = models.CharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.GOOD
    )
    mobility_impaired = models.BooleanField(_("limited mobility"), default=False)
    living = models.CharField(
        _("living situation"), max_length=12, choices=Living.choices, default=Living.WITH_FAMILY
    )
    skills = models.CharField(_("skills and interests"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    status_on = models.DateField(_("status date"), null=True, blank=True)
    # Set by the accepted community registration: where attendance counts, exactly once.
    home_branch = models.ForeignKey(
        Branch,
        verbose_name=_("home branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="home_members",
    )
    party_group = models.ForeignKey(
        PartyGroup,
        verbose_name=_("party group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["home_branch", "status"], name="member_home_branch_idx"),
            models.Index(fields=["community", "status"], name="member_community_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(relation_kind="branch", relation_branch__isnull=False)
                | ~Q(relation_kind="branch"),
                name="member_branch_relation_names_branch",
            ),
        ]

    def __str__(self):
        return self.name

    def age_on(self, day: datetime.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    def is_full_member_on(self, day: datetime.date) -> bool:
        return self.full_member_on is not None and self.full_member_on <= day


class RegistrationStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted by the community")
    NOTIFIED = "notified", _("Original unit notified")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RegistrationQuerySet(ScopedQuerySet):
    scope_path_field = "community__path"
    scope_branch_field = "branch_id"
    scope_unit_field = "member__original_unit_id"
    scope_read = VIEW_MEMBERS
    scope_unit_read = VIEW_UNIT_MEMBERS


class CommunityRegistration(models.Model):
    """社区报到: reported -> accepted by the community -> original unit notified."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="registrations"
    )
    community = models.ForeignKey(
        Organization,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Level.COMMUNITY},
        related_name="registrations",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.REPORTED,
    )
    reported_on = models.DateField(_("reported on"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    notified_on = models.DateField(_("original unit notified on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("home branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    party_group = models.ForeignKey(
        PartyGroup,
        verbose_name=_("party group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("community registration")
        verbose_name_plural = _("community registrations")
        ordering = ["-reported_on", "-pk"]
        constraints = [
            # One live registration per member: a new one needs the old one withdrawn.
            models.UniqueConstraint(
                fields=["member"],
                condition=~Q(status="withdrawn"),
                name="registration_one_live_per_member",
            ),
        ]

    def __str__(self):
        return f"{self.member} → {self.community}"


class BranchMembership(models.Model):
    """Taking part in a functional branch or volunteer team besides the home branch.
    It never moves where the member's attendance counts."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="memberships"
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="memberships"
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("branch membership")
        verbose_name_plural = _("branch memberships")
        constraints = [
            models.UniqueConstraint(fields=["member", "branch"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.member} · {self.branch}"


class Post(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy", _("Deputy secretary")
    ORGANISATION = "organisation", _("Organisation committee member")
    PUBLICITY = "publicity", _("Publicity committee member")
    DISCIPLINE = "discipline", _("Discipline inspection committee member")
    MEMBER = "member", _("Committee member")


class CommitteeTerm(models.Model):
    """A branch committee (or, for small branches, the secretary) of one term (届)."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="terms"
    )
    number = models.PositiveSmallIntegerField(_("term number"), default=1)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    has_committee = models.BooleanField(
        _("has a committee"),
        default=True,
        help_text=_("Branches with fewer than 7 full members may have only a secretary."),
    )

    class Meta:
        verbose_name = _("committee term")
        verbose_name_plural = _("committee terms")
        ordering = ["branch", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="term_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.branch} · {self.number}"


class Position(models.Model):
    """One post on a committee term, held by a member."""

    term = models.ForeignKey(
        CommitteeTerm, verbose_name=_("term"), on_delete=models.CASCADE, related_name="positions"
    )
    post = models.CharField(_("post"), max_length=14, choices=Post.choices)
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="positions",
    )

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self):
        return f"{self.get_post_display()} · {self.member or '—'}"
