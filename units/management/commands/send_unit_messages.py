"""Send the e-mail and robot deliveries of messages to units that are due, once: the
same code as the Celery task units.send_unit_messages. For installations without a
broker, run it from cron every few minutes."""

from django.core.management.base import BaseCommand

from units.messages import sender


class Command(BaseCommand):
    help = "Send the messages to original units that are due (e-mail, group robots)."

    def handle(self, *args, **options):
        self.stdout.write(f"unit messages: {sender.send_due()}")
