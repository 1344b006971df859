"""Uploading a 花名册 workbook to import."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Organization

from .shared import ActionForm


class ImportUploadForm(ActionForm):
    submit_label = _("Upload and check")
    community = forms.ModelChoiceField(label=_("Community"), queryset=Organization.objects.none())
    file = forms.FileField(
        label=_("Roster workbook (.xlsx)"),
        help_text=_("Up to 10 MB. The first sheet with a header row is read."),
    )

    def __init__(self, *args, communities, max_bytes, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.fields["community"].queryset = communities
        if len(communities) == 1:
            self.fields["community"].initial = communities[0]
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": self.max_bytes // 2**20}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        name = upload.name.lower()
        if name.endswith(".xls"):
            raise forms.ValidationError(
                _("Old .xls files cannot be read: open it in Excel or WPS and save as .xlsx.")
            )
        upload.seek(0)
        magic = upload.read(4)
        upload.seek(0)
        if not name.endswith(".xlsx") or magic != b"PK\x03\x04":
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        return upload
