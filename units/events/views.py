"""Unit events' pages: the list (the community's tasks, the liaison's reported events),
reporting one (the liaison, one form per kind), an event's page, and the community's
accept / decline / do. Outside the scope answers 404; readers who may not handle, 403.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from accounts.query import query_int
from branches.access import (
    HANDLE_UNIT_EVENTS,
    REPORT_UNIT_EVENTS,
    VIEW_UNIT_WORK,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.pages import form_page
from members.masking import mask_address, mask_phone

from . import selectors, services
from .forms import (
    AcceptForm,
    DeclineForm,
    RegisterForm,
    RelationForm,
    ReportForm,
    StatusForm,
    TaskFilterForm,
    VisitDoneForm,
)
from .models import OPEN_STATES, UnitEvent, UnitEventKind

FORM = "units/events/form.html"
PER_PAGE = 30


def _event(request, pk, *, write=False) -> UnitEvent:
    return get_for_user(
        request,
        UnitEvent.objects.select_related("unit", "community", "member", "result_member"),
        pk,
        read=VIEW_UNIT_WORK,
        write=HANDLE_UNIT_EVENTS if write else None,
    )


def _open_task(request, pk) -> UnitEvent:
    event = _event(request, pk, write=True)
    if event.state not in OPEN_STATES:
        raise Http404  # a closed task has nothing left to do
    return event


def _detail(event) -> str:
    return reverse("unit_events:detail", args=[event.pk])


def _page(request, form, save, event, title, done, **context):
    return form_page(
        request,
        form,
        save,
        template=FORM,
        refusals=(services.EventError, ValidationError),
        done=done,
        success_url=_detail,
        event=event,
        title=title,
        back=_detail(event),
        **context,
    )


def task_list(request):
    scope = require_capability(request, VIEW_UNIT_WORK)
    today = timezone.localdate()
    form = TaskFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.task_list(
        request.user, state=filters.get("state", ""), kind=filters.get("kind", ""), today=today
    )
    page = Paginator(rows, PER_PAGE).get_page(query_int(request.GET.get("page"), 1, 10**6))
    units = list(selectors.reporting_units(request.user)) if scope.has(REPORT_UNIT_EVENTS) else []
    return render(
        request,
        "units/events/list.html",
        {
            "form": form,
            "page": page,
            "today": today,
            "units": units,
            "kinds": UnitEventKind.choices,
            "handler": scope.has(HANDLE_UNIT_EVENTS),
            "query": request.GET.urlencode() if form.is_valid() else "",
        },
    )


def report(request, unit_pk, kind):
    require_capability(request, REPORT_UNIT_EVENTS)
    unit = selectors.reporting_units(request.user).select_related("district").filter(pk=unit_pk)
    unit = unit.first()
    if unit is None or kind not in UnitEventKind.values:
        raise Http404
    form = ReportForm(
        request.POST or None,
        kind=kind,
        retirees=selectors.unit_retirees(request.user, unit),
        communities=list(selectors.receiving_communities(unit)),
    )
    return form_page(
        request,
        form,
        lambda data: services.event_report(
            unit=unit, kind=kind, data=data, actor=request.user, request=request
        ),
        template=FORM,
        refusals=(services.EventError,),
        refusal_field="member" if kind != UnitEventKind.NEWLY_RETIRED else None,
        done=_("Sent to the community. You will see here what it does."),
        success_url=_detail,
        title=UnitEventKind(kind).label,
        unit=unit,
        back=reverse("unit_events:list"),
    )


def detail(request, pk):
    event = _event(request, pk)
    handler = selectors.may_handle(request.user, event)
    is_open = event.state in OPEN_STATES
    # A newcomer's phone and address: whole only to the unit that wrote them; the
    # community reads them whole in the registration form, an audited view.
    whole = event.unit_id in scope_for(request.user).unit_ids(REPORT_UNIT_EVENTS)
    return render(
        request,
        "units/events/detail.html",
        {
            "event": event,
            "today": timezone.localdate(),
            "is_open": is_open,
            "phone": event.phone if whole else mask_phone(event.phone),
            "address": event.address if whole else mask_address(event.address),
            "handler": handler and is_open,
            "accept_form": AcceptForm(event=event) if handler and event.state == "open" else None,
        },
    )


def accept(request, pk):
    event = _open_task(request, pk)
    form = AcceptForm(request.POST or None, event=event)
    return _page(
        request,
        form,
        lambda data: services.event_accept(
            event=event, version=data["version"], actor=request.user, request=request
        ),
        event,
        _("Accept the task"),
        _("Accepted. Do it by the day it is due."),
    )


def decline(request, pk):
    event = _open_task(request, pk)
    form = DeclineForm(request.POST or None, event=event)
    return _page(
        request,
        form,
        lambda data: services.event_decline(
            event=event,
            version=data["version"],
            reason=data["reason"],
            actor=request.user,
            request=request,
        ),
        event,
        _("Decline the task"),
        _("Declined. The unit has been told why."),
    )


def do(request, pk):
    """Doing the task: the form of its kind, through the members' services."""
    event = _open_task(request, pk)
    data = request.POST or None
    kind = event.kind
    if kind == UnitEventKind.NEWLY_RETIRED:
        form = RegisterForm(data, event=event)
        if request.method == "GET":  # the form shows the phone and address whole
            audit.record(
                AuditAction.VIEW_SENSITIVE,
                event,
                actor=request.user,
                request=request,
                after={"fields": ["phone", "address"], "via": "register"},
            )

        def save(d):
            return services.event_register(
                event=event,
                version=d["version"],
                fields=form.member_fields(),
                branch=d["branch"],
                party_group=d["party_group"],
                actor=request.user,
                request=request,
            )

        title = _("Register the newly retired cadre")
    elif kind in (UnitEventKind.MOVED, UnitEventKind.DIED):
        form = StatusForm(data, event=event)

        def save(d):
            return services.event_status(
                event=event,
                version=d["version"],
                on=d["on"],
                outcome=d["outcome"],
                actor=request.user,
                request=request,
            )

        title = form.submit_label
    elif kind == UnitEventKind.RELATION_TRANSFERRED:
        form = RelationForm(data, event=event, user=request.user)

        def save(d):
            return services.event_transfer(
                event=event,
                version=d["version"],
                relation=d,
                outcome=d["outcome"],
                actor=request.user,
                request=request,
            )

        title = _("Update the party relation")
    else:
        form = VisitDoneForm(data, event=event)

        def save(d):
            return services.event_visited(
                event=event,
                version=d["version"],
                outcome=d["outcome"],
                actor=request.user,
                request=request,
            )

        title = _("Close the visit task")
    return _page(request, form, save, event, title, _("Done. The unit has been told."), doing=True)
