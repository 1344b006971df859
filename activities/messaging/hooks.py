"""Saving a meeting or a care visit asks for a sweep of its branch once the transaction
commits (activities.tasks.enqueue_sweep), so a meeting planned for tomorrow reaches the
secretary's inbox within seconds instead of at the next beat sweep; those receivers run
no queries (they pass ids). A notice's reminder round (notices.NoticeReminder) writes
its inbox items, and a confirmation resolves them, in the sender's own transaction
(messaging.notices). Connected in ActivitiesConfig.ready()."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from activities.care.models import CareVisit
from activities.meetings.models import Meeting
from notices.models import NoticeReminder
from notices.signals import receipts_confirmed

from ..tasks import enqueue_sweep
from . import notices


@receiver(post_save, sender=Meeting, dispatch_uid="reminders_meeting_saved")
def meeting_saved(sender, instance, **kwargs):
    enqueue_sweep(branch_id=instance.branch_id)


@receiver(post_save, sender=CareVisit, dispatch_uid="reminders_visit_saved")
def visit_saved(sender, instance, **kwargs):
    enqueue_sweep(member_id=instance.member_id)


@receiver(post_save, sender=NoticeReminder, dispatch_uid="reminders_notice_round")
def notice_round_requested(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        notices.write_round(instance)


@receiver(receipts_confirmed, dispatch_uid="reminders_notice_confirmed")
def notice_confirmed(sender, notice_id, **kwargs):
    notices.resolve_confirmed(notice_id)
