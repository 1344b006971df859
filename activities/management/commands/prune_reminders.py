"""Delete old reminders: the same code as the daily Celery beat task.

    manage.py prune_reminders                 # older than REMINDER_PRUNE_AFTER_DAYS (180)
    manage.py prune_reminders --days 90 --max-batches 50

Goes: inbox items read or resolved, digests and notices sent or failed (with their
delivery rows). Stays: unread open items, anything waiting to be sent or being sent.
"""

from django.core.management.base import BaseCommand, CommandError

from activities.messaging import writes


class Command(BaseCommand):
    help = "Delete read or resolved reminders and sent or failed outbound rows, when old."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="older than this (default: the setting)")
        parser.add_argument("--batch", type=int, help="rows per delete (default: the setting)")
        parser.add_argument("--max-batches", type=int, help="stop after this many batches")

    def handle(self, *args, days=None, batch=None, max_batches=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        if batch is not None and batch < 1:
            raise CommandError("--batch must be at least 1")
        result = writes.prune(days=days, batch=batch, max_batches=max_batches)
        self.stdout.write(str(result))
