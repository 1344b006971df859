import datetime
import hmac
import uuid

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import EDIT_RULES, scope_for
from branches.forms import DateInput, PortalForm, bound_dates
from branches.models import Level, Organization, Venue
from notices.library_selectors import library_notices
from notices.models import Notice

from . import conflicts, materials
from .models import (
    NOT_ATTENDING,
    AttachmentKind,
    AttendanceStatus,
    CadenceRule,
    Excusal,
    MakeUp,
    Meeting,
    MeetingKind,
    MeetingMode,
)
from .services.recording import Mark


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def branch_venues(branch):
    """Venues of the branch's own organisation and the nodes above it (its community's
    activity room, its street's service centre)."""
    return Venue.objects.filter(
        organization__path__in=Organization.path_prefixes(branch.organization.path)
    ).order_by("organization__path", "name")


class MeetingForm(PortalForm):
    """Plan a meeting, or edit one's details. Kind and party group are fixed once
    attendance has been recorded (the list depends on them)."""

    date_kinds = {"planned_on": "planned"}
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # Editing: the version and what the form showed when it was loaded (conflicts).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Meeting
        fields = [
            "kind",
            "party_group",
            "topic",
            "planned_on",
            "start_time",
            "end_time",
            "venue",
            "venue_note",
            "mode",
            "host",
            "recorder",
            "lecturer",
            "is_election",
            "minutes",
            "decisions",
        ]
        widgets = {
            "planned_on": DateInput(),
            "start_time": TimeInput(),
            "end_time": TimeInput(),
            "minutes": forms.Textarea(attrs={"rows": 4}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_class = "meeting-form"  # portal.css: fields by kind
        self.branch = branch
        self.fields["party_group"].queryset = branch.groups.all()
        self.fields["venue"].queryset = branch_venues(branch)
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("client_key", uuid.uuid4())
            self.initial.setdefault("venue", branch.venue_id)
        if self.instance.pk:
            del self.fields["client_key"]
            if self.instance.attendances.exists():
                self.fields["kind"].disabled = True
                self.fields["party_group"].disabled = True
        if not self.instance.pk or not self.instance.is_held:
            del self.fields["minutes"]
            del self.fields["decisions"]
        if self.instance.pk:
            carry_version(self, self.instance)
        else:
            del self.fields["version"], self.fields["loaded"]

    def shown(self) -> list[str]:
        """The meeting's fields this form shows (what a conflict is described in)."""
        return [name for name in self.fields if name in MEETING_SHOWN]

    def clean(self):
        data = super().clean()
        kind, group = data.get("kind"), data.get("party_group")
        if kind == MeetingKind.GROUP and not group:
            self.add_error("party_group", _("Choose the party group that meets."))
        if kind and kind != MeetingKind.GROUP and group:
            self.add_error("party_group", _("Only a party group meeting has a party group."))
        if data.get("is_election") and kind != MeetingKind.GENERAL_ASSEMBLY:
            self.add_error("is_election", _("Elections are held at a general assembly."))
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The meeting must end after it starts."))
        return data

    def details(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("client_key", "version", "loaded"):
            data.pop(name, None)
        return data


MEETING_SHOWN = frozenset(MeetingForm._meta.fields) | {"held_on"}


def carry_version(form, meeting) -> None:
    """Give the form the meeting's version and a signed snapshot of what it shows.
    A bound form has what was posted (see refresh_version)."""
    if form.is_bound:
        return
    form.initial["version"] = meeting.version
    form.initial["loaded"] = conflicts.sign(meeting, form.shown())


def refresh_version(form, meeting) -> None:
    """After a conflict: the user's input stays, the form moves on to the current
    version, so saving it again is a choice made knowing what changed."""
    form.data = form.data.copy()
    form.data["version"] = meeting.version
    form.data["loaded"] = conflicts.sign(meeting, form.shown())


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class AttendanceSheetForm(forms.Form):
    """The recording screen: the meeting's day and notes, then one status per member
    (everyone present unless tapped otherwise) and a reason for an excused absence.

    Built from the roster, not a model formset: the service writes all lines at once."""

    record_key = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)
    # The members shown as checked in themselves when the form was loaded (pks): only
    # those may the secretary mark otherwise (services.recording.meeting_record).
    seen_checkins = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20000)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    held_on = forms.DateField(label=_("Date held"), widget=DateInput())
    start_time = forms.TimeField(label=_("Start time"), required=False, widget=TimeInput())
    end_time = forms.TimeField(label=_("End time"), required=False, widget=TimeInput())
    mode = forms.ChoiceField(label=_("Mode"), choices=MeetingMode.choices)
    host = forms.CharField(label=_("Host"), max_length=40, required=False)
    recorder = forms.CharField(label=_("Recorder"), max_length=40, required=False)
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, roster, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.roster = roster
        if not self.is_bound:
            self.initial.setdefault("record_key", uuid.uuid4())
            self.initial["seen_checkins"] = ",".join(
                str(row.member_id) for row in roster if row.checked_in_at
            )
            if meeting is not None:
                for name in ("topic", "start_time", "end_time", "mode", "host", "recorder"):
                    self.initial.setdefault(name, getattr(meeting, name))
                self.initial.setdefault("minutes", meeting.minutes)
                self.initial.setdefault("decisions", meeting.decisions)
                held = meeting.held_on or min(meeting.planned_on, timezone.localdate())
                self.initial.setdefault("held_on", held)
            else:
                self.initial.setdefault("held_on", timezone.localdate())
                self.initial.setdefault("mode", MeetingMode.ON_SITE)
        bound_dates(self, {"held_on": "held"})
        if meeting is not None and meeting.pk:
            carry_version(self, meeting)
        else:
            del self.fields["version"], self.fields["loaded"]
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if name != "record_key":
                field.widget.attrs.setdefault("class", css)
        for row in roster:
            # Not required: a member the request does not mention keeps the default
            # (present; excused for a bedridden member), as on the screen.
            self.fields[f"s{row.member_id}"] = forms.ChoiceField(
                label=row.name,
                choices=AttendanceStatus.choices,
                initial=row.default_status,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"r{row.member_id}"] = forms.CharField(
                label=_("Reason"), max_length=100, required=False, initial=row.default_reason
            )

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A meeting cannot be recorded as held in the future."))
        return day

    def clean(self):
        data = super().clean()
        for row in self.roster:
            status = data.get(f"s{row.member_id}") or row.default_status
            if not data.get(f"s{row.member_id}"):
                data[f"s{row.member_id}"] = status
                if f"r{row.member_id}" not in self.data:
                    data[f"r{row.member_id}"] = row.default_reason
            if status == AttendanceStatus.EXCUSED and not (data.get(f"r{row.member_id}") or ""):
                self.add_error(
                    f"r{row.member_id}",
                    _("Write why %(name)s is excused.") % {"name": row.name},
                )
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The meeting must end after it starts."))
        return data

    def shown(self) -> list[str]:
        return [name for name in self.fields if name in MEETING_SHOWN]

    def rows(self):
        """(roster row, status field, reason field) for the template."""
        for row in self.roster:
            yield row, self[f"s{row.member_id}"], self[f"r{row.member_id}"]

    def marks(self) -> dict[int, Mark]:
        marks = {}
        for row in self.roster:
            status = self.cleaned_data[f"s{row.member_id}"]
            reason = self.cleaned_data.get(f"r{row.member_id}", "") or ""
            marks[row.member_id] = Mark(status, reason if status in NOT_ATTENDING else "")
        return marks

    def checkins_seen(self) -> set[int]:
        raw = self.cleaned_data.get("seen_checkins") or ""
        return {int(part) for part in raw.split(",") if part.strip().isdigit()}

    def details(self) -> dict:
        names = ("topic", "held_on", "start_time", "end_time", "mode", "host", "recorder")
        details = {name: self.cleaned_data[name] for name in names}
        details["minutes"] = self.cleaned_data["minutes"]
        details["decisions"] = self.cleaned_data["decisions"]
        return details


class StudyMaterialChoice(forms.ModelChoiceField):
    """A study material of the branch's library; the meeting's own are marked."""

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": _("Choose a study material from this branch's library.")},
        )
        super().__init__(queryset, **kwargs)

    def label_from_instance(self, obj):
        label = f"《{obj.title}》 · {obj.organization.name}"
        if getattr(obj, "at_meeting", False):
            return _("%(material)s (this meeting's material)") % {"material": label}
        return label


