"""Unit -> community events (原单位 -> 社区): what a unit's liaison tells the community
about one of the unit's retirees. Each event is a task for the receiving community with
a deadline: the community accepts it, does it (the member record changes through the
members services, audited) or declines it with a reason, and the liaison sees the outcome.

A newly retired cadre (动员报到) is usually not in the portal yet: the event carries
their details, and the registration the community writes from it starts prefilled.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import person_repr
from accounts.crypto import EncryptedCharField
from branches.access import VIEW_UNIT_WORK, ScopedQuerySet
from branches.models import Level, Organization, OriginalUnit
from members.models import Gender, Member, RetirementType
from members.validators import validate_phone

# The days a community has to handle an event, per kind, unless the liaison sets a date.
DEFAULT_DAYS = 14


class UnitEventKind(models.TextChoices):
    NEWLY_RETIRED = "newly_retired", _("Newly retired: please register")
    MOVED = "moved", _("Moved house")
    DIED = "died", _("Died")
    RELATION_TRANSFERRED = "relation_transferred", _("Party relation transferred")
    VISIT_REQUESTED = "visit_requested", _("Asks for a visit")


class TaskState(models.TextChoices):
    OPEN = "open", _("Waiting for the community")
    ACCEPTED = "accepted", _("Accepted, being handled")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


OPEN_STATES = (TaskState.OPEN, TaskState.ACCEPTED)


class UnitEventQuerySet(ScopedQuerySet):
    """The receiving community's area reads (and handles) an event; the reporting
    unit's liaisons read theirs."""

    scope_path_field = "community__path"
    scope_unit_field = "unit_id"
    scope_read = VIEW_UNIT_WORK

    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, today: datetime.date):
        return self.open().filter(due_on__lt=today)


class UnitEvent(models.Model):
    unit = models.ForeignKey(
        OriginalUnit,
        verbose_name=_("original unit"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    kind = models.CharField(_("what happened"), max_length=24, choices=UnitEventKind.choices)
    community = models.ForeignKey(
        Organization,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Level.COMMUNITY},
        related_name="unit_events",
        help_text=_("The community that is to act: where the retiree lives or now lives."),
    )
    # The retiree, when already in the portal (every kind but a newly retired cadre).
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unit_events",
    )
    # A newly retired cadre's details, copied into the registration the community writes.
    name = models.CharField(_("name"), max_length=40, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    address = EncryptedCharField(_("home address"), max_length=200, blank=True)
    retirement_type = models.CharField(
        _("retirement type"), max_length=8, choices=RetirementType.choices, blank=True
    )
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    former_post = models.CharField(_("former post"), max_length=60, blank=True)
    # When it happened (retired, moved, died, transferred) or the visit is wanted by.
    happened_on = models.DateField(_("date"), null=True, blank=True)
    details = models.TextField(_("details"), blank=True)
    due_on = models.DateField(_("to be handled by"))
    state = models.CharField(
        _("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the community did, or why it declined: the liaison reads it.
    outcome = models.TextField(_("outcome"), blank=True)
    # The member the community registered or changed in doing the task.
    result_member = models.ForeignKey(
        Member,
        verbose_name=_("member concerned"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Optimistic lock: two secretaries handling the same task get a conflict.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = UnitEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit event")
        verbose_name_plural = _("unit events")
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "state", "due_on"], name="unit_event_task_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.person_name}"

    @property
    def person_name(self) -> str:
        return self.member.name if self.member_id else self.name

    def audit_repr(self) -> str:
        return f"{self.get_kind_display()} · {person_repr(self.person_name, self.member_id)}"
