"""Forms of the joint meetings: the meeting, its parties and its action items (two
formsets on one page, blank rows left out), closing an item, the lists' query strings."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import ActionItem, JointMeeting, JointParty, Party
from .services import ItemEntry, PartyEntry

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PARTY_CHOICES = [("", _("(choose)")), *Party.choices]


class MeetingForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = JointMeeting
        fields = ["held_on", "place", "topic", "matters", "decisions"]
        widgets = {
            "held_on": DATE,
            "matters": forms.Textarea(attrs={"rows": 3}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }


class _Row(forms.Form):
    """A row naming a party and one of the nodes, units or branches the recorder may
    reach (grouped by party). A row left blank is ignored."""

    party = forms.ChoiceField(label=_("Party"), choices=PARTY_CHOICES, required=False)
    who = forms.ChoiceField(label=_("Which one"), required=False)

    def __init__(self, *args, grouped, nodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.nodes = nodes
        self.fields["who"].choices = [("", _("(choose)")), *grouped]

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in self.required_when_used)

    required_when_used: tuple[str, ...] = ("party", "who")

    def has_changed(self) -> bool:
        # A prefilled row sent back as it was is still a row to save (a formset skips
        # the rows beyond its initial count that did not change).
        return any(self.data.get(self.add_prefix(name)) for name in self.required_when_used)

    def clean(self):
        data = super().clean()
        if not self.is_blank():
            for name in self.required_when_used:
                if not data.get(name):
                    self.add_error(name, _("Fill this in, or leave the whole row empty."))
        return data


class PartyForm(_Row):
    attendees = forms.CharField(
        label=JointParty._meta.get_field("attendees").verbose_name, max_length=200, required=False
    )

    def entry(self) -> PartyEntry:
        d = self.cleaned_data
        return PartyEntry(d["party"], self.nodes[d["who"]], d["attendees"].strip())


class ItemForm(_Row):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(
        label=ActionItem._meta.get_field("title").verbose_name, max_length=200, required=False
    )
    due_on = forms.DateField(
        label=ActionItem._meta.get_field("due_on").verbose_name, widget=DATE, required=False
    )
    delete = forms.BooleanField(label=_("Delete this item"), required=False)

    required_when_used = ("title", "party", "who", "due_on")
    field_order = ["id", "title", "party", "who", "due_on", "delete"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.initial.get("id"):  # a new row: nothing to delete
            del self.fields["delete"]

    def entry(self) -> ItemEntry:
        d = self.cleaned_data
        return ItemEntry(
            d["title"].strip(),
            d["party"],
            self.nodes[d["who"]],
            d["due_on"],
            pk=d.get("id"),
            delete=bool(d.get("delete")),
        )


PartyFormSet = formset_factory(PartyForm, extra=0, max_num=12, validate_max=True)
ItemFormSet = formset_factory(ItemForm, extra=0, max_num=30, validate_max=True)


def entries(formset) -> list:
    return [form.entry() for form in formset.forms if not form.is_blank()]


def owner_key(row) -> str:
    if row.organization_id:
        return f"org:{row.organization_id}"
    if row.unit_id:
        return f"unit:{row.unit_id}"
    return f"branch:{row.branch_id}"


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReopenForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ShowForm(forms.Form):
    """The query string of "my action items": open (the default), closed or all."""

    show = forms.ChoiceField(
        choices=[
            ("open", pgettext_lazy("action item", "Open")),
            ("closed", pgettext_lazy("action item", "Closed")),
            ("all", _("All")),
        ],
        required=False,
    )

    def value(self) -> str:
        return (self.cleaned_data.get("show") if self.is_valid() else "") or "open"


class YearForm(forms.Form):
    """The query string of the meetings' list: one year (or every year) and the page."""

    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)

    def value(self) -> int | None:
        self.is_valid()
        return self.cleaned_data.get("year") if "year" not in self.errors else None

    def page_number(self) -> int:
        self.is_valid()
        return (self.cleaned_data.get("page") if "page" not in self.errors else None) or 1


class AreaForm(forms.Form):
    """The query string of the recording page: which of the user's areas convenes."""

    area = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
