"""Community registration (报到): the list, and reporting, accepting and withdrawing a
registration (the original unit is notified by the units room's message, not typed here).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from branches.access import MANAGE_REGISTRATIONS, require_capability
from branches.models import Level, Organization

from .. import selectors
from ..forms.registrations import (
    RegistrationAcceptForm,
    RegistrationReportForm,
    RegistrationWithdrawForm,
)
from ..models import RegistrationStatus
from ..services import registration as registration_services
from .shared import (
    PAGE_SIZE,
    get_member_for_user,
    get_registration_for_user,
    member_form_page,
    member_url,
)


def registration_list(request):
    require_capability(request, MANAGE_REGISTRATIONS)
    status = request.GET.get("status", RegistrationStatus.REPORTED)
    if status not in RegistrationStatus.values:
        status = RegistrationStatus.REPORTED
    qs = selectors.pending_registrations(request.user).filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/registration_list.html",
        {"page": page, "status": status, "statuses": RegistrationStatus.choices},
    )


def registration_report(request, pk):
    member = get_member_for_user(request, pk, write=MANAGE_REGISTRATIONS)
    communities = Organization.objects.visible_to(request.user, MANAGE_REGISTRATIONS).filter(
        level=Level.COMMUNITY
    )
    form = RegistrationReportForm(
        request.POST or None, communities=communities, initial={"community": member.community_id}
    )
    return member_form_page(
        request,
        form,
        lambda data: registration_services.registration_report(
            member=member,
            community=data["community"],
            reported_on=data["reported_on"],
            note=data["note"],
            actor=request.user,
            request=request,
        ),
        done=_("Registration recorded."),
        success_url=member_url(member),
        title=_("Record a registration: %(name)s") % {"name": member.name},
        member=member,
    )


def _registration_action(request, pk, form_class, title, action, **form_kwargs):
    registration = get_registration_for_user(request, pk, write=MANAGE_REGISTRATIONS)
    if "registration" in form_kwargs:
        form_kwargs["registration"] = registration
    return member_form_page(
        request,
        form_class(request.POST or None, **form_kwargs),
        lambda data: action(registration, data),
        done=_("Registration updated."),
        success_url=member_url(registration.member),
        title=title % {"name": registration.member.name},
        member=registration.member,
        registration=registration,
    )


def registration_accept(request, pk):
    def accept(registration, data):
        registration_services.registration_accept(
            registration=registration,
            branch=data["branch"],
            party_group=data["party_group"],
            accepted_on=data["accepted_on"],
            actor=request.user,
            request=request,
        )

    return _registration_action(
        request,
        pk,
        RegistrationAcceptForm,
        _("Accept the registration of %(name)s"),
        accept,
        registration=None,
    )


def registration_withdraw(request, pk):
    def withdraw(registration, data):
        registration_services.registration_withdraw(
            registration=registration,
            withdrawn_on=data["withdrawn_on"],
            reason=data["reason"],
            actor=request.user,
            request=request,
        )

    return _registration_action(
        request, pk, RegistrationWithdrawForm, _("Withdraw the registration of %(name)s"), withdraw
    )
