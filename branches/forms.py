import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import MANAGE_BRANCHES
from .models import (
    Branch,
    BranchKind,
    Level,
    Organization,
    OriginalUnit,
    PartyGroup,
    Venue,
    VenueOwner,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# Dates a person types are bounded to what makes sense for the field (issue 13, item
# 27: a meeting on 0001-01-01, a branch founded in 2200). A kind of date -> its
# earliest and latest day, given today; a date field no form names gets "any".
BIRTHS_FROM = datetime.date(1900, 1, 1)
PARTY_FOUNDED = datetime.date(1921, 7, 1)
RECORDS_FROM = datetime.date(2000, 1, 1)


def years_after(day: datetime.date, years: int) -> datetime.date:
    return day.replace(
        year=day.year + years, day=28 if (day.month, day.day) == (2, 29) else day.day
    )


DATE_KINDS = {
    "born": lambda today: (BIRTHS_FROM, today),  # a birth, retirement, a member's status
    "party": lambda today: (PARTY_FOUNDED, today),  # joining the party, founding a branch
    "happened": lambda today: (RECORDS_FROM, today),  # a meeting held, a visit made
    "planned": lambda today: (RECORDS_FROM, years_after(today, 2)),  # may lie ahead
    "any": lambda today: (BIRTHS_FROM, years_after(today, 10)),  # terms, rules, periods
    # A meeting held: the recording form refuses a future day itself, in its own words.
    "held": lambda today: (RECORDS_FROM, None),
}


class DateRange:
    def __init__(self, low: datetime.date, high: datetime.date | None):
        self.low, self.high = low, high

    def __call__(self, value: datetime.date) -> None:
        if value < self.low:
            raise ValidationError(
                _("The date cannot be before %(day)s."),
                code="date_too_early",
                params={"day": self.low.isoformat()},
            )
        if self.high is None:
            return
        if value > self.high == timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="date_too_late")
        if value > self.high:
            raise ValidationError(
                _("The date cannot be after %(day)s."),
                code="date_too_late",
                params={"day": self.high.isoformat()},
            )


def bound_dates(form, kinds: dict[str, str]) -> None:
    """Bound every date field of the form by its kind (`kinds`: field name -> a key of
    DATE_KINDS), on the server and in the date picker."""
    today = timezone.localdate()
    for name, field in form.fields.items():
        if isinstance(field, forms.DateField):
            low, high = DATE_KINDS[kinds.get(name, "any")](today)
            field.validators.append(DateRange(low, high))
            field.widget.attrs.update(min=low.isoformat(), max=(high or today).isoformat())


class PortalForm(forms.ModelForm):
    """A model form rendered by crispy with one large save button."""

    submit_label = _("Save")
    date_kinds: dict[str, str] = {}  # see bound_dates

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", self.submit_label, css_class="btn-lg"))
        bound_dates(self, self.date_kinds)


class BranchForm(PortalForm):
    date_kinds = {"established_on": "party", "dissolved_on": "party"}

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
    # The version the form was loaded at (branches.services.venue_save compares it).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    class Meta:
        model = Venue
        fields = [
            "name",
            "kind",
            "organization",
            "address",
            "capacity",
            "accessible",
            "has_lift",
            "accessible_toilet",
            "equipment",
            "opening_hours",
            "owner_kind",
            "owner_unit",
            "contact_name",
            "contact_phone",
        ]
        help_texts = {
            "organization": _("Where the venue is: its community, or the street for a centre."),
            "owner_unit": _("Only for a venue an original unit owns."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_class = "venue-form"  # portal.css: the owning unit by owner
        self.fields["organization"].queryset = Organization.objects.visible_to(
            user, MANAGE_BRANCHES
        ).exclude(level=Level.CITY)
        self.fields["owner_unit"].queryset = OriginalUnit.objects.choosable_by(user)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def clean(self):
        data = super().clean()
        owner, unit, org = data.get("owner_kind"), data.get("owner_unit"), data.get("organization")
        if owner == VenueOwner.UNIT and unit is None:
            self.add_error("owner_unit", _("Choose the original unit that owns the venue."))
        if owner != VenueOwner.UNIT:
            data["owner_unit"] = None
        wanted = {VenueOwner.COMMUNITY: Level.COMMUNITY, VenueOwner.STREET: Level.STREET}
        if org is not None and owner in wanted and org.level != wanted[owner]:
            self.add_error(
                "organization",
                _("A venue owned by a %(owner)s must sit in one.")
                % {"owner": VenueOwner(owner).label},
            )
        return data
