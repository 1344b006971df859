"""Signals other rooms listen to (notices sits below activities and imports none of it).

`receipts_confirmed`: sent inside the transaction that confirmed receipts (a confirmation
or a reply), with `notice_id` (the original notice) and `branch_ids`. The reminders
(activities.messaging.hooks) resolve the "please confirm" items of those who owe nothing
more on it."""

from django.dispatch import Signal

receipts_confirmed = Signal()
