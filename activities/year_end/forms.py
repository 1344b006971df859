"""Forms of the year end. Forms validate (the grade rules too, so the page names the
field); year_end.services assign, check again and save."""

from __future__ import annotations

import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.forms import DateInput, PortalForm, bound_dates

from .models import Appraisal, ItemSource, PairKind, RectificationItem
from .services import YearEndError, check_grade

MAX_VOTES = 999


class YearEndForm(forms.Form):
    """A plain form rendered by crispy with one large save button, dates bounded."""

    submit_label = _("Save")
    date_kinds: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", self.submit_label, css_class="btn-lg"))
        bound_dates(self, self.date_kinds)


def _member_choice(members, label):
    field = forms.ModelChoiceField(queryset=members, label=label)
    field.empty_label = _("— choose a member —")
    return field


class PairForm(YearEndForm):
    submit_label = _("Plan the pair")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first"] = _member_choice(members, _("Member"))
        self.fields["second"] = _member_choice(members, _("Talks with"))
        self.fields["kind"] = forms.ChoiceField(
            label=_("Kind of pair"),
            choices=PairKind.choices,
            initial=PairKind.MEMBERS,
        )

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            self.add_error("second", _("A member cannot talk with themselves."))
        return data


class SuggestForm(forms.Form):
    which = forms.ChoiceField(choices=[("secretary", "secretary"), ("committee", "committee")])


