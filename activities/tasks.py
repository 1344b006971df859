"""Celery tasks for reminders: thin, taking ids, the state kept in Reminder rows.

- `sweep_reminders` (Celery beat, every REMINDER_SWEEP_EVERY_SECONDS; and queued on
  commit after a meeting or care visit is saved, for that branch): writes what is due,
  the daily digests, then sends what is due.
- `send_pending_reminders` (beat, every minute): retries and leases that ran out.
- `prune_reminders` (beat, daily at night): deletes old read/resolved items and
  finished outbound rows (writes.prune).

`manage.py send_reminders` runs the same code once, without a broker.

A web request never waits on the broker: `enqueue_sweep` publishes after the commit
through accounts.broker (one try, bounded reads, a warning when the broker is down).
Nothing is lost by that: the rows are the state, and the next beat sweep finds the same
things due.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from accounts import broker

from .messaging import sender as reminder_sender
from .messaging import sweep, writes

logger = logging.getLogger("portal.reminders")


@shared_task(name="activities.sweep_reminders", ignore_result=True)
def sweep_reminders(branch_id: int | None = None, member_id: int | None = None) -> str:
    """A full sweep, or (after a save) one of the branch, or of the member's home branch."""
    if member_id is not None:
        branch_id = sweep.home_branch_of(member_id)
        if branch_id is None:
            return "the member has no home branch: nothing to sweep"
    swept = sweep.sweep(branch_ids=[branch_id] if branch_id else None)
    sent = reminder_sender.send_due()
    return f"{swept}; {sent}"


@shared_task(name="activities.send_pending_reminders", ignore_result=True)
def send_pending_reminders() -> str:
    return str(reminder_sender.send_due())


@shared_task(name="activities.prune_reminders", ignore_result=True)
def prune_reminders() -> str:
    return str(writes.prune())


def enqueue_sweep(**ids) -> None:
    """After the current transaction commits, ask for a sweep of one branch (branch_id=)
    or of a member's home branch (member_id=). No queries here: this runs inside other
    services' transactions. Without a broker (the zero-setup demo runs tasks inline)
    nothing is queued: run `manage.py send_reminders` from cron instead."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    transaction.on_commit(
        lambda: broker.publish(sweep_reminders.name, kwargs=ids, log=logger), robust=True
    )


@shared_task(name="activities.poll_sms", ignore_result=True)
def poll_sms() -> str:
    """Receipts and replies from the SMS provider, where it cannot call the portal."""
    from .messaging import replies

    return str(replies.poll())
