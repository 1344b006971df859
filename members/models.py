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
from django.utils.translation import pgettext_lazy

from accounts.audit import person_repr
from accounts.crypto import EncryptedCharField, KeyedHashField, KeyedHashModel
from branches.access import VIEW_MEMBERS, VIEW_UNIT_MEMBERS, ScopedQuerySet
from branches.models import Branch, Level, Organization, OriginalUnit, PartyGroup

from .collation import PINYIN_COLLATION
from .import_runs import ImportRun, ImportState, import_lease_seconds  # noqa: F401
from .validators import normalize_id_number, validate_id_number, validate_phone


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
    ACTIVE = "active", pgettext_lazy("member status", "Active")
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")


def id_number_hash(number: str) -> str:
    """The lookup hash of an ID number as typed (spaces, full-width digits, a small x)."""
    return Member._meta.get_field("id_number_hash").hash_of(number)


def health_hash(value: str) -> str:
    return Member._meta.get_field("health_hash").hash_of(value)


def health_in(*values: str, prefix: str = "") -> Q:
    """Members whose health is one of `values` (Health values), e.g. `health_in(
    Health.BEDRIDDEN)` or, from a related model, `health_in(..., prefix="member__")`.
    Health is stored encrypted, so the filter goes through its keyed hash."""
    hashes = sorted({health_hash(value) for value in values})
    if len(hashes) == 1:
        return Q(**{f"{prefix}health_hash": hashes[0]})
    return Q(**{f"{prefix}health_hash__in": hashes})


class MemberQuerySet(ScopedQuerySet):
    """Members in the user's area or branch; a unit liaison reads its unit's retirees."""

    scope_path_field = "community__path"
    scope_branch_field = "home_branch_id"
    scope_unit_field = "original_unit_id"
    scope_read = VIEW_MEMBERS
    scope_unit_read = VIEW_UNIT_MEMBERS

    def active(self):
        return self.filter(status=MemberStatus.ACTIVE)

    def by_id_number(self, number: str):
        """The member with this ID number (as typed): the number is stored encrypted, so
        the lookup goes through its keyed hash."""
        return self.filter(id_number_hash=id_number_hash(number))

    def by_id_numbers(self, numbers):
        return self.filter(id_number_hash__in=[id_number_hash(n) for n in numbers])

    def with_health(self, *values: str):
        """Members whose health is one of `values` (through its keyed hash)."""
        return self.filter(health_in(*values))

    def with_registration(self):
        """Annotate `registration_status` and `registration_id`: the member's live
        (not withdrawn) community registration, or None. One subquery each, no extra
        round trip."""
        live = CommunityRegistration.objects.filter(member=models.OuterRef("pk")).exclude(
            status=RegistrationStatus.WITHDRAWN
        )
        return self.annotate(
            registration_status=models.Subquery(live.values("status")[:1]),
            registration_id=models.Subquery(live.values("pk")[:1]),
        )


