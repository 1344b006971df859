"""What a 区划调整 would touch, counted before it is done (the preview), and the token
that says the tree is still as it was previewed (optimistic locking without a version
column: the token is a digest of the rows the operation reads and the counts it shows)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activities.care.models import CareVisit
from activities.meetings.models import Meeting
from branches.access import REORGANIZE_TREE, scope_for
from branches.models import Branch, Level, Organization, PartyGroup, StaffRole
from members.models import BranchMembership, CommunityRegistration, Member

# What a preview counts, in the order shown.
LABELS = {
    "branches": _("branches"),
    "members": _("members"),
    "registrations": _("community registrations"),
    "groups": _("party groups"),
    "meetings": _("meetings"),
    "care_visits": _("care visits"),
    "memberships": _("functional branch memberships"),
    "venues": _("venues"),
    "staff_roles": _("staff roles that stay where they are"),
}


@dataclass
class Preview:
    counts: dict[str, int]
    token: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[tuple[str, int]]:
        return [(LABELS[key], n) for key, n in self.counts.items()]


def _token(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


def _node_state(node: Organization) -> tuple:
    return (node.pk, node.parent_id, node.path, node.name, node.closed_on)


def _branch_state(branch: Branch) -> tuple:
    return (branch.pk, branch.organization_id, branch.name, branch.dissolved_on)


def subtree_counts(path: str) -> dict[str, int]:
    """Everything that hangs below a node and moves with it (one count per table)."""
    return {
        "branches": Branch.objects.filter(organization__path__startswith=path).count(),
        "members": Member.objects.filter(community__path__startswith=path).count(),
        "meetings": Meeting.objects.filter(branch__organization__path__startswith=path).count(),
        "care_visits": CareVisit.objects.filter(member__community__path__startswith=path).count(),
    }


def move_preview(community: Organization, street: Organization) -> Preview:
    counts = subtree_counts(community.path)
    token = _token("move", *_node_state(community), *_node_state(street), *counts.values())
    return Preview(counts, token)


def community_merge_preview(kept: Organization, merged: Organization) -> Preview:
    counts = {
        "branches": merged.branches.count(),
        "members": Member.objects.filter(community=merged).count(),
        "registrations": CommunityRegistration.objects.filter(community=merged).count(),
        "venues": merged.venues.count(),
        "meetings": Meeting.objects.filter(branch__organization=merged).count(),
        "staff_roles": StaffRole.objects.filter(
            Q(organization=merged) | Q(branch__organization=merged)
        ).count(),
    }
    token = _token("merge", *_node_state(kept), *_node_state(merged), *counts.values())
    return Preview(counts, token)


def branch_merge_preview(kept: Branch, merged: Branch) -> Preview:
    counts = {
        "members": Member.objects.filter(Q(home_branch=merged) | Q(relation_branch=merged))
        .distinct()
        .count(),
        "registrations": CommunityRegistration.objects.filter(branch=merged).count(),
        "groups": PartyGroup.objects.filter(branch=merged).count(),
        "memberships": BranchMembership.objects.filter(branch=merged).count(),
        "meetings": Meeting.objects.filter(branch=merged).count(),
        "staff_roles": StaffRole.objects.filter(branch=merged).count(),
    }
    token = _token("merge-branch", *_branch_state(kept), *_branch_state(merged), *counts.values())
    return Preview(counts, token)


def split_preview(community: Organization, branches: list[Branch]) -> Preview:
    ids = sorted(branch.pk for branch in branches)
    counts = {
        "branches": len(ids),
        "members": Member.objects.filter(community=community, home_branch__in=ids).count(),
        "registrations": CommunityRegistration.objects.filter(
            community=community, branch__in=ids
        ).count(),
        "meetings": Meeting.objects.filter(branch__in=ids).count(),
    }
    token = _token("split", *_node_state(community), *ids, *counts.values())
    return Preview(counts, token)


def branch_split_preview(branch: Branch, members) -> Preview:
    ids = sorted(member.pk for member in members)
    counts = {
        "members": len(ids),
        "registrations": CommunityRegistration.objects.filter(
            branch=branch, member__in=ids
        ).count(),
    }
    token = _token("split-branch", *_branch_state(branch), *ids, *counts.values())
    return Preview(counts, token)


def rename_preview(node: Organization) -> Preview:
    return Preview({}, _token("rename", *_node_state(node)))


# --- Choices within the user's scope -----------------------------------------------------


def reorganizable(user, level: str):
    """Open nodes of one level the user may reorganise."""
    return (
        Organization.objects.visible_to(user, REORGANIZE_TREE)
        .filter(level=level, closed_on__isnull=True)
        .select_related("parent")
        .order_by("path")
    )


def reorganizable_branches(user):
    return (
        Branch.objects.visible_to(user, REORGANIZE_TREE)
        .active()
        .select_related("organization")
        .order_by("organization__path", "name")
    )


def covers(user, *paths: str) -> bool:
    """Whether every one of these places lies inside the user's area for 区划调整."""
    scope = scope_for(user)
    return all(scope.covers_path(path, REORGANIZE_TREE) for path in paths)


COMMUNITY, STREET = Level.COMMUNITY, Level.STREET
