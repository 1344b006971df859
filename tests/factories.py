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


def member(*, name, community, born=None, male=True, **fields):
    """A member with a valid ID number (check digit, birth date and gender agree)."""
    import datetime

    from members.models import Gender, Member
    from members.validators import make_id_number

    born = born or datetime.date(1950, 3, 5)
    # Even sequence numbers: the gender digit then never makes two calls collide.
    fields.setdefault("id_number", make_id_number("319901", born, 2 * next(_seq), male=male))
    fields.setdefault("full_member_on", born.replace(year=born.year + 25))
    return Member.objects.create(
        name=name,
        community=community,
        birth_date=born,
        gender=Gender.MALE if male else Gender.FEMALE,
        **fields,
    )


def registration(*, member, status="accepted", branch=None, party_group=None, reported_on=None):
    """A community registration; an accepted one also places the member in `branch`."""
    import datetime

    from members.models import CommunityRegistration

    reported_on = reported_on or datetime.date(2024, 3, 1)
    placed = status != "reported"
    reg = CommunityRegistration.objects.create(
        member=member,
        community=member.community,
        status=status,
        reported_on=reported_on,
        accepted_on=reported_on if placed else None,
        branch=branch if placed else None,
        party_group=party_group if placed else None,
    )
    if placed and branch is not None:
        member.home_branch, member.party_group = branch, party_group
        member.save(update_fields=["home_branch", "party_group"])
    return reg


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


def audit_entries(obj) -> list:
    """The audit entries about `obj`, oldest first."""
    from accounts.models import AuditEntry

    return list(
        AuditEntry.objects.filter(
            object_type=f"{obj._meta.app_label}.{obj._meta.model_name}", object_id=str(obj.pk)
        ).order_by("pk")
    )


def raw_member_columns(pk, *columns) -> tuple:
    """A member row's columns as stored (what an encrypted field really holds)."""
    from django.db import connection

    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM members_member WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()
