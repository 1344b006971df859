"""The organisation tree, original units, branches, party groups, venues and staff roles."""

import datetime
import time

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import connections, models
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedCharField

from .access import VIEW_STRUCTURE, Role, ScopedQuerySet, scope_for
from .numbering import ordinal_in
from .statements import kept_rows


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community")


# Which level may sit under which: city -> district -> street -> community.
CHILD_LEVEL = {
    Level.CITY: Level.DISTRICT,
    Level.DISTRICT: Level.STREET,
    Level.STREET: Level.COMMUNITY,
}


# Sent after every district's and street's figures version moved at once (a city-wide
# rule, an organisation edited, `rebuild_summaries`, a migrate): reports warms the
# dashboards again (branches imports no room above it).
figures_touched_everywhere = Signal()


class OrganizationQuerySet(ScopedQuerySet):
    scope_path_field = "path"

    def subtree(self, node: "Organization"):
        """The node and everything below it, in one indexed prefix query."""
        return self.filter(path__startswith=node.path)

    def touch_figures(self) -> int:
        """Bump the figures version of the districts and streets among these: dashboards
        cached for them are not read again (reports.cache). The new version is at least
        the current time in microseconds, so versions never repeat across a restored
        backup or a re-seeded database (a shared cache outlives both)."""
        now = time.time_ns() // 1000
        count = self.filter(level__in=[Level.DISTRICT, Level.STREET]).update(
            figures_version=Greatest(F("figures_version") + 1, Value(now))
        )
        if not self.query.has_filters():
            figures_touched_everywhere.send(sender=Organization, using=self.db)
        return count


class Organization(models.Model):
    """A node of the tree city -> district -> street -> community.

    `path` is a materialized path of the codes from the root ("3101/310101/..."),
    so a subtree is one `LIKE 'prefix%'` on an indexed column, never a walk.
    Codes are fixed once created, which keeps paths stable.
    """

    name = models.CharField(_("name"), max_length=80)
    code = models.CharField(_("code"), max_length=24, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Set when a 区划调整 merges the node into another (rollout.regions): kept, with its
    # code, for the history that still names it, never deleted.
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Bumped (on districts and streets) by every audited write that touches their data,
    # so a cached dashboard is keyed by the data it was computed from (reports.freshness).
    figures_version = models.PositiveBigIntegerField(db_default=0, editable=False)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="org_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = self.build_path(self.parent, self.code)
        super().save(*args, **kwargs)

    @staticmethod
    def build_path(parent: "Organization | None", code: str) -> str:
        return f"{parent.path if parent else ''}{code}/"

    @staticmethod
    def path_prefixes(path: str) -> list[str]:
        """The path of every node from the root down to this one (no queries)."""
        parts = path.rstrip("/").split("/")
        return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]

    @property
    def ancestor_paths(self) -> list[str]:
        return self.path_prefixes(self.path)[:-1]

    @property
    def child_level(self):
        return CHILD_LEVEL.get(self.level)

    def figures_key(self) -> str:
        """The version of the figures of this node and everything below it, which keys
        whatever is kept of them (the dashboards, the data completeness, the funds
        overview, the roster's lists): a district's or street's own, a community's its
        street's, the city's its districts' together. One query, read from the database
        (not from this instance, which may be older than a write): read it before the
        data it keys, so a kept entry is never older than its key."""
        return Organization.figures_key_at([self.path])

    @staticmethod
    def figures_key_at(paths) -> str:
        """`figures_key()` of the nodes at these paths together, in one query (a node
        missing counts as version 0)."""
        paths = sorted(set(paths))
        prefixes = sorted({prefix for path in paths for prefix in Organization.path_prefixes(path)})
        found = {path: (level, version) for path, level, version in _figures_rows(paths, prefixes)}
        keys = []
        for path in paths:
            level = found.get(path, (None, 0))[0]
            if level is None:
                keys.append("0")
            elif level == Level.CITY:
                districts = [
                    str(v)
                    for p, (lv, v) in found.items()
                    if lv == Level.DISTRICT and p.startswith(path)
                ]
                keys.append("-".join(districts))
            else:
                own = level in (Level.DISTRICT, Level.STREET)
                versioned = path if own else Organization.path_prefixes(path)[-2]
                keys.append(str(found.get(versioned, (None, 0))[1]))
        return "+".join(keys)


