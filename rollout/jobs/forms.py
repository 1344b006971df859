"""The upload form of an import job, and the confirmation's version."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.access import scope_for
from branches.models import Organization

from .registry import all_kinds, get_kind

RADIO = {"class": "form-check-input"}
ZIP_MAGIC = b"PK\x03\x04"


def kinds_for(user):
    held = scope_for(user).capabilities
    return [kind for kind in all_kinds() if kind.capability in held]


def import_nodes(user, kind=None):
    """The areas the user may import into (for one kind, or any of theirs)."""
    kinds = [kind] if kind else kinds_for(user)
    query = Organization.objects.none()
    for each in kinds:
        query |= Organization.objects.visible_to(user, each.capability).filter(
            level__in=each.levels
        )
    return query.order_by("path")


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), widget=forms.RadioSelect(attrs=RADIO))
    node = forms.ModelChoiceField(
        label=_("Area"), queryset=Organization.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control form-control-lg",
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Check only and show me what would change; I confirm before anything is written"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        kinds = kinds_for(user)
        self.fields["kind"].choices = [(k.name, k.label) for k in kinds]
        if kinds:
            self.fields["kind"].initial = kinds[0].name
        self.fields["node"].queryset = import_nodes(user)
        self.fields["node"].label_from_instance = lambda o: f"{o.get_level_display()} · {o.name}"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        head = upload.read(4)
        upload.seek(0)
        if head != ZIP_MAGIC:
            raise forms.ValidationError(
                _(
                    "The file is not an Excel workbook (.xlsx). Old .xls files: open them in "
                    "Excel or WPS and save as .xlsx."
                )
            )
        return upload

    def clean(self):
        data = super().clean()
        kind = get_kind(data.get("kind") or "")
        node = data.get("node")
        if kind and node and not import_nodes(self.user, kind).filter(pk=node.pk).exists():
            self.add_error("node", _("This import cannot be made for this area."))
        data["kind_obj"] = kind
        return data


class ConfirmForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