class MakeUpForm(PortalForm):
    date_kinds = {"made_up_on": "happened"}
    submit_label = _("Save the make-up")

    class Meta:
        model = MakeUp
        fields = ["kind", "made_up_on", "delivered_by", "study_material", "material", "note"]
        widgets = {"made_up_on": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"study_material": StudyMaterialChoice}
        help_texts = {
            "study_material": _(
                "From the branch's library of study materials, this meeting's first."
            ),
            "material": _("Left empty: the title of the study material chosen."),
        }

    def __init__(self, *args, attendance, **kwargs):
        super().__init__(*args, **kwargs)
        self.attendance = attendance
        self.initial.setdefault("made_up_on", timezone.localdate())
        # What is made up is usually the meeting's own subject.
        self.initial.setdefault("material", attendance.meeting.topic)
        study = self.fields["study_material"]
        study.queryset = materials.make_up_choices(attendance.meeting)
        study.empty_label = _("None chosen")
        self.fields["material"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("material") and "material" not in self.errors:
            notice = data.get("study_material")
            if notice is not None:
                data["material"] = notice.title[:200]
            elif "study_material" not in self.errors:
                self.add_error(
                    "material",
                    _("Write what was studied or delivered, or choose a study material."),
                )
        return data

    def clean_made_up_on(self):
        day = self.cleaned_data["made_up_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        if self.attendance.meeting.held_on and day < self.attendance.meeting.held_on:
            raise forms.ValidationError(_("A make-up cannot be before the meeting."))
        return day


class MaterialForm(forms.Form):
    """Link a study material of the branch's library to a meeting."""

    notice = StudyMaterialChoice(queryset=Notice.objects.none(), label=_("Study material"))

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        # Offered: what is not linked yet; accepted: the whole library, so a doubled
        # submit finds its material valid (and linked already) instead of an error.
        self.fields["notice"].queryset = (
            library_notices(meeting.branch_id) if self.is_bound else materials.linkable(meeting)
        )
        self.fields["notice"].empty_label = _("Choose a study material")
        self.fields["notice"].widget.attrs["class"] = "form-select form-select-lg"


# Photos and scans of signed sheets: what the browser says is never trusted, the first
# bytes of the file decide.
ATTACHMENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
}
MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}