# figures_key_at's statement per shape (how many nodes and prefixes), built once per
# process (branches.statements): pages read it on every request.
_FIGURES_SQL: dict[tuple, str] = {}


def _figures_query(paths, prefixes):
    below = Q()  # a city's districts (a district matches itself; nothing else does)
    for path in paths:
        below |= Q(path__startswith=path, level=Level.DISTRICT)
    return (
        Organization.objects.filter(Q(path__in=prefixes) | below)
        .order_by("pk")
        .values_list("path", "level", "figures_version")
    )


def _figures_rows(paths, prefixes) -> list[tuple]:
    alias = Organization.objects.db
    like = [f"{connections[alias].ops.prep_for_like_query(path)}%" for path in paths]
    params = [*prefixes, *(value for pattern in like for value in (Level.DISTRICT, pattern))]
    return kept_rows(
        _FIGURES_SQL,
        (len(paths), len(prefixes)),
        alias,
        lambda: _figures_query(paths, prefixes),
        params,
    )


class OriginalUnitQuerySet(ScopedQuerySet):
    scope_path_field = "district__path"
    scope_unit_field = "pk"

    def choosable_by(self, user):
        """Units a user may pick, e.g. on a member form: those of the user's districts
        (a unit belongs to a district, while the user may sit below it)."""
        ancestors = {
            ancestor
            for path in scope_for(user).paths(VIEW_STRUCTURE)
            for ancestor in Organization.path_prefixes(path)
        }
        return self.filter(Q(district__path__in=ancestors) | Q(district__isnull=True))


class OriginalUnit(models.Model):
    """原单位: the retiree's former employer, which often still holds the party relation."""

    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=32, unique=True)
    district = models.ForeignKey(
        Organization,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        limit_choices_to={"level": Level.DISTRICT},
        related_name="original_units",
    )
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    # Encrypted at rest like members' phones (accounts.crypto); nothing filters on it.
    contact_phone = EncryptedCharField(_("contact phone"), max_length=20, blank=True)

    objects = OriginalUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("original unit")
        verbose_name_plural = _("original units")
        ordering = ["name"]

    def __str__(self):
        return self.name


class VenueKind(models.TextChoices):
    SERVICE_CENTER = "service_center", _("Party-mass service centre")
    SERVICE_POINT = "service_point", _("Party-building service point")
    ACTIVITY_ROOM = "activity_room", _("Seniors' activity room")
    OTHER = "other", _("Other")


class VenueOwner(models.TextChoices):
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street / town")
    UNIT = "unit", _("Original unit")
    OTHER = "other", _("Other")


class VenueQuerySet(ScopedQuerySet):
    scope_path_field = "organization__path"


