"""Remove batch print results past their keeping time (what the nightly beat task
`reports.prune_print_jobs` does), and resume stranded jobs with --resume (the
every-minute `reports.resume_print_jobs`)."""

from django.core.management.base import BaseCommand

from reports.prints import services, tasks


class Command(BaseCommand):
    help = "Remove batch print results past their keeping time."

    def add_arguments(self, parser):
        parser.add_argument("--resume", action="store_true", help="also queue stranded jobs")

    def handle(self, *args, resume=False, **options):
        removed = services.prune_expired()
        self.stdout.write(f"{removed} print results removed")
        if resume:
            self.stdout.write(tasks.resume_print_jobs())
