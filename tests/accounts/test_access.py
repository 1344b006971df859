from accounts import access
from branches.access import CAPABILITIES, Role


def test_the_capability_names_accounts_uses_are_in_the_one_table():
    known = frozenset().union(*CAPABILITIES.values())
    assert known >= access.ADMIN_CAPABILITIES


def test_the_three_admin_jobs_are_separated():
    system, security, auditor = (
        CAPABILITIES[Role.SYSTEM_ADMIN],
        CAPABILITIES[Role.SECURITY_ADMIN],
        CAPABILITIES[Role.AUDITOR],
    )
    assert access.MANAGE_USERS in system and access.MANAGE_USERS not in security | auditor
    assert access.MANAGE_ROLES in security and access.MANAGE_ROLES not in system | auditor
    assert access.READ_AUDIT in auditor and access.READ_AUDIT not in system | security
    assert auditor == {access.READ_AUDIT}  # the auditor reads the audit only
    # No working role holds an admin job.
    for role, caps in CAPABILITIES.items():
        if role not in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR):
            assert not caps & access.ADMIN_CAPABILITIES, role


def test_exactly_the_admin_roles_need_a_second_factor(cast):
    needing = {key for key, user in cast.users.items() if access.needs_second_factor(user)}
    assert needing == {"system_admin", "security_admin", "auditor"}


def test_django_admin_staff_needs_a_second_factor_whatever_its_roles(cast):
    user = cast.user("outsider")
    user.is_staff = True
    assert access.needs_second_factor(user)