def attachment_max_bytes() -> int:
    return getattr(settings, "MEETING_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What it is"), choices=AttachmentKind.choices, initial=AttachmentKind.SIGN_SHEET
    )
    file = forms.FileField(
        label=_("Photo or scan"),
        help_text=_("JPG, PNG or PDF, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = attachment_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB); at most %(limit)s MB.")
                % {"size": round(upload.size / 1048576, 1), "limit": limit // 1048576}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        content_type = ATTACHMENT_TYPES.get(ext)
        if content_type is None:
            raise forms.ValidationError(_("Only JPG, PNG or PDF files can be attached."))
        head = upload.read(16)
        upload.seek(0)
        if not head.startswith(MAGIC[content_type]):
            raise forms.ValidationError(
                _("The file's content is not a %(type)s file.") % {"type": ext.upper()}
            )
        if content_type.startswith("image/"):
            from PIL import Image, UnidentifiedImageError

            try:
                with Image.open(upload) as image:
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError) as error:
                raise forms.ValidationError(_("The image is damaged or incomplete.")) from error
            finally:
                upload.seek(0)
        self.content_type = content_type
        return upload


class CadenceRuleForm(PortalForm):
    class Meta:
        model = CadenceRule
        fields = [
            "district",
            "kind",
            "period",
            "minimum_count",
            "per_group",
            "valid_from",
            "valid_to",
            "source_note",
        ]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_class = "rule-form"  # portal.css: per group only for group meetings
        scope = scope_for(user)
        self.city_wide = can_edit_default_rules(user)
        districts = Organization.objects.visible_to(user, EDIT_RULES).filter(level=Level.DISTRICT)
        self.fields["district"].queryset = districts
        self.fields["district"].required = not self.city_wide
        self.fields["district"].empty_label = _("Default for every district")
        if not self.city_wide and self.instance.pk is None:
            first = districts.first()
            if first is not None and len(scope.paths(EDIT_RULES)) == 1:
                self.initial.setdefault("district", first.pk)

    def clean(self):
        data = super().clean()
        kind, district = data.get("kind"), data.get("district")
        if data.get("per_group") and kind != MeetingKind.GROUP:
            self.add_error("per_group", _("Only party group meetings are counted per group."))
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end date cannot be before the start date."))
        if kind and start:
            clash = CadenceRule.objects.filter(kind=kind, district=district).filter(
                Q(valid_to__isnull=True) | Q(valid_to__gte=start)
            )
            if end:
                clash = clash.filter(valid_from__lte=end)
            clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "valid_from",
                    _(
                        "Another rule for this kind of meeting is in force in these dates. "
                        "End it first (set its last day)."
                    ),
                )
        return data