class TalkForm(YearEndForm):
    """The talk held: when, a short note (only for those who may read notes), and for a
    bedridden member the care visit at which it took place."""

    submit_label = _("Save the talk")
    date_kinds = {"held_on": "happened"}
    held_on = forms.DateField(label=_("Talk held on"), widget=DateInput())
    note = forms.CharField(
        label=_("Short note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept confidential: only the branch's committee and those above may read it."),
    )
    care_visit = forms.ModelChoiceField(queryset=None, label=_("Care visit"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, visits, sensitive: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_visit"].queryset = visits
        self.fields["care_visit"].empty_label = _("— no care visit —")
        self.fields["care_visit"].label_from_instance = lambda v: (
            f"{v.visited_on:%Y-%m-%d} {v.member.name} · {v.get_kind_display()}"
        )
        self.fields["care_visit"].help_text = _(
            "For a bedridden member: the visit at which the talk took place."
        )
        if not sensitive:
            del self.fields["note"]
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())

    def talk_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class LifeMeetingForm(YearEndForm):
    """The meeting, its observer, and a row per member (fields m<pk>_<name>)."""

    submit_label = _("Save the meeting records")
    ROW_FIELDS = (
        "self_criticism",
        "criticism_given",
        "given_text",
        "criticism_received",
        "received_text",
    )

    def __init__(self, *args, meetings, members, records, sensitive: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        self.sensitive = sensitive
        self.fields["meeting"] = forms.ModelChoiceField(
            queryset=meetings, label=_("The organisational life meeting"), required=False
        )
        self.fields["meeting"].empty_label = _("— not chosen yet —")
        self.fields["meeting"].label_from_instance = lambda m: (
            f"{m.day:%Y-%m-%d} {m.topic} · {m.get_status_display()}"
        )
        self.fields["observer"] = forms.CharField(
            label=_("Observer from the higher level"),
            max_length=80,
            required=False,
            help_text=_("Who attended from the street or community (列席)."),
        )
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
        for member in self.members:
            row = records.get(member.pk)
            for name in self.ROW_FIELDS:
                if name.endswith("_text"):
                    if not sensitive:
                        continue
                    field = forms.CharField(
                        label=_("What (short)"),
                        max_length=200,
                        required=False,
                        widget=forms.TextInput(attrs={"class": "form-control"}),
                    )
                else:
                    field = forms.BooleanField(
                        required=False,
                        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
                    )
                self.fields[f"m{member.pk}_{name}"] = field
                if row is not None and not self.is_bound:
                    self.initial[f"m{member.pk}_{name}"] = getattr(row, name)

    def rows(self):
        """(member, {name: bound field}) for the template."""
        return [
            (m, {n: self[f"m{m.pk}_{n}"] for n in self.ROW_FIELDS if f"m{m.pk}_{n}" in self.fields})
            for m in self.members
        ]

    def records(self) -> dict:
        data = self.cleaned_data
        return {
            m: {n: data[f"m{m.pk}_{n}"] for n in self.ROW_FIELDS if f"m{m.pk}_{n}" in data}
            for m in self.members
        }


class AppraisalForm(PortalForm):
    submit_label = _("Save the appraisal")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Appraisal
        fields = [
            "absent_reason",
            "self_assessment",
            "votes_excellent",
            "votes_qualified",
            "votes_basically_qualified",
            "votes_unqualified",
            "proposal",
            "decision",
            "reason",
            "outcome",
        ]

    def __init__(self, *args, voters: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.voters = voters
        for name in (
            "votes_excellent",
            "votes_qualified",
            "votes_basically_qualified",
            "votes_unqualified",
        ):
            self.fields[name].widget = forms.NumberInput(
                attrs={"min": 0, "max": MAX_VOTES, "inputmode": "numeric"}
            )
            self.fields[name].max_value = MAX_VOTES
            self.fields[name].required = False  # left empty: no votes
            self.fields[name].validators.append(_max_votes)
        for name in ("self_assessment", "proposal", "decision", "outcome"):
            self.fields[name].choices = [
                ("", _("— not recorded —")),
                *self.fields[name].choices[1:],
            ]
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        data = super().clean()
        votes = sum(
            data.get(n) or 0
            for n in (
                "votes_excellent",
                "votes_qualified",
                "votes_basically_qualified",
                "votes_unqualified",
            )
        )
        if votes > self.voters:
            self.add_error(
                None,
                _("%(votes)s votes, but the branch has %(voters)s members.")
                % {"votes": votes, "voters": self.voters},
            )
        try:
            check_grade(data)
        except YearEndError as error:
            self.add_error(
                {"reason": "reason", "outcome": "outcome"}.get(error.code, "decision"), str(error)
            )
        return data

    def appraisal_data(self) -> dict:
        return {
            n: self.cleaned_data.get(n) or (0 if n.startswith("votes") else "")
            for n in self.Meta.fields
        }


def _max_votes(value):
    if value is not None and value > MAX_VOTES:
        raise forms.ValidationError(_("At most %(n)s votes.") % {"n": MAX_VOTES})


class ItemForm(PortalForm):
    submit_label = _("Add the item")
    date_kinds = {"deadline": "planned"}
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = RectificationItem
        fields = ["committee_member", "problem", "measure", "owner", "deadline"]
        widgets = {
            "deadline": DateInput(),
            "problem": forms.Textarea(attrs={"rows": 2}),
            "measure": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, committee_members, **kwargs):
        super().__init__(*args, **kwargs)
        # Whose problem: a committee member's when one is chosen, else the branch's.
        self.fields["committee_member"].label = _("Whose problem")
        self.fields["committee_member"].queryset = committee_members
        self.fields["committee_member"].empty_label = _("— the branch's problem —")
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())

    def clean(self):
        data = super().clean()
        member = data.get("committee_member")
        data["source"] = ItemSource.COMMITTEE_MEMBER if member else ItemSource.BRANCH
        self.instance.source = data["source"]  # the model's check runs on the instance
        return data


class CloseForm(YearEndForm):
    submit_label = _("Close the item")
    date_kinds = {"closed_on": "happened"}
    evidence = forms.CharField(
        label=_("Evidence of the rectification"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done and where it can be checked."),
    )
    closed_on = forms.DateField(label=_("Closed on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("closed_on", timezone.localdate())

    def clean_evidence(self):
        text = self.cleaned_data["evidence"].strip()
        if not text:
            raise forms.ValidationError(_("Write the evidence."))
        return text
