"""A branch's committee terms and its party groups' leaders."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.forms import DateInput

from ..models import COMMITTEE_POSTS, Member, MemberStatus, Post
from ..selectors import branch_members
from .shared import ActionForm


class GroupLeaderForm(ActionForm):
    submit_label = _("Save")
    member = forms.ModelChoiceField(label=_("Group leader"), queryset=Member.objects.none())
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (
            Member.objects.active().filter(home_branch_id=group.branch_id).order_by("name")
        )
        self.fields["starts_on"].initial = timezone.localdate()


class CommitteeTermForm(ActionForm):
    """A new term: its dates and who holds each post (a post may stay vacant)."""

    submit_label = _("Save the term")
    number = forms.IntegerField(label=_("Term number"), min_value=1, max_value=99)
    starts_on = forms.DateField(
        label=_("Starts on"),
        widget=DateInput(),
        help_text=_(
            "A term still running on this day ends the day before: the new one replaces it."
        ),
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    has_committee = forms.BooleanField(
        label=_("Has a committee (7 or more full members)"), required=False, initial=True
    )

    def __init__(self, *args, branch, initial_number=1, years=5, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["number"].initial = initial_number
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today.replace(year=today.year + years)
        members = branch_members(branch).order_by("name")
        for post in COMMITTEE_POSTS:
            self.fields[f"post_{post}"] = forms.ModelChoiceField(
                label=Post(post).label,
                queryset=members,
                required=False,
                empty_label=_("Vacant"),
            )

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", _("The term must end after it starts."))
        holders = [m.pk for p in COMMITTEE_POSTS if (m := data.get(f"post_{p}"))]
        if len(holders) != len(set(holders)):
            raise forms.ValidationError(_("One person cannot hold two posts."))
        if not data.get(f"post_{Post.SECRETARY}"):
            self.add_error(f"post_{Post.SECRETARY}", _("A term needs a secretary."))
        return data

    def holders(self):
        """A committee has all five posts (an empty one is recorded as vacant); a
        secretary-only term has its secretary and, if named, a deputy."""
        if self.cleaned_data["has_committee"]:
            return {post: self.cleaned_data.get(f"post_{post}") for post in COMMITTEE_POSTS}
        return {
            post: member
            for post in COMMITTEE_POSTS[:2]
            if (member := self.cleaned_data.get(f"post_{post}"))
        }


class CommitteeTermEditForm(ActionForm):
    """Correct a term: its dates, whether it has a committee, and who holds each post.
    Holders are chosen among the branch's active members; a current holder who has
    died, moved away or left stays listed (marked) until someone replaces them."""

    submit_label = _("Save the term")
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    has_committee = forms.BooleanField(
        label=_("Has a committee (7 or more full members)"), required=False
    )

    def __init__(self, *args, term, **kwargs):
        current = {p.post: p.member for p in term.positions.select_related("member")}
        initial = {
            "starts_on": term.starts_on,
            "ends_on": term.ends_on,
            "has_committee": term.has_committee,
            **{f"post_{post}": m.pk for post, m in current.items() if m is not None},
        }
        super().__init__(*args, initial=initial, **kwargs)
        eligible = set(branch_members(term.branch).values_list("pk", flat=True))
        holder_ids = {m.pk for m in current.values() if m is not None}
        members = Member.objects.filter(pk__in=eligible | holder_ids).order_by("name", "pk")

        def label(member):
            if member.status != MemberStatus.ACTIVE:
                return f"{member.name}（{member.get_status_display()}）"
            if member.pk not in eligible:
                return "{}（{}）".format(member.name, _("not in this branch"))
            return member.name

        for post in COMMITTEE_POSTS:
            field = forms.ModelChoiceField(
                label=Post(post).label,
                queryset=members,
                required=False,
                empty_label=_("Vacant"),
            )
            field.label_from_instance = label
            self.fields[f"post_{post}"] = field
        self.fields[f"post_{Post.DEPUTY_SECRETARY}"].help_text = _(
            "Without a committee only the secretary and the deputy are kept."
        )

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", _("The term must end after it starts."))
        if not data.get("has_committee"):
            # Refuse rather than silently drop a name the user chose.
            for post in COMMITTEE_POSTS[2:]:
                if data.get(f"post_{post}"):
                    self.add_error(
                        f"post_{post}",
                        _(
                            "Only a committee has this post: tick “Has a committee” or "
                            "leave it vacant."
                        ),
                    )
        return data

    def holders(self) -> dict:
        return {post: self.cleaned_data.get(f"post_{post}") for post in COMMITTEE_POSTS}
