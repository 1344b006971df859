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

from branches.access import VIEW_UNIT_WORK, ScopedQuerySet
from branches.models import Branch, Organization, OriginalUnit


class Party(models.TextChoices):
    BUREAU = "bureau", _("District veteran-cadre bureau")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community")
    UNIT = "unit", _("Original unit")
    BRANCH = "branch", _("Branch")


class JointMeetingQuerySet(ScopedQuerySet):
    """Read by the area that held it (and those above); a unit's liaison and a branch's
    secretary read the meetings their unit or branch took part in (selectors)."""

    scope_path_field = "area__path"
    scope_read = VIEW_UNIT_WORK


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
        return str(self.organization or self.unit or self.branch)


class ActionItemQuerySet(ScopedQuerySet):
    """Read by the meeting's area; the owners read theirs (selectors.owned_by)."""

    scope_path_field = "meeting__area__path"
    scope_read = VIEW_UNIT_WORK

    def open(self):
        return self.filter(closed_at__isnull=True)

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