def can_edit_default_rules(user) -> bool:
    """The default rules (no district) are changed only from a city-level grant."""
    return any(path.count("/") == 1 for path in scope_for(user).paths(EDIT_RULES))


class ExcusalForm(PortalForm):
    submit_label = _("Save the excusal")

    class Meta:
        model = Excusal
        fields = ["period", "period_start", "kind", "reason", "approved_by", "approved_on"]
        widgets = {"period_start": DateInput(), "approved_on": DateInput()}
        labels = {"period_start": _("A day in the period")}
        help_texts = {
            "period_start": _("Any day of the month, quarter or year that is excused."),
        }

    def __init__(self, *args, branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch
        self.fields["kind"].choices = [("", _("Every kind of meeting")), *MeetingKind.choices]
        self.initial.setdefault("approved_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        period, day = data.get("period"), data.get("period_start")
        if period and day:
            from .periods import span_of

            start = span_of(period, day).start
            data["period_start"] = start
            clash = Excusal.objects.filter(
                branch=self.branch, period=period, period_start=start, kind=data.get("kind", "")
            )
            if clash.exists():
                self.add_error("period_start", _("This branch is already excused for that."))
        return data


class PeriodChoiceForm(forms.Form):
    """?year=2025&quarter=2 on report pages (quarter empty: the whole year)."""

    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    quarter = forms.TypedChoiceField(
        choices=[("", ""), ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def period(self, *, default_quarter: bool) -> tuple[int, int | None]:
        today = timezone.localdate()
        if not self.is_valid():
            return today.year, ((today.month - 1) // 3 + 1) if default_quarter else None
        year = self.cleaned_data.get("year") or today.year
        quarter = self.cleaned_data.get("quarter")
        if quarter is None and default_quarter and "quarter" not in self.data:
            quarter = (today.month - 1) // 3 + 1
        return year, quarter


def today() -> datetime.date:
    return timezone.localdate()


# --- Self check-in (扫码签到): the member's public page and the secretary's decisions ---


class CheckInNameForm(forms.Form):
    """A member not found by the masked names types their full name; someone not on the
    list may add where they come from and asks to be recorded as a visitor."""

    name = forms.CharField(
        label=_("Your full name"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "name", "class": "form-control"}),
    )
    note = forms.CharField(
        label=_("Your branch or unit (for a visitor)"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def clean_name(self):
        name = "".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Type your full name."))
        return name


class CheckInDigitsForm(forms.Form):
    """The last four digits of the member's phone number on record."""

    who = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    digits = forms.RegexField(
        label=_("Last four digits of your phone number"),
        regex=r"^[0-9]{4}$",
        error_messages={"invalid": _("Type four digits.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]{4}",
                "maxlength": "4",
                "autocomplete": "off",
                "class": "form-control checkin-digits",
            }
        ),
    )

    def matches(self, expected: str) -> bool:
        """Whether the digits are the member's (a constant-time comparison)."""
        return bool(expected) and hmac.compare_digest(self.cleaned_data["digits"], expected)


class VisitorDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "confirm"), ("reject", "reject")])
