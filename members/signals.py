"""Signals members sends for rooms above it (members imports none of them).

`registration_accepted(sender, registration)`: a community accepted a registration of a
member with an original unit (REPORTED -> ACCEPTED), inside the accepting transaction.
The units room tells the unit (units.messages.hooks); the delivery of that message, not
a date someone types, later marks the registration NOTIFIED."""

from django.dispatch import Signal

registration_accepted = Signal()
