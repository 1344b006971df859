"""A branch's committee terms and its party groups' leaders."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.forms import DateInput

from ..models import COMMITTEE_POSTS, Member, MemberStatus, Post, SecondedMember
from ..selectors import branch_members, committee_seconded
from .shared import ActionForm

SECONDED_PREFIX = "s"  # a seconded member's choice value: "s<pk>" (a member's is its pk)


class HolderField(forms.ChoiceField):
    """A post's holder: one of the branch's members or one of the seconded members sent
    onto its committee (listed apart, with their unit), or nobody (vacant)."""

    def __init__(self, *, members, seconded, label_member=None, label_seconded=None, **kwargs):
        self.by_value = {str(m.pk): m for m in members}
        self.by_value |= {f"{SECONDED_PREFIX}{s.pk}": s for s in seconded}
        label_member = label_member or (lambda m: m.name)
        label_seconded = label_seconded or seconded_label
        choices = [("", _("Vacant"))]
        choices.append((_("Members"), [(str(m.pk), label_member(m)) for m in members]))
        if seconded:
            choices.append(
                (
                    _("Seconded in-service members"),
                    [(f"{SECONDED_PREFIX}{s.pk}", label_seconded(s)) for s in seconded],
                )
            )
        super().__init__(choices=choices, required=False, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.by_value.get(value) if value else None


def seconded_label(seconded: SecondedMember) -> str:
    return "{}（{} · {}）".format(seconded.name, _("seconded"), seconded.unit.name)


def holder_key(holder):
    """Tells a member and a seconded member with the same id apart."""
    return (type(holder).__name__, holder.pk)


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
        members = list(branch_members(branch).order_by("name", "pk"))
        seconded = list(committee_seconded(branch).select_related("unit").order_by("name", "pk"))
        for post in COMMITTEE_POSTS:
            self.fields[f"post_{post}"] = HolderField(
                label=Post(post).label, members=members, seconded=seconded
            )

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", _("The term must end after it starts."))
        holders = [holder_key(h) for p in COMMITTEE_POSTS if (h := data.get(f"post_{p}"))]
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
    Holders are chosen among the branch's active members and the seconded members sent
    onto its committee; a current holder who has died, moved away or left, or whose
    secondment ended, stays listed (marked) until someone replaces them."""

    submit_label = _("Save the term")
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    has_committee = forms.BooleanField(
        label=_("Has a committee (7 or more full members)"), required=False
    )

    def __init__(self, *args, term, **kwargs):
        positions = list(term.positions.select_related("member", "seconded", "seconded__unit"))
        initial = {
            "starts_on": term.starts_on,
            "ends_on": term.ends_on,
            "has_committee": term.has_committee,
        }
        for p in positions:
            if p.member_id:
                initial[f"post_{p.post}"] = str(p.member_id)
            elif p.seconded_id:
                initial[f"post_{p.post}"] = f"{SECONDED_PREFIX}{p.seconded_id}"
        super().__init__(*args, initial=initial, **kwargs)
        eligible = set(branch_members(term.branch).values_list("pk", flat=True))
        holder_ids = {p.member_id for p in positions if p.member_id}
        members = list(Member.objects.filter(pk__in=eligible | holder_ids).order_by("name", "pk"))
        current_seconded = list(
            committee_seconded(term.branch).select_related("unit").order_by("name", "pk")
        )
        running = {s.pk for s in current_seconded}
        # A holder whose secondment is over stays listed (once) until replaced.
        ended = {p.seconded_id: p.seconded for p in positions if p.seconded_id}
        seconded = current_seconded + [s for pk, s in ended.items() if pk not in running]

        def label(member):
            if member.status != MemberStatus.ACTIVE:
                return f"{member.name}（{member.get_status_display()}）"
            if member.pk not in eligible:
                return "{}（{}）".format(member.name, _("not in this branch"))
            return member.name

        def label_seconded(person):
            if person.pk not in running:
                return "{}（{} · {}）".format(
                    person.name, person.unit.name, _("secondment not running")
                )
            return seconded_label(person)

        for post in COMMITTEE_POSTS:
            self.fields[f"post_{post}"] = HolderField(
                label=Post(post).label,
                members=members,
                seconded=seconded,
                label_member=label,
                label_seconded=label_seconded,
            )
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
