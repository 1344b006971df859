"""The command-line twin of an import job, for a city's IT staff: the same check and
the same all-or-nothing write, without a job. Every error is printed at its Excel row
and column (in Chinese); exit code 1 when the file has errors (nothing written), 2 when
the file or the arguments cannot be used at all."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from branches.models import Organization
from rollout.jobs import services
from rollout.jobs.plan import Action, located
from rollout.jobs.reading import ImportFileError
from rollout.jobs.registry import get_kind


class ImportCommand(BaseCommand):
    kind_name = ""

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--node", required=True, help="the code of the city or district imported into"
        )
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--user", default="", help="username recorded in the audit trail")
        parser.add_argument("--language", default="zh-hans")

    def handle(self, *args, file, node, dry_run, user, language, **options):
        translation.activate(language)
        kind = get_kind(self.kind_name)
        area = Organization.objects.filter(code=node, level__in=kind.levels).first()
        if area is None:
            raise CommandError(
                _("No city or district with the code %(code)s.") % {"code": node}, returncode=2
            )
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(_("No user %(name)s.") % {"name": user}, returncode=2)
        started = time.perf_counter()
        try:
            with open(file, "rb") as source:
                plan = services.check_file(kind, source, node=area)
        except FileNotFoundError:
            raise CommandError(_("%(file)s: not found.") % {"file": file}, returncode=2) from None
        except ImportFileError as error:
            raise CommandError(str(error), returncode=2) from error
        checked = time.perf_counter() - started
        if not plan.ok:
            for error in plan.errors:
                self.stderr.write(located(error))
            if plan.error_count > len(plan.errors):
                self.stderr.write(
                    _("… and %(n)d more.") % {"n": plan.error_count - len(plan.errors)}
                )
            raise CommandError(
                _("%(n)d errors: nothing was written.") % {"n": plan.error_count}, returncode=1
            )
        summary = _(
            "%(area)s: %(added)d to add, %(changed)d to change, %(left)d left as they are "
            "(checked in %(seconds).1f s)."
        ) % {
            "area": area.name,
            "added": plan.count(Action.ADD),
            "changed": plan.count(Action.CHANGE),
            "left": plan.count(Action.LEAVE),
            "seconds": checked,
        }
        if dry_run:
            self.stdout.write(_("Dry run, nothing written. %(summary)s") % {"summary": summary})
            return
        with transaction.atomic():
            services.write_plan(kind, plan, node=area, actor=actor)
        self.stdout.write(
            self.style.SUCCESS(
                _("Written in %(seconds).1f s. %(summary)s")
                % {"seconds": time.perf_counter() - started, "summary": summary}
            )
        )
