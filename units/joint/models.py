"""The four parties meet (四方联席会议): the district bureau, the street, the community, the
original unit and the branch. A `JointMeeting` records who was there (`JointParty`),
the matters raised and the decisions; each `ActionItem` is owned by exactly one party
(a node of the tree, a unit or a branch) with a deadline, and stays on that party's
workbench until its owner closes it (reminded when overdue).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import CLOSE_ACTION_ITEMS, VIEW_UNIT_WORK, ScopedQuerySet, scope_for
from branches.models import Branch, Organization, OriginalUnit


class Party(models.TextChoices):
    BUREAU = "bureau", _("District veteran-cadre bureau")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community")
    UNIT = "unit", _("Original unit")
    BRANCH = "branch", _("Branch")


class JointMeetingQuerySet(ScopedQuerySet):
    """Read by the area that held it (and those above), and by the parties that took
    part: the staff over a node that was a party (a community at the street's meeting),
    a unit's liaison whose unit was, a branch's secretary whose branch was (and the
    staff over that branch). Writes (RECORD_JOINT_MEETINGS) follow the area only."""

    scope_path_field = "area__path"
    scope_read = VIEW_UNIT_WORK

    def visible_to(self, user, capability: str | None = None):
        own = super().visible_to(user, capability)
        if capability not in (None, self.scope_read):
            return own
        took_part = parties_of(user)
        if took_part is None:
            return own
        party = JointParty.objects.filter(took_part, meeting=models.OuterRef("pk"))
        return self.filter(Q(pk__in=own.values("pk")) | Q(models.Exists(party)))


class JointMeeting(models.Model):
    # The street or community that convened it (its staff record it; levels above read).
    area = models.ForeignKey(
        Organization,
        verbose_name=_("convened by"),
        on_delete=models.PROTECT,
        related_name="joint_meetings",
    )
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    topic = models.CharField(_("topic"), max_length=200)
    matters = models.TextField(_("matters raised"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = JointMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.held_on} · {self.topic}"

    def audit_repr(self) -> str:
        return str(self)


# Which owner field each party fills (exactly one, the others empty).
OWNER_FIELD = {
    Party.BUREAU: "organization",
    Party.STREET: "organization",
    Party.COMMUNITY: "organization",
    Party.UNIT: "unit",
    Party.BRANCH: "branch",
}


def _one_owner(party: str, field: str) -> Q:
    others = {"organization", "unit", "branch"} - {field}
    return Q(party=party, **{f"{field}__isnull": False}, **{f"{o}__isnull": True for o in others})


ONE_OWNER = _one_owner(Party.UNIT, "unit") | _one_owner(Party.BRANCH, "branch")
for _party in (Party.BUREAU, Party.STREET, Party.COMMUNITY):
    ONE_OWNER |= _one_owner(_party, "organization")


class JointParty(models.Model):
    """One party at the meeting: which node, unit or branch, and who came for it."""

    meeting = models.ForeignKey(
        JointMeeting,
        verbose_name=_("joint meeting"),
        on_delete=models.CASCADE,
        related_name="parties",
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("original unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_parties",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_parties",
    )
    attendees = models.CharField(_("who came"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("party at a joint meeting")
        verbose_name_plural = _("parties at joint meetings")
        ordering = ["meeting", "pk"]
        constraints = [
            models.CheckConstraint(condition=ONE_OWNER, name="joint_party_one_node"),
        ]

    def __str__(self):
        return str(self.owner)

    def audit_repr(self) -> str:
        return f"{self.meeting_id} · {self.get_party_display()}"

    @property
    def owner(self):
        return self.organization or self.unit or self.branch


def parties_of(user) -> Q | None:
    """The JointParty rows that stand for `user` (None: none can)."""
    scope = scope_for(user)
    parts = []
    for path in scope.paths(VIEW_UNIT_WORK):
        parts.append(Q(organization__path__startswith=path))
        parts.append(Q(branch__organization__path__startswith=path))
    if ids := scope.unit_ids(VIEW_UNIT_WORK):
        parts.append(Q(unit_id__in=ids))
    if ids := scope.branch_ids(CLOSE_ACTION_ITEMS):
        parts.append(Q(branch_id__in=ids))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def owner_q(user, prefix: str = "") -> Q | None:
    """The owners `user` answers for (None: none). An item owned by a node belongs to
    the staff of that node itself, not to every level above it, so the bureau's items do
    not crowd a community's list: the users whose CLOSE_ACTION_ITEMS grant sits exactly
    on the owning node. A unit's items belong to its liaisons; a branch's to its
    secretary and to the staff of the node the branch sits on (its community secretary,
    or the street's staff for a street-level branch)."""
    scope = scope_for(user)
    granting = [g for g in scope.grants if CLOSE_ACTION_ITEMS in g.capabilities]
    paths = sorted({g.path for g in granting if g.path})
    parts = []
    if paths:
        parts.append(Q(**{f"{prefix}organization__path__in": paths}))
        parts.append(Q(**{f"{prefix}branch__organization__path__in": paths}))
    if ids := sorted({g.unit_id for g in granting if g.unit_id}):
        parts.append(Q(**{f"{prefix}unit_id__in": ids}))
    if ids := sorted({g.branch_id for g in granting if g.branch_id}):
        parts.append(Q(**{f"{prefix}branch_id__in": ids}))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


class ActionItemQuerySet(ScopedQuerySet):
    """Read by the meeting's area; the owners read theirs (selectors.owned_by)."""

    scope_path_field = "meeting__area__path"
    scope_read = VIEW_UNIT_WORK

    def open(self):
        return self.filter(closed_at__isnull=True)

    def owned_by(self, user):
        q = owner_q(user)
        return self.filter(q) if q is not None else self.none()

    def readable_by(self, user):
        """Items of the meetings `user` reads, and the items they own."""
        meetings = JointMeeting.objects.visible_to(user).values("pk")
        q = Q(meeting__in=meetings)
        if (owned := owner_q(user)) is not None:
            q |= owned
        return self.filter(q)

    def overdue(self, today: datetime.date):
        return self.open().filter(due_on__lt=today)


class ActionItem(models.Model):
    meeting = models.ForeignKey(
        JointMeeting,
        verbose_name=_("joint meeting"),
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    title = models.CharField(_("what is to be done"), max_length=200)
    party = models.CharField(_("owned by"), max_length=10, choices=Party.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("original unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    due_on = models.DateField(_("due on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closing_note = models.CharField(_("what was done"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=ONE_OWNER, name="action_item_one_owner"),
        ]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=Q(closed_at__isnull=True),
                name="action_item_open_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def audit_repr(self) -> str:
        return f"{self.meeting.held_on} · {self.title}"

    @property
    def owner(self):
        return self.organization or self.unit or self.branch
