"""The staff accounts kind, registered with the import jobs when the app is ready: the
job's pages upload, check, preview and confirm it like any import."""

from django.utils.translation import gettext_lazy

from branches.access import MANAGE_USERS
from rollout.jobs.registry import DEFAULT_LEVELS, ImportKind, register

from . import importing, services

KIND = register(
    ImportKind(
        name="staff",
        label=gettext_lazy("Staff accounts and their roles"),
        capability=MANAGE_USERS,
        levels=DEFAULT_LEVELS,
        headers=importing.HEADERS,
        required=importing.REQUIRED,
        template=importing.template,
        check=importing.check,
        write=services.staff_write,
        description=gettext_lazy(
            "The accounts are created without a password and stay inactive: the security "
            "administrator approves their roles, then each person receives a one-time link "
            "to choose a password."
        ),
    )
)
