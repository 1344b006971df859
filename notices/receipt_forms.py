"""Forms of the receipts work: confirm (回执), reply (反馈), forward (转发), remind (催办)
and the receipts page's filter. Files go through notices.uploads.checked_upload."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.forms import DateInput
from branches.models import Organization

from . import uploads

MAX_REPLY_CHARS = 2000
MAX_NOTE_CHARS = 5000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by `uploads.checked_upload`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": uploads.ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in files if item]
        if len(files) > uploads.max_files():
            raise forms.ValidationError(
                _("At most %(n)d files can be attached.") % {"n": uploads.max_files()}
            )
        checked = []
        errors = []
        for upload in files:
            try:
                checked.append((upload, uploads.checked_upload(upload)))
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return checked


def _helper(label) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("save", label, css_class="btn-lg"))
    return helper


class ReceiptChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.branch.name


class ConfirmForm(forms.Form):
    """One receipt, or (left empty) every open receipt the user answers for."""

    receipt = ReceiptChoiceField(
        queryset=None,
        required=False,
        label=pgettext_lazy("receipts", "Branch"),
        empty_label=pgettext_lazy("receipts", "All my branches"),
    )

    def __init__(self, *args, receipts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receipt"].queryset = receipts


class ReplyForm(forms.Form):
    receipt = ReceiptChoiceField(queryset=None, label=pgettext_lazy("receipts", "Branch"))
    text = forms.CharField(
        label=_("Your reply"),
        required=False,
        max_length=MAX_REPLY_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    files = MultipleFileField(
        label=_("Files of the reply"),
        help_text=_("PDF, Word (DOC, DOCX), JPG or PNG; several files can be chosen at once."),
    )

    def __init__(self, *args, receipts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receipt"].queryset = receipts
        if len(receipts) == 1:
            self.fields["receipt"].initial = receipts[0].pk
            self.fields["receipt"].widget = forms.HiddenInput()
        self.helper = _helper(_("Send the reply"))

    def clean(self):
        data = super().clean()
        if not data.get("text", "").strip() and not data.get("files") and not self.errors:
            raise forms.ValidationError(_("Write a reply or attach a file."))
        return data


class NodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class AudienceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ForwardForm(forms.Form):
    node = NodeChoiceField(
        queryset=None, label=pgettext_lazy("receipts", "Forward as"), empty_label=None
    )
    note = forms.CharField(
        label=_("Your note"),
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What your area should do, shown above the original notice."),
    )
    audience = AudienceField(
        queryset=None,
        label=pgettext_lazy("receipts", "Forward to"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("A notice can only be forwarded inside your own area."),
            "required": _("Choose where to forward it."),
        },
    )
    deadline = forms.DateField(
        label=_("Answer by (earlier, for your area)"),
        required=False,
        widget=DateInput(),
    )
    files = MultipleFileField(label=_("Attachments of your own"))

    def __init__(self, *args, nodes, audience, latest: datetime.date | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.latest = latest
        self.fields["node"].queryset = Organization.objects.filter(pk__in=[n.pk for n in nodes])
        if len(nodes) == 1:
            self.fields["node"].initial = nodes[0].pk
            self.fields["node"].widget = forms.HiddenInput()
        self.fields["audience"].queryset = audience
        self.fields["audience"].initial = [org.pk for org in nodes]
        today = timezone.localdate()
        self.fields["deadline"].widget.attrs["min"] = today.isoformat()
        if latest:
            self.fields["deadline"].widget.attrs["max"] = latest.isoformat()
        self.helper = _helper(_("Forward the notice"))

    def clean_deadline(self):
        day = self.cleaned_data.get("deadline")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("The deadline cannot be in the past."))
        if day and self.latest and day > self.latest:
            raise forms.ValidationError(
                _("The deadline can only be earlier than the notice's own (%(day)s).")
                % {"day": self.latest.isoformat()}
            )
        return day

    def clean(self):
        data = super().clean()
        node, chosen = data.get("node"), data.get("audience")
        if node and chosen and any(not org.path.startswith(node.path) for org in chosen):
            self.add_error("audience", _("A notice can only be forwarded inside your own area."))
        return data


class RemindForm(forms.Form):
    # The newest round the sender saw: a second click on the same page finds a newer one
    # and adds nothing.
    last_round = forms.IntegerField(min_value=0, max_value=2**31 - 1, required=False)


class ReceiptFilterForm(forms.Form):
    """The receipts page's query string; a bad value is ignored (the default shown)."""

    node = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", pgettext_lazy("receipts", "All")),
            ("unopened", pgettext_lazy("receipts", "Not opened")),
            ("unconfirmed", pgettext_lazy("receipts", "Not confirmed")),
            ("unreplied", pgettext_lazy("receipts", "No reply yet")),
        ],
    )
    page = forms.IntegerField(min_value=1, max_value=100000, required=False)

    def value(self, name):
        self.is_valid()
        return self.cleaned_data.get(name) or None
