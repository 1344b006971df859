"""The funds pages: a branch's year (balance, grants, spending, approvals), an area's
overview with its drill-down, the 经费使用情况表, the approvals waiting, closing a year
and a district's rule. Outside the scope answers 404; readers who may not write, 403."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, shared_cache, stored_files
from accounts.models import AuditAction
from branches.access import (
    APPROVE_SPENDING,
    CLOSE_FUND_YEAR,
    EDIT_RULES,
    GRANT_FUNDS,
    GRANT_UNIT_FUNDS,
    RECORD_SPENDING,
    VIEW_FUNDS,
    require_capability,
    scope_for,
)
from branches.models import Branch, Level, Organization, OriginalUnit
from members.models import Member, MemberStatus

from . import exports, selectors, services
from .forms import (
    AllocationForm,
    CloseYearForm,
    CorrectionForm,
    DecisionForm,
    RuleForm,
    SpendingForm,
    year_from,
    years_around,
)
from .models import Allocation, FundSource, Receipt, Spending
from .services import FundsError


def _wants(request) -> str:
    fmt = request.GET.get("format", "html")
    return fmt if fmt in {"html", "pdf", "xlsx"} else "html"


def _branch(request, pk, write: str | None = None) -> Branch:
    """A branch whose funds the user reads (404 otherwise), and with `write` holds that
    capability over it (403 otherwise)."""
    branch = (
        selectors.funds_branches(request.user).select_related("organization").filter(pk=pk).first()
    )
    if branch is None:
        raise Http404
    if write and not selectors.funds_branches(request.user, write).filter(pk=pk).exists():
        raise PermissionDenied
    return branch


def _may(user, capability: str, branch: Branch) -> bool:
    return selectors.funds_branches(user, capability).filter(pk=branch.pk).exists()


def _grant_side(user, branch: Branch):
    """What the user grants to this branch: (sources, by_node, by_unit), or None."""
    if _may(user, GRANT_FUNDS, branch):
        district = selectors.ancestor(branch, Level.DISTRICT)
        return list(FundSource.values), district, None
    unit_ids = scope_for(user).unit_ids(GRANT_UNIT_FUNDS)
    if unit_ids:
        unit = (
            OriginalUnit.objects.filter(pk__in=unit_ids)
            .filter(pk__in=_units_in(branch))
            .order_by("pk")
            .first()
        )
        if unit is not None:
            return [FundSource.UNIT], None, unit
    return None


def _units_in(branch: Branch):
    return Member.objects.filter(home_branch=branch, status=MemberStatus.ACTIVE).values(
        "original_unit_id"
    )


def _spending(request, pk) -> Spending:
    spending = (
        Spending.objects.filter(pk=pk, branch__in=selectors.funds_branches(request.user))
        .select_related(
            "branch",
            "branch__organization",
            "category",
            "created_by",
            "decided_by",
            "meeting",
            "activity",
            "care_visit__member",
        )
        .first()
    )
    if spending is None:
        raise Http404
    return spending


# --- A branch -------------------------------------------------------------------------


def branch_page(request, branch_pk):
    branch = _branch(request, branch_pk)
    year = year_from(request)
    book = selectors.branch_funds(branch, year)
    user = request.user
    waiting = [s.pk for s in selectors.funds_waiting(user).filter(branch=branch, year=year)]
    return render(
        request,
        "funds/branch.html",
        {
            "branch": branch,
            "book": book,
            "year": year,
            "years": years_around(year),
            "can_record": _may(user, RECORD_SPENDING, branch) and not book.closed,
            "can_grant": _grant_side(user, branch) is not None and not book.closed,
            "waiting": [s for s in book.spendings if s.pk in waiting],
        },
    )


def allocation_add(request, branch_pk):
    branch = _branch(request, branch_pk)
    side = _grant_side(request.user, branch)
    if side is None:
        raise PermissionDenied
    sources, by_node, by_unit = side
    year = year_from(request)
    form = AllocationForm(request.POST or None, sources=sources, year=year)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.allocation_grant(
                branch=branch,
                year=data["year"],
                source=data["source"],
                amount=data["amount"],
                granted_on=data["granted_on"],
                note=data["note"],
                by_node=by_node,
                by_unit=by_unit,
                nonce=data["nonce"],
                actor=request.user,
                request=request,
            )
        except FundsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The allocation is entered."))
            return redirect(f"{reverse('funds:branch', args=[branch.pk])}?year={data['year']}")
    return _form_page(
        request,
        form,
        title=_("Enter an allocation"),
        branch=branch,
        back=reverse("funds:branch", args=[branch.pk]),
    )


def _form_page(request, form, *, title, branch, back, extra=None, multipart=False):
    return render(
        request,
        "funds/form.html",
        {
            "form": form,
            "title": title,
            "branch": branch,
            "back": back,
            "multipart": multipart,
            **(extra or {}),
        },
    )


def spending_add(request, branch_pk):
    branch = _branch(request, branch_pk, write=RECORD_SPENDING)
    district = selectors.ancestor(branch, Level.DISTRICT)
    form = SpendingForm(
        request.POST or None,
        request.FILES or None,
        branch=branch,
        categories=selectors.categories_for(district),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            spending = services.spending_record(
                branch=branch,
                spent_on=data["spent_on"],
                amount=data["amount"],
                category=data["category"],
                purpose=data["purpose"],
                meeting=data["meeting"],
                activity=data["activity"],
                care_visit=data["care_visit"],
                uploads=data["receipts"],
                nonce=data["nonce"],
                actor=request.user,
                request=request,
            )
        except FundsError as error:
            form.add_error(None, str(error))
        else:
            if spending.counts:
                messages.success(request, _("The spending is recorded and counts."))
            else:
                messages.warning(
                    request,
                    _("The spending is recorded and waits for approval before it counts."),
                )
            return redirect("funds:spending", pk=spending.pk)
    rule = selectors.rule_for(district)
    return _form_page(
        request,
        form,
        title=_("Record a spending"),
        branch=branch,
        back=reverse("funds:branch", args=[branch.pk]),
        extra={"rule": rule},
        multipart=True,
    )


def spending_detail(request, pk):
    spending = _spending(request, pk)
    user = request.user
    branch = spending.branch
    may_decide = spending.state == "pending" and selectors.may_approve(user, spending)
    closed = selectors.year_closed(branch, spending.year)
    return render(
        request,
        "funds/spending.html",
        {
            "spending": spending,
            "branch": branch,
            "receipts": list(spending.receipts.all()),
            "corrections": list(spending.corrections.all()),
            "may_decide": may_decide and not closed,
            "decision_form": DecisionForm() if may_decide else None,
            "may_correct": spending.counts
            and not spending.is_correction
            and _may(user, RECORD_SPENDING, branch),
            "closed": closed,
        },
    )


def spending_decide(request, pk):
    spending = _spending(request, pk)
    if not selectors.may_approve(request.user, spending):
        raise PermissionDenied
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.spending_decide(
                spending=spending,
                approve=data["decision"] == "approve",
                exception=data["exception"],
                note=data["note"],
                actor=request.user,
                request=request,
            )
        except FundsError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Approved: the spending counts now.")
                if data["decision"] == "approve"
                else _("Refused: the spending does not count."),
            )
        return redirect("funds:spending", pk=spending.pk)
    return _form_page(
        request,
        form,
        title=_("Approve or refuse a spending"),
        branch=spending.branch,
        back=reverse("funds:spending", args=[spending.pk]),
        extra={"spending": spending},
    )


def _correction(request, *, correct, target, title, branch, done_url, back, extra):
    """The counter-entry form of a spending or a grant: `correct` writes it (the service
    for `target`), then the user goes to `done_url`."""
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            correct(
                target,
                amount=data["amount"],
                reason=data["reason"],
                nonce=data["nonce"],
                actor=request.user,
                request=request,
            )
        except FundsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The counter-entry is recorded."))
            return redirect(done_url)
    return _form_page(request, form, title=title, branch=branch, back=back, extra=extra)


def spending_correct(request, pk):
    spending = _spending(request, pk)
    if not _may(request.user, RECORD_SPENDING, spending.branch):
        raise PermissionDenied
    back = reverse("funds:spending", args=[spending.pk])
    return _correction(
        request,
        correct=lambda target, **kw: services.spending_correct(spending=target, **kw),
        target=spending,
        title=_("Correct with a counter-entry"),
        branch=spending.branch,
        done_url=back,
        back=back,
        extra={"spending": spending},
    )


def allocation_correct(request, pk):
    allocation = (
        Allocation.objects.filter(pk=pk, branch__in=selectors.funds_branches(request.user))
        .select_related("branch", "branch__organization", "granted_by_unit")
        .first()
    )
    if allocation is None:
        raise Http404
    side = _grant_side(request.user, allocation.branch)
    # The district corrects any grant of its branches; a liaison only its unit's.
    if side is None or (side[2] is not None and side[2].pk != allocation.granted_by_unit_id):
        raise PermissionDenied
    branch_url = reverse("funds:branch", args=[allocation.branch_id])
    return _correction(
        request,
        correct=lambda target, **kw: services.allocation_correct(allocation=target, **kw),
        target=allocation,
        title=_("Correct a grant with a counter-entry"),
        branch=allocation.branch,
        done_url=f"{branch_url}?year={allocation.year}",
        back=branch_url,
        extra={"allocation": allocation},
    )


def receipt_download(request, pk):
    """Receipts are served only through here, always as a download (never rendered
    inline, so a crafted file cannot run in the portal's origin), and audited."""
    receipt = (
        Receipt.objects.filter(pk=pk, spending__branch__in=selectors.funds_branches(request.user))
        .select_related("spending")
        .first()
    )
    if receipt is None:
        raise Http404
    audit.record(
        AuditAction.EXPORT,
        receipt,
        request=request,
        after={"format": receipt.content_type, "branch": receipt.spending.branch_id},
    )
    return stored_files.download(
        request,
        receipt.file.name,
        content_type=receipt.content_type,
        filename=receipt.original_name,
    )


def branch_usage(request, branch_pk):
    branch = _branch(request, branch_pk)
    year = year_from(request)
    book = selectors.branch_funds(branch, year)
    page = {"branch": branch, "year": year, "years": years_around(year)}
    return exports.branch_usage(request, book, _wants(request), page=page)


# --- An area --------------------------------------------------------------------------


def _node(request, pk, capability: str = VIEW_FUNDS) -> Organization:
    require_capability(request, VIEW_FUNDS)
    node = Organization.objects.visible_to(request.user, VIEW_FUNDS).filter(pk=pk).first()
    if node is None:
        raise Http404
    if capability != VIEW_FUNDS:
        allowed = Organization.objects.visible_to(request.user, capability).filter(pk=pk)
        if not allowed.exists():
            raise PermissionDenied
    return node


# The overview renders a row per branch of the area (a district: hundreds): kept whole,
# under the area's figures version, which every audited write of funds, members,
# branches and the tree moves (reports.freshness), the year, the day (the year choices,
# the branches still active), the language and the reader's grants (the close and rule
# buttons): two readers share a body only if they hold the very same grants.
AREA_PAGE_PREFIX = "funds-area:v1"


def area_page(request, pk):
    node = _node(request, pk)
    year = year_from(request)
    scope = scope_for(request.user)
    key = shared_cache.kept_key(
        AREA_PAGE_PREFIX,
        node.pk,
        year,
        version=node.figures_key(),
        today=timezone.localdate(),
        grants=scope.digest(),
    )

    def render_body():
        area = selectors.area_funds(node, year)
        context = {
            "node": node,
            "area": area,
            "year": year,
            "years": years_around(year),
            "can_close": node.level == Level.STREET
            and not area.closed
            and scope.covers_path(node.path, CLOSE_FUND_YEAR),
            "can_rule": node.level == Level.DISTRICT and scope.covers_path(node.path, EDIT_RULES),
            "children": {o.pk for o in Organization.objects.filter(parent=node).only("pk")},
        }
        return render_to_string("funds/includes/area_body.html", context)

    body = shared_cache.kept_page(key, render_body, settings.DASHBOARD_CACHE_SECONDS)
    return render(request, "funds/area.html", {"node": node, "body": body})


def area_usage(request, pk):
    node = _node(request, pk)
    year = year_from(request)
    area = selectors.area_funds(node, year)
    page = {"node": node, "year": year, "years": years_around(year)}
    return exports.area_usage(request, area, _wants(request), page=page)


def year_close(request, pk):
    node = _node(request, pk)
    if node.level != Level.STREET:
        raise Http404
    node = _node(request, pk, CLOSE_FUND_YEAR)
    year = year_from(request)
    form = CloseYearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.year_close(street=node, year=year, actor=request.user, request=request)
        except FundsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The funds of %(year)s are closed.") % {"year": year})
            return redirect(f"{reverse('funds:area', args=[node.pk])}?year={year}")
    return render(
        request,
        "funds/close_year.html",
        {"form": form, "node": node, "year": year, "area": selectors.area_funds(node, year)},
    )


def rule_edit(request, pk):
    node = _node(request, pk)
    if node.level != Level.DISTRICT:
        raise Http404
    node = _node(request, pk, EDIT_RULES)
    rule = selectors.rule_for(node)
    initial = {
        "threshold": rule.threshold,
        "approver_level": rule.approver_level,
        "note": rule.note,
        "version": rule.version,
    }
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.rule_update(
                district=node,
                threshold=data["threshold"],
                approver_level=data["approver_level"],
                note=data["note"],
                version=data["version"] or rule.version,
                actor=request.user,
                request=request,
            )
        except FundsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The funds rule is saved."))
            return redirect("funds:area", pk=node.pk)
    return render(
        request,
        "funds/rule.html",
        {"form": form, "node": node, "title": _("Funds rule")},
    )


def waiting(request):
    require_capability(request, APPROVE_SPENDING)
    return render(
        request, "funds/waiting.html", {"spendings": list(selectors.funds_waiting(request.user))}
    )
