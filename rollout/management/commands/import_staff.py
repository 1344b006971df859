"""python manage.py import_staff FILE.xlsx --user SYSTEM_ADMIN [--node CODE] [--dry-run]

The command-line twin of the staff import (the import job's kind "staff"): checks every
row (errors at their Excel row and column, in Chinese) and writes nothing if any is wrong;
otherwise creates the accounts (inactive, without a password) and one batch of role
grants for the security administrator to approve. The nodes must lie in the area
(--node, by default the system administrator's own).
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from branches.access import MANAGE_USERS
from branches.models import Organization
from members.importing.plan import ImportFileError
from rollout.jobs.plan import Action, located
from rollout.jobs.services import check_file, write_plan
from rollout.staff.kinds import KIND


class Command(BaseCommand):
    help = "Import staff accounts (.xlsx); their roles then wait for the security administrator."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="the importing system administrator")
        parser.add_argument("--node", default="", help="the area's organisation code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--language", default="zh-hans")

    def handle(self, *args, file, user, node, dry_run, language, **options):
        translation.activate(language)
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        areas = Organization.objects.none()
        if actor is not None:
            areas = Organization.objects.visible_to(actor, MANAGE_USERS).filter(
                level__in=KIND.levels
            )
        area = (areas.filter(code=node) if node else areas.order_by("path")).first()
        if area is None:
            raise CommandError(f"{user!r} is not an active system administrator of that area.")
        started = time.perf_counter()
        try:
            with open(file, "rb") as source:
                plan = check_file(KIND, source, node=area)
        except FileNotFoundError as error:
            raise CommandError(f"{file}: not found") from error
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        if not plan.ok:
            for error in plan.errors:
                self.stderr.write(located(error))
            raise CommandError(
                translation.gettext("%(n)d errors: nothing was written.") % {"n": plan.error_count}
            )
        summary = (
            f"{area.name}: {plan.count(Action.ADD)} roles for new accounts, "
            f"{plan.count(Action.CHANGE)} for existing ones, {plan.count(Action.LEAVE)} held "
            f"or asked for already (checked in {time.perf_counter() - started:.1f}s)"
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing written. {summary}")
            return
        write_plan(KIND, plan, node=area, actor=actor)
        self.stdout.write(
            self.style.SUCCESS(f"Imported in {time.perf_counter() - started:.1f}s. {summary}")
        )
