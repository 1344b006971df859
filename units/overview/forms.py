"""The overview's query string: the period (default: this year to date) and the area
drilled into. A bad value gives the page with the defaults and a message, never an error."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import Period, default_period

EARLIEST = datetime.date(2000, 1, 1)
LONGEST = datetime.timedelta(days=366 * 5)
MAX_PK = 2**31 - 1


class OverviewForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    area = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, widget=forms.HiddenInput
    )
    format = forms.ChoiceField(
        required=False, choices=[("", ""), ("xlsx", "xlsx")], widget=forms.HiddenInput
    )

    def __init__(self, data, *, today: datetime.date):
        self.today = today
        super().__init__(data)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        default = default_period(self.today)
        start, end = start or default.start, end or default.end
        if start > end:
            raise forms.ValidationError(_("The start of the period is after its end."))
        if start < EARLIEST or end - start > LONGEST:
            raise forms.ValidationError(
                _("Choose a period within the last years, at most five years long.")
            )
        data["period"] = Period(start, end)
        return data

    def period(self) -> Period:
        if self.is_valid():
            return self.cleaned_data["period"]
        return default_period(self.today)

    def value(self, name: str):
        """A cleaned value, or None when the query string got it wrong."""
        if self.is_valid():
            return self.cleaned_data.get(name) or None
        return None
