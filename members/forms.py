from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.query import query_pk
from branches.access import EDIT_MEMBERS, VIEW_MEMBERS, VIEW_SENSITIVE, scope_for
from branches.forms import DateInput, PortalForm, bound_dates
from branches.models import Branch, BranchKind, Level, Organization, OriginalUnit, PartyGroup

from .models import (
    COMMITTEE_POSTS,
    Health,
    Member,
    MemberStatus,
    Post,
    Recognition,
    RegistrationStatus,
    RelationKind,
    RetirementType,
    ServiceRole,
)
from .selectors import AGE_BANDS, RosterFilters, branch_members
from .validators import id_consistency_errors, validate_id_number, validate_phone

MEMBER_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "id_number",
    "phone",
    "address",
    "community",
    "original_unit",
    "former_post",
    "rank",
    "retirement_type",
    "retired_on",
    "joined_party_on",
    "full_member_on",
    "relation_kind",
    "relation_branch",
    "relation_note",
    "health",
    "mobility_impaired",
    "living",
    "skills",
]
DATE_FIELDS = ["birth_date", "retired_on", "joined_party_on", "full_member_on"]


class MemberForm(PortalForm):
    """Create or edit a member. The ID number is checked (length, check digit, birth date
    and gender must agree) and phone numbers normalised."""

    date_kinds = {
        "birth_date": "born",
        "retired_on": "born",
        "joined_party_on": "party",
        "full_member_on": "party",
    }
    report_now = forms.BooleanField(
        label=_("Record the community registration (reported) now"),
        required=False,
        initial=True,
    )

    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        widgets = {name: DateInput() for name in DATE_FIELDS}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        communities = Organization.objects.visible_to(user, EDIT_MEMBERS).filter(
            level=Level.COMMUNITY
        )
        if self.instance.pk:
            # Moving house is a new registration elsewhere, not an edit.
            del self.fields["community"]
            del self.fields["report_now"]
        else:
            self.fields["community"].queryset = communities
            if communities.count() == 1:
                self.fields["community"].initial = communities.first()
        # Units of the member's district (or of the user's communities' districts).
        places = [self.instance.community] if self.instance.pk else list(communities)
        districts = {path for place in places for path in place.ancestor_paths}
        self.fields["original_unit"].queryset = OriginalUnit.objects.filter(
            Q(district__path__in=districts) | Q(district__isnull=True)
        )
        self.fields["relation_branch"].queryset = Branch.objects.visible_to(user).active()
        self.fields["id_number"].validators = []  # checked (and normalised) in clean_id_number
        self.fields["phone"].validators = []
        self.fields["id_number"].help_text = _("18 characters; a final x is accepted.")

    def clean_id_number(self):
        number = validate_id_number(self.cleaned_data["id_number"])
        clash = Member.objects.by_id_number(number).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("A member with this ID number is already recorded."))
        return number

    def clean_phone(self):
        return validate_phone(self.cleaned_data.get("phone", ""))

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean(self):
        data = super().clean()
        number = data.get("id_number")
        if number:
            for name, message in id_consistency_errors(
                number, data.get("birth_date"), data.get("gender")
            ).items():
                self.add_error(name, message)
        today = timezone.localdate()
        for name in DATE_FIELDS:
            if data.get(name) and data[name] > today:
                self.add_error(name, _("The date cannot be in the future."))
        joined, full = data.get("joined_party_on"), data.get("full_member_on")
        if joined and full and full < joined:
            self.add_error(
                "full_member_on", _("A member becomes a full member after joining the party.")
            )
        if data.get("relation_kind") == RelationKind.BRANCH and not data.get("relation_branch"):
            self.add_error("relation_branch", _("Choose the branch that holds the relation."))
        return data

    def member_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class StatusForm(PortalForm):
    date_kinds = {"status_on": "born"}
    submit_label = _("Save status")

    class Meta:
        model = Member
        fields = ["status", "status_on"]
        widgets = {"status_on": DateInput()}
        labels = {"status_on": _("Date of the change")}

    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("status") != MemberStatus.ACTIVE and not data.get("status_on"):
            self.add_error("status_on", _("Give the date of the change."))
        if data.get("status_on") and data["status_on"] > timezone.localdate():
            self.add_error("status_on", _("The date cannot be in the future."))
        return data


