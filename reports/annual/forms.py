from django import forms
from django.utils.translation import gettext_lazy as _

from .services import Decision


class SubmitForm(forms.Form):
    # The revision of the return the page showed: a second click, or another user's
    # action meanwhile, finds it changed (services.annual_return_submit).
    revision = forms.IntegerField(min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Decision.ACCEPT, _("Accept the return")),
            (Decision.RETURN, _("Return it for correction")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (what needs correcting)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    revision = forms.IntegerField(min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput)
