"""Forms for care needs, carers, visits, follow-ups and activities. Forms validate;
care.services assign and save."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.forms import DateInput, PortalForm, bound_dates

from .models import Activity, CareNeed, Carer, CareVisit, CareVisitKind, FollowUp, FollowUpState

MAX_HOURS = Decimal("24")


def _not_future(day: datetime.date) -> datetime.date:
    if day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return day


class CareNeedForm(PortalForm):
    """A member's care record. The care note is left out for a user who may not read
    it (then it is kept as it is)."""

    date_kinds = {"started_on": "happened", "closed_on": "happened"}

    class Meta:
        model = CareNeed
        fields = [
            "poor_health",
            "limited_mobility",
            "lives_alone",
            "aged_80_plus",
            "hospitalised",
            "interval_days",
            "care_note",
            "started_on",
            "closed_on",
            "close_reason",
        ]
        widgets = {
            "started_on": DateInput(),
            "closed_on": DateInput(),
            "care_note": forms.Textarea(attrs={"rows": 3}),
            "interval_days": forms.NumberInput(
                attrs={"min": 1, "max": 366, "inputmode": "numeric"}
            ),
        }

    def __init__(self, *args, sensitive: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not sensitive:
            del self.fields["care_note"]
        if not self.instance.pk:
            del self.fields["closed_on"]
            del self.fields["close_reason"]
        self.fields["interval_days"].validators.append(_max_interval)

    def clean(self):
        data = super().clean()
        reasons = [data.get(name) for name in CareNeed.REASON_FIELDS]
        if not any(reasons) and not data.get("closed_on"):
            raise forms.ValidationError(_("Tick at least one reason for care."))
        start, end = data.get("started_on"), data.get("closed_on")
        if start and end and end < start:
            self.add_error("closed_on", _("Care cannot end before it started."))
        if end and not (data.get("close_reason") or "").strip():
            self.add_error("close_reason", _("Say why care ended."))
        return data

    def data_for_service(self) -> dict:
        return dict(self.cleaned_data)


def _max_interval(value):
    if value > 366:
        raise forms.ValidationError(_("Visit at least once a year (366 days at most)."))


class CarerForm(PortalForm):
    date_kinds = {"since": "happened"}
    submit_label = _("Add the carer")
    is_me = forms.BooleanField(
        label=_("I am this carer (the member then appears on my list)"), required=False
    )

    class Meta:
        model = Carer
        fields = ["is_me", "name", "relation", "is_lead", "since"]
        widgets = {"since": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].required = False
        self.initial.setdefault("since", timezone.localdate())

    def clean(self):
        data = super().clean()
        if data.get("is_me"):
            data["name"] = (data.get("name") or "").strip() or self.user.display_name[:40]
        elif not (data.get("name") or "").strip():
            self.add_error("name", _("Write the carer's name."))
        return data

    def carer(self) -> Carer:
        carer = self.save(commit=False)
        carer.name = self.cleaned_data["name"]
        carer.user = self.user if self.cleaned_data.get("is_me") else None
        return carer


class CareVisitForm(PortalForm):
    """Record or change a visit. A 送学上门 may name the meeting it makes up for (the
    meetings the member missed and has not made up); a new visit may add a follow-up."""

    date_kinds = {"visited_on": "happened", "follow_up_due": "planned"}
    submit_label = _("Save the visit")
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    follow_up_matter = forms.CharField(
        label=_("Matter to follow up"),
        max_length=300,
        required=False,
        help_text=_("Leave empty when nothing needs doing."),
    )
    follow_up_owner = forms.CharField(label=_("Responsible"), max_length=60, required=False)
    follow_up_due = forms.DateField(label=_("Due by"), required=False, widget=DateInput())

    class Meta:
        model = CareVisit
        fields = [
            "kind",
            "visited_on",
            "meeting",
            "occasion",
            "visitors",
            "summary",
            "matters_raised",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "visited_on": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "matters_raised": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, meetings, user, sensitive: bool, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons without the blank "select an option" choice; a routine visit
        # unless the page asked for another kind.
        self.fields["kind"].choices = CareVisitKind.choices
        if not self.instance.pk:
            self.initial.setdefault("kind", CareVisitKind.ROUTINE)
        self.fields["meeting"].queryset = meetings
        self.fields["meeting"].label_from_instance = _meeting_label
        self.fields["meeting"].empty_label = _("— no meeting —")
        if not sensitive:
            # The notes are not shown to this user; they are kept as they are.
            del self.fields["summary"]
            del self.fields["matters_raised"]
        if self.instance.pk:
            for name in ("client_key", "follow_up_matter", "follow_up_owner", "follow_up_due"):
                del self.fields[name]
        elif not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())
            self.initial.setdefault("visited_on", timezone.localdate())
            self.initial.setdefault("visitors", user.display_name[:120])
            self.initial.setdefault("follow_up_owner", user.display_name[:60])
            self.initial.setdefault(
                "follow_up_due", timezone.localdate() + datetime.timedelta(days=14)
            )

    def clean_visited_on(self):
        return _not_future(self.cleaned_data["visited_on"])

    def clean(self):
        data = super().clean()
        if data.get("meeting") and data.get("kind") != CareVisitKind.HOME_STUDY:
            self.add_error("meeting", _("Only a study delivered at home makes up for a meeting."))
        if "follow_up_matter" in self.fields and (data.get("follow_up_matter") or "").strip():
            if not (data.get("follow_up_owner") or "").strip():
                self.add_error("follow_up_owner", _("Say who is responsible."))
            due, day = data.get("follow_up_due"), data.get("visited_on")
            if not due:
                self.add_error("follow_up_due", _("Give a date it should be done by."))
            elif day and due < day:
                self.add_error("follow_up_due", _("The due date cannot be before the visit."))
        return data

    def visit_data(self) -> dict:
        names = ("kind", "visited_on", "meeting", "occasion", "visitors")
        data = {name: self.cleaned_data.get(name) for name in names}
        data["occasion"] = data["occasion"] or ""
        for name in ("summary", "matters_raised"):
            if name in self.fields:
                data[name] = self.cleaned_data.get(name) or ""
        return data

    def follow_up_data(self) -> dict | None:
        matter = (self.cleaned_data.get("follow_up_matter") or "").strip()
        if not matter:
            return None
        return {
            "matter": matter,
            "owner_name": self.cleaned_data["follow_up_owner"].strip(),
            "due_on": self.cleaned_data["follow_up_due"],
        }


def _meeting_label(meeting) -> str:
    group = f" · {meeting.party_group.name}" if meeting.party_group_id else ""
    return f"{meeting.held_on:%Y-%m-%d} {meeting.get_kind_display()}{group} · {meeting.topic}"


class FollowUpAddForm(forms.Form):
    matter = forms.CharField(label=_("Matter to follow up"), max_length=300)
    owner_name = forms.CharField(label=_("Responsible"), max_length=60)
    due_on = forms.DateField(label=_("Due by"), widget=DateInput())

    def __init__(self, *args, visit, user, **kwargs):
        super().__init__(*args, **kwargs)
        bound_dates(self, {"due_on": "planned"})
        self.visit = visit
        self.initial.setdefault("owner_name", user.display_name[:60])
        self.initial.setdefault("due_on", timezone.localdate() + datetime.timedelta(days=14))

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < self.visit.visited_on:
            raise forms.ValidationError(_("The due date cannot be before the visit."))
        return due


class FollowUpForm(forms.Form):
    """Move a follow-up along; the solved date defaults to today."""

    state = forms.ChoiceField(
        label=_("State"), choices=FollowUpState.choices, widget=forms.RadioSelect
    )
    solved_on = forms.DateField(
        label=_("Solved or closed on"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: today."),
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=300, required=False)
    due_on = forms.DateField(label=_("Due by"), widget=DateInput())

    def __init__(self, *args, follow_up: FollowUp, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "state": follow_up.state,
                "solved_on": follow_up.solved_on,
                "outcome": follow_up.outcome,
                "due_on": follow_up.due_on,
            },
        )
        super().__init__(*args, **kwargs)
        bound_dates(self, {"solved_on": "happened", "due_on": "planned"})
        self.follow_up = follow_up

    def clean_solved_on(self):
        day = self.cleaned_data.get("solved_on")
        return _not_future(day) if day else day

    def clean(self):
        data = super().clean()
        day = data.get("solved_on")
        if day and day < self.follow_up.visit.visited_on:
            self.add_error("solved_on", _("A follow-up cannot be solved before the visit."))
        return data


class ActivityForm(PortalForm):
    date_kinds = {"held_on": "planned"}

    class Meta:
        model = Activity
        fields = ["kind", "title", "held_on", "team", "place", "description"]
        widgets = {
            "held_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "team": _("The volunteer team or interest group, if it organised the activity."),
        }


class ParticipantsForm(forms.Form):
    """Tick who took part and write each one's service hours. Built from the
    candidates (one query), not a formset: the service writes all lines at once."""

    def __init__(self, *args, candidates, current: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        for member in self.candidates:
            self.fields[f"p{member.pk}"] = forms.BooleanField(
                label=member.name, required=False, initial=member.pk in current
            )
            self.fields[f"h{member.pk}"] = forms.CharField(
                label=_("Service hours"),
                required=False,
                initial=current.get(member.pk, ""),
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal", "class": "form-control hours-input"}
                ),
            )

    def clean(self):
        data = super().clean()
        for member in self.candidates:
            raw = (data.get(f"h{member.pk}") or "").strip()
            if not raw:
                data[f"h{member.pk}"] = Decimal("0")
                continue
            try:
                value = Decimal(raw.replace("，", ".").replace(",", "."))
            except InvalidOperation:
                self.add_error(f"h{member.pk}", _("Write the hours as a number, e.g. 2.5"))
                continue
            if not value.is_finite() or value < 0 or value > MAX_HOURS:
                self.add_error(f"h{member.pk}", _("Between 0 and 24 hours."))
                continue
            data[f"h{member.pk}"] = value
        return data

    def rows(self):
        for member in self.candidates:
            yield member, self[f"p{member.pk}"], self[f"h{member.pk}"]

    def hours(self) -> dict[int, Decimal]:
        return {
            member.pk: self.cleaned_data[f"h{member.pk}"]
            for member in self.candidates
            if self.cleaned_data.get(f"p{member.pk}")
        }
