"""python manage.py import_members FILE.xlsx --community CODE [--dry-run] [--user NAME]

Reads and checks every row of a 花名册 workbook; if any row is wrong, prints each error
(Excel row and column, in Chinese) and writes nothing. Otherwise writes all rows in one
transaction (or, with --dry-run, only reports what it would do).
"""

import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from branches.models import Level, Organization
from members.importing.plan import ImportFileError
from members.importing.reading import read_plan
from members.importing.writing import members_import


class Command(BaseCommand):
    help = "Import a roster workbook (.xlsx) into one community: all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--community", required=True, help="the community's code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--user", default="", help="username recorded in the audit trail")
        parser.add_argument("--language", default="zh-hans")

    def handle(self, *args, file, community, dry_run, user, language, **options):
        translation.activate(language)
        node = Organization.objects.filter(code=community, level=Level.COMMUNITY).first()
        if node is None:
            raise CommandError(f"No community with code {community!r}.")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        started = time.perf_counter()
        try:
            plan = read_plan(file, community=node)
        except FileNotFoundError as error:
            raise CommandError(f"{file}: not found") from error
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        checked = time.perf_counter() - started
        if not plan.ok:
            for error in plan.errors:
                self.stderr.write(str(error))
            if plan.error_count > len(plan.errors):
                self.stderr.write(f"… {plan.error_count - len(plan.errors)} more")
            raise CommandError(
                translation.gettext("%(n)d errors: nothing was written.") % {"n": plan.error_count}
            )
        summary = (
            f"{node.name}: {plan.create_count} new, {plan.update_count} updated, "
            f"{plan.unchanged_count} unchanged (header on row {plan.header_row}, "
            f"checked in {checked:.1f}s)"
        )
        if plan.new_units:
            summary += f"; new original units: {'、'.join(sorted(plan.new_units))}"
        if plan.update_count or plan.unchanged_count:
            if plan.absent_columns:
                summary += f"; not in the file, kept: {'、'.join(plan.absent_columns)}"
            cleared = Counter(key for row in plan.rows for key in row.cleared)
            if cleared:
                summary += "; cleared by empty cells: " + ", ".join(
                    f"{key.removesuffix('_id')} ({count})" for key, count in sorted(cleared.items())
                )
        if dry_run:
            self.stdout.write(f"Dry run, nothing written. {summary}")
            return
        outcome = members_import(plan=plan, community=node, actor=actor, file_name=str(file))
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported in {time.perf_counter() - started:.1f}s. {summary}; "
                f"{outcome.registrations} registrations recorded."
            )
        )