class Member(KeyedHashModel):
    # Lists sort by pinyin (阿 陈 李 欧阳 王 张 赵); see members.collation.
    name = models.CharField(
        pgettext_lazy("person", "name"), max_length=40, db_collation=PINYIN_COLLATION
    )
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族", blank=True)
    # Encrypted at rest (accounts.crypto); unique and found through its keyed hash.
    id_number = EncryptedCharField(_("ID number"), max_length=18, validators=[validate_id_number])
    id_number_hash = KeyedHashField(source="id_number", normalizer=normalize_id_number, unique=True)
    # Encrypted at rest too (nothing filters on them; shown masked but to a few).
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    address = EncryptedCharField(pgettext_lazy("home", "address"), max_length=200, blank=True)
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
    # Sensitive (PIPL art. 28): encrypted at rest; the roster and care filters select on
    # its keyed hash (with_health / health_in).
    health = EncryptedCharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.GOOD
    )
    health_hash = KeyedHashField(source="health")
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
    # Derived for the dashboards: the latest held meeting attended (present or remote) or
    # make-up. The meeting services rewrite it (activities.meetings.summaries); never edited here.
    last_participated_on = models.DateField(null=True, blank=True, editable=False)

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
            # Moved away or deceased: with the date it happened.
            models.CheckConstraint(
                condition=Q(status="active") | Q(status_on__isnull=False),
                name="member_status_change_has_date",
            ),
        ]

    def __str__(self):
        return self.name

    def audit_repr(self) -> str:
        """How the audit trail names the member: masked name and pk, never the name
        (entries outlive an erasure)."""
        return person_repr(self.name, self.pk)

    def age_on(self, day: datetime.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


class RegistrationStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted by the community")
    NOTIFIED = "notified", _("Original unit notified")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Registered with a community: accepted, and maybe the unit already notified.
REGISTERED = (RegistrationStatus.ACCEPTED, RegistrationStatus.NOTIFIED)


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

    def audit_repr(self) -> str:
        return f"{person_repr(self.member.name, self.member_id)} → {self.community}"


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
    left_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("branch membership")
        verbose_name_plural = _("branch memberships")
        constraints = [
            models.UniqueConstraint(fields=["member", "branch"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.member} · {self.branch}"

    def audit_repr(self) -> str:
        return f"{person_repr(self.member.name, self.member_id)} · {self.branch}"


class Post(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy", _("Deputy secretary")
    ORGANISATION = "organisation", _("Organisation committee member")
    PUBLICITY = "publicity", _("Publicity committee member")
    DISCIPLINE = "discipline", _("Discipline inspection committee member")
    MEMBER = "member", _("Committee member")


class CommitteeTermQuerySet(ScopedQuerySet):
    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"

    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ends_on__gte=on)


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

    objects = CommitteeTermQuerySet.as_manager()

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


class SecondmentRole(models.TextChoices):
    LIAISON = "liaison", _("Liaison")
    COMMITTEE = "committee", _("Branch committee member")


class SecondedMemberQuerySet(ScopedQuerySet):
    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"
    scope_unit_field = "unit_id"
    scope_read = VIEW_MEMBERS
    scope_unit_read = VIEW_UNIT_MEMBERS

    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))


class SecondedMember(models.Model):
    """选派在职党员: an in-service party member an original unit sends to a retiree branch
    as its liaison or as a committee member, for a span of time. Not a retiree member of
    the branch (no attendance, no care), yet may hold a post on its committee."""

    name = models.CharField(_("name"), max_length=40)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("sent by (original unit)"),
        on_delete=models.PROTECT,
        related_name="seconded_members",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="seconded_members",
    )
    role = models.CharField(_("sent as"), max_length=10, choices=SecondmentRole.choices)
    job_title = models.CharField(_("post at the unit"), max_length=60, blank=True)
    starts_on = models.DateField(_("secondment starts on"))
    ends_on = models.DateField(_("secondment ends on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Bumped by every edit: a form saved from a stale page is refused, not applied.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SecondedMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("seconded member")
        verbose_name_plural = _("seconded members")
        ordering = ["branch", "-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="secondment_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    def audit_repr(self) -> str:
        return f"{person_repr(self.name, self.pk)} · {self.unit}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)


class Position(models.Model):
    """One post on a committee term, held by a member or by an in-service member the
    unit seconded to the branch (never both)."""

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
    seconded = models.ForeignKey(
        SecondedMember,
        verbose_name=_("seconded member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="positions",
    )

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["term", "pk"]
        constraints = [
            # One secretary, one deputy... per term; plain committee members may be several.
            models.UniqueConstraint(
                fields=["term", "post"],
                condition=~Q(post="member"),
                name="position_one_holder_per_post",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=True) | Q(seconded__isnull=True),
                name="position_member_or_seconded",
            ),
        ]

    def __str__(self):
        return f"{self.get_post_display()} · {self.holder or '—'}"

    def audit_repr(self) -> str:
        if self.member_id:
            holder = person_repr(self.member.name, self.member_id)
        elif self.seconded_id:
            holder = person_repr(self.seconded.name, self.seconded_id)
        else:
            holder = "—"
        return f"{self.get_post_display()} · {holder}"

    @property
    def holder(self) -> Member | SecondedMember | None:
        """Who holds the post: a member, a seconded member, or nobody."""
        return self.member or self.seconded

    def vacant_on(self, day: datetime.date) -> bool:
        """Nobody holds it, its holder has died or moved away, or the secondment of its
        seconded holder is not running on `day` (it ended, or has not begun)."""
        if self.seconded_id:
            return not self.seconded.is_current(day)
        return self.member is None or self.member.status != MemberStatus.ACTIVE

    @property
    def is_vacant(self) -> bool:
        return self.vacant_on(timezone.localdate())


# The posts a committee term normally fills, in display order (a secretary-only term
# fills just the first).
COMMITTEE_POSTS = [
    Post.SECRETARY,
    Post.DEPUTY_SECRETARY,
    Post.ORGANISATION,
    Post.PUBLICITY,
    Post.DISCIPLINE,
]


class GroupLeader(models.Model):
    """党小组长: the member who leads a party group, from a date."""

    group = models.ForeignKey(
        PartyGroup, verbose_name=_("party group"), on_delete=models.CASCADE, related_name="leaders"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="group_leads"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("party group leader")
        verbose_name_plural = _("party group leaders")
        ordering = ["group", "-starts_on"]

    def __str__(self):
        return f"{self.group} · {self.member}"

    def audit_repr(self) -> str:
        return f"{self.group} · {person_repr(self.member.name, self.member_id)}"


class ServiceKind(models.TextChoices):
    ADVISOR = "advisor", _("Party-building advisor")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_MEMBER = "grid_member", _("Grid worker")
    RESIDENTS_COMMITTEE = "residents", _("Residents' committee")
    OWNERS_COMMITTEE = "owners", _("Homeowners' committee")
    CHARITY = "charity", _("Public-welfare organisation")
    VOLUNTEER = "volunteer", _("Volunteer team")
    PREACHER = "preacher", _("Policy lecturer")
    SUPERVISOR = "supervisor", _("Social conduct supervisor")


class ServiceRoleQuerySet(ScopedQuerySet):
    scope_path_field = "member__community__path"
    scope_branch_field = "member__home_branch_id"
    scope_read = VIEW_MEMBERS

    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on), starts_on__lte=on)


class ServiceRole(models.Model):
    """发挥作用: a part the member plays in the community, with its dates."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="service_roles"
    )
    kind = models.CharField(_("role"), max_length=12, choices=ServiceKind.choices)
    organization_name = models.CharField(
        _("where"),
        max_length=100,
        blank=True,
        help_text=_("The community, organisation or team served, e.g. 翠园社区居委会."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ServiceRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("service role")
        verbose_name_plural = _("service roles")
        ordering = ["member", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="service_role_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_kind_display()}"

    def audit_repr(self) -> str:
        return f"{person_repr(self.member.name, self.member_id)} · {self.get_kind_display()}"


class Recognition(models.Model):
    """先进典型: an honour that makes the member an exemplary figure."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="recognitions"
    )
    title = models.CharField(_("honour"), max_length=80)
    conferred_by = models.CharField(_("conferred by"), max_length=80, blank=True)
    conferred_on = models.DateField(_("conferred on"))
    note = models.CharField(_("story"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("exemplary figure honour")
        verbose_name_plural = _("exemplary figure honours")
        ordering = ["member", "-conferred_on"]

    def __str__(self):
        return f"{self.member} · {self.title}"

    def audit_repr(self) -> str:
        return f"{person_repr(self.member.name, self.member_id)} · {self.title}"
