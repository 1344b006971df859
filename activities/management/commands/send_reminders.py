"""Run the reminder sweep and the sender once, the same code as the Celery tasks.

    manage.py send_reminders            # sweep, daily digests, send what is due
    manage.py send_reminders --no-send  # only write what is due (inbox and digests)

For installations without a broker, run it from cron every few minutes.

Most reminders are in-app items: written to the recipients' inboxes (the 提醒 page),
they are delivered by being there and never "sent". Only the daily digests and member
notices go out by e-mail, webhook or SMS: the send line counts those alone.
"""

from django.core.management.base import BaseCommand

from activities.messaging import sender as reminder_sender
from activities.messaging import sweep


class Command(BaseCommand):
    help = "Find what is due, write reminders and daily digests, and send them (once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-send", action="store_true", help="write reminders but send nothing"
        )

    def handle(self, *args, no_send=False, **options):
        swept = sweep.sweep()
        self.stdout.write(f"sweep: {swept}")
        self.stdout.write(
            f"inbox: {swept.inbox} new reminders written to the users' inboxes "
            "(shown on their reminder page; nothing to send)"
        )
        if not no_send:
            sent = reminder_sender.send_due()
            self.stdout.write(f"send by e-mail, webhook or SMS (digests, notices): {sent}")
