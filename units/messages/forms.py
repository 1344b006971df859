"""Forms of the unit messages pages: the lists' query strings and the unit's channels."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.messaging.channels import webhook_allowed
from activities.messaging.models import WebhookFlavour

from .models import DeliveryState


class ListQueryForm(forms.Form):
    """?state=failed&page=2 (a bad value: the page says so and shows the default)."""

    state = forms.ChoiceField(
        required=False,
        choices=[("", pgettext_lazy("unit messages", "All")), *DeliveryState.choices],
    )
    page = forms.IntegerField(min_value=1, max_value=100000, required=False)

    def value(self, name):
        self.is_valid()
        return self.cleaned_data.get(name) or None


class PageForm(forms.Form):
    page = forms.IntegerField(min_value=1, max_value=100000, required=False)

    def value(self, name):
        self.is_valid()
        return self.cleaned_data.get(name) or None


class ContactForm(forms.Form):
    """The unit's contact person and channels. The robot's address and secret are never
    shown back: left empty they stay as they are ("remove the robot" clears both)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
    contact_name = forms.CharField(label=_("contact person"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    webhook_flavour = forms.ChoiceField(label=_("robot"), choices=WebhookFlavour.choices)
    webhook_url = forms.CharField(
        label=_("robot address (webhook URL)"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the address saved before."),
    )
    webhook_secret = forms.CharField(
        label=_("robot signing secret"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the secret saved before."),
    )
    remove_robot = forms.BooleanField(label=_("Remove the robot"), required=False)

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"].strip()
        if url and not webhook_allowed(url):
            raise forms.ValidationError(
                _("This robot address is not on the allowed list of robot services.")
            )
        return url

    def changes(self) -> dict:
        """The fields to write: the secrets only when typed (or removed)."""
        data = {
            name: self.cleaned_data[name]
            for name in ("contact_name", "contact_phone", "email", "webhook_flavour")
        }
        if self.cleaned_data["remove_robot"]:
            data |= {"webhook_url": "", "webhook_secret": ""}
        else:
            for name in ("webhook_url", "webhook_secret"):
                if self.cleaned_data[name]:
                    data[name] = self.cleaned_data[name]
        return data
