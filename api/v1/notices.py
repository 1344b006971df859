"""Notices (通知) and their receipts (回执), as the notice pages read them
(`notices.selectors`, `notices.receipt_selectors`, `NoticeQuerySet.visible_to`).

- /notices/sent/: the notices written at or below the client's sending nodes
  (SEND_NOTICES), with how many branches opened and confirmed them.
- /notices/sent/<id>/receipts/: a sent notice's receipts (who opened, confirmed, replied
  and when), for a sender following it (receipt_selectors.follows_receipts; 404 else).
- /notices/received/: sent notices addressed to the client's branches (ANSWER_NOTICES,
  or an area it sends to), with its own and its area's receipt counts.
Reading through the API does not mark a notice opened: a person opens it on its page.
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from branches.access import ANSWER_NOTICES, SEND_NOTICES
from notices import receipt_selectors, selectors
from notices.models import Notice, NoticeKind, NoticeReceipt, NoticeState

from .base import ApiViewMixin
from .params import require_any


class NoticeBaseSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    response_display = serializers.CharField(source="get_response_display")
    organization = serializers.IntegerField(source="organization_id")
    organization_name = serializers.CharField(source="organization.name")
    is_forward = serializers.BooleanField()
    forwarded_from = serializers.IntegerField(source="forwarded_from_id", allow_null=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "title",
            "kind",
            "kind_display",
            "response",
            "response_display",
            "deadline",
            "organization",
            "organization_name",
            "is_forward",
            "forwarded_from",
            "sent_at",
        ]


class SentCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    opened = serializers.IntegerField()
    confirmed = serializers.IntegerField()


class SentNoticeSerializer(NoticeBaseSerializer):
    state_display = serializers.CharField(source="get_state_display")
    receipts = serializers.SerializerMethodField()

    class Meta(NoticeBaseSerializer.Meta):
        fields = [
            *NoticeBaseSerializer.Meta.fields,
            "state",
            "state_display",
            "created_at",
            "receipts",
        ]

    @extend_schema_field(SentCountsSerializer)
    def get_receipts(self, notice):
        return {"total": notice.total, "opened": notice.opened, "confirmed": notice.confirmed}


class MineCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(
        help_text=gettext_lazy("receipts of the branches the client answers for")
    )
    unopened = serializers.IntegerField()
    unconfirmed = serializers.IntegerField()


class ReceivedNoticeSerializer(NoticeBaseSerializer):
    mine = serializers.SerializerMethodField()
    area = SentCountsSerializer(source="*")

    class Meta(NoticeBaseSerializer.Meta):
        fields = [*NoticeBaseSerializer.Meta.fields, "mine", "area"]

    @extend_schema_field(MineCountsSerializer)
    def get_mine(self, notice):
        return {
            "total": notice.mine,
            "unopened": notice.mine_unopened,
            "unconfirmed": notice.mine_open,
        }

    def to_representation(self, notice):
        notice.total, notice.opened, notice.confirmed = (
            notice.area,
            notice.area_opened,
            notice.area_confirmed,
        )
        return super().to_representation(notice)


class ReceiptSerializer(serializers.ModelSerializer):
    branch = serializers.IntegerField(source="branch_id")
    branch_name = serializers.CharField(source="branch.name")
    organization_name = serializers.CharField(source="branch.organization.name")
    confirmed_by = serializers.SerializerMethodField()
    late = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    class Meta:
        model = NoticeReceipt
        fields = [
            "id",
            "branch",
            "branch_name",
            "organization_name",
            "opened_at",
            "confirmed_at",
            "confirmed_by",
            "replied_at",
            "reply",
            "files",
            "late",
        ]

    def get_confirmed_by(self, receipt) -> str | None:
        return receipt.confirmed_by.display_name if receipt.confirmed_by else None

    def get_late(self, receipt) -> bool:
        deadline = self.context["deadline"]
        return receipt_selectors.is_late(receipt.replied_at or receipt.confirmed_at, deadline)

    def get_files(self, receipt) -> list[str]:
        return [a.original_name for a in receipt.attachments.all()]


class SentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices)
    state = django_filters.ChoiceFilter(choices=NoticeState.choices)

    class Meta:
        model = Notice
        fields = ["kind", "state"]


RECEIVED_STATES = [
    ("unread", gettext_lazy("not opened")),
    ("opened", gettext_lazy("opened, not confirmed")),
    ("confirmed", gettext_lazy("confirmed")),
    ("overdue", gettext_lazy("overdue")),
]


class ReceivedFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices, method="noop")
    state = django_filters.ChoiceFilter(choices=RECEIVED_STATES, method="noop")

    class Meta:
        model = Notice
        fields = ["kind", "state"]

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.received(
            self.request.user,
            state=data.get("state") or "",
            kind=data.get("kind") or "",
            today=timezone.localdate(),
        )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Notices the client sent (or sends from its nodes), with counts")
    ),
    retrieve=extend_schema(summary=gettext_lazy("One notice the client sent")),
)
class SentNoticeViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SentNoticeSerializer
    filterset_class = SentFilter

    def get_queryset(self):
        return selectors.sent(self.request.user)

    def list(self, request, *args, **kwargs):
        require_any(request, SEND_NOTICES)
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Sent notices addressed to the client's branches")),
    retrieve=extend_schema(summary=gettext_lazy("One notice addressed to the client's branches")),
)
class ReceivedNoticeViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReceivedNoticeSerializer
    filterset_class = ReceivedFilter

    def get_queryset(self):
        return selectors.received(self.request.user, today=timezone.localdate())

    def list(self, request, *args, **kwargs):
        require_any(request, SEND_NOTICES, ANSWER_NOTICES)
        return super().list(request, *args, **kwargs)


class ReceiptViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReceiptSerializer

    def _notice(self) -> Notice:
        notice = (
            Notice.objects.visible_to(self.request.user, SEND_NOTICES)
            .filter(pk=self.kwargs["notice_pk"], state=NoticeState.SENT)
            .select_related("organization")
            .first()
        )
        if notice is None or not receipt_selectors.follows_receipts(self.request.user, notice):
            raise Http404
        return notice

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema: no request to scope
            return NoticeReceipt.objects.none()
        self.notice = self._notice()
        return receipt_selectors.branch_receipts(self.notice, self.notice.organization).order_by(
            "path", "branch__name", "pk"
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        notice = getattr(self, "notice", None)
        context["deadline"] = notice.deadline if notice else None
        return context

    @extend_schema(
        summary=gettext_lazy("The receipts of a notice the client sent: who confirmed, when")
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
