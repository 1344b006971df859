"""Unit events' forms: the list's filters, one report form per kind (the liaison), and
the community's forms (accept, decline, and doing each kind). Every handling form
carries the version the task was loaded at."""

from __future__ import annotations

import datetime
from itertools import groupby

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.forms import DateInput
from branches.models import Branch, BranchKind, PartyGroup
from members.forms.shared import ActionForm
from members.models import Gender, Member, RelationKind, RetirementType
from members.validators import id_consistency_errors, validate_id_number, validate_phone

from .models import DEFAULT_DAYS, TaskState, UnitEvent, UnitEventKind

STATE_CHOICES = [
    ("", _("All")),
    ("open", TaskState.OPEN.label),
    ("overdue", pgettext_lazy("unit event", "Overdue")),
    ("done", TaskState.DONE.label),
    ("declined", TaskState.DECLINED.label),
]

# The date each kind asks for, its label and its kind of bound (branches.forms.DATE_KINDS).
# (A newly retired cadre's date is their retirement's.)
WHEN = {
    UnitEventKind.MOVED: (_("Moved on"), "happened"),
    UnitEventKind.DIED: (_("Died on"), "happened"),
    UnitEventKind.RELATION_TRANSFERRED: (_("Transferred on"), "happened"),
    UnitEventKind.VISIT_REQUESTED: (_("Visit wanted by"), "planned"),
}


class TaskFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    kind = forms.ChoiceField(
        label=pgettext_lazy("unit event", "What happened"),
        choices=[("", _("All")), *UnitEventKind.choices],
        required=False,
    )


class ReportForm(ActionForm):
    """What the liaison reports. A newly retired cadre: their details and the community
    to register with; any other kind: one of the unit's active retirees."""

    submit_label = _("Send to the community")
    date_kinds = {
        "birth_date": "born",
        "retired_on": "born",
        "due_on": "planned",
    }

    def __init__(self, *args, kind, retirees, communities, **kwargs):
        self.kind = kind
        when = WHEN.get(kind)
        if when:
            self.date_kinds = {**self.date_kinds, "happened_on": when[1]}
        self.base_fields = self._fields_for(kind, retirees, communities, when)
        super().__init__(*args, **kwargs)
        self.fields["due_on"].initial = timezone.localdate() + datetime.timedelta(days=DEFAULT_DAYS)
        if kind == UnitEventKind.NEWLY_RETIRED:
            self.communities = {c.pk: c for c in communities}

    @staticmethod
    def _fields_for(kind, retirees, communities, when) -> dict:
        fields: dict = {}
        if kind == UnitEventKind.NEWLY_RETIRED:
            fields["name"] = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=40)
            fields["gender"] = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
            fields["birth_date"] = forms.DateField(label=_("Birth date"), widget=DateInput())
            fields["phone"] = forms.CharField(label=_("Phone"), max_length=20, required=False)
            fields["address"] = forms.CharField(
                label=_("Home address"), max_length=200, required=False
            )
            fields["retirement_type"] = forms.ChoiceField(
                label=_("Retirement type"),
                choices=RetirementType.choices,
                initial=RetirementType.TUIXIU,
            )
            fields["retired_on"] = forms.DateField(label=_("Retired on"), widget=DateInput())
            fields["former_post"] = forms.CharField(
                label=_("Former post"), max_length=60, required=False
            )
            grouped = [
                (street.name if street else "", [(str(c.pk), c.name) for c in rows])
                for street, rows in groupby(communities, key=lambda c: c.parent)
            ]
            fields["community"] = forms.TypedChoiceField(
                label=_("Community to register with"),
                help_text=_("Where the retiree lives. The communities are grouped by street."),
                choices=[("", "---------"), *grouped],
                coerce=int,
            )
        else:
            field = forms.ModelChoiceField(label=_("Retiree"), queryset=retirees)
            field.label_from_instance = lambda m: f"{m.name} · {m.community.name}"
            fields["member"] = field
        if when:
            fields["happened_on"] = forms.DateField(
                label=when[0], widget=DateInput(), required=False
            )
        fields["details"] = forms.CharField(
            label=_("Anything the community should know"),
            widget=forms.Textarea(attrs={"rows": 3}),
            required=False,
            max_length=1000,
        )
        fields["due_on"] = forms.DateField(
            label=_("To be handled by"),
            widget=DateInput(),
            help_text=_("After this day the task shows as overdue on the community's list."),
        )
        return fields

    def clean_phone(self):
        return validate_phone(self.cleaned_data.get("phone", ""))

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_community(self):
        community = self.communities.get(self.cleaned_data["community"])
        if community is None:
            raise forms.ValidationError(_("Choose a community from the list."))
        return community

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        if data.get("due_on") and data["due_on"] < today:
            self.add_error("due_on", _("The day to handle it by cannot be in the past."))
        born, retired = data.get("birth_date"), data.get("retired_on")
        if born and retired and retired <= born:
            self.add_error("retired_on", _("The retirement comes after the birth."))
        return data


