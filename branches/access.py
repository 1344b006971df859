"""Who may see and change what.

A user holds StaffRoles; each role covers one node (an organisation subtree, one branch
or one original unit) and grants the capabilities in CAPABILITIES. Every list starts
from `Model.objects.visible_to(user, capability)`, every detail goes through
`get_for_user`, and anything outside the scope answers 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .statements import kept_rows


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    DISTRICT_STAFF = "district_staff", _("District bureau staff")
    STREET_STAFF = "street_staff", _("Street staff")
    COMMUNITY_SECRETARY = "community_secretary", _("Community party secretary")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    UNIT_LIAISON = "unit_liaison", _("Original-unit liaison")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDITOR = "auditor", _("Auditor")


# Named capabilities: the same names are used by views (`visible_to(user, CAP)`) and
# templates (`{% if "can_manage_branches" in caps %}`).
VIEW_STRUCTURE = "can_view_structure"
MANAGE_BRANCHES = "can_manage_branches"
MANAGE_GROUPS = "can_manage_groups"
VIEW_MEMBERS = "can_view_members"
VIEW_UNIT_MEMBERS = "can_view_unit_members"
VIEW_SENSITIVE = "can_view_sensitive"
IMPORT_MEMBERS = "can_import_members"
EDIT_MEMBERS = "can_edit_members"  # create/edit members, their roles and branch committees
MANAGE_REGISTRATIONS = "can_manage_registrations"  # accept/notify/withdraw 社区报到
RECORD_MEETING = "can_record_meeting"
RECORD_CARE = "can_record_care"
VIEW_DASHBOARD = "can_view_dashboard"
EDIT_RULES = "can_edit_rules"
APPROVE_EXCUSALS = "can_approve_excusals"  # excuse a branch from the meeting cadence
MANAGE_USERS = "can_manage_users"
MANAGE_ROLES = "can_manage_roles"
READ_AUDIT = "can_read_audit"
# Read the reminders of an area, e.g. those that failed to reach its secretaries.
REVIEW_REMINDERS = "can_review_reminders"
# Write notices (通知) and study materials to the branches of one's subtree, follow their
# receipts, remind and forward (转发) them.
SEND_NOTICES = "can_send_notices"
# Open, confirm (回执) and answer (反馈) the notices addressed to one's branches.
ANSWER_NOTICES = "can_answer_notices"
# Confirm or refuse bookings of the venues of one's area made by branches from elsewhere
# (resources.places). Not MANAGE_BRANCHES: the system administrator keeps the venue
# register but has no part in who meets where.
APPROVE_BOOKINGS = "can_approve_bookings"
# Funds (经费, resources.funds): read a branch's money; grant allocations (the district
# for its branches; a unit liaison the unit's share, 原单位, for the branches its
# retirees belong to); record spending (the branch's and community's secretaries);
# approve spending above the district's threshold (the community or the street, as
# the district's rule says); close a year (the street).
VIEW_FUNDS = "can_view_funds"
GRANT_FUNDS = "can_grant_funds"
GRANT_UNIT_FUNDS = "can_grant_unit_funds"
RECORD_SPENDING = "can_record_spending"
APPROVE_SPENDING = "can_approve_spending"
CLOSE_FUND_YEAR = "can_close_fund_year"
# The annual return (年报): submit one's own node's return; check, return or accept the
# returns of the nodes just below one's own (reports.annual).
SUBMIT_RETURNS = "can_submit_returns"
REVIEW_RETURNS = "can_review_returns"
# Original units in the loop (units/): a liaison reports events about the unit's retirees
# (newly retired, moved, died, relation transferred, a visit asked for) and answers the
# feedback reports; the community handles those events as tasks and writes, reviews and
# sends the feedback reports; the district runs the half-year batch of feedback reports;
# the bureau, streets and communities record joint meetings (四方联席会议); the owner of an
# action item closes it; the district and the unit's liaison keep the unit's contact
# channels; the levels above read the units' work (tasks, reports, meetings).
REPORT_UNIT_EVENTS = "can_report_unit_events"
HANDLE_UNIT_EVENTS = "can_handle_unit_events"
SEND_FEEDBACK = "can_send_feedback"
RUN_FEEDBACK_BATCH = "can_run_feedback_batch"
ANSWER_FEEDBACK = "can_answer_feedback"
RECORD_JOINT_MEETINGS = "can_record_joint_meetings"
CLOSE_ACTION_ITEMS = "can_close_action_items"
MANAGE_UNIT_CONTACTS = "can_manage_unit_contacts"
VIEW_UNIT_WORK = "can_view_unit_work"
# Batch printing (批量打印, reports.prints): the sheets, reports, ledgers and rosters of
# every branch of one's area as one background job; its result downloaded by whoever
# holds this capability over the job's node.
PRINT_BATCHES = "can_print_batches"
# Roll-out (rollout.structure): import the organisation tree, branches and original units
# of one's subtree from spreadsheets, as background jobs.
IMPORT_STRUCTURE = "can_import_structure"
# 数据完整率 (rollout.completeness): what is missing in one's area's or branch's data, and
# the list to fix (masked values only).
VIEW_COMPLETENESS = "can_view_completeness"
# 区划调整 (rollout.regions): move, merge, split and rename communities and branches;
# the old and the new place must both lie inside the holder's area.
REORGANIZE_TREE = "can_reorganize_tree"

# The one table of who may do what. The three admin roles are separated (三权分立):
# none of them holds another's capability, and none reads members' personal data.
CAPABILITIES: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(
        {
            IMPORT_STRUCTURE,
            VIEW_COMPLETENESS,
            REORGANIZE_TREE,
            VIEW_UNIT_WORK,
            VIEW_STRUCTURE,
            VIEW_MEMBERS,
            VIEW_DASHBOARD,
            EDIT_RULES,
            SEND_NOTICES,
            VIEW_FUNDS,
            REVIEW_RETURNS,
        }
    ),
    Role.DISTRICT_STAFF: frozenset(
        {
            IMPORT_STRUCTURE,
            VIEW_COMPLETENESS,
            REORGANIZE_TREE,
            PRINT_BATCHES,
            VIEW_UNIT_WORK,
            RUN_FEEDBACK_BATCH,
            RECORD_JOINT_MEETINGS,
            CLOSE_ACTION_ITEMS,
            MANAGE_UNIT_CONTACTS,
            SUBMIT_RETURNS,
            REVIEW_RETURNS,
            APPROVE_BOOKINGS,
            VIEW_STRUCTURE,
            MANAGE_BRANCHES,
            MANAGE_GROUPS,
            VIEW_MEMBERS,
            VIEW_DASHBOARD,
            EDIT_RULES,
            APPROVE_EXCUSALS,
            REVIEW_REMINDERS,
            SEND_NOTICES,
            VIEW_FUNDS,
            GRANT_FUNDS,
        }
    ),
    Role.STREET_STAFF: frozenset(
        {
            VIEW_COMPLETENESS,
            PRINT_BATCHES,
            VIEW_UNIT_WORK,
            RECORD_JOINT_MEETINGS,
            CLOSE_ACTION_ITEMS,
            SUBMIT_RETURNS,
            REVIEW_RETURNS,
            APPROVE_BOOKINGS,
            VIEW_STRUCTURE,
            MANAGE_BRANCHES,
            MANAGE_GROUPS,
            VIEW_MEMBERS,
            VIEW_DASHBOARD,
            APPROVE_EXCUSALS,
            SEND_NOTICES,
            VIEW_FUNDS,
            APPROVE_SPENDING,
            CLOSE_FUND_YEAR,
        }
    ),
    Role.COMMUNITY_SECRETARY: frozenset(
        {
            VIEW_COMPLETENESS,
            PRINT_BATCHES,
            VIEW_UNIT_WORK,
            HANDLE_UNIT_EVENTS,
            SEND_FEEDBACK,
            RECORD_JOINT_MEETINGS,
            CLOSE_ACTION_ITEMS,
            SUBMIT_RETURNS,
            APPROVE_BOOKINGS,
            VIEW_STRUCTURE,
            MANAGE_BRANCHES,
            MANAGE_GROUPS,
            VIEW_MEMBERS,
            VIEW_SENSITIVE,
            IMPORT_MEMBERS,
            EDIT_MEMBERS,
            MANAGE_REGISTRATIONS,
            RECORD_MEETING,
            RECORD_CARE,
            VIEW_DASHBOARD,
            SEND_NOTICES,
            ANSWER_NOTICES,
            VIEW_FUNDS,
            RECORD_SPENDING,
            APPROVE_SPENDING,
        }
    ),
    Role.BRANCH_SECRETARY: frozenset(
        {
            VIEW_COMPLETENESS,
            CLOSE_ACTION_ITEMS,
            VIEW_STRUCTURE,
            MANAGE_GROUPS,
            VIEW_MEMBERS,
            VIEW_SENSITIVE,
            EDIT_MEMBERS,
            RECORD_MEETING,
            RECORD_CARE,
            ANSWER_NOTICES,
            VIEW_FUNDS,
            RECORD_SPENDING,
        }
    ),
    Role.UNIT_LIAISON: frozenset(
        {
            VIEW_UNIT_MEMBERS,
            GRANT_UNIT_FUNDS,
            REPORT_UNIT_EVENTS,
            ANSWER_FEEDBACK,
            CLOSE_ACTION_ITEMS,
            MANAGE_UNIT_CONTACTS,
            VIEW_UNIT_WORK,
        }
    ),
    Role.SYSTEM_ADMIN: frozenset({VIEW_STRUCTURE, MANAGE_BRANCHES, MANAGE_GROUPS, MANAGE_USERS}),
    Role.SECURITY_ADMIN: frozenset({MANAGE_ROLES}),
    Role.AUDITOR: frozenset({READ_AUDIT}),
}


# Capabilities a role holds only over the branches that sit directly on its node, not
# over the subtree below it. A street-level functional branch (its members come from
# several communities) has no community, so no community secretary, above it: besides
# its own branch secretary, the street's staff record its meetings. A community's
# branches stay with their community and branch secretaries.
DIRECT_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.STREET_STAFF: frozenset({RECORD_MEETING, ANSWER_NOTICES}),
}


@dataclass(frozen=True)
class Grant:
    """One role on one node, reduced to what scope queries need."""

    role: str
    path: str | None = None  # organisation subtree
    branch_id: int | None = None
    unit_id: int | None = None

    @property
    def capabilities(self) -> frozenset[str]:
        return CAPABILITIES.get(self.role, frozenset())

    @property
    def direct_capabilities(self) -> frozenset[str]:
        """Held over the branches on the node itself only (DIRECT_CAPABILITIES)."""
        return DIRECT_CAPABILITIES.get(self.role, frozenset()) if self.path else frozenset()


class Scope:
    """A user's grants, loaded once per request (one query) and cached on the user."""

    def __init__(self, grants: list[Grant]):
        self.grants = grants
        self.capabilities = frozenset().union(
            *(g.capabilities | g.direct_capabilities for g in grants)
        )
        self.roles = frozenset(g.role for g in grants)

    @classmethod
    def for_user(cls, user) -> Scope:
        cached = getattr(user, "_portal_scope", None)
        if cached is not None:
            return cached
        grants: list[Grant] = []
        if user.is_authenticated and user.is_active:
            grants = [Grant(*row) for row in _grant_rows(user)]
        scope = cls(grants)
        user._portal_scope = scope
        return scope

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def digest(self) -> str:
        """A digest of the grants (role and node of each): equal for two users only if
        they see the same things, so a page kept for one may be served to the other."""
        grants = sorted(
            (g.role, g.path or "", g.branch_id or 0, g.unit_id or 0) for g in self.grants
        )
        return hashlib.sha256(repr(grants).encode()).hexdigest()[:32]

    def _granting(self, capability: str) -> list[Grant]:
        return [g for g in self.grants if capability in g.capabilities]

    def paths(self, capability: str) -> list[str]:
        """Organisation subtrees granting `capability`, with nested ones dropped."""
        paths = sorted({g.path for g in self._granting(capability) if g.path})
        kept: list[str] = []
        for path in paths:
            if not any(path.startswith(k) for k in kept):
                kept.append(path)
        return kept

    def direct_paths(self, capability: str) -> list[str]:
        """Nodes whose own branches (not the subtree's) are granted `capability`."""
        return sorted(
            {g.path for g in self.grants if capability in g.direct_capabilities}
            - set(self.paths(capability))
        )

    def branch_ids(self, capability: str) -> list[int]:
        return sorted({g.branch_id for g in self._granting(capability) if g.branch_id})

    def unit_ids(self, capability: str) -> list[int]:
        return sorted({g.unit_id for g in self._granting(capability) if g.unit_id})

    def covers_path(self, path: str, capability: str) -> bool:
        return any(path.startswith(p) for p in self.paths(capability))

    def covers_branch(self, branch, capability: str) -> bool:
        """Whether `branch` (with its organisation loaded) is inside the scope."""
        path = branch.organization.path
        return (
            branch.pk in self.branch_ids(capability)
            or self.covers_path(path, capability)
            or path in self.direct_paths(capability)
        )

    def q(
        self,
        capability: str,
        *,
        path_field: str | None = None,
        branch_field: str | None = None,
        unit_field: str | None = None,
        branch_path_field: str | None = None,
    ) -> Q | None:
        """A filter for rows inside the scope, or None when nothing is. `branch_path_field`
        names the path of the organisation the row's branch sits on (direct grants)."""
        parts: list[Q] = []
        if path_field:
            parts += [Q(**{f"{path_field}__startswith": p}) for p in self.paths(capability)]
        if branch_path_field and (direct := self.direct_paths(capability)):
            parts.append(Q(**{f"{branch_path_field}__in": direct}))
        if branch_field and (ids := self.branch_ids(capability)):
            parts.append(Q(**{f"{branch_field}__in": ids}))
        if unit_field and (ids := self.unit_ids(capability)):
            parts.append(Q(**{f"{unit_field}__in": ids}))
        return reduce(or_, parts) if parts else None


