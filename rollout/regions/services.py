"""区划调整: move, merge, split and rename nodes of the tree, each in one transaction.

Each operation locks the rows it changes, compares the preview's token with the tree as
it is now (someone else's change in between is a Conflict, not an overwrite), rewrites
the materialized paths with one UPDATE per table by prefix, bumps the dashboards'
versions of the old and the new place, and writes one audit entry listing the rows it
moved. What past periods show afterwards is documented in docs/regions.md: figures
follow the unit to its new place.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from activities.care.models import Activity
from activities.messaging.models import Reminder
from branches.models import Branch, Level, Organization, PartyGroup, Venue
from members.models import BranchMembership, CommunityRegistration, Member
from notices.models import NoticeReceipt
from units.events.models import UnitEvent

from . import selectors

AUDIT_TYPE = "rollout.regionchange"
# Denormalized copies of an organisation's path, rewritten with the tree.
PATH_COLUMNS = ((Organization, "path"), (NoticeReceipt, "path"), (Reminder, "area_path"))


class Conflict(Exception):
    """The tree changed since the preview: show the new preview, change nothing."""


def rewrite_paths(old: str, new: str) -> dict[str, int]:
    """Replace the prefix `old` by `new` in every path column: one UPDATE per table."""
    done = {}
    for model, column in PATH_COLUMNS:
        rewritten = Concat(Value(new), Substr(column, len(old) + 1), output_field=CharField())
        done[model._meta.label] = model.objects.filter(**{f"{column}__startswith": old}).update(
            **{column: rewritten}
        )
    return done


def touch_places(*paths: str) -> None:
    """Bump the figures versions of the districts and streets above these paths, so no
    dashboard cached before the change is served after it (reports.cache)."""
    versioned = {prefix for path in paths for prefix in Organization.path_prefixes(path)[1:3]}
    Organization.objects.filter(path__in=versioned).touch_figures()


def _lock_nodes(*pks: int) -> list[Organization]:
    found = {
        node.pk: node
        for node in Organization.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }
    return [found[pk] for pk in pks]


def _lock_branches(*pks: int) -> list[Branch]:
    found = {
        branch.pk: branch
        for branch in Branch.objects.select_for_update()
        .select_related("organization")
        .filter(pk__in=pks)
        .order_by("pk")
    }
    return [found[pk] for pk in pks]


def _check(preview, expected: str) -> None:
    if preview.token != expected:
        raise Conflict


def _moved(object_type: str, pks, field: str, old: int, new: int) -> list[audit.Change]:
    return [
        audit.Change(
            AuditAction.UPDATE,
            before={field: old},
            after={field: new},
            object_type=object_type,
            object_id=str(pk),
        )
        for pk in pks
    ]


def _record(node_pk, name, *, before, after, changes, actor, request) -> None:
    audit.record_batch(
        AuditAction.UPDATE,
        changes=changes,
        actor=actor,
        request=request,
        after={**before, **after},
        object_type=AUDIT_TYPE,
        object_id=str(node_pk),
        object_repr=name,
    )


def _open(*nodes) -> None:
    for node in nodes:
        closed = getattr(node, "closed_on", None) or getattr(node, "dissolved_on", None)
        if closed:
            raise ValidationError(_("%(name)s is closed already.") % {"name": node.name})


@transaction.atomic
def community_move(*, community, street, actor, expected: str, request=None) -> dict:
    """Move a community (its branches, members and history hang from it) under another
    street; its code stays (codes are fixed once created), its path changes."""
    community, street = _lock_nodes(community.pk, street.pk)
    if community.level != Level.COMMUNITY or street.level != Level.STREET:
        raise ValidationError(_("Choose a community and a street."))
    if community.parent_id == street.pk:
        raise ValidationError(_("The community is under this street already."))
    _open(community, street)
    preview = selectors.move_preview(community, street)
    _check(preview, expected)
    old_street = community.parent
    old_path, new_path = community.path, Organization.build_path(street, community.code)
    Organization.objects.filter(pk=community.pk).update(parent=street)
    rewritten = rewrite_paths(old_path, new_path)
    touch_places(old_path, new_path)
    _record(
        community.pk,
        community.name,
        before={"operation": "move", "from_area": old_street.name, "from_path": old_path},
        after={"to_area": street.name, "to_path": new_path, **preview.counts},
        changes=_moved("branches.organization", [community.pk], "parent", old_street.pk, street.pk),
        actor=actor,
        request=request,
    )
    return rewritten


@transaction.atomic
def community_merge(*, kept, merged, on: datetime.date, actor, expected: str, request=None):
    """Merge `merged` into `kept`: its branches (with their meetings), members,
    registrations, venues, activities and the units' events move; `merged` stays, closed
    on `on`, with its code, for the history that names it. Staff roles over it stay
    where they are: granting is the security administrator's (三权分立)."""
    kept, merged = _lock_nodes(kept.pk, merged.pk)
    if kept.pk == merged.pk or {kept.level, merged.level} != {Level.COMMUNITY}:
        raise ValidationError(_("Choose two different communities."))
    _open(kept, merged)
    preview = selectors.community_merge_preview(kept, merged)
    _check(preview, expected)
    branch_ids = list(merged.branches.values_list("pk", flat=True))
    member_ids = list(Member.objects.filter(community=merged).values_list("pk", flat=True))
    Branch.objects.filter(organization=merged).update(organization=kept)
    Member.objects.filter(community=merged).update(community=kept)
    CommunityRegistration.objects.filter(community=merged).update(community=kept)
    Venue.objects.filter(organization=merged).update(organization=kept)
    Activity.objects.filter(organization=merged).update(organization=kept)
    UnitEvent.objects.filter(community=merged).update(community=kept)
    NoticeReceipt.objects.filter(path=merged.path).update(path=kept.path)
    Reminder.objects.filter(area_path__startswith=merged.path).update(area_path=kept.path)
    Organization.objects.filter(pk=merged.pk).update(closed_on=on)
    touch_places(merged.path, kept.path)
    _record(
        merged.pk,
        merged.name,
        before={"operation": "merge", "from_area": merged.name, "from_path": merged.path},
        after={"to_area": kept.name, "to_path": kept.path, "closed_on": on, **preview.counts},
        changes=_moved("branches.branch", branch_ids, "organization", merged.pk, kept.pk)
        + _moved("members.member", member_ids, "community", merged.pk, kept.pk),
        actor=actor,
        request=request,
    )


