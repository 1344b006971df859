"""The roster's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.query import query_pk
from accounts.widgets import NameChoiceField, QuickSelect
from branches.access import VIEW_MEMBERS, VIEW_SENSITIVE, scope_for
from branches.models import Branch, Level, Organization, OriginalUnit, PartyGroup

from ..models import Health, MemberStatus, RegistrationStatus, RetirementType
from ..selectors import AGE_BANDS, RosterArea, RosterFilters


class RosterFilterForm(forms.Form):
    """The roster's search and filters; choices come from the user's scope."""

    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=40)
    # NameChoiceField: a district's staff choose among hundreds of communities and branches.
    # The fixed lists are QuickSelects too: Django's Select renders a template per option.
    community = NameChoiceField(
        label=_("Community"), required=False, queryset=Organization.objects.none()
    )
    branch = NameChoiceField(label=_("Branch"), required=False, queryset=Branch.objects.none())
    party_group = forms.ModelChoiceField(
        label=_("Party group"), required=False, queryset=PartyGroup.objects.none()
    )
    original_unit = NameChoiceField(
        label=_("Original unit"), required=False, queryset=OriginalUnit.objects.none()
    )
    retirement_type = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Lixiu/tuixiu"),
        required=False,
        choices=[("", _("All")), *RetirementType.choices],
    )
    health = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Health"),
        required=False,
        choices=[("", _("All")), *Health.choices],
    )
    mobility = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Mobility"),
        required=False,
        choices=[("", _("All")), ("1", _("Limited mobility")), ("0", _("Gets about"))],
    )
    age_band = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Age"),
        required=False,
        choices=[
            ("", _("All ages")),
            ("lt70", _("Under 70")),
            ("70s", _("70–79")),
            ("80s", _("80–89")),
            ("90plus", _("90 and over")),
        ],
    )
    registration = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Registration"),
        required=False,
        choices=[("", _("All")), ("none", _("Not registered"))]
        + [
            (v, label)
            for v, label in RegistrationStatus.choices
            if v != RegistrationStatus.WITHDRAWN
        ],
    )
    status = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Status"),
        required=False,
        choices=[
            ("active", pgettext_lazy("member status", "Active")),
            ("all", _("All, including moved and deceased")),
        ]
        + [(v, label) for v, label in MemberStatus.choices if v != MemberStatus.ACTIVE],
    )

    def __init__(self, *args, user, area: RosterArea | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        self.limited = not scope.has(VIEW_MEMBERS)
        self.fields["community"].queryset = Organization.objects.visible_to(
            user, VIEW_MEMBERS
        ).filter(level=Level.COMMUNITY)
        self.fields["branch"].queryset = (
            Branch.objects.visible_to(user, VIEW_MEMBERS).active().select_related("organization")
        )
        if area is not None:  # the lists as kept (members.selectors.roster_area)
            self.fields["community"].names = area.communities
            self.fields["branch"].names = area.branches
        self.fields["original_unit"].queryset = OriginalUnit.objects.choosable_by(user)
        if branch_id := query_pk(self.data.get("branch")):
            self.fields["party_group"].queryset = PartyGroup.objects.visible_to(
                user, VIEW_MEMBERS
            ).filter(branch_id=branch_id)
        else:
            del self.fields["party_group"]
        if not scope.has(VIEW_SENSITIVE):
            # Health is sensitive: no filter by it for roles that may not see it.
            del self.fields["health"]
            del self.fields["mobility"]
        if self.limited:
            # A unit liaison sees registration status only: search and that filter.
            for name in list(self.fields):
                if name not in {"q", "registration"}:
                    self.fields.pop(name, None)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = _("All")
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css
        if "q" in self.fields:
            self.fields["q"].widget.input_type = "search"

    def filters(self) -> RosterFilters:
        if not self.is_valid():
            return RosterFilters(q=self.data.get("q", "")[:40].strip())
        data = self.cleaned_data

        def pk(name):
            value = data.get(name)
            return value.pk if value else None

        status = data.get("status") or "active"
        return RosterFilters(
            q=(data.get("q") or "").strip(),
            community=pk("community"),
            branch=pk("branch"),
            party_group=pk("party_group"),
            original_unit=pk("original_unit"),
            retirement_type=data.get("retirement_type", ""),
            health=data.get("health", ""),
            mobility=data.get("mobility", ""),
            age_band=data.get("age_band", "") if data.get("age_band") in AGE_BANDS else "",
            registration=data.get("registration", ""),
            status="" if status == "all" else status,
        )
