"""A registration accepted by a community tells the member's original unit (members
sends `registration_accepted` inside the accepting transaction; connected in
UnitsConfig.ready). When the message is delivered, services.delivered marks the
registration NOTIFIED. Erasing a member deletes the messages that name them."""

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from members.erasure import member_erasing
from members.signals import registration_accepted

from .models import UnitMessage, UnitMessageKind
from .services import message_unit


@receiver(registration_accepted, dispatch_uid="unit_messages_registration_accepted")
def tell_the_unit(sender, registration, actor=None, request=None, **kwargs):
    member = registration.member
    # The unit reads Chinese whatever language the accepting user's page was in.
    with translation.override(settings.LANGUAGE_CODE):
        facts = {
            "name": member.name,
            "community": registration.community.name,
            "branch": registration.branch.name if registration.branch_id else _("not placed"),
            "date": formats.date_format(registration.accepted_on, "Y-m-d"),
        }
        title = _("%(name)s has registered with %(community)s") % facts
        body = (
            _(
                "%(name)s, a retired party member of your unit, registered with %(community)s; "
                "the community accepted the registration on %(date)s. Home branch: %(branch)s."
            )
            % facts
        )
    message_unit(
        unit=member.original_unit,
        kind=UnitMessageKind.REGISTRATION_ACCEPTED,
        subject=f"registration:{registration.pk}",
        community=registration.community,
        title=title,
        body=body,
        link=reverse("members:member_detail", args=[member.pk]),
        actor=actor,
        request=request,
    )


@receiver(member_erasing, dispatch_uid="unit_messages_erase_member")
def erase_member(sender, member, **kwargs):
    """The messages about the member's registrations name them (their deliveries go too)."""
    subjects = [f"registration:{pk}" for pk in member.registrations.values_list("pk", flat=True)]
    _total, deleted = UnitMessage.objects.filter(
        kind=UnitMessageKind.REGISTRATION_ACCEPTED, subject__in=subjects
    ).delete()
    return {"unit_messages": deleted.get(UnitMessage._meta.label, 0)}
