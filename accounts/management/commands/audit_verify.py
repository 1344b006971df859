from django.core.management.base import BaseCommand, CommandError

from accounts import audit


class Command(BaseCommand):
    help = (
        "Check the audit chain: every entry's hash and link, and the newest entry against "
        "the chain head. Exits non-zero when an entry was edited or deleted."
    )

    def handle(self, *args, **options):
        result = audit.verify()
        self.stdout.write(f"checked: {result.checked} entries; head: {result.head_hash}")
        if result.ok:
            self.stdout.write(self.style.SUCCESS("audit chain intact"))
            return
        for pk in result.broken[:100]:
            self.stderr.write(f"entry {pk}: hash or link does not match")
        if len(result.broken) > 100:
            self.stderr.write(f"... and {len(result.broken) - 100} more broken entries")
        for problem in result.problems:
            self.stderr.write(problem)
        raise CommandError(
            f"audit chain broken: {len(result.broken)} entries, {len(result.problems)} other "
            f"problems",
            returncode=2,
        )
