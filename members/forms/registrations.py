"""Community registration (报到): report, accept, notify, withdraw."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.forms import DateInput
from branches.models import Branch, BranchKind, Organization, PartyGroup

from .shared import ActionForm


class RegistrationReportForm(ActionForm):
    date_kinds = {"reported_on": "happened"}
    submit_label = _("Record the registration")
    community = forms.ModelChoiceField(label=_("Community"), queryset=Organization.objects.none())
    reported_on = forms.DateField(label=_("Reported on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["reported_on"].initial = timezone.localdate()

    def clean_reported_on(self):
        day = self.cleaned_data["reported_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class RegistrationAcceptForm(ActionForm):
    date_kinds = {"accepted_on": "happened"}
    submit_label = _("Accept and place in the branch")
    branch = forms.ModelChoiceField(label=_("Home branch"), queryset=Branch.objects.none())
    party_group = forms.ModelChoiceField(
        label=_("Party group"), queryset=PartyGroup.objects.none(), required=False
    )
    accepted_on = forms.DateField(label=_("Accepted on"), widget=DateInput())

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, **kwargs)
        community = registration.community
        branches = Branch.objects.active().filter(
            Q(organization=community, kind=BranchKind.COMMUNITY)
            | Q(organization__path__in=community.ancestor_paths, kind=BranchKind.JOINT)
        )
        self.fields["branch"].queryset = branches
        self.fields["party_group"].queryset = PartyGroup.objects.filter(
            branch__in=branches
        ).select_related("branch")
        self.fields["party_group"].label_from_instance = lambda g: f"{g.branch.name} · {g.name}"
        self.fields["accepted_on"].initial = timezone.localdate()
        if registration.branch_id:
            self.fields["branch"].initial = registration.branch_id
            self.fields["party_group"].initial = registration.party_group_id
        elif branches.count() == 1:
            self.fields["branch"].initial = branches.first()

    def clean(self):
        data = super().clean()
        branch, group = data.get("branch"), data.get("party_group")
        if branch and group and group.branch_id != branch.pk:
            self.add_error("party_group", _("This party group belongs to another branch."))
        if data.get("accepted_on") and data["accepted_on"] > timezone.localdate():
            self.add_error("accepted_on", _("The date cannot be in the future."))
        return data


class RegistrationWithdrawForm(ActionForm):
    date_kinds = {"withdrawn_on": "happened"}
    submit_label = _("Withdraw the registration")
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate()
