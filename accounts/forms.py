from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import audit_display, lockout
from .audit import client_ip
from .models import AuditAction, SecurityPolicy, User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The user name or password is wrong. Please try again."),
        "inactive": _("This account is disabled."),
        "locked": _(
            "Too many failed log-ins for this user name. "
            "Please wait %(minutes)d minutes and try again, or ask your system administrator."
        ),
        "address_throttled": _(
            "Too many failed log-ins from this network address. Please wait a minute and try again."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            # Refused before the password was checked, or locked by this very failure.
            refused = getattr(self.request, "_login_refused", "")
            state = lockout.state(self.cleaned_data.get("username"), client_ip(self.request))
            refused = refused or state.refused
            if refused == lockout.NAME:
                raise ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": state.minutes},
                ) from None
            if refused == lockout.ADDRESS:
                raise ValidationError(
                    self.error_messages["address_throttled"], code="address_throttled"
                ) from None
            raise


class PortalPasswordChangeForm(PasswordChangeForm):
    pass


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from the authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self):
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit():
            raise ValidationError(_("The code is made of digits only."))
        return token


class BigButtonForm(forms.Form):
    submit_label = _("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", self.submit_label, css_class="btn-lg"))


class PasswordPairMixin:
    """Two password fields checked against each other and the password policy."""

    def _add_password_fields(self):
        self.fields["password1"] = forms.CharField(
            label=_("Password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=password_validation.password_validators_help_text_html(),
        )
        self.fields["password2"] = forms.CharField(
            label=_("Password again"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        )

    def _clean_passwords(self, user):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, user)
            except ValidationError as error:
                self.add_error("password1", error)


class UserCreateForm(PasswordPairMixin, BigButtonForm):
    submit_label = _("Create the account")

    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_password_fields()

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This user name is taken."))
        return username

    def clean(self):
        data = super().clean()
        probe = User(
            username=data.get("username", ""),
            full_name=data.get("full_name", ""),
            email=data.get("email", ""),
        )
        self._clean_passwords(probe)
        return data


class UserEditForm(BigButtonForm):
    full_name = forms.CharField(label=_("Full name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)


class PasswordResetForm(PasswordPairMixin, BigButtonForm):
    submit_label = _("Set this password")

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self._add_password_fields()
        self.fields["password1"].label = _("New password")

    def clean(self):
        data = super().clean()
        self._clean_passwords(self.user)
        return data


class ConfirmForm(forms.Form):
    """A POST with nothing to fill in: the confirmation page's button."""


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SecurityPolicy
        fields = list(SecurityPolicy.POLICY_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save the policy"), css_class="btn-lg"))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("User name"), max_length=150, required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("Any")), *AuditAction.choices], required=False
    )
    # By Chinese name; the value is the technical type the trail stores.
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=40, required=False)
    ip = forms.CharField(label=_("Address"), max_length=45, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("Any")), *audit_display.type_choices()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
