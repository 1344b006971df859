"""One member: the record, an audited "show full", edits, status, erasure, and the
small records added to a member (service roles, honours, functional branches).
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.access import (
    EDIT_MEMBERS,
    MANAGE_REGISTRATIONS,
    VIEW_SENSITIVE,
    require_capability,
    scope_for,
)

from .. import erasure, selectors
from ..forms.member import (
    EraseForm,
    MemberForm,
    MembershipEndForm,
    MembershipForm,
    RecognitionForm,
    ServiceRoleEndForm,
    ServiceRoleForm,
    StatusForm,
)
from ..models import RegistrationStatus
from ..selectors import MemberGate
from ..services import memberships as membership_services
from ..services import roster as roster_services
from .shared import editable_communities, get_member_for_user, member_form_page, member_url

REVEAL_SECONDS = 300  # an audited "show full" lasts five minutes
REVEAL_SESSION_KEY = "members_revealed"
SENSITIVE_FIELDS = ["id_number", "phone", "address", "health"]

# --- one member --------------------------------------------------------------------------


def _revealed(request, member) -> bool:
    expiry = request.session.get(REVEAL_SESSION_KEY, {}).get(str(member.pk))
    return bool(expiry and expiry > time.time())


def member_detail(request, pk):
    member = get_member_for_user(request, pk)
    gate = MemberGate(request.user)
    full_view = gate.full_view(member)
    sensitive = full_view and gate.sensitive(member)
    history = selectors.member_history(member)
    if not full_view:
        history = {"registrations": history["registrations"]}
    scope = scope_for(request.user)
    live = next(
        (r for r in history["registrations"] if r.status != RegistrationStatus.WITHDRAWN), None
    )
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "full_view": full_view,
            "sensitive": sensitive,
            "revealed": sensitive and _revealed(request, member),
            "can_edit": full_view and gate.can_edit(member),
            "can_manage_registration": full_view and gate.can_manage_registration(member),
            "can_report": scope.has(MANAGE_REGISTRATIONS) and live is None,
            "live_registration": live,
            "today": timezone.localdate(),
            **history,
        },
    )


def member_reveal(request, pk):
    """Show the unmasked ID number, phone, address and health: an explicit, audited act."""
    member = get_member_for_user(request, pk, write=VIEW_SENSITIVE)
    if request.method == "POST":
        audit.record(
            AuditAction.VIEW_SENSITIVE, member, request=request, after={"fields": SENSITIVE_FIELDS}
        )
        revealed = {
            key: expiry
            for key, expiry in request.session.get(REVEAL_SESSION_KEY, {}).items()
            if expiry > time.time()
        }
        revealed[str(member.pk)] = time.time() + REVEAL_SECONDS
        request.session[REVEAL_SESSION_KEY] = revealed
        return redirect("members:member_detail", pk=member.pk)
    return render(request, "members/member_reveal.html", {"member": member})


def member_create(request):
    require_capability(request, EDIT_MEMBERS)
    if not editable_communities(request.user).exists():
        raise Http404
    form = MemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        member = roster_services.member_create(
            actor=request.user,
            request=request,
            fields=form.member_fields(),
            reported_on=timezone.localdate() if form.cleaned_data.get("report_now") else None,
        )
        messages.success(request, _("Member “%(name)s” added.") % {"name": member.name})
        return redirect("members:member_detail", pk=member.pk)
    return render(
        request, "members/form.html", {"form": form, "title": _("New member"), "wide": True}
    )


def member_edit(request, pk):
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            changed = roster_services.member_update(
                member=selectors.member_detail_queryset().get(pk=member.pk),
                changes=form.member_fields(),
                actor=request.user,
                request=request,
            )
            if changed:
                messages.success(request, _("Member “%(name)s” saved.") % {"name": member.name})
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("members:member_detail", pk=member.pk)
    else:
        # The edit form shows the unmasked values: that view is audited like "show full".
        audit.record(
            AuditAction.VIEW_SENSITIVE,
            member,
            request=request,
            after={"fields": SENSITIVE_FIELDS, "via": "edit"},
        )
    return render(
        request,
        "members/form.html",
        {"form": form, "title": _("Edit member"), "member": member, "wide": True},
    )


def member_status(request, pk):
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    return member_form_page(
        request,
        StatusForm(request.POST or None, instance=member),
        lambda data: roster_services.member_set_status(
            member=member,
            status=data["status"],
            on=data["status_on"],
            note=data["note"],
            actor=request.user,
            request=request,
        ),
        done=_("Status saved."),
        success_url=member_url(member),
        title=_("Change status: %(name)s") % {"name": member.name},
        member=member,
    )


def member_erase(request, pk):
    """Delete a member and their personal data (PIPL art. 47): a confirm page, then POST."""
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    form = EraseForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        erasure.member_erase(member=member, actor=request.user, request=request)
        messages.success(
            request,
            _("Member “%(name)s” and their personal data were deleted.") % {"name": member.name},
        )
        return redirect("members:roster")
    return render(request, "members/member_erase.html", {"form": form, "member": member})


def _member_record_create(request, pk, *, form_class, create, done, title):
    """A small record added to one member (a service role, an honour): form, service, back."""
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    return member_form_page(
        request,
        form_class(request.POST or None),
        lambda data: create(member=member, fields=data, actor=request.user, request=request),
        done=done,
        success_url=member_url(member),
        title=title % {"name": member.name},
        member=member,
    )


def service_role_create(request, pk):
    return _member_record_create(
        request,
        pk,
        form_class=ServiceRoleForm,
        create=membership_services.service_role_create,
        done=_("Service role added."),
        title=_("New service role: %(name)s"),
    )


def recognition_create(request, pk):
    return _member_record_create(
        request,
        pk,
        form_class=RecognitionForm,
        create=membership_services.recognition_create,
        done=_("Honour recorded."),
        title=_("Exemplary figure: %(name)s"),
    )


def membership_create(request, pk):
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    return member_form_page(
        request,
        MembershipForm(request.POST or None, member=member),
        lambda data: membership_services.membership_add(
            member=member,
            branch=data["branch"],
            joined_on=data["joined_on"],
            actor=request.user,
            request=request,
        ),
        done=_("Saved."),
        success_url=member_url(member),
        title=_("Takes part in a functional branch or team: %(name)s") % {"name": member.name},
        member=member,
    )


def _member_record_end(request, pk, related, record_pk, *, form_class, end, done, title):
    """End one of a member's records (a functional-branch membership, a service role):
    a one-date form, the service on POST, back to the member page. The record is looked
    up among the member's own, so the member's scope covers it."""
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    record = get_object_or_404(getattr(member, related).all(), pk=record_pk)
    return member_form_page(
        request,
        form_class(request.POST or None),
        lambda data: end(record, data),
        done=done,
        success_url=member_url(member),
        title=title(member, record),
        member=member,
    )


def membership_end(request, pk, membership_pk):
    def end(membership, data):
        membership_services.membership_end(
            membership=membership,
            left_on=data["left_on"],
            reason=data["reason"],
            actor=request.user,
            request=request,
        )

    return _member_record_end(
        request,
        pk,
        "memberships",
        membership_pk,
        form_class=MembershipEndForm,
        end=end,
        done=_("The leaving was recorded."),
        title=lambda member, membership: (
            _("%(name)s leaves %(branch)s")
            % {"name": member.name, "branch": membership.branch.name}
        ),
    )


def service_role_end(request, pk, role_pk):
    def end(role, data):
        membership_services.service_role_end(
            role=role, ends_on=data["ends_on"], actor=request.user, request=request
        )

    return _member_record_end(
        request,
        pk,
        "service_roles",
        role_pk,
        form_class=ServiceRoleEndForm,
        end=end,
        done=_("The service role was ended."),
        title=lambda member, role: (
            _("%(name)s stops serving as %(role)s")
            % {"name": member.name, "role": role.get_kind_display()}
        ),
    )
