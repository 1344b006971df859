"""Celery tasks of the units room: thin, the state kept in rows. Autodiscovery imports
this module; a subject with tasks of its own keeps them in its own module, imported here.

- `send_unit_messages` (queued on commit by units.messages.services.message_unit when
  it wrote pending deliveries; and on the beat schedule every minute, so a message
  written while the broker was down still goes out): sends what is due.
- units.feedback.tasks: the district's feedback report run.
"""

from celery import shared_task

from .feedback import tasks as feedback_tasks  # noqa: F401
from .messages import sender


@shared_task(name="units.send_unit_messages", ignore_result=True)
def send_unit_messages() -> str:
    return str(sender.send_due())
