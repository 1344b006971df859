from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class DecisionForm(forms.Form):
    """A decision on a batch, given the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    grant = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class ActivateForm(forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("The password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Set my password and log in"), css_class="btn-lg"))

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
