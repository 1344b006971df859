"""定期通报 pages: a district's (or street's) bulletins and drafting one for a period, one
bulletin with its figures and text, and its PDF.

Drafting needs can_send_notices and can_view_dashboard over the node (a district or a
street); a bulletin is read by its sender's side while a draft, and once sent by
everyone it reached (as any notice); outside that, 404.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from accounts.models import AuditAction
from activities.meetings.periods import QUARTER_NAMES, Period, span_of
from branches.access import SEND_NOTICES, VIEW_DASHBOARD, get_for_user, scope_for
from branches.exporting import attachment
from branches.models import Organization
from notices.models import Notice, NoticeKind, NoticeState

from . import bulletins
from .selectors.periods import choose_period

LIST_PAGE = 20
ONE_DAY = datetime.timedelta(days=1)


def get_publisher_node(request, pk) -> Organization:
    """A district or street whose bulletins the user writes (read: its dashboard)."""
    node = get_for_user(
        request, Organization.objects.all(), pk, read=VIEW_DASHBOARD, write=SEND_NOTICES
    )
    if node.level not in bulletins.LEVELS:
        raise Http404
    return node


def get_bulletin_for_user(request, pk) -> Notice:
    """A draft: the sender's side (can_send_notices over its node); sent: whoever the
    notice reached, as every notice."""
    bulletins_ = Notice.objects.filter(kind=NoticeKind.BULLETIN).select_related("organization")
    found = bulletins_.visible_to(request.user, SEND_NOTICES).filter(pk=pk).first()
    if found is None:
        found = bulletins_.visible_to(request.user).filter(pk=pk, state=NoticeState.SENT).first()
    if found is None:
        raise Http404
    return found


class BulletinForm(forms.Form):
    """The period of a bulletin: a month or a quarter that has begun."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[(Period.QUARTER, Period.QUARTER.label), (Period.MONTH, Period.MONTH.label)],
    )
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Quarter"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[(q, f"第{QUARTER_NAMES[q]}季度") for q in range(1, 5)],
    )
    month = forms.TypedChoiceField(
        label=gettext_lazy("Month"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[(m, f"{m}月") for m in range(1, 13)],
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["year"].choices = [(y, f"{y}年") for y in range(today.year, today.year - 6, -1)]
        # The last period that has ended: what a bulletin usually reports.
        last_quarter = span_of(Period.QUARTER, span_of(Period.QUARTER, today).start - ONE_DAY)
        last_month = span_of(Period.MONTH, span_of(Period.MONTH, today).start - ONE_DAY)
        self.initial.update(
            period=Period.QUARTER,
            year=last_quarter.start.year,
            quarter=last_quarter.quarter,
            month=last_month.start.month,
        )
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-lg"

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period == Period.QUARTER and not data.get("quarter"):
            self.add_error("quarter", _("Choose the quarter."))
        if period == Period.MONTH and not data.get("month"):
            self.add_error("month", _("Choose the month."))
        if not self.errors:
            self.choice = choose_period(
                {
                    "period": period,
                    "year": str(data["year"]),
                    "quarter": str(data.get("quarter") or ""),
                    "month": str(data.get("month") or ""),
                },
                today=self.today,
            )
            if self.choice.span.start > self.today:
                raise forms.ValidationError(_("This period has not begun yet."))
        return data


def _today():
    return timezone.localdate()


def bulletin_list(request, pk):
    """The node's bulletins, and drafting the one of a period (POST)."""
    node = get_publisher_node(request, pk)
    today = _today()
    form = BulletinForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        notice, created = bulletins.draft_bulletin(
            node=node, choice=form.choice, today=today, actor=request.user, request=request
        )
        if created:
            messages.success(request, _("The bulletin is drafted: check and edit it, then send."))
        else:
            messages.info(request, _("This period's bulletin is already drafted: here it is."))
        return redirect("reports:bulletin", pk=notice.pk)
    drafted = (
        Notice.objects.visible_to(request.user, SEND_NOTICES)
        .filter(organization=node, kind=NoticeKind.BULLETIN)
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "reports/bulletin_list.html",
        {
            "node": node,
            "form": form,
            "page": Paginator(drafted, LIST_PAGE).get_page(request.GET.get("page")),
        },
    )


def bulletin(request, pk):
    notice = get_bulletin_for_user(request, pk)
    scope = scope_for(request.user)
    is_sender = scope.covers_path(notice.organization.path, SEND_NOTICES)
    return render(
        request,
        "reports/bulletin.html",
        {
            **bulletins.sheet_context(notice),
            "is_sender": is_sender,
            "is_draft": notice.state == NoticeState.DRAFT,
            "node": notice.organization,
        },
    )


def bulletin_pdf(request, pk):
    notice = get_bulletin_for_user(request, pk)
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="reports.bulletin",
        object_id=str(notice.pk),
        object_repr=notice.title[:200],
        after={
            "format": "pdf",
            "period": notice.bulletin_period,
            "organization": notice.organization_id,
        },
    )
    content = bulletins.pdf(notice, request=request)
    return attachment(content, "application/pdf", f"{notice.title}.pdf")
