"""Query parameters the v1 read endpoints share, parsed strictly: a value that does not
parse is a 400 with a Chinese message (the pages fall back to a default instead; an
integrator should learn that their parameter was wrong).

Numbers are read from ASCII digits only ("²".isdigit() is true, "١" is a digit to
int()), as accounts.query reads the pages' query strings; a NUL character never gets
here (accounts.query.RefuseNulInQuery answers 400 first).
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from accounts.query import NUMBER
from activities.meetings.periods import Period
from branches.access import scope_for
from reports.selectors.periods import PeriodChoice, choose_period

MAX_PK = 2**31 - 1


class AsciiIntegerField(forms.IntegerField):
    """A form field for whole numbers written in ASCII digits."""

    default_error_messages = {"invalid": _("Enter a whole number in ASCII digits.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not NUMBER.fullmatch(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value.strip())


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """`?branch=12`: a primary key (ASCII digits, 1 .. 2**31-1)."""

    field_class = AsciiIntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_PK)
        super().__init__(*args, **kwargs)


FLAGS = {"1": True, "true": True, "0": False, "false": False}


class FlagField(forms.Field):
    """`?x=1` / `?x=0` (or true / false); anything else is refused, not ignored."""

    default_error_messages = {"invalid": _("Use 1 or 0 (true or false).")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        flag = FLAGS.get(str(value).strip().lower())
        if flag is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return flag

    def validate(self, value):
        pass  # None (not given) is fine


@extend_schema_field(OpenApiTypes.BOOL)
class FlagFilter(django_filters.Filter):
    field_class = FlagField


class AsciiInteger(serializers.IntegerField):
    """A serializer field for whole numbers written in ASCII digits."""

    default_error_messages = {"invalid": _("Enter a whole number in ASCII digits.")}

    def to_internal_value(self, data):
        if isinstance(data, str) and not NUMBER.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class PeriodSerializer(serializers.Serializer):
    """?period=month|quarter|year&year=2026&quarter=2&month=5, as the dashboards read
    them (reports.selectors.periods.choose_period), but refused when wrong; left out,
    the current quarter (month, year) as on the pages."""

    period = serializers.ChoiceField(choices=Period.choices, required=False)
    year = AsciiInteger(min_value=2000, max_value=2100, required=False)
    quarter = AsciiInteger(min_value=1, max_value=4, required=False)
    month = AsciiInteger(min_value=1, max_value=12, required=False)

    def validate(self, attrs):
        period = attrs.get("period", Period.QUARTER)
        if period == Period.MONTH and "quarter" in attrs:
            raise serializers.ValidationError(_("A month's period takes no quarter."))
        if period == Period.QUARTER and "month" in attrs:
            raise serializers.ValidationError(_("A quarter's period takes no month."))
        if period == Period.YEAR and ("month" in attrs or "quarter" in attrs):
            raise serializers.ValidationError(_("A year's period takes no month or quarter."))
        return attrs

    def choice(self, *, today: datetime.date | None = None) -> PeriodChoice:
        """The dashboards' PeriodChoice for the validated parameters."""
        data = {key: str(value) for key, value in self.validated_data.items()}
        return choose_period(data, today=today or timezone.localdate())


def parse_period(request) -> PeriodChoice:
    """The period of the request's query string, or a 400 (ValidationError)."""
    params = PeriodSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.choice()


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "period",
        str,
        enum=Period.values,
        description=_("month, quarter or year (default: quarter)"),
    ),
    OpenApiParameter("year", int, description=_("2000-2100 (default: this year)")),
    OpenApiParameter("quarter", int, description=_("1-4, with period=quarter (default: this one)")),
    OpenApiParameter("month", int, description=_("1-12, with period=month (default: this one)")),
]


class PeriodOutSerializer(serializers.Serializer):
    """The period an answer is about."""

    period = serializers.CharField()
    period_display = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


def period_out(choice: PeriodChoice) -> dict:
    span = choice.span
    return {
        "period": span.period,
        "period_display": str(Period(span.period).label),
        "start": span.start,
        "end": span.end,
    }


class NeedsCapability:
    """A list answers 404 to a client holding none of `list_capabilities` anywhere, as
    the pages do (`branches.access.require_capability`); inside, the scope narrows it."""

    list_capabilities: tuple[str, ...] = ()

    def list(self, request, *args, **kwargs):
        require_any(request, *self.list_capabilities)
        return super().list(request, *args, **kwargs)


def require_any(request, *capabilities: str) -> None:
    scope = scope_for(request.user)
    if capabilities and not any(scope.has(c) for c in capabilities):
        raise Http404


class TallySerializer(serializers.Serializer):
    """Attendance of held meetings: rate = (present + remote + made up) / expected."""

    expected = serializers.IntegerField()
    present = serializers.IntegerField()
    remote = serializers.IntegerField()
    excused = serializers.IntegerField()
    absent = serializers.IntegerField()
    made_up = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
