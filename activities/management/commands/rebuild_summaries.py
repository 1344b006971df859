"""Recompute the dashboards' summaries (activities.summaries) from meetings, attendance
and make-ups. The services keep them current; run this after writing those rows by other
means (a bulk load, a restore, a fix in the database shell).

    manage.py rebuild_summaries
"""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from activities import summaries


class Command(BaseCommand):
    help = (
        "Recompute the per branch x month tallies, members' latest participation and care "
        "needs' last visit."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():  # readers see the old rows until the new ones are in
            tallies, participations = summaries.rebuild()
        self.stdout.write(
            f"{tallies} branch-month tallies, {participations} members who took part "
            f"in {time.monotonic() - started:.1f} s"
        )
