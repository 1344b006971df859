"""Forms of the places pages: the booking form and the query strings (week, month)."""

from __future__ import annotations

import datetime
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.care.models import Activity
from branches.forms import DATE_KINDS, DateInput, DateRange

from .selectors import monday_of


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class VenueChoice(forms.ModelChoiceField):
    """A venue named with what matters when choosing: where, and whether it is
    step-free (in words, not by colour)."""

    def label_from_instance(self, venue):
        parts = [venue.name]
        if venue.accessible:
            parts.append(str(_("step-free")))
        if venue.has_lift:
            parts.append(str(_("lift")))
        if venue.capacity:
            parts.append(str(_("%(seats)d seats") % {"seats": venue.capacity}))
        return " · ".join(parts)


class BookingForm(forms.Form):
    """Book a venue for a branch on one day, from a start to an end time. Fields the page
    fixes (the venue on a venue's page, the branch and meeting on a meeting's) are
    dropped: `venues`/`branches` None. `activities` None: booked for a meeting (no
    purpose asked); empty: no activity to choose."""

    venue = VenueChoice(label=_("Venue"), queryset=None, empty_label=None)
    branch = forms.ModelChoiceField(label=_("For branch"), queryset=None, empty_label=None)
    day = forms.DateField(label=_("Date"), widget=DateInput())
    starts = forms.TimeField(label=_("Start time"), widget=TimeInput())
    ends = forms.TimeField(label=_("End time"), widget=TimeInput())
    activity = forms.ModelChoiceField(
        label=_("For an activity"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("No activity"),
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=120,
        required=False,
        help_text=_("For example: party lecture, joint meeting with the original unit."),
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, venues=None, branches=None, activities=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, queryset in (("venue", venues), ("branch", branches)):
            if queryset is None:
                del self.fields[name]
            else:
                self.fields[name].queryset = queryset
        if activities is None:
            del self.fields["purpose"]
        if activities is None or not activities.exists():
            del self.fields["activity"]
        else:
            self.fields["activity"].queryset = activities
        today = timezone.localdate()
        high = DATE_KINDS["planned"](today)[1]
        self.fields["day"].validators.append(DateRange(today, high))
        self.fields["day"].widget.attrs.update(min=today.isoformat(), max=high.isoformat())
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Book"), css_class="btn-lg"))

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The booking must end after it starts."))
        if "purpose" in self.fields and not data.get("activity") and not data.get("purpose"):
            self.add_error("purpose", _("Say what the venue is for, or choose an activity."))
        return data

    def span(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Start and end as aware datetimes in the portal's time zone."""
        day = self.cleaned_data["day"]
        return tuple(
            timezone.make_aware(datetime.datetime.combine(day, self.cleaned_data[name]))
            for name in ("starts", "ends")
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("confirm", _("Confirm the booking")), ("refuse", _("Refuse the booking"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Needed when refusing: the branch reads it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save the decision"), css_class="btn-lg"))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not data.get("note", "").strip():
            self.add_error("note", _("Give the reason for refusing."))
        return data


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Cancel the booking"), css_class="btn-lg"))


class WeekForm(forms.Form):
    """?week=YYYY-MM-DD: the week holding that day (anything else: this week)."""

    week = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def monday(self) -> datetime.date:
        day = timezone.localdate()
        if self.is_valid() and self.cleaned_data["week"]:
            wanted = self.cleaned_data["week"]
            low, high = DATE_KINDS["planned"](day)
            if low <= wanted <= high:
                day = wanted
        return monday_of(day)


class MonthForm(forms.Form):
    """?month=YYYY-MM (anything else: this month)."""

    month = forms.CharField(
        required=False, validators=[RegexValidator(r"\A[0-9]{4}-(0[1-9]|1[0-2])\Z")]
    )

    def year_month(self) -> tuple[int, int]:
        today = timezone.localdate()
        if self.is_valid() and self.cleaned_data["month"]:
            year, month = (int(part) for part in self.cleaned_data["month"].split("-"))
            if 2000 <= year <= today.year + 2:
                return year, month
        return today.year, today.month
