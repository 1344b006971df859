"""Joint meetings (四方联席会议): the list, one meeting, recording and editing it, the
user's action items, closing and reopening one.

Reading a meeting: the area's readers (can_view_unit_work) and the parties that took
part (JointMeetingQuerySet.visible_to); recording and editing: can_record_joint_meetings
over the area; closing an item: its owner (ActionItemQuerySet.owned_by); reopening it:
the recorders. Outside the scope 404, inside without the capability 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.access import RECORD_JOINT_MEETINGS, VIEW_UNIT_WORK, get_for_user
from branches.pages import show_refusal

from . import selectors, services
from .forms import (
    PARTY_CHOICES,
    AreaForm,
    CloseForm,
    ItemFormSet,
    MeetingForm,
    PartyFormSet,
    ReopenForm,
    ShowForm,
    YearForm,
    entries,
    owner_key,
)
from .models import ActionItem, JointMeeting

PER_PAGE = 30
FIRST_PARTIES = 4  # the four parties: the area's row and three more on a new record
BLANK_ROWS = 2  # rows to add on an edit
FIRST_ITEMS = 3


def _meeting(request, pk, *, write=False):
    return get_for_user(
        request,
        JointMeeting.objects.select_related("area", "recorded_by"),
        pk,
        read=VIEW_UNIT_WORK,
        write=RECORD_JOINT_MEETINGS if write else None,
    )


def _item(request, pk, *, reopen=False):
    """An item its owner may close (or, with `reopen`, that its recorder may reopen):
    403 for those who only read it, 404 for everybody else."""
    user = request.user
    if reopen:
        recorded = JointMeeting.objects.visible_to(user, RECORD_JOINT_MEETINGS).values("pk")
        mine = ActionItem.objects.filter(meeting__in=recorded)
    else:
        mine = ActionItem.objects.owned_by(user)
    item = mine.select_related("meeting__area", "organization", "unit", "branch").filter(pk=pk)
    found = item.first()
    if found is not None:
        return found
    if ActionItem.objects.readable_by(user).filter(pk=pk).exists():
        raise PermissionDenied
    raise Http404


# --- Lists ------------------------------------------------------------------------------


def meeting_list(request):
    if not selectors.can_read_list(request.user):
        raise Http404
    query = YearForm(request.GET)
    year = query.value()
    meetings = JointMeeting.objects.visible_to(request.user).select_related("area")
    if year:
        meetings = meetings.filter(held_on__year=year)
    page = Paginator(meetings, PER_PAGE).get_page(query.page_number())
    return render(
        request,
        "units/joint/list.html",
        {
            "page": page,
            "year": year,
            "can_record": selectors.recording_areas(request.user).exists(),
        },
    )


def my_items(request):
    if not selectors.can_own_items(request.user):
        raise Http404
    show = ShowForm(request.GET).value()
    items = list(selectors.my_items(request.user, show)[: selectors.ITEMS_SHOWN])
    return render(
        request,
        "units/joint/my_items.html",
        {
            "items": items,
            "show": show,
            "shows": ShowForm.base_fields["show"].choices,
            "today": timezone.localdate(),
            "shown_max": selectors.ITEMS_SHOWN,
        },
    )


# --- One meeting ------------------------------------------------------------------------


def meeting_detail(request, pk):
    meeting = _meeting(request, pk)
    owned = set(
        ActionItem.objects.owned_by(request.user)
        .filter(meeting=meeting)
        .values_list("pk", flat=True)
    )
    items = meeting.action_items.select_related("organization", "unit", "branch", "closed_by")
    return render(
        request,
        "units/joint/meeting.html",
        {
            "meeting": meeting,
            "parties": meeting.parties.select_related("organization", "unit", "branch"),
            "items": items,
            "owned": owned,
            "today": timezone.localdate(),
            "can_record": selectors.can_record(request.user, meeting),
        },
    )


def _rows(initial: list, first: int) -> list:
    """The initial rows and blank ones: `first` in all on a new record, two more on an edit."""
    blank = BLANK_ROWS if first == 0 else max(first - len(initial), 0)
    return [*initial, *({} for _ in range(blank))]


def _formsets(request, area, *, parties=(), items=(), new=False):
    grouped, nodes = selectors.party_choices(area)
    kwargs = {"grouped": grouped, "nodes": nodes}
    data = request.POST if request.method == "POST" else None
    party_initial = _rows(list(parties), FIRST_PARTIES if new else 0)
    item_initial = _rows(list(items), FIRST_ITEMS if new else 0)
    return (
        PartyFormSet(data, prefix="parties", initial=party_initial, form_kwargs=kwargs),
        ItemFormSet(data, prefix="items", initial=item_initial, form_kwargs=kwargs),
    )


def _save(request, form, party_set, item_set, save):
    """Run `save(data, parties, items)` when all three are valid; a refusal goes on top."""
    if request.method != "POST":
        return None
    if not (form.is_valid() and party_set.is_valid() and item_set.is_valid()):
        return None
    try:
        return save(form.cleaned_data, entries(party_set), entries(item_set))
    except ValidationError as error:
        show_refusal(form, error)
        return None


def _form_page(request, form, party_set, item_set, **context):
    return render(
        request,
        "units/joint/form.html",
        {
            "form": form,
            "party_set": party_set,
            "item_set": item_set,
            "party_labels": dict(PARTY_CHOICES),
            **context,
        },
    )


def meeting_add(request):
    areas = list(selectors.recording_areas(request.user)[: selectors.AREAS_SHOWN])
    if not areas:
        raise Http404
    query = AreaForm(request.GET)
    area = selectors.chosen_area(
        query.cleaned_data.get("area") if query.is_valid() else None, areas
    )
    first = {"party": selectors.LEVEL_PARTY[area.level], "who": f"org:{area.pk}"}
    form = MeetingForm(request.POST or None, initial={"held_on": timezone.localdate()})
    party_set, item_set = _formsets(request, area, parties=[first], new=True)

    def save(data, parties, items):
        return services.meeting_record(
            area=area, data=data, parties=parties, items=items, actor=request.user, request=request
        )

    meeting = _save(request, form, party_set, item_set, save)
    if meeting is not None:
        messages.success(request, _("The joint meeting is recorded."))
        return redirect("joint:meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        party_set,
        item_set,
        title=_("Record a joint meeting"),
        area=area,
        areas=areas,
        back=reverse("joint:list"),
    )


def meeting_edit(request, pk):
    meeting = _meeting(request, pk, write=True)
    parties = [
        {"party": p.party, "who": owner_key(p), "attendees": p.attendees}
        for p in meeting.parties.all()
    ]
    open_items = list(meeting.action_items.open())
    items = [
        {"id": i.pk, "title": i.title, "party": i.party, "who": owner_key(i), "due_on": i.due_on}
        for i in open_items
    ]
    form = MeetingForm(request.POST or None, instance=meeting, initial={"version": meeting.version})
    party_set, item_set = _formsets(request, meeting.area, parties=parties, items=items)

    def save(data, parties, items):
        version = data.get("version")
        if version is None:
            raise ValidationError(_("The form is incomplete: open the page again."))
        return services.meeting_update(
            meeting=meeting,
            data=data,
            parties=parties,
            items=items,
            version=version,
            actor=request.user,
            request=request,
        )

    result = _save(request, form, party_set, item_set, save)
    if result is not None:
        if result:
            messages.success(request, _("The joint meeting is saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("joint:meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        party_set,
        item_set,
        title=_("Edit the joint meeting"),
        meeting=meeting,
        area=meeting.area,
        closed=meeting.action_items.filter(closed_at__isnull=False),
        back=reverse("joint:meeting", args=[meeting.pk]),
    )


# --- One action item --------------------------------------------------------------------


def _item_page(request, item, form, save, *, title, done):
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, done)
            return redirect("joint:meeting", pk=item.meeting_id)
    return render(
        request,
        "units/joint/item_form.html",
        {"form": form, "item": item, "title": title, "today": timezone.localdate()},
    )


def item_close(request, pk):
    item = _item(request, pk)
    if item.closed_at is not None:
        messages.info(request, _("This action item is closed already."))
        return redirect("joint:meeting", pk=item.meeting_id)
    form = CloseForm(request.POST or None, initial={"version": item.version})

    def save(data):
        services.item_close(
            item=item,
            note=data["note"],
            version=data["version"],
            actor=request.user,
            request=request,
        )

    return _item_page(
        request, item, form, save, title=_("Close the action item"), done=_("The item is closed.")
    )


def item_reopen(request, pk):
    item = _item(request, pk, reopen=True)
    if item.closed_at is None:
        messages.info(request, _("This action item is open."))
        return redirect("joint:meeting", pk=item.meeting_id)
    form = ReopenForm(request.POST or None, initial={"version": item.version})

    def save(data):
        services.item_reopen(
            item=item, version=data["version"], actor=request.user, request=request
        )

    return _item_page(
        request,
        item,
        form,
        save,
        title=_("Reopen the action item"),
        done=_("The item is open again."),
    )
