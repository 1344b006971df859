"""Run the reminder sweep and the sender once, the same code as the Celery tasks.

    manage.py send_reminders            # sweep, daily digests, send what is due
    manage.py send_reminders --no-send  # only write what is due (inbox and digests)

For installations without a broker, run it from cron every few minutes.
"""

from django.core.management.base import BaseCommand

from activities import reminder_sender, reminders


class Command(BaseCommand):
    help = "Find what is due, write reminders and daily digests, and send them (once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-send", action="store_true", help="write reminders but send nothing"
        )

    def handle(self, *args, no_send=False, **options):
        swept = reminders.sweep()
        self.stdout.write(f"sweep: {swept}")
        if not no_send:
            sent = reminder_sender.send_due()
            self.stdout.write(f"send: {sent}")
