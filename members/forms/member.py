"""One member's forms: the record, status, erasure, and the small records added to a
member (service roles, honours, functional branches).
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import EDIT_MEMBERS
from branches.forms import DateInput, PortalForm
from branches.models import Branch, BranchKind, Level, Organization, OriginalUnit

from ..models import Member, MemberStatus, Recognition, RelationKind, ServiceRole
from ..validators import id_consistency_errors, validate_id_number, validate_phone
from .shared import ActionForm

MEMBER_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "id_number",
    "phone",
    "address",
    "community",
    "original_unit",
    "former_post",
    "rank",
    "retirement_type",
    "retired_on",
    "joined_party_on",
    "full_member_on",
    "relation_kind",
    "relation_branch",
    "relation_note",
    "health",
    "mobility_impaired",
    "living",
    "skills",
]
DATE_FIELDS = ["birth_date", "retired_on", "joined_party_on", "full_member_on"]


class MemberForm(PortalForm):
    """Create or edit a member. The ID number is checked (length, check digit, birth date
    and gender must agree) and phone numbers normalised."""

    date_kinds = {
        "birth_date": "born",
        "retired_on": "born",
        "joined_party_on": "party",
        "full_member_on": "party",
    }
    report_now = forms.BooleanField(
        label=_("Record the community registration (reported) now"),
        required=False,
        initial=True,
    )

    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        widgets = {name: DateInput() for name in DATE_FIELDS}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_class = "member-form"  # portal.css: the relation's branch by kind
        communities = Organization.objects.visible_to(user, EDIT_MEMBERS).filter(
            level=Level.COMMUNITY
        )
        if self.instance.pk:
            # Moving house is a new registration elsewhere, not an edit.
            del self.fields["community"]
            del self.fields["report_now"]
        else:
            self.fields["community"].queryset = communities
            if communities.count() == 1:
                self.fields["community"].initial = communities.first()
        # Units of the member's district (or of the user's communities' districts).
        places = [self.instance.community] if self.instance.pk else list(communities)
        districts = {path for place in places for path in place.ancestor_paths}
        self.fields["original_unit"].queryset = OriginalUnit.objects.filter(
            Q(district__path__in=districts) | Q(district__isnull=True)
        )
        self.fields["relation_branch"].queryset = Branch.objects.visible_to(user).active()
        self.fields["id_number"].validators = []  # checked (and normalised) in clean_id_number
        self.fields["phone"].validators = []
        self.fields["id_number"].help_text = _("18 characters; a final x is accepted.")

    def clean_id_number(self):
        number = validate_id_number(self.cleaned_data["id_number"])
        clash = Member.objects.by_id_number(number).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("A member with this ID number is already recorded."))
        return number

    def clean_phone(self):
        return validate_phone(self.cleaned_data.get("phone", ""))

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean(self):
        data = super().clean()
        number = data.get("id_number")
        if number:
            for name, message in id_consistency_errors(
                number, data.get("birth_date"), data.get("gender")
            ).items():
                self.add_error(name, message)
        today = timezone.localdate()
        for name in DATE_FIELDS:
            if data.get(name) and data[name] > today:
                self.add_error(name, _("The date cannot be in the future."))
        joined, full = data.get("joined_party_on"), data.get("full_member_on")
        if joined and full and full < joined:
            self.add_error(
                "full_member_on", _("A member becomes a full member after joining the party.")
            )
        if data.get("relation_kind") == RelationKind.BRANCH and not data.get("relation_branch"):
            self.add_error("relation_branch", _("Choose the branch that holds the relation."))
        return data

    def member_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class StatusForm(PortalForm):
    date_kinds = {"status_on": "born"}
    submit_label = _("Save status")

    class Meta:
        model = Member
        fields = ["status", "status_on"]
        widgets = {"status_on": DateInput()}
        labels = {"status_on": _("Date of the change")}

    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("status") != MemberStatus.ACTIVE and not data.get("status_on"):
            self.add_error("status_on", _("Give the date of the change."))
        if data.get("status_on") and data["status_on"] > timezone.localdate():
            self.add_error("status_on", _("The date cannot be in the future."))
        return data


class EraseForm(ActionForm):
    """Erasing a member cannot be undone: the user types the member's name to confirm."""

    submit_label = _("Delete the member and their data")

    name = forms.CharField(label=_("Type the member's name to confirm"), max_length=40)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.helper.inputs[0].field_classes = "btn btn-danger btn-lg"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if name != self.member.name:
            raise forms.ValidationError(_("The name does not match this member."))
        return name


class ServiceRoleForm(PortalForm):
    class Meta:
        model = ServiceRole
        fields = ["kind", "organization_name", "starts_on", "ends_on", "note"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data


class RecognitionForm(PortalForm):
    class Meta:
        model = Recognition
        fields = ["title", "conferred_by", "conferred_on", "note"]
        widgets = {"conferred_on": DateInput()}


class MembershipForm(ActionForm):
    date_kinds = {"joined_on": "born"}
    submit_label = _("Save")
    branch = forms.ModelChoiceField(label=_("Branch or team"), queryset=Branch.objects.none())
    joined_on = forms.DateField(label=_("Joined on"), widget=DateInput())

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        # Functional and joint branches around where the member lives (community, street,
        # district), whoever may see them: the member's editor names where they take part.
        community = member.community
        self.fields["branch"].queryset = (
            Branch.objects.active()
            .filter(organization__path__in=[*community.ancestor_paths, community.path])
            .exclude(kind=BranchKind.COMMUNITY)
            .exclude(pk=member.home_branch_id)
        )
        self.fields["joined_on"].initial = timezone.localdate()

    def clean_joined_on(self):
        day = self.cleaned_data["joined_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class MembershipEndForm(ActionForm):
    """Leaving a functional branch or team: the date and, if wished, why."""

    date_kinds = {"left_on": "born"}
    submit_label = _("Record the leaving")
    left_on = forms.DateField(label=_("Left on"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=200,
        help_text=_("For example: moved away, health, the team was dissolved."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate()


class ServiceRoleEndForm(ActionForm):
    submit_label = _("End the service role")
    ends_on = forms.DateField(label=_("Ended on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].initial = timezone.localdate()
