"""Forms of the API's administration pages (clients, tokens, the request log)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import DateInput

from .models import ApiClient
from .services import MAX_TOKEN_DAYS

MAX_RATE = 6000


def _helper(button: str) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("save", button, css_class="btn-lg"))
    return helper


class ClientForm(forms.Form):
    name = forms.CharField(
        label=_("Client name"),
        max_length=80,
        help_text=_("The system that calls the portal, e.g. 智慧党建平台."),
    )
    description = forms.CharField(label=_("What it is for"), max_length=200, required=False)
    contact = forms.CharField(
        label=_("Contact person"),
        max_length=80,
        required=False,
        help_text=_("Who answers for the client at the city: name and phone."),
    )
    rate_per_minute = forms.IntegerField(
        label=_("Requests per minute"), min_value=1, max_value=MAX_RATE, initial=120
    )
    # The version the form was opened at (optimistic lock, edit only).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, client: ApiClient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        if client is None:
            del self.fields["version"]
        self.helper = _helper(_("Save") if client else _("Create the client"))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = ApiClient.objects.filter(name=name)
        if self.client is not None:
            others = others.exclude(pk=self.client.pk)
        if others.exists():
            raise ValidationError(_("Another API client already has this name."))
        return name

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if version is None:
            raise ValidationError(_("The form is incomplete: open the page again."))
        return version


class TokenIssueForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=80,
        required=False,
        help_text=_("Where the token is used, e.g. 正式环境."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_TOKEN_DAYS, initial=90
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Issue the token"))


class RequestFilterForm(forms.Form):
    """Every query parameter of the request log page."""

    client = forms.ModelChoiceField(
        label=_("API client"),
        queryset=ApiClient.objects.order_by("name", "pk"),
        required=False,
        empty_label=_("Any"),
    )
    status = forms.ChoiceField(
        label=_("Request outcome"),
        required=False,
        choices=[
            ("", _("Any")),
            ("2xx", _("Answered (2xx)")),
            ("3xx", _("Redirected (3xx)")),
            ("4xx", _("Refused (4xx)")),
            ("5xx", _("Server error (5xx)")),
        ],
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    page = forms.IntegerField(
        required=False, min_value=1, max_value=1_000_000, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data