@transaction.atomic
def branch_merge(*, kept, merged, on: datetime.date, actor, expected: str, request=None):
    """Merge branch `merged` into `kept`: members (home and relation), registrations,
    functional memberships and party groups move; its meetings stay with it, as held
    (its past periods are its own); it is dissolved on `on`."""
    kept, merged = _lock_branches(kept.pk, merged.pk)
    if kept.pk == merged.pk:
        raise ValidationError(_("Choose two different branches."))
    _open(kept, merged)
    if merged.established_on and on < merged.established_on:
        raise ValidationError(_("The merge date is before the branch was established."))
    preview = selectors.branch_merge_preview(kept, merged)
    _check(preview, expected)
    member_ids = list(Member.objects.filter(home_branch=merged).values_list("pk", flat=True))
    Member.objects.filter(home_branch=merged).update(home_branch=kept)
    Member.objects.filter(relation_branch=merged).update(relation_branch=kept)
    CommunityRegistration.objects.filter(branch=merged).update(branch=kept)
    already = BranchMembership.objects.filter(branch=kept).values("member_id")
    BranchMembership.objects.filter(branch=merged, member_id__in=already).delete()
    BranchMembership.objects.filter(branch=merged).update(branch=kept)
    _move_groups(kept, merged)
    Branch.objects.filter(pk=merged.pk).update(dissolved_on=on)
    touch_places(merged.organization.path, kept.organization.path)
    _record(
        merged.pk,
        merged.name,
        before={"operation": "merge_branch", "from_area": merged.name},
        after={"to_area": kept.name, "closed_on": on, **preview.counts},
        changes=_moved("members.member", member_ids, "home_branch", merged.pk, kept.pk),
        actor=actor,
        request=request,
    )