_GRANTS_SQL: dict[tuple, str] = {}  # per database alias
GRANT_FIELDS = ("role", "organization__path", "branch_id", "original_unit_id")


def _grant_rows(user) -> list[tuple]:
    """`user.staff_roles.values_list(*GRANT_FIELDS)`, its SQL built once per process
    (branches.statements): every request reads it."""
    return kept_rows(
        _GRANTS_SQL,
        "grants",
        user.staff_roles.db,
        lambda: user.staff_roles.values_list(*GRANT_FIELDS),
        [user.pk],
    )


def scope_for(user) -> Scope:
    return Scope.for_user(user)


class ScopedQuerySet(models.QuerySet):
    """Querysets that know how to restrict themselves to a user's scope.

    Subclasses name the fields that place a row in the tree (an organisation path, a
    branch id and/or an original-unit id) and the capability that reads them. Rows of
    one branch also name the path of the organisation their branch sits on
    (`scope_branch_path_field`), which direct grants (DIRECT_CAPABILITIES) match.
    `scope_unit_read` lets unit grants (a unit liaison) read rows of their unit too.
    """

    scope_path_field: str | None = None
    scope_branch_field: str | None = None
    scope_unit_field: str | None = None
    scope_branch_path_field: str | None = None
    scope_read: str = VIEW_STRUCTURE
    scope_unit_read: str | None = None

    def visible_to(self, user, capability: str | None = None):
        capability = capability or self.scope_read
        scope = scope_for(user)
        parts = [
            scope.q(
                capability,
                path_field=self.scope_path_field,
                branch_field=self.scope_branch_field,
                unit_field=self.scope_unit_field,
                branch_path_field=self.scope_branch_path_field,
            )
        ]
        if self.scope_unit_read and capability == self.scope_read:
            parts.append(scope.q(self.scope_unit_read, unit_field=self.scope_unit_field))
        parts = [part for part in parts if part is not None]
        return self.filter(reduce(or_, parts)) if parts else self.none()


def get_for_user(request, queryset, pk, *, read: str = VIEW_STRUCTURE, write: str | None = None):
    """Fetch one object through the scope.

    Outside the read scope -> 404 (the object's existence is not revealed). Inside it
    but without the write capability -> 403. With `write`, the happy path is one query.
    """
    user = request.user
    if write:
        obj = _one(queryset.visible_to(user, write).filter(pk=pk))
        if obj is not None:
            return obj
        if queryset.visible_to(user, read).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    obj = _one(queryset.visible_to(user, read).filter(pk=pk))
    if obj is None:
        raise Http404
    return obj


def _one(queryset):
    """The row of a queryset narrowed to one pk, or None: unordered, unlike first(),
    whose ORDER BY was a third of building the query of every detail page."""
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None


def require_capability(request, capability: str) -> Scope:
    """For pages that list within the scope: a user with no such grant anywhere gets 404."""
    scope = scope_for(request.user)
    if not scope.has(capability):
        raise Http404
    return scope
