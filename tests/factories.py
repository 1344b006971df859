"""Small builders for test data: explicit keyword arguments, no magic."""

import itertools

from django.contrib.auth import get_user_model

from branches.access import Role
from branches.models import (
    Branch,
    BranchKind,
    Level,
    Organization,
    OriginalUnit,
    PartyGroup,
    StaffRole,
    Venue,
    VenueKind,
)

PASSWORD = "Test@Pass2026"
_seq = itertools.count(1)


def org(*, name, level, parent=None, code=None):
    return Organization.objects.create(
        name=name, level=level, parent=parent, code=code or f"T{next(_seq):06d}"
    )


def branch(*, organization, name=None, kind=BranchKind.COMMUNITY, **fields):
    return Branch.objects.create(
        organization=organization,
        name=name or f"{organization.name}离退休干部党支部",
        kind=kind,
        **fields,
    )


def group(*, branch, name="第一党小组"):
    return PartyGroup.objects.create(branch=branch, name=name)


def venue(*, organization, name=None):
    return Venue.objects.create(
        organization=organization,
        name=name or f"{organization.name}老年活动室",
        kind=VenueKind.ACTIVITY_ROOM,
    )


def unit(*, name, district):
    return OriginalUnit.objects.create(name=name, code=f"U{next(_seq):06d}", district=district)


def user(*, username, role=None, node=None, full_name=""):
    account = get_user_model().objects.create_user(
        username=username, password=PASSWORD, full_name=full_name or username
    )
    if role is not None:
        grant(account, role, node)
    return account


def grant(account, role, node):
    field = {
        Role.BRANCH_SECRETARY: "branch",
        Role.UNIT_LIAISON: "original_unit",
    }.get(role, "organization")
    return StaffRole.objects.create(user=account, role=role, **{field: node})


__all__ = ["Level", "Role"]