def _move_groups(kept: Branch, merged: Branch) -> None:
    """Party groups join `kept` after its own, numbered on; a name `kept` has already
    gets the old branch's name after it."""
    taken = set(PartyGroup.objects.filter(branch=kept).values_list("name", flat=True))
    number = max(PartyGroup.objects.filter(branch=kept).values_list("number", flat=True), default=0)
    for group in PartyGroup.objects.filter(branch=merged).order_by("number"):  # one branch's
        number += 1
        if group.name in taken:
            group.name = f"{group.name}（{merged.name}）"[:60]
        taken.add(group.name)
        group.branch, group.number = kept, number
        group.save(update_fields=["branch", "number", "name"])


@transaction.atomic
def community_split(
    *, community, name: str, code: str, branches, actor, expected: str, request=None
) -> Organization:
    """A new community beside `community` (same street) takes the chosen branches, the
    members whose home branch they are and those members' registrations."""
    (community,) = _lock_nodes(community.pk)
    _open(community)
    branches = list(branches)
    if not branches or any(branch.organization_id != community.pk for branch in branches):
        raise ValidationError(_("Choose branches of this community."))
    preview = selectors.split_preview(community, branches)
    _check(preview, expected)
    if Organization.objects.filter(code=code).exists():
        raise ValidationError(_("This code is taken."))
    ids = [branch.pk for branch in branches]
    new = Organization.objects.create(
        name=name, code=code, level=Level.COMMUNITY, parent=community.parent, address=""
    )
    members = Member.objects.filter(community=community, home_branch__in=ids)
    member_ids = list(members.values_list("pk", flat=True))
    members.update(community=new)
    CommunityRegistration.objects.filter(community=community, branch__in=ids).update(community=new)
    Branch.objects.filter(pk__in=ids).update(organization=new)
    NoticeReceipt.objects.filter(branch__in=ids).update(path=new.path)
    touch_places(community.path)
    _record(
        community.pk,
        community.name,
        before={"operation": "split", "from_area": community.name, "from_path": community.path},
        after={"to_area": name, "new_code": code, **preview.counts},
        changes=_moved("branches.branch", ids, "organization", community.pk, new.pk)
        + _moved("members.member", member_ids, "community", community.pk, new.pk),
        actor=actor,
        request=request,
    )
    return new


@transaction.atomic
def branch_split(*, branch, name: str, members, actor, expected: str, request=None) -> Branch:
    """A new branch of the same kind beside `branch` takes the chosen members (their home
    branch and registrations); they leave their party groups, which stay with `branch`."""
    (branch,) = _lock_branches(branch.pk)
    _open(branch)
    members = list(members)
    if not members or any(member.home_branch_id != branch.pk for member in members):
        raise ValidationError(_("Choose members of this branch."))
    preview = selectors.branch_split_preview(branch, members)
    _check(preview, expected)
    ids = [member.pk for member in members]
    new = Branch.objects.create(
        organization=branch.organization,
        name=name,
        kind=branch.kind,
        established_on=timezone.localdate(),
    )
    Member.objects.filter(pk__in=ids).update(home_branch=new, party_group=None)
    CommunityRegistration.objects.filter(branch=branch, member__in=ids).update(
        branch=new, party_group=None
    )
    touch_places(branch.organization.path)
    _record(
        branch.pk,
        branch.name,
        before={"operation": "split_branch", "from_area": branch.name},
        after={"to_area": name, **preview.counts},
        changes=_moved("members.member", ids, "home_branch", branch.pk, new.pk),
        actor=actor,
        request=request,
    )
    return new


@transaction.atomic
def node_rename(*, node, name: str, actor, expected: str, request=None) -> None:
    """A new name for a street or community; code and path stay."""
    (node,) = _lock_nodes(node.pk)
    _open(node)
    _check(selectors.rename_preview(node), expected)
    Organization.objects.filter(pk=node.pk).update(name=name)
    touch_places(node.path)
    _record(
        node.pk,
        name,
        before={"operation": "rename", "old_name": node.name},
        after={"name": name},
        changes=[],
        actor=actor,
        request=request,
    )
