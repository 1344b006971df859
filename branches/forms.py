from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .access import MANAGE_BRANCHES
from .models import Branch, BranchKind, Level, Organization, PartyGroup, Venue


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PortalForm(forms.ModelForm):
    """A model form rendered by crispy with one large save button."""

    submit_label = _("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", self.submit_label, css_class="btn-lg"))


class BranchForm(PortalForm):
    class Meta:
        model = Branch
        fields = [
            "name",
            "kind",
            "organization",
            "venue",
            "is_pilot",
            "work_brand",
            "liaison_name",
            "liaison_phone",
            "established_on",
            "dissolved_on",
            "note",
        ]
        widgets = {
            "established_on": DateInput(),
            "dissolved_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "organization": _(
                "A community branch belongs to a community; a functional or joint branch may "
                "sit at street level."
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.visible_to(
            user, MANAGE_BRANCHES
        ).filter(level__in=[Level.STREET, Level.COMMUNITY])
        self.fields["venue"].queryset = Venue.objects.visible_to(user, MANAGE_BRANCHES)

    def clean(self):
        data = super().clean()
        org, kind = data.get("organization"), data.get("kind")
        if org and kind == BranchKind.COMMUNITY and org.level != Level.COMMUNITY:
            self.add_error(
                "organization", _("A community retiree branch must belong to a community.")
            )
        established, dissolved = data.get("established_on"), data.get("dissolved_on")
        if established and dissolved and dissolved < established:
            self.add_error(
                "dissolved_on", _("The dissolution date cannot be before the founding date.")
            )
        return data


class PartyGroupForm(PortalForm):
    # Blank: the ordinal the name spells (第三党小组: 3) or the next free number.
    number = forms.IntegerField(
        label=_("Group number"),
        min_value=1,
        max_value=999,
        required=False,
        help_text=_("Groups are listed in this order. Leave empty to take it from the name."),
    )

    class Meta:
        model = PartyGroup
        fields = ["name", "number", "area"]

    def __init__(self, *args, branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch

    def clean_number(self):
        number = self.cleaned_data["number"]
        clash = PartyGroup.objects.filter(branch=self.branch, number=number).exclude(
            pk=self.instance.pk
        )
        if number is not None and clash.exists():
            raise forms.ValidationError(_("This branch already has a party group of that number."))
        return number

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = PartyGroup.objects.filter(branch=self.branch, name=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError(_("This branch already has a party group of that name."))
        return name


class VenueForm(PortalForm):
    class Meta:
        model = Venue
        fields = ["name", "kind", "organization", "address", "capacity", "accessible"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.visible_to(
            user, MANAGE_BRANCHES
        ).exclude(level=Level.CITY)
