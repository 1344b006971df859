"""Recording, correcting and ending a secondment (选派在职党员)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.forms import DateInput
from branches.models import OriginalUnit

from ..models import SecondedMember, SecondmentRole
from ..validators import validate_phone
from .shared import ActionForm


class SecondedMemberForm(ActionForm):
    """Who the unit sends, as what, from when. Editing carries the version it loaded."""

    submit_label = _("Save")
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=40)
    unit = forms.ModelChoiceField(
        label=_("Sent by (original unit)"), queryset=OriginalUnit.objects.none()
    )
    role = forms.ChoiceField(
        label=_("Sent as"),
        choices=SecondmentRole.choices,
        initial=SecondmentRole.COMMITTEE,
        help_text=_("Only a committee member may be given a post on the branch committee."),
    )
    job_title = forms.CharField(label=_("Post at the unit"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, validators=[validate_phone]
    )
    starts_on = forms.DateField(label=_("Secondment starts on"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Secondment ends on"),
        widget=DateInput(),
        required=False,
        help_text=_("Its last day; leave empty if not yet known."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    # The version the page was loaded at (members.services.secondments compares it).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, branch, instance: SecondedMember | None = None, **kwargs):
        if instance is not None:
            kwargs["initial"] = {
                "name": instance.name,
                "unit": instance.unit_id,
                "role": instance.role,
                "job_title": instance.job_title,
                "phone": instance.phone,
                "starts_on": instance.starts_on,
                "note": instance.note,
                "version": instance.version,
            }
        super().__init__(*args, **kwargs)
        # The units of the branch's district (and those of no district).
        self.fields["unit"].queryset = OriginalUnit.objects.filter(
            Q(district__path__in=branch.organization.ancestor_paths) | Q(district__isnull=True)
        )
        if instance is None:
            self.fields["starts_on"].initial = timezone.localdate()
            del self.fields["version"]
        else:
            # The end is recorded by “End the secondment”.
            del self.fields["ends_on"]

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The secondment cannot end before it starts."))
        return data

    def changes(self) -> dict:
        """What an edit writes: the edited fields (the service keeps the unchanged)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in {"version", "ends_on"}
        }


class SecondmentEndForm(ActionForm):
    submit_label = _("End the secondment")
    ends_on = forms.DateField(
        label=_("Last day of the secondment"),
        widget=DateInput(),
        help_text=_("From the next day the posts this person holds are vacant."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, seconded: SecondedMember, **kwargs):
        initial = {
            "ends_on": seconded.ends_on or timezone.localdate(),
            "version": seconded.version,
        }
        super().__init__(*args, initial=initial, **kwargs)


class SecondedDeleteForm(ActionForm):
    submit_label = _("Delete this record")
