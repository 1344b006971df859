import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import audit


class Command(BaseCommand):
    help = (
        "Delete audit entries written before --before, never any younger than "
        "AUDIT_RETENTION_DAYS (at least 180 days). The chain must verify first; the hash of "
        "the last deleted entry is kept as the anchor, so the rest still verifies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="a date, YYYY-MM-DD")
        parser.add_argument(
            "--archive", help="write the deleted entries to this file first (JSON lines)"
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, before, archive=None, dry_run=False, **options):
        try:
            day = datetime.date.fromisoformat(before)
        except ValueError as error:
            raise CommandError(f"--before must be a date (YYYY-MM-DD), not {before!r}") from error
        moment = datetime.datetime.combine(
            day, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        cutoff = audit.retention_cutoff()
        if moment > cutoff:
            self.stdout.write(
                f"Entries from the last {settings.AUDIT_RETENTION_DAYS} days are kept: pruning "
                f"before {timezone.localtime(cutoff):%Y-%m-%d %H:%M} instead."
            )
        try:
            if archive:
                with open(archive, "a", encoding="utf-8") as out:
                    result = audit.prune(moment, archive=out, dry_run=dry_run)
            else:
                result = audit.prune(moment, dry_run=dry_run)
        except audit.PruneRefused as error:
            raise CommandError(str(error), returncode=2) from error
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{verb} {result.deleted} entries (through entry {result.through_pk}); "
            f"anchor {result.anchor_hash}"
        )