class VersionForm(ActionForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, event: UnitEvent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = event.version


class AcceptForm(VersionForm):
    submit_label = _("Accept the task")


class DeclineForm(VersionForm):
    submit_label = _("Decline the task")
    reason = forms.CharField(
        label=_("Why the community declines"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("The unit reads this."),
    )


class RegisterForm(VersionForm):
    """The newly retired cadre's registration, prefilled from the event: the secretary
    adds the ID number and chooses the home branch (and party group)."""

    submit_label = _("Register and place in the branch")
    date_kinds = {"birth_date": "born", "retired_on": "born"}
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=40)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, help_text=_("18 characters; a final x is accepted.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Home address"), max_length=200, required=False)
    retirement_type = forms.ChoiceField(label=_("Retirement type"), choices=RetirementType.choices)
    retired_on = forms.DateField(label=_("Retired on"), widget=DateInput(), required=False)
    former_post = forms.CharField(label=_("Former post"), max_length=60, required=False)
    branch = forms.ModelChoiceField(label=_("Home branch"), queryset=Branch.objects.none())
    party_group = forms.ModelChoiceField(
        label=_("Party group"), queryset=PartyGroup.objects.none(), required=False
    )

    MEMBER_FIELDS = (
        "name",
        "gender",
        "birth_date",
        "id_number",
        "phone",
        "address",
        "retirement_type",
        "retired_on",
        "former_post",
    )

    def __init__(self, *args, event: UnitEvent, **kwargs):
        super().__init__(*args, event=event, **kwargs)
        for name in self.MEMBER_FIELDS:
            if name != "id_number":
                self.fields[name].initial = getattr(event, name)
        community = event.community
        branches = Branch.objects.active().filter(
            Q(organization=community, kind=BranchKind.COMMUNITY)
            | Q(organization__path__in=community.ancestor_paths, kind=BranchKind.JOINT)
        )
        self.fields["branch"].queryset = branches
        self.fields["party_group"].queryset = PartyGroup.objects.filter(
            branch__in=branches
        ).select_related("branch")
        self.fields["party_group"].label_from_instance = lambda g: f"{g.branch.name} · {g.name}"

    def clean_id_number(self):
        number = validate_id_number(self.cleaned_data["id_number"])
        if Member.objects.by_id_number(number).exists():
            raise forms.ValidationError(_("A member with this ID number is already recorded."))
        return number

    def clean_phone(self):
        return validate_phone(self.cleaned_data.get("phone", ""))

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean(self):
        data = super().clean()
        if data.get("id_number"):
            for name, message in id_consistency_errors(
                data["id_number"], data.get("birth_date"), data.get("gender")
            ).items():
                self.add_error(name, message)
        branch, group = data.get("branch"), data.get("party_group")
        if branch and group and group.branch_id != branch.pk:
            self.add_error("party_group", _("This party group belongs to another branch."))
        return data

    def member_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.MEMBER_FIELDS}


class StatusForm(VersionForm):
    """Moved away or died: the date (from the event) and what the unit reads."""

    date_kinds = {"on": "born"}
    on = forms.DateField(label=_("Date"), widget=DateInput())
    outcome = forms.CharField(
        label=_("Note for the unit"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )

    def __init__(self, *args, event: UnitEvent, **kwargs):
        super().__init__(*args, event=event, **kwargs)
        self.fields["on"].initial = event.happened_on or timezone.localdate()
        if event.kind == UnitEventKind.MOVED:
            self.submit_label = _("Mark as moved away")
            self.fields["on"].label = _("Moved on")
        else:
            self.submit_label = _("Record the death")
            self.fields["on"].label = _("Died on")
        self.helper.inputs[0].value = self.submit_label


class RelationForm(VersionForm):
    """Party relation transferred: the member's relation fields only."""

    submit_label = _("Save the party relation")
    relation_kind = forms.ChoiceField(
        label=_("Party relation held by"), choices=RelationKind.choices
    )
    relation_branch = forms.ModelChoiceField(
        label=_("Branch holding the relation"), queryset=Branch.objects.none(), required=False
    )
    relation_note = forms.CharField(label=_("Relation note"), max_length=120, required=False)
    outcome = forms.CharField(
        label=_("Note for the unit"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )

    def __init__(self, *args, event: UnitEvent, user, **kwargs):
        super().__init__(*args, event=event, **kwargs)
        member = event.member
        self.fields["relation_kind"].initial = member.relation_kind
        self.fields["relation_branch"].initial = member.relation_branch_id
        self.fields["relation_note"].initial = member.relation_note
        self.fields["relation_branch"].queryset = Branch.objects.visible_to(user).active()

    def clean(self):
        data = super().clean()
        if data.get("relation_kind") == RelationKind.BRANCH and not data.get("relation_branch"):
            self.add_error("relation_branch", _("Choose the branch that holds the relation."))
        if data.get("relation_kind") != RelationKind.BRANCH:
            data["relation_branch"] = None
        return data


class VisitDoneForm(VersionForm):
    submit_label = _("Close the task")
    outcome = forms.CharField(
        label=_("What came of the visit"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("The unit reads this. Record the visit itself in care first."),
    )
