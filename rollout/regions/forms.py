"""The forms of the 区划调整 pages. Node fields parse any open node of their level (so a
node outside the user's area is recognised and answered 404 by the view, not shown as a
wrong choice); the lists offered are the user's own area."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Level, Organization
from members.models import Member

from . import selectors


def _node_label(node: Organization) -> str:
    return f"{node.parent.name} · {node.name}" if node.parent_id else node.name


def _branch_label(branch: Branch) -> str:
    return f"{branch.organization.name} · {branch.name}"


class NodeField(forms.ModelChoiceField):
    def __init__(self, level, **kwargs):
        super().__init__(Organization.objects.filter(level=level, closed_on__isnull=True), **kwargs)
        self.level = level


class BranchField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Branch.objects.active().select_related("organization"), **kwargs)


class OperationForm(forms.Form):
    """A preview's token rides along: confirming checks the tree is as previewed."""

    token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, NodeField):
                nodes = selectors.reorganizable(user, field.level)
                field.widget.choices = [("", "---------")] + [
                    (node.pk, _node_label(node)) for node in nodes
                ]
            elif isinstance(field, BranchField):
                field.widget.choices = [("", "---------")] + [
                    (branch.pk, _branch_label(branch))
                    for branch in selectors.reorganizable_branches(user)
                ]

    def places(self) -> list[str]:
        """The paths that must lie inside the user's area (else 404)."""
        raise NotImplementedError


class MoveForm(OperationForm):
    community = NodeField(Level.COMMUNITY, label=_("Community to move"))
    street = NodeField(Level.STREET, label=_("To the street"))

    def clean(self):
        data = super().clean()
        community, street = data.get("community"), data.get("street")
        if community and street and community.parent_id == street.pk:
            raise ValidationError(_("The community is under this street already."))
        return data

    def places(self):
        return [self.cleaned_data["community"].path, self.cleaned_data["street"].path]

    def preview(self):
        return selectors.move_preview(self.cleaned_data["community"], self.cleaned_data["street"])


def _closing_date():
    return forms.DateField(
        label=_("Closed on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day the merged-away one stops; it is kept, with its code."),
    )


class CommunityMergeForm(OperationForm):
    merged = NodeField(Level.COMMUNITY, label=_("Community merged away"))
    kept = NodeField(Level.COMMUNITY, label=_("Into the community"))
    on = _closing_date()

    def clean(self):
        data = super().clean()
        if data.get("kept") and data.get("kept") == data.get("merged"):
            raise ValidationError(_("Choose two different communities."))
        return data

    def places(self):
        return [self.cleaned_data["merged"].path, self.cleaned_data["kept"].path]

    def preview(self):
        return selectors.community_merge_preview(
            self.cleaned_data["kept"], self.cleaned_data["merged"]
        )


class BranchMergeForm(OperationForm):
    merged = BranchField(label=_("Branch merged away"))
    kept = BranchField(label=_("Into the branch"))
    on = _closing_date()

    def clean(self):
        data = super().clean()
        kept, merged, on = data.get("kept"), data.get("merged"), data.get("on")
        if kept and kept == merged:
            raise ValidationError(_("Choose two different branches."))
        if merged and on and merged.established_on and on < merged.established_on:
            self.add_error("on", _("The merge date is before the branch was established."))
        return data

    def places(self):
        return [
            self.cleaned_data["merged"].organization.path,
            self.cleaned_data["kept"].organization.path,
        ]

    def preview(self):
        return selectors.branch_merge_preview(
            self.cleaned_data["kept"], self.cleaned_data["merged"]
        )


class SplitChooseForm(forms.Form):
    """The first step of a split: which community or branch (query parameters)."""

    community = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    branch = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


class BranchSplitForm(OperationForm):
    name = forms.CharField(label=_("Name of the new branch"), max_length=100)
    members = forms.ModelMultipleChoiceField(
        Member.objects.none(),
        label=_("Members who go to the new branch"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch
        self.fields["members"].queryset = Member.objects.filter(home_branch=branch).order_by("name")
        self.fields["members"].label_from_instance = lambda member: member.name

    def clean_name(self):
        name = self.cleaned_data["name"]
        if Branch.objects.filter(organization=self.branch.organization, name=name).exists():
            raise ValidationError(_("This name is taken in the community."))
        return name

    def places(self):
        return [self.branch.organization.path]

    def preview(self):
        return selectors.branch_split_preview(self.branch, self.cleaned_data["members"])


class SplitForm(OperationForm):
    name = forms.CharField(label=_("Name of the new community"), max_length=80)
    code = forms.RegexField(
        label=_("Code of the new community"),
        regex=r"^[0-9]{6,24}$",
        max_length=24,
        help_text=_("Digits; it starts with the street's code."),
        error_messages={"invalid": _("Enter the code in digits only.")},
    )
    branches = forms.ModelMultipleChoiceField(
        Branch.objects.none(),
        label=_("Branches that go to the new community"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["branches"].queryset = community.branches.active().order_by("name")

    def clean_code(self):
        code = self.cleaned_data["code"]
        street = self.community.parent
        if street and not code.startswith(street.code):
            raise ValidationError(
                _("The code must start with the street's code %(code)s."),
                params={"code": street.code},
            )
        if Organization.objects.filter(code=code).exists():
            raise ValidationError(_("This code is taken."))
        return code

    def places(self):
        return [self.community.path]

    def preview(self):
        return selectors.split_preview(self.community, self.cleaned_data["branches"])


class RenameForm(OperationForm):
    node = forms.ModelChoiceField(
        Organization.objects.filter(
            level__in=[Level.STREET, Level.COMMUNITY], closed_on__isnull=True
        ).select_related("parent"),
        label=_("Street or community"),
    )
    name = forms.CharField(label=_("New name"), max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = selectors.reorganizable(self.user, Level.STREET) | selectors.reorganizable(
            self.user, Level.COMMUNITY
        )
        self.fields["node"].widget.choices = [("", "---------")] + [
            (node.pk, _node_label(node)) for node in nodes.order_by("path")
        ]

    def clean(self):
        data = super().clean()
        if data.get("node") and data.get("name") == data["node"].name:
            raise ValidationError(_("The new name is the same as the old one."))
        return data

    def places(self):
        return [self.cleaned_data["node"].path]

    def preview(self):
        return selectors.rename_preview(self.cleaned_data["node"])
