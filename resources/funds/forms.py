"""Forms of the funds pages. Amounts are Decimals with at most two places, more than
zero; receipts are photos or PDFs whose first bytes agree with their name."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.query import query_int
from activities.care.models import Activity, CareVisit
from activities.meetings.models import Meeting, MeetingStatus
from notices.uploads import checked_upload

from .models import MONEY, ApproverLevel, FundSource, SpendingCategory

RECEIPT_KINDS = ("pdf", "jpg", "jpeg", "png")
RECEIPT_ACCEPT = ",".join(f".{ext}" for ext in RECEIPT_KINDS)
MAX_RECEIPTS = 5


def year_from(request) -> int:
    """?year=2026 (any other value: this year)."""
    today = timezone.localdate()
    return query_int(request.GET.get("year"), 2000, 2100) or today.year


def years_around(year: int) -> list[int]:
    this = timezone.localdate().year
    return sorted({*range(this, this - 4, -1), year}, reverse=True)


class AmountField(forms.DecimalField):
    """Yuan with fen: more than zero, at most two decimal places."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Amount (yuan)"))
        super().__init__(
            max_digits=MONEY["max_digits"],
            decimal_places=MONEY["decimal_places"],
            min_value=Decimal("0.01"),
            error_messages={
                "invalid": gettext_lazy("Enter the amount as a number, e.g. 12.50."),
                "min_value": gettext_lazy("The amount must be more than zero."),
                "max_decimal_places": gettext_lazy(
                    "The amount can have at most two decimal places (fen)."
                ),
                "max_digits": gettext_lazy("The amount is too large."),
                "max_whole_digits": gettext_lazy("The amount is too large."),
            },
            **kwargs,
        )
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01", "min": "0.01"})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReceiptsField(forms.FileField):
    """One or more receipt files, each checked (kind, size, first bytes)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": RECEIPT_ACCEPT}))
        kwargs.setdefault(
            "error_messages", {"required": gettext_lazy("Attach at least one receipt.")}
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > MAX_RECEIPTS:
            raise forms.ValidationError(
                _("At most %(n)s receipts at a time.") % {"n": MAX_RECEIPTS}
            )
        return [(upload, checked_receipt(upload)) for upload in files]


def checked_receipt(upload) -> str:
    """The content type of an acceptable receipt: a photo (JPG, PNG) or a PDF."""
    ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if ext not in RECEIPT_KINDS:
        raise forms.ValidationError(
            _("“%(name)s”: a receipt must be a photo (JPG, PNG) or a PDF file.")
            % {"name": upload.name}
        )
    return checked_upload(upload)


class NonceField(forms.UUIDField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)


class SpendingForm(forms.Form):
    spent_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    amount = AmountField()
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=SpendingCategory.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )
    purpose = forms.CharField(label=gettext_lazy("What it was for"), max_length=200)
    meeting = forms.ModelChoiceField(
        label=gettext_lazy("For the meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=gettext_lazy("— none —"),
    )
    activity = forms.ModelChoiceField(
        label=gettext_lazy("For the activity"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=gettext_lazy("— none —"),
    )
    care_visit = forms.ModelChoiceField(
        label=gettext_lazy("For the care visit"),
        queryset=CareVisit.objects.none(),
        required=False,
        empty_label=gettext_lazy("— none —"),
    )
    receipts = ReceiptsField(
        label=gettext_lazy("Receipts (photo or PDF)"),
        help_text=gettext_lazy("Take a photo of each receipt or choose PDF files; up to 5."),
    )
    nonce = NonceField()

    def __init__(self, *args, branch, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["category"].error_messages["required"] = _("Choose a category.")
        # What the spending may be for: this branch's of the last two years (a bounded
        # list, without a slice, so the chosen one is looked up in the same queryset).
        since = timezone.localdate() - datetime.timedelta(days=730)
        self.fields["meeting"].queryset = Meeting.objects.filter(
            branch=branch, status=MeetingStatus.HELD, held_on__gte=since
        ).order_by("-held_on", "-pk")
        self.fields["activity"].queryset = Activity.objects.filter(
            branch=branch, held_on__gte=since
        ).order_by("-held_on", "-pk")
        self.fields["care_visit"].queryset = (
            CareVisit.objects.filter(member__home_branch=branch, visited_on__gte=since)
            .select_related("member")
            .order_by("-visited_on", "-pk")
        )
        self.fields["care_visit"].label_from_instance = lambda v: (
            f"{v.visited_on:%Y-%m-%d} {v.member.name} {v.get_kind_display()}"
        )
        self.fields["activity"].label_from_instance = lambda a: f"{a.held_on:%Y-%m-%d} {a.title}"
        self.fields["meeting"].label_from_instance = lambda m: f"{m.day:%Y-%m-%d} {m.topic}"
        if not self.is_bound:
            self.initial.setdefault("spent_on", timezone.localdate())
            self.initial.setdefault("nonce", uuid.uuid4())

    def clean_spent_on(self):
        day = self.cleaned_data["spent_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class AllocationForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    source = forms.ChoiceField(label=pgettext_lazy("funds", "Source"), widget=forms.RadioSelect)
    amount = AmountField()
    granted_on = forms.DateField(label=gettext_lazy("Date of the instalment"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    nonce = NonceField()

    def __init__(self, *args, sources, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years_around(year)]
        self.fields["source"].choices = [(s, FundSource(s).label) for s in sources]
        if not self.is_bound:
            self.initial.setdefault("year", year)
            self.initial.setdefault("granted_on", timezone.localdate())
            self.initial.setdefault("nonce", uuid.uuid4())
            if len(sources) == 1:
                self.initial.setdefault("source", sources[0])


class CorrectionForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount to take back (yuan)"))
    reason = forms.CharField(label=gettext_lazy("Reason for the correction"), max_length=200)
    nonce = NonceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("nonce", uuid.uuid4())


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[("approve", gettext_lazy("Approve")), ("refuse", gettext_lazy("Refuse"))],
    )
    exception = forms.BooleanField(
        label=gettext_lazy("Approve as an exception beyond the balance"), required=False
    )
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


class RuleForm(forms.Form):
    threshold = forms.DecimalField(
        label=gettext_lazy("Spending above this amount needs approval (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        error_messages={
            "invalid": gettext_lazy("Enter the amount as a number, e.g. 12.50."),
            "min_value": gettext_lazy("The amount cannot be negative."),
            "max_decimal_places": gettext_lazy(
                "The amount can have at most two decimal places (fen)."
            ),
            "max_digits": gettext_lazy("The amount is too large."),
            "max_whole_digits": gettext_lazy("The amount is too large."),
        },
    )
    approver_level = forms.ChoiceField(
        label=gettext_lazy("Who approves"), choices=ApproverLevel.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=gettext_lazy("Source of the rule"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CloseYearForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked the year's entries: close the year."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )
