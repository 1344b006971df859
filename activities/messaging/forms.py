"""The reminder preference form: channels, addresses and the daily digest time."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from branches.forms import PortalForm
from members.validators import validate_phone

from .channels import webhook_allowed
from .models import ReminderPreference, WebhookFlavour


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ReminderPreferenceForm(PortalForm):
    """The robot's address and secret are never shown again once saved (they are
    credentials): left empty they stay as they are; "remove the robot" clears them."""

    webhook_url = forms.CharField(
        label=_("Robot address (webhook URL)"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    webhook_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Only for robots with signing switched on (DingTalk, Feishu, others)."),
    )
    remove_webhook = forms.BooleanField(label=_("Remove the saved robot"), required=False)

    class Meta:
        model = ReminderPreference
        fields = [
            "digest_time",
            "use_email",
            "email",
            "use_webhook",
            "webhook_flavour",
            "use_sms",
            "phone",
        ]
        widgets = {"digest_time": TimeInput()}
        help_texts = {
            "digest_time": _(
                "Once a day at this time, everything due is gathered into one message. "
                "The in-app inbox always shows reminders as they come."
            ),
            "email": _("Empty: the address of your account."),
            "phone": _("Empty: the phone number of your account."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["webhook_flavour"].required = False
        self.had_webhook = bool(self.instance.webhook_url)
        self.order_fields(
            [
                "digest_time",
                "use_email",
                "email",
                "use_webhook",
                "webhook_flavour",
                "webhook_url",
                "webhook_secret",
                "remove_webhook",
                "use_sms",
                "phone",
            ]
        )
        if self.had_webhook:
            self.fields["webhook_url"].help_text = _(
                "A robot is saved. Leave empty to keep it; enter a new address to replace it."
            )

    def clean_webhook_flavour(self):
        return self.cleaned_data.get("webhook_flavour") or WebhookFlavour.WECOM

    def clean_phone(self):
        return validate_phone(self.cleaned_data.get("phone", ""))

    def clean_webhook_url(self):
        url = self.cleaned_data.get("webhook_url", "").strip()
        if url and not webhook_allowed(url):
            raise ValidationError(
                _("Use the address the robot gives you (WeCom, DingTalk or Feishu)."),
                code="webhook_not_allowed",
            )
        return url

    def clean(self):
        data = super().clean()
        if data.get("use_email") and not (data.get("email") or self.user.email):
            self.add_error("email", _("Enter the e-mail address for the digest."))
        keeps_webhook = self.had_webhook and not data.get("remove_webhook")
        if data.get("use_webhook") and not (data.get("webhook_url") or keeps_webhook):
            self.add_error("webhook_url", _("Enter the robot's webhook address."))
        if data.get("use_sms") and not (data.get("phone") or self.user.phone):
            self.add_error("phone", _("Enter the mobile number for the text message."))
        return data

    def save(self, commit=True):
        pref = super().save(commit=False)
        pref.user = self.user
        if self.cleaned_data.get("remove_webhook"):
            pref.webhook_url = pref.webhook_secret = ""
            pref.use_webhook = False
        else:
            if self.cleaned_data.get("webhook_url"):
                pref.webhook_url = self.cleaned_data["webhook_url"]
            if self.cleaned_data.get("webhook_secret"):
                pref.webhook_secret = self.cleaned_data["webhook_secret"]
        if commit:
            pref.save()
        return pref