class Venue(models.Model):
    """阵地: where meetings and activities take place.

    `organization` places the venue in the tree (who sees it, who approves bookings by
    branches from elsewhere); `owner_kind` says whose it is: the community or street it
    sits in, or an original unit (a unit's old-cadre centre, `owner_unit`)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="venues",
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=VenueKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    accessible = models.BooleanField(_("step-free access"), default=False)
    has_lift = models.BooleanField(_("lift"), default=False)
    accessible_toilet = models.BooleanField(_("accessible toilet"), default=False)
    equipment = models.CharField(
        _("equipment"),
        max_length=200,
        blank=True,
        help_text=_("For example: projector, sound system, tables for 30."),
    )
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=120,
        blank=True,
        help_text=_("For example: Monday to Friday 8:30–17:00."),
    )
    owner_kind = models.CharField(
        _("owned by"), max_length=12, choices=VenueOwner.choices, default=VenueOwner.COMMUNITY
    )
    owner_unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("owning unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="venues",
    )
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    # An office number (the venue's front desk or the community office), shown to
    # everyone who sees the venue like a branch's liaison phone; a mobile number is
    # masked for users without can_view_sensitive (resources.places.selectors).
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=20,
        blank=True,
        help_text=_("The office or front-desk number, not a personal mobile if avoidable."),
    )
    # Bumped by every save of the venue form: two people editing at once get a conflict.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = VenueQuerySet.as_manager()

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["organization__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_kind="unit", owner_unit__isnull=False)
                | (~Q(owner_kind="unit") & Q(owner_unit__isnull=True)),
                name="venue_owner_unit_iff_unit_owned",
            ),
        ]

    def __str__(self):
        return self.name


class BranchKind(models.TextChoices):
    COMMUNITY = "community", _("Community retiree branch")
    FUNCTIONAL = "functional", _("Functional branch")
    JOINT = "joint", _("Joint branch")


class BranchQuerySet(ScopedQuerySet):
    scope_path_field = "organization__path"
    scope_branch_field = "pk"
    scope_branch_path_field = "organization__path"

    def active(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=on))


class Branch(models.Model):
    """党支部. A community branch belongs to a community; a functional or joint branch may
    sit at street level and draw members from several communities."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="branches",
    )
    name = models.CharField(_("name"), max_length=100)
    # The branch's own code (党组织代码 or the number the district gives it): the key a
    # re-import matches by. Blank for branches created on the pages.
    code = models.CharField(_("branch code"), max_length=32, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=BranchKind.choices, default=BranchKind.COMMUNITY
    )
    is_pilot = models.BooleanField(_("pilot branch"), default=False)
    work_brand = models.CharField(_("work brand"), max_length=80, blank=True)
    liaison_name = models.CharField(_("liaison"), max_length=40, blank=True)
    liaison_phone = models.CharField(_("liaison phone"), max_length=20, blank=True)
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("usual venue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="branches",
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["organization__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(established_on__isnull=True)
                | Q(dissolved_on__gte=models.F("established_on")),
                name="branch_dissolved_after_established",
            ),
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="branch_code_unique"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved_on is not None and self.dissolved_on <= timezone.localdate()


class PartyGroupQuerySet(ScopedQuerySet):
    scope_path_field = "branch__organization__path"
    scope_branch_field = "branch_id"


class PartyGroup(models.Model):
    """党小组: members of a branch who live close together."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="groups"
    )
    # Groups are listed by number: names sort 第一, 第三, 第二 by code point.
    number = models.PositiveIntegerField(_("group number"), validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=60)
    area = models.CharField(_("area covered"), max_length=120, blank=True)

    objects = PartyGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("party group")
        verbose_name_plural = _("party groups")
        ordering = ["branch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "name"], name="party_group_unique_name"),
            models.UniqueConstraint(fields=["branch", "number"], name="party_group_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="party_group_number_positive"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.number is None:
            self.number = self.free_number(self.branch_id, self.name)
        super().save(*args, **kwargs)

    @classmethod
    def free_number(cls, branch_id: int, name: str = "") -> int:
        """The ordinal the name spells (第二党小组: 2) when the branch has it free, else one
        past the branch's highest number."""
        taken = set(cls.objects.filter(branch_id=branch_id).values_list("number", flat=True))
        wanted = ordinal_in(name)
        if wanted and wanted not in taken:
            return wanted
        return max(taken, default=0) + 1


# The node each role covers: an organisation subtree, one branch or one original unit.
BRANCH_ROLES = {Role.BRANCH_SECRETARY}
UNIT_ROLES = {Role.UNIT_LIAISON}


class StaffRole(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_roles",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff_roles",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff_roles",
    )
    original_unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("original unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff_roles",
    )

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            # Exactly one covered node, of the kind the role needs.
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=[r.value for r in BRANCH_ROLES],
                        branch__isnull=False,
                        organization__isnull=True,
                        original_unit__isnull=True,
                    )
                    | Q(
                        role__in=[r.value for r in UNIT_ROLES],
                        original_unit__isnull=False,
                        organization__isnull=True,
                        branch__isnull=True,
                    )
                    | (
                        # A fixed order: a set iterates in hash order, which made
                        # `makemigrations --check` fail on some runs. (Matches 0002.)
                        ~Q(
                            role__in=sorted(
                                (r.value for r in BRANCH_ROLES | UNIT_ROLES), reverse=True
                            )
                        )
                        & Q(
                            organization__isnull=False,
                            branch__isnull=True,
                            original_unit__isnull=True,
                        )
                    )
                ),
                name="staff_role_covers_one_node",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    @property
    def node(self):
        return self.organization or self.branch or self.original_unit
