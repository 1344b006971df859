"""The reminder preference form (channels, addresses and the daily digest time) and a
member's notice settings (their secretary's page)."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from branches.forms import DateInput, PortalForm
from members.masking import mask_phone
from members.validators import validate_phone

from .channels import webhook_allowed
from .models import (
    MEMBER_NOTICE_KINDS,
    FamilyMode,
    MemberChannel,
    MemberMessaging,
    ReminderPreference,
    WebhookFlavour,
)


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
            "use_wecom",
            "wecom_userid",
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
        self.helper.form_class = "reminder-form"  # portal.css: each channel's fields when on
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
                "use_wecom",
                "wecom_userid",
            ]
        )
        if not settings.REMINDER_WECOM_AGENT_ID:  # no WeCom application: not offered
            del self.fields["use_wecom"], self.fields["wecom_userid"]
        if self.had_webhook:
            self.fields["webhook_url"].help_text = _(
                "A robot is saved. Leave empty to keep it; enter a new address to replace it."
            )
        else:  # nothing saved to remove
            del self.fields["remove_webhook"]

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
        if data.get("use_wecom") and not data.get("wecom_userid"):
            self.add_error("wecom_userid", _("Enter your WeCom account (UserID)."))
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


class DeclinesExcuseForm(forms.Form):
    """The one-tap button: the meeting's version when the page was loaded (a save in
    between is a conflict, not an overwrite)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class MemberMessagingForm(PortalForm):
    """How notices reach one member, as their secretary records it. A saved family
    contact's number is shown masked and not sent back to the browser: left empty it
    stays; "remove the family contact" clears the contact and its consent."""

    date_kinds = {"consent_on": "happened"}

    opted_out = forms.MultipleChoiceField(
        label=_("Does not want these notices"),
        choices=[(k.value, k.label) for k in MEMBER_NOTICE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    family_phone = forms.CharField(
        label=_("Family contact's mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    remove_family = forms.BooleanField(label=_("Remove the family contact"), required=False)
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1
    )

    class Meta:
        model = MemberMessaging
        fields = [
            "channel",
            "family_name",
            "family_relation",
            "family_mode",
            "consent_by",
            "consent_on",
            "consent_how",
        ]
        widgets = {"consent_on": DateInput(), "channel": forms.RadioSelect}

    def __init__(self, *args, opted_out=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = MemberChannel.choices  # no empty choice
        self.fields["family_mode"].widget = forms.RadioSelect(choices=FamilyMode.choices)
        self.fields["family_mode"].choices = FamilyMode.choices
        self.fields["opted_out"].initial = list(opted_out)
        self.fields["version"].initial = self.instance.version if self.instance.pk else None
        self.had_family = bool(self.instance.family_phone)
        if self.had_family:
            self.fields["family_phone"].help_text = _(
                "Saved: %(phone)s. Leave empty to keep it; enter a new number to replace it."
            ) % {"phone": mask_phone(self.instance.family_phone)}
        self.order_fields(
            [
                "channel",
                "opted_out",
                "family_name",
                "family_relation",
                "family_phone",
                "family_mode",
                "consent_by",
                "consent_on",
                "consent_how",
                "remove_family",
                "version",
            ]
        )

    def clean_family_phone(self):
        return validate_phone(self.cleaned_data.get("family_phone", ""))

    def clean(self):
        data = super().clean()
        if data.get("remove_family"):
            return data
        phone = data.get("family_phone") or (self.had_family and self.instance.family_phone)
        if data.get("family_phone") and not data.get("family_name"):
            self.add_error("family_name", _("Enter the family contact's name."))
        if phone:
            # The member's consent comes first: who gave it, when and how.
            for name in ("consent_by", "consent_on", "consent_how"):
                if not data.get(name):
                    self.add_error(
                        name, _("Record the member's consent before a family contact is used.")
                    )
        return data

    def changes(self) -> dict:
        """The fields for writes.member_messaging_save: the family number only when one
        was typed, everything about the family contact cleared when it is removed."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.cleaned_data.get("remove_family"):
            data.update(
                family_name="",
                family_relation="",
                family_phone="",
                consent_by="",
                consent_on=None,
                consent_how="",
            )
        elif self.cleaned_data.get("family_phone"):
            data["family_phone"] = self.cleaned_data["family_phone"]
        return data