class ActionForm(forms.Form):
    """A plain form with one big button (registration actions)."""

    submit_label = _("Save")
    date_kinds: dict[str, str] = {}  # see branches.forms.bound_dates

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", self.submit_label, css_class="btn-lg"))
        bound_dates(self, self.date_kinds)


class EraseForm(ActionForm):
    """Erasing a member cannot be undone: the user types the member's name to confirm."""

    submit_label = _("Delete the member and their data")

    name = forms.CharField(label=_("Type the member's name to confirm"), max_length=40)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.helper.inputs[0].field_classes = "btn btn-danger btn-lg"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if name != self.member.name:
            raise forms.ValidationError(_("The name does not match this member."))
        return name


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


class RegistrationNotifyForm(ActionForm):
    date_kinds = {"notified_on": "happened"}
    submit_label = _("Record that the unit was notified")
    notified_on = forms.DateField(label=_("Notified on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notified_on"].initial = timezone.localdate()


class RegistrationWithdrawForm(ActionForm):
    date_kinds = {"withdrawn_on": "happened"}
    submit_label = _("Withdraw the registration")
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate()


class ServiceRoleForm(PortalForm):
    class Meta:
        model = ServiceRole
        fields = ["kind", "organization_name", "starts_on", "ends_on", "note"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data


class RecognitionForm(PortalForm):
    class Meta:
        model = Recognition
        fields = ["title", "conferred_by", "conferred_on", "note"]
        widgets = {"conferred_on": DateInput()}


class MembershipForm(ActionForm):
    date_kinds = {"joined_on": "born"}
    submit_label = _("Save")
    branch = forms.ModelChoiceField(label=_("Branch or team"), queryset=Branch.objects.none())
    joined_on = forms.DateField(label=_("Joined on"), widget=DateInput())

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        # Functional and joint branches around where the member lives (community, street,
        # district), whoever may see them: the member's editor names where they take part.
        community = member.community
        self.fields["branch"].queryset = (
            Branch.objects.active()
            .filter(organization__path__in=[*community.ancestor_paths, community.path])
            .exclude(kind=BranchKind.COMMUNITY)
            .exclude(pk=member.home_branch_id)
        )
        self.fields["joined_on"].initial = timezone.localdate()

    def clean_joined_on(self):
        day = self.cleaned_data["joined_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class MembershipEndForm(ActionForm):
    """Leaving a functional branch or team: the date and, if wished, why."""

    date_kinds = {"left_on": "born"}
    submit_label = _("Record the leaving")
    left_on = forms.DateField(label=_("Left on"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=200,
        help_text=_("For example: moved away, health, the team was dissolved."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate()


class ServiceRoleEndForm(ActionForm):
    submit_label = _("End the service role")
    ends_on = forms.DateField(label=_("Ended on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].initial = timezone.localdate()


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


class RosterFilterForm(forms.Form):
    """The roster's search and filters; choices come from the user's scope."""

    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=40)
    community = forms.ModelChoiceField(
        label=_("Community"), required=False, queryset=Organization.objects.none()
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), required=False, queryset=Branch.objects.none()
    )
    party_group = forms.ModelChoiceField(
        label=_("Party group"), required=False, queryset=PartyGroup.objects.none()
    )
    original_unit = forms.ModelChoiceField(
        label=_("Original unit"), required=False, queryset=OriginalUnit.objects.none()
    )
    retirement_type = forms.ChoiceField(
        label=_("Lixiu/tuixiu"),
        required=False,
        choices=[("", _("All")), *RetirementType.choices],
    )
    health = forms.ChoiceField(
        label=_("Health"), required=False, choices=[("", _("All")), *Health.choices]
    )
    mobility = forms.ChoiceField(
        label=_("Mobility"),
        required=False,
        choices=[("", _("All")), ("1", _("Limited mobility")), ("0", _("Gets about"))],
    )
    age_band = forms.ChoiceField(
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
        label=_("Status"),
        required=False,
        choices=[
            ("active", pgettext_lazy("member status", "Active")),
            ("all", _("All, including moved and deceased")),
        ]
        + [(v, label) for v, label in MemberStatus.choices if v != MemberStatus.ACTIVE],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        self.limited = not scope.has(VIEW_MEMBERS)
        self.fields["community"].queryset = Organization.objects.visible_to(
            user, VIEW_MEMBERS
        ).filter(level=Level.COMMUNITY)
        self.fields["branch"].queryset = (
            Branch.objects.visible_to(user, VIEW_MEMBERS).active().select_related("organization")
        )
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
