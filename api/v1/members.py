"""GET /api/v1/members/: the roster (`members.selectors.roster`), masked exactly as on the
pages (`members.masking`, `members.selectors.MemberGate`).

- A client with VIEW_MEMBERS over a member sees the ordinary fields; the ID number,
  phone and address masked; health only where it holds VIEW_SENSITIVE ("***" elsewhere).
- `?unmasked=1` shows the full ID number, phone and address of the members whose
  sensitive data the client may see (VIEW_SENSITIVE), and writes one
  AuditAction.VIEW_SENSITIVE entry per member shown so, as the member page's "show full"
  does. A client holding VIEW_SENSITIVE nowhere (or, on a detail, not over that member)
  gets 403.
- A unit liaison (VIEW_UNIT_MEMBERS) sees its unit's retirees as on its pages: name,
  community, home branch, status and registration only (`view` = "limited").
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts import audit
from accounts.models import AuditAction
from branches.access import VIEW_MEMBERS, VIEW_SENSITIVE, VIEW_UNIT_MEMBERS, scope_for
from members.masking import HIDDEN, mask_address, mask_id, mask_phone
from members.models import Member, MemberStatus, RegistrationStatus
from members.selectors import MemberGate, RosterFilters, roster
from members.views.member import SENSITIVE_FIELDS

from .base import ScopedReadViewSet
from .params import FlagField, IdFilter, require_any

NOT_REGISTERED = "none"
NOT_REGISTERED_LABEL = _("Not registered")
ALL = "all"
REFUSED = _("Only a role that may see sensitive data can unmask.")


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _ref(obj):
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


class MemberSerializer(serializers.Serializer):
    """Every key is always present; what a client may not see is null (limited view) or
    masked."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    view = serializers.ChoiceField(
        choices=[("full", _("full record")), ("limited", _("limited (unit liaison)"))]
    )
    status = serializers.CharField()
    status_display = serializers.CharField()
    community = RefSerializer()
    home_branch = RefSerializer(allow_null=True)
    registration_status = serializers.CharField()
    registration_status_display = serializers.CharField()
    party_group = RefSerializer(allow_null=True)
    original_unit = RefSerializer(allow_null=True)
    gender = serializers.CharField(allow_null=True)
    gender_display = serializers.CharField(allow_null=True)
    birth_month = serializers.CharField(allow_null=True, help_text=_("YYYY-MM"))
    age = serializers.IntegerField(allow_null=True)
    ethnicity = serializers.CharField(allow_null=True)
    retirement_type = serializers.CharField(allow_null=True)
    retirement_type_display = serializers.CharField(allow_null=True)
    former_post = serializers.CharField(allow_null=True)
    joined_party_on = serializers.DateField(allow_null=True)
    id_number = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_null=True)
    health = serializers.CharField(allow_null=True)
    health_display = serializers.CharField(allow_null=True)
    mobility_impaired = serializers.BooleanField(allow_null=True)
    unmasked = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, member):
        gate: MemberGate = self.context["gate"]
        reveal: bool = self.context.get("reveal", False)
        today = self.context["today"]
        status = member.registration_status
        data = {
            "id": member.pk,
            "name": member.name,
            "status": member.status,
            "status_display": str(member.get_status_display()),
            "community": _ref(member.community),
            "home_branch": _ref(member.home_branch),
            "registration_status": status or NOT_REGISTERED,
            "registration_status_display": str(
                RegistrationStatus(status).label if status else NOT_REGISTERED_LABEL
            ),
            "unmasked": False,
        }
        hidden = {
            key: None
            for key in self.fields
            if key not in data and key not in ("view", "unmasked", "id")
        }
        if not gate.full_view(member):
            return {**hidden, **data, "view": "limited", "updated_at": None}
        sensitive = gate.sensitive(member)
        unmasked = reveal and sensitive
        return {
            **data,
            "view": "full",
            "party_group": _ref(member.party_group),
            "original_unit": _ref(member.original_unit),
            "gender": member.gender,
            "gender_display": str(member.get_gender_display()),
            "birth_month": member.birth_date.strftime("%Y-%m"),
            "age": member.age_on(today),
            "ethnicity": member.ethnicity,
            "retirement_type": member.retirement_type,
            "retirement_type_display": str(member.get_retirement_type_display()),
            "former_post": member.former_post,
            "joined_party_on": (
                member.joined_party_on.isoformat() if member.joined_party_on else None
            ),
            "id_number": member.id_number if unmasked else mask_id(member.id_number),
            "phone": member.phone if unmasked else mask_phone(member.phone),
            "address": member.address if unmasked else mask_address(member.address),
            "health": member.health if sensitive else HIDDEN,
            "health_display": str(member.get_health_display()) if sensitive else HIDDEN,
            "mobility_impaired": member.mobility_impaired if sensitive else None,
            "unmasked": unmasked,
            "updated_at": serializers.DateTimeField().to_representation(member.updated_at),
        }


