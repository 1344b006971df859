"""Delete API request log rows older than API_REQUEST_LOG_DAYS: the same code as the
nightly Celery beat task.

    manage.py prune_api_requests              # older than the setting (180 days)
    manage.py prune_api_requests --days 90
"""

from django.core.management.base import BaseCommand, CommandError

from api import services


class Command(BaseCommand):
    help = "Delete API request log rows older than API_REQUEST_LOG_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="older than this (default: the setting)")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        deleted = services.prune_requests(days=days)
        self.stdout.write(f"{deleted} API requests deleted")
