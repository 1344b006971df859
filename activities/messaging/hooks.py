"""Saving a meeting or a care visit asks for a sweep of its branch once the transaction
commits (activities.tasks.enqueue_sweep), so a meeting planned for tomorrow reaches the
secretary's inbox within seconds instead of at the next beat sweep. The receivers run
no queries (they pass ids). Connected in ActivitiesConfig.ready()."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from activities.care.models import CareVisit
from activities.meetings.models import Meeting

from ..tasks import enqueue_sweep


@receiver(post_save, sender=Meeting, dispatch_uid="reminders_meeting_saved")
def meeting_saved(sender, instance, **kwargs):
    enqueue_sweep(branch_id=instance.branch_id)


@receiver(post_save, sender=CareVisit, dispatch_uid="reminders_visit_saved")
def visit_saved(sender, instance, **kwargs):
    enqueue_sweep(member_id=instance.member_id)
