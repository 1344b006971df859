"""The units' questions to the reminders sweep (activities.messaging, which sits below
units and never imports it): registered once at start-up by UnitsConfig.ready().

- ACTION_ITEM_OVERDUE: an open action item of a joint meeting past its deadline, weekly
  to its owners (units.joint.models.owner_q, row by row: the liaisons of the owning unit,
  the secretary of the owning branch and the staff of the node it sits on, the staff
  whose grant sits exactly on the owning node).
- UNIT_TASK_OVERDUE: a task a unit sent to a community (UnitEvent, open or accepted)
  past its deadline, weekly to the community's secretaries.

Both are resolved by the next full sweep once the item is closed or the task done
(the question no longer finds them). Two queries and one.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from activities.messaging.due import Context, Due, page_link, register, week_key
from activities.messaging.models import ReminderKind
from branches.access import CAPABILITIES, CLOSE_ACTION_ITEMS
from branches.models import StaffRole

from .events.models import UnitEvent
from .joint.models import ActionItem

OWNER_ROLES = sorted(role for role, caps in CAPABILITIES.items() if CLOSE_ACTION_ITEMS in caps)


class Owners:
    """The users who close action items, by the node, unit or branch they hold (one query)."""

    def __init__(self):
        self.by_path: dict[str, set[int]] = defaultdict(set)
        self.by_unit: dict[int, set[int]] = defaultdict(set)
        self.by_branch: dict[int, set[int]] = defaultdict(set)
        rows = StaffRole.objects.filter(role__in=OWNER_ROLES, user__is_active=True).values_list(
            "user_id", "organization__path", "original_unit_id", "branch_id"
        )
        for user_id, path, unit_id, branch_id in rows:
            if path:
                self.by_path[path].add(user_id)
            if unit_id:
                self.by_unit[unit_id].add(user_id)
            if branch_id:
                self.by_branch[branch_id].add(user_id)

    def of(self, item: ActionItem) -> frozenset[int]:
        if item.organization_id:
            return frozenset(self.by_path.get(item.organization.path, ()))
        if item.unit_id:
            return frozenset(self.by_unit.get(item.unit_id, ()))
        return frozenset(
            self.by_branch.get(item.branch_id, set())
            | self.by_path.get(item.branch.organization.path, set())
        )


def due_action_items(ctx: Context) -> list[Due]:
    """Open action items past their deadline. Two queries; none for a branch's sweep
    (an item is not a branch's meeting or visit)."""
    if ctx.branch_ids:
        return []
    items = list(
        ActionItem.objects.overdue(ctx.today).select_related(
            "meeting__area", "organization", "unit", "branch__organization"
        )
    )
    if not items:
        return []
    owners = Owners()
    return [
        Due(
            ReminderKind.ACTION_ITEM_OVERDUE,
            f"action:{item.pk}",
            week_key(ctx.today),
            item.meeting.area.path,
            _("%(title)s: due on %(day)s, still open (joint meeting of %(held)s)")
            % {
                "title": item.title,
                "day": item.due_on.isoformat(),
                "held": item.meeting.held_on.isoformat(),
            },
            _("Close it with a note on what was done once it is done."),
            page_link("joint:meeting", pk=item.meeting_id),
            item.due_on,
            owners.of(item),
        )
        for item in items
    ]


def due_unit_tasks(ctx: Context) -> list[Due]:
    """Tasks from original units still open past their deadline, to the community's
    secretaries. One query; none for a branch's sweep."""
    if ctx.branch_ids:
        return []
    events = UnitEvent.objects.overdue(ctx.today).select_related("community", "unit")
    return [
        Due(
            ReminderKind.UNIT_TASK_OVERDUE,
            f"unit_event:{event.pk}",
            week_key(ctx.today),
            event.community.path,
            _("%(unit)s: %(kind)s, to be handled by %(day)s, still open")
            % {
                "unit": event.unit.name,
                "kind": event.get_kind_display(),
                "day": event.due_on.isoformat(),
            },
            _("Accept the task and handle it, or decline it with a reason."),
            "",
            event.due_on,
            frozenset(ctx.secretaries.for_path(event.community.path)),
        )
        for event in events
    ]


def register_questions() -> None:
    register(ReminderKind.ACTION_ITEM_OVERDUE, due_action_items)
    register(ReminderKind.UNIT_TASK_OVERDUE, due_unit_tasks)
