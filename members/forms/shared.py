"""What the roster's forms share: the plain form with one big button."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from branches.forms import bound_dates


class ActionForm(forms.Form):
    """A plain form with one big button (registration actions)."""

    submit_label = _("Save")
    date_kinds: dict[str, str] = {}  # see branches.forms.bound_dates

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", self.submit_label, css_class="btn-lg"))
        bound_dates(self, self.date_kinds)
