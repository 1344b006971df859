"""Forms of the notice pages: writing a notice (its audience inside the sender's own
subtree, its files checked one by one), the list filters."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.forms import DateInput, bound_dates
from branches.models import BranchKind, Organization

from . import selectors, uploads
from .models import NoticeKind, NoticeState, ResponseKind
from .services import Upload

BODY_MAX = 20000  # characters of Markdown: a long notice, not a book


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input. Returns the uploads as given: each is checked by
    notices.uploads (size, type, first bytes) in the form, so every error names its
    file."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": uploads.ACCEPT, "class": "form-control"})
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if data is None or data is False:
            return []
        files = list(data) if isinstance(data, list | tuple) else [data]
        return [file for file in files if file]

    def has_changed(self, initial, data):
        return bool(data)


class AudienceWidget(forms.CheckboxSelectMultiple):
    """Checkboxes of the audience, each knowing how deep below the sending node it sits
    (for the indented list: a district, its streets, their communities)."""

    base_depth = 0

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        node = getattr(value, "instance", None)
        option["depth"] = node.path.count("/") - self.base_depth if node else 0
        return option


class AudienceField(forms.ModelMultipleChoiceField):
    sending_paths: frozenset = frozenset()

    def label_from_instance(self, obj):
        if obj.path in self.sending_paths:
            return _("All of %(name)s") % {"name": obj.name}
        return obj.name


class AttachmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.stem}（{obj.format_label}）"


class NoticeForm(forms.Form):
    """Write or edit a draft. The sending node is the user's node with can_send_notices
    (a choice when they have several); the audience is a list of nodes inside it."""

    organization = forms.ModelChoiceField(
        label=gettext_lazy("Send as"),
        queryset=None,
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = forms.CharField(
        label=gettext_lazy("Notice title"),
        max_length=120,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        # Bulletins (定期通报) are written from the dashboard's figures, not here.
        choices=[
            (NoticeKind.NOTICE, NoticeKind.NOTICE.label),
            (NoticeKind.STUDY, NoticeKind.STUDY.label),
        ],
        initial=NoticeKind.NOTICE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 10}),
        help_text=gettext_lazy(
            "Plain text is fine. A blank line starts a new paragraph; “## ” at the start of "
            "a line makes a heading, “- ” a list item, **two stars** bold."
        ),
    )
    response = forms.ChoiceField(
        label=gettext_lazy("What the branches do with it"),
        choices=ResponseKind.choices,
        initial=ResponseKind.CONFIRM,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    deadline = forms.DateField(
        label=gettext_lazy("Answer by"),
        required=False,
        widget=DateInput(attrs={"class": "form-control"}),
        help_text=gettext_lazy(
            "Optional. Branches that have not answered by then are marked late."
        ),
    )
    audience = AudienceField(
        label=gettext_lazy("Send to"),
        queryset=None,
        widget=AudienceWidget(attrs={"class": "form-check-input"}),
        error_messages={
            "required": gettext_lazy("Choose at least one part of your area to send to."),
            "invalid_choice": gettext_lazy(
                "One of the chosen recipients (number %(value)s) is not inside your area: "
                "a notice can only go to the streets and communities below you."
            ),
            "invalid_pk_value": gettext_lazy(
                "One of the chosen recipients (“%(pk)s”) is not inside your area."
            ),
        },
        help_text=gettext_lazy("Choosing a street sends to every branch in it."),
    )
    branch_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Only these kinds of branch"),
        choices=BranchKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=gettext_lazy("Leave all unticked to send to every kind of branch."),
    )
    files = MultipleFileField(
        label=gettext_lazy("Attachments"),
        required=False,
        help_text=gettext_lazy(
            "PDF, Word (DOC, DOCX), JPG or PNG; up to %(count)d files of at most %(size)d MB each."
        ),
    )
    remove = AttachmentChoiceField(
        label=gettext_lazy("Remove these attachments"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    # Editing: the version the draft was loaded at (two editors: the second gets a conflict).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # Writing: a key per form, so that a doubled "save" writes one draft.
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, nodes, notice=None, **kwargs):
        self.nodes = list(nodes)
        self.notice = notice
        if notice is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "organization": notice.organization_id,
                "title": notice.title,
                "kind": notice.kind,
                "body": notice.body,
                "response": notice.response,
                "deadline": notice.deadline,
                "audience": list(notice.audience.values_list("pk", flat=True)),
                "branch_kinds": notice.branch_kinds,
                "version": notice.version,
            }
        super().__init__(*args, **kwargs)
        by_pk = {node.pk: node for node in self.nodes}
        organization = self.fields["organization"]
        organization.queryset = Organization.objects.filter(pk__in=by_pk)
        if len(self.nodes) == 1:
            # One sending node: nothing to choose, and nothing a crafted post could change.
            del self.fields["organization"]
        audience = self.fields["audience"]
        audience.queryset = selectors.audience_nodes(self.nodes)
        audience.sending_paths = frozenset(node.path for node in self.nodes)
        audience.widget.base_depth = min(node.path.count("/") for node in self.nodes)
        files = self.fields["files"]
        files.help_text = files.help_text % {
            "count": uploads.max_files(),
            "size": uploads.max_bytes() // 1048576,
        }
        if notice is not None:
            self.fields["remove"].queryset = notice.attachments.all()
            del self.fields["client_key"]
        else:
            del self.fields["remove"], self.fields["version"]
            self.initial.setdefault("client_key", uuid.uuid4())
        bound_dates(self, {"deadline": "planned"})
        today = timezone.localdate()
        self.fields["deadline"].widget.attrs["min"] = today.isoformat()

    def sending_node(self):
        if "organization" in self.fields:
            return self.cleaned_data.get("organization")
        return self.nodes[0]

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if self.cleaned_data.get("response") == ResponseKind.NONE:
            return None  # nothing to answer, so nothing is late (the page hides the field)
        if deadline and deadline < timezone.localdate():
            raise forms.ValidationError(_("The deadline cannot be in the past."))
        return deadline

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        errors, checked = [], []
        for upload in files:
            try:
                checked.append(Upload(upload, uploads.checked_upload(upload)))
            except forms.ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise forms.ValidationError(errors)
        return checked

    def clean(self):
        data = super().clean()
        node = self.sending_node()
        audience = data.get("audience")
        if node is not None and audience:
            outside = [n.name for n in audience if not n.path.startswith(node.path)]
            if outside:
                self.add_error(
                    "audience",
                    _("%(names)s is not inside %(node)s: choose parts of the area you send as.")
                    % {"names": "、".join(outside), "node": node.name},
                )
        kept = (
            len(self.notice.attachments.all()) - len(data.get("remove") or []) if self.notice else 0
        )
        added = len(data.get("files") or [])
        if kept + added > uploads.max_files():
            self.add_error(
                "files",
                _("At most %(count)d attachments per notice; this would make %(total)d.")
                % {"count": uploads.max_files(), "total": kept + added},
            )
        return data

    def details(self) -> dict:
        """The notice's own fields, as the services take them."""
        data = self.cleaned_data
        return {
            "organization_id": self.sending_node().pk,
            "title": data["title"],
            "kind": data["kind"],
            "body": data["body"],
            "response": data["response"],
            "deadline": data["deadline"],
            "branch_kinds": sorted(data.get("branch_kinds") or []),
        }


class SendForm(forms.Form):
    """Sending: the version of the draft the sender looked at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


def _choices(all_label, choices):
    return [("", all_label), *choices]


class ReceivedFilterForm(forms.Form):
    """The received list's filters; anything else in the query string is ignored."""

    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=_choices(
            gettext_lazy("Every state"),
            [
                ("unread", gettext_lazy("Not opened yet")),
                ("opened", gettext_lazy("Opened, not confirmed")),
                ("confirmed", gettext_lazy("Confirmed")),
                ("overdue", gettext_lazy("Past the deadline")),
            ],
        ),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=_choices(gettext_lazy("Every kind"), NoticeKind.choices),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {"state": "", "kind": ""}
        return {"state": self.cleaned_data["state"], "kind": self.cleaned_data["kind"]}


class SentFilterForm(ReceivedFilterForm):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=_choices(
            gettext_lazy("Every state"),
            [
                (NoticeState.DRAFT, NoticeState.DRAFT.label),
                (NoticeState.SENT, NoticeState.SENT.label),
            ],
        ),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
