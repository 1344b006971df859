"""The completeness page's query string: the area drilled into, the problem listed, the
page of the list. A bad value gives the page with the defaults and a message."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import Problem

MAX_PK = 2**31 - 1
MAX_PAGE = 100_000


class CompletenessForm(forms.Form):
    area = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, widget=forms.HiddenInput
    )
    problem = forms.ChoiceField(label=_("Problem"), required=False)
    page = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput
    )

    def __init__(self, data):
        super().__init__(data)
        self.fields["problem"].choices = [("", _("Any missing member field")), *Problem.choices]

    def value(self, name: str):
        """A cleaned value, or None when the query string got it wrong or left it out."""
        if self.is_valid():
            return self.cleaned_data.get(name) or None
        return None