REGISTRATION_CHOICES = [*RegistrationStatus.choices, (NOT_REGISTERED, NOT_REGISTERED_LABEL)]
STATUS_CHOICES = [*MemberStatus.choices, (ALL, _("All"))]


class MemberFilter(django_filters.FilterSet):
    """The roster's filters (members.selectors.RosterFilters) and `updated_since`."""

    branch = IdFilter(method="noop", label=_("home branch"))
    community = IdFilter(method="noop", label=_("community of residence"))
    registration = django_filters.ChoiceFilter(
        choices=REGISTRATION_CHOICES, method="noop", label=_("registration status")
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="noop", label=_("member status")
    )
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("updated since")
    )

    class Meta:
        model = Member
        fields = ["branch", "community", "registration", "status", "updated_since"]

    def noop(self, queryset, name, value):
        return queryset  # read into RosterFilters by filter_queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        status = data.get("status") or MemberStatus.ACTIVE
        filters = RosterFilters(
            community=data.get("community"),
            branch=data.get("branch"),
            registration=data.get("registration") or "",
            status="" if status == ALL else status,
        )
        queryset = roster(self.request.user, filters)
        return super().filter_queryset(queryset)


class UnmaskForm(forms.Form):
    unmasked = FlagField(required=False)


UNMASKED = OpenApiParameter(
    "unmasked",
    bool,
    description=_(
        "`1`: the full ID number, phone and address of the members whose sensitive data "
        "the client may see (`can_view_sensitive`); each is recorded in the audit trail"
    ),
)


@extend_schema_view(
    list=extend_schema(summary=_("Members in the client's scope, masked"), parameters=[UNMASKED]),
    retrieve=extend_schema(summary=_("One member, masked"), parameters=[UNMASKED]),
)
class MemberViewSet(ScopedReadViewSet):
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    read_capability = VIEW_MEMBERS  # unit liaisons too (Member.objects.scope_unit_read)

    def get_queryset(self):
        # The roster's own queryset; the list's filters run it again with their values.
        return roster(self.request.user, RosterFilters(status=""))

    def _reveal(self) -> bool:
        form = UnmaskForm(self.request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        return bool(form.cleaned_data["unmasked"])

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.update(gate=MemberGate(self.request.user), today=timezone.localdate())
        return context

    def _audit(self, members, gate):
        audit.record_many(
            [
                audit.Change(
                    AuditAction.VIEW_SENSITIVE,
                    member,
                    after={"fields": SENSITIVE_FIELDS, "via": "api"},
                )
                for member in members
                if gate.sensitive(member)
            ],
            actor=self.request.user,
            request=self.request._request,
        )

    def list(self, request, *args, **kwargs):
        require_any(request, VIEW_MEMBERS, VIEW_UNIT_MEMBERS)
        reveal = self._reveal()
        if reveal and not scope_for(request.user).has(VIEW_SENSITIVE):
            raise PermissionDenied(REFUSED)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        context["reveal"] = reveal
        if reveal:
            self._audit(page, context["gate"])
        data = MemberSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        reveal = self._reveal()
        member = self.get_object()
        context = self.get_serializer_context()
        if reveal:
            if not (context["gate"].full_view(member) and context["gate"].sensitive(member)):
                raise PermissionDenied(REFUSED)
            self._audit([member], context["gate"])
        context["reveal"] = reveal
        return Response(MemberSerializer(member, context=context).data)
