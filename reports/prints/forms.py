"""The batch print form: what to print, for which area, for which period, in which
output. Every query parameter of the prints' pages is parsed here."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import PRINT_BATCHES
from branches.models import Organization

from .models import PrintOutput
from .registry import choices, get_kind
from .services import LEVELS

MAX_RANGE_DAYS = 92
RADIO = {"class": "form-check-input"}
SELECT = {"class": "form-select form-select-lg"}


class KindSelect(forms.RadioSelect):
    """The kinds as radios, each naming its kind's period (data-period), so the page shows
    only the period fields the chosen kind reads (reports/prints.css)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        kind = get_kind(str(value))
        if kind is not None:
            option["attrs"]["data-period"] = kind.period
        return option


def next_week(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return monday, monday + datetime.timedelta(days=6)


def print_nodes(user):
    """The districts, streets and communities where the user may print batches."""
    return (
        Organization.objects.visible_to(user, PRINT_BATCHES)
        .filter(level__in=LEVELS)
        .order_by("path")
    )


class PrintJobForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to print"), widget=KindSelect(attrs=RADIO))
    node = forms.ModelChoiceField(label=_("Area"), queryset=Organization.objects.none())
    date_from = forms.DateField(
        label=_("Meetings planned from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    year = forms.TypedChoiceField(
        label=_("Year"), coerce=int, required=False, widget=forms.Select(attrs=SELECT)
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        required=False,
        empty_value=0,
        widget=forms.Select(attrs=SELECT),
        choices=[
            ("", _("Whole year")),
            (1, _("Quarter 1")),
            (2, _("Quarter 2")),
            (3, _("Quarter 3")),
            (4, _("Quarter 4")),
        ],
    )
    output = forms.ChoiceField(
        label=_("Output"),
        choices=PrintOutput.choices,
        initial=PrintOutput.PDF,
        widget=forms.RadioSelect(attrs=RADIO),
    )

    def __init__(self, *args, user, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        self.fields["kind"].choices = choices()
        self.fields["node"].queryset = print_nodes(user)
        self.fields["node"].label_from_instance = lambda o: f"{o.get_level_display()} · {o.name}"
        years = list(range(today.year, today.year - 5, -1))
        self.fields["year"].choices = [(y, str(y)) for y in years]
        start, end = next_week(today)
        self.fields["date_from"].initial = start
        self.fields["date_to"].initial = end
        self.fields["year"].initial = today.year
        self.fields["kind"].initial = "sign_in"
        self.fields["output"].initial = PrintOutput.PDF
        nodes = list(self.fields["node"].queryset[:1])
        if nodes:
            self.fields["node"].initial = nodes[0].pk

    def clean(self):
        data = super().clean()
        kind = get_kind(data.get("kind") or "")
        if kind is None:
            return data
        params: dict = {}
        if kind.period == "range":
            start, end = data.get("date_from"), data.get("date_to")
            if not start or not end:
                raise forms.ValidationError(_("Choose the first and the last day."))
            if end < start:
                self.add_error("date_to", _("The last day is before the first."))
            elif (end - start).days >= MAX_RANGE_DAYS:
                self.add_error(
                    "date_to", _("At most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS}
                )
            params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
        elif kind.period in ("period", "year"):
            if not data.get("year"):
                self.add_error("year", _("Choose a year."))
            params = {"year": data.get("year")}
            if kind.period == "period" and data.get("quarter"):
                params["quarter"] = data["quarter"]
        data["params"] = params
        return data
