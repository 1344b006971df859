"""Forms of the feedback reports: the half-year chosen in the query string, the
secretary's review (the remarks, per person too), acknowledging with a reply, starting a
district's run. Forms validate; feedback.services assign, check again and save."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Half
from .selectors import last_finished_half

REMARK_LIMIT = 300
FIRST_YEAR = 2000


def _year_field():
    return forms.IntegerField(
        label=_("Year"), min_value=FIRST_YEAR, max_value=timezone.localdate().year + 1
    )


class HalfChoiceForm(forms.Form):
    """?year=2026&half=1 on the community's page (the last finished half-year if
    neither is given; an invalid value is shown as an error, the default used)."""

    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=2100, required=False)
    half = forms.TypedChoiceField(
        label=_("Half-year"), choices=Half.choices, coerce=int, required=False, empty_value=None
    )

    def __init__(self, data, *, today):
        super().__init__(data)
        self.today = today
        self.default = last_finished_half(today)

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year and year > self.today.year + 1:
            raise forms.ValidationError(_("Choose a year up to next year."))
        return year

    def half_year(self) -> tuple[int, int]:
        if not self.is_valid():
            return self.default
        year = self.cleaned_data.get("year") or self.default[0]
        half = self.cleaned_data.get("half") or self.default[1]
        return year, half


class PlainForm(forms.Form):
    """A form with one large button (a confirmation when it has no fields)."""

    submit_label = _("Save")

    def __init__(self, *args, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        label = submit_label or self.submit_label
        self.helper.add_input(Submit("save", label, css_class="btn-lg"))


class ReviewForm(PlainForm):
    submit_label = _("Save the review")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    remarks = forms.CharField(
        label=_("The community's remarks"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.CharField(
                label=_("Remark on %(name)s") % {"name": line.name},
                required=False,
                max_length=REMARK_LIMIT,
                initial=line.remark,
            )

    def line_remarks(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}", "") for line in self.lines}


class VersionForm(PlainForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AcknowledgeForm(PlainForm):
    submit_label = _("Acknowledge the report")
    reply = forms.CharField(
        label=_("Reply to the community (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RunForm(PlainForm):
    submit_label = _("Generate the drafts")
    year = _year_field()
    half = forms.TypedChoiceField(label=_("Half-year"), choices=Half.choices, coerce=int)
