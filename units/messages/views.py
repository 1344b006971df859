"""Pages of unit messages: the liaison's inbox and a message, the area's messages to
units with each delivery's state, failed deliveries to resend, a unit's contact
channels (shown masked, edited, tested)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from branches.access import (
    MANAGE_UNIT_CONTACTS,
    VIEW_UNIT_WORK,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import OriginalUnit

from . import selectors, services
from .forms import ContactForm, ListQueryForm, PageForm
from .models import UnitContact, UnitDelivery

PAGE_SIZE = 20


def _bad_query(request, form) -> None:
    if not form.is_valid():
        messages.warning(request, _("The address asked for something unknown; the list shows all."))


def inbox(request):
    if not scope_for(request.user).unit_ids(VIEW_UNIT_WORK):
        raise Http404
    query = PageForm(request.GET)
    _bad_query(request, query)
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(query.value("page"))
    return render(request, "units/messages/inbox.html", {"page": page})


def detail(request, pk):
    """A message: its liaison opening it marks it read; the area's staff see its
    deliveries."""
    user = request.user
    own = selectors.inbox(user).filter(pk=pk).first()
    message = own or selectors.area_messages(user).filter(pk=pk).first()
    if message is None:
        raise Http404
    if own is not None and own.read_at is None:
        services.mark_read(message=own)
        own.refresh_from_db(fields=["read_at"])
    deliveries = list(message.deliveries.all())
    return render(
        request,
        "units/messages/detail.html",
        {"message": message, "deliveries": deliveries, "own": own is not None},
    )


def sent(request):
    """Messages sent from the user's area to units, with each delivery's state."""
    scope = require_capability(request, VIEW_UNIT_WORK)
    if not scope.paths(VIEW_UNIT_WORK):
        raise Http404
    query = ListQueryForm(request.GET)
    _bad_query(request, query)
    qs = selectors.area_messages(request.user)
    if state := query.value("state"):
        qs = qs.filter(deliveries__state=state).distinct()
    page = Paginator(selectors.with_deliveries(qs), PAGE_SIZE).get_page(query.value("page"))
    return render(
        request, "units/messages/sent.html", {"page": page, "query": query, "state": state}
    )


def failed(request):
    """Failed e-mail and robot deliveries of the units whose channels the user fixes."""
    require_capability(request, MANAGE_UNIT_CONTACTS)
    query = PageForm(request.GET)
    _bad_query(request, query)
    qs = (
        selectors.failed_deliveries(request.user)
        .select_related("message__unit", "message__community")
        .order_by("-message__created_at", "pk")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(query.value("page"))
    return render(request, "units/messages/failed.html", {"page": page})


def resend(request, pk):
    """GET: what will be sent again; POST: send it again."""
    delivery = selectors.failed_deliveries(request.user).select_related("message__unit")
    delivery = delivery.filter(pk=pk).first()
    if delivery is None:
        seen = UnitDelivery.objects.filter(
            pk=pk, message__in=selectors.area_messages(request.user)
        ).exists()
        raise PermissionDenied if seen else Http404
    if request.method == "POST":
        if services.resend(delivery=delivery, actor=request.user, request=request):
            messages.success(request, _("It will be sent again within a minute or two."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("unit_messages:failed")
    return render(request, "units/messages/resend.html", {"delivery": delivery})


def contacts(request):
    require_capability(request, MANAGE_UNIT_CONTACTS)
    units = OriginalUnit.objects.visible_to(request.user, MANAGE_UNIT_CONTACTS).select_related(
        "channels"
    )
    query = PageForm(request.GET)
    _bad_query(request, query)
    page = Paginator(units.order_by("name"), PAGE_SIZE).get_page(query.value("page"))
    return render(request, "units/messages/contacts.html", {"page": page})


def _unit(request, pk):
    return get_for_user(
        request, OriginalUnit.objects.all(), pk, read=MANAGE_UNIT_CONTACTS, write=None
    )


def contact(request, pk):
    unit = _unit(request, pk)
    channels = UnitContact.objects.filter(unit=unit).first()
    return render(request, "units/messages/contact.html", {"unit": unit, "channels": channels})


def contact_edit(request, pk):
    unit = _unit(request, pk)
    channels = UnitContact.objects.filter(unit=unit).first() or UnitContact(unit=unit)
    initial = {
        "version": channels.version,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "email": channels.email,
        "webhook_flavour": channels.webhook_flavour,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_contact(
                unit=unit,
                data=form.changes(),
                version=form.cleaned_data["version"],
                actor=request.user,
                request=request,
            )
        except services.ContactConflict as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The contact channels are saved."))
            return redirect("unit_messages:contact", pk=unit.pk)
    return render(
        request,
        "units/messages/contact_form.html",
        {"unit": unit, "channels": channels, "form": form},
    )


def contact_test(request, pk):
    """GET: where a test message will go; POST: send it."""
    unit = _unit(request, pk)
    channels = UnitContact.objects.filter(unit=unit).first()
    if request.method == "POST":
        message = services.send_test(unit=unit, actor=request.user, request=request)
        messages.success(request, _("A test message is on its way; its state is shown below."))
        return redirect(reverse("unit_messages:detail", args=[message.pk]))
    return render(request, "units/messages/contact_test.html", {"unit": unit, "channels": channels})
