"""Pages of the annual return: a node's return for a year (figures with their
definitions, state, versions, the units below), the submit and review steps, exports.

Reading needs can_view_dashboard on the node (outside: 404). Submitting needs a role on
the node itself with can_submit_returns; reviewing, a role on the node just above with
can_review_returns (a reader without it: 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.access import VIEW_DASHBOARD, get_for_user, require_capability
from branches.models import Organization

from ..models import ReturnState
from ..selectors.periods import annual_return_year
from . import exports
from . import figures as f
from .checks import review_flags
from .forms import ReviewForm, SubmitForm
from .services import (
    annual_return_review,
    annual_return_submit,
    children_returns,
    current_figures,
    may_review,
    may_submit,
    return_of,
)

FROZEN = (ReturnState.SUBMITTED, ReturnState.ACCEPTED)


def _node(request, pk: int, year: int) -> Organization:
    node = get_for_user(
        request, Organization.objects.select_related("parent"), pk, read=VIEW_DASHBOARD
    )
    if not f.FIRST_YEAR <= year <= timezone.localdate().year:
        raise Http404
    return node


def _shown(node, year: int, annual_return):
    """(the frozen version or None, figures): a submitted or accepted return shows its
    snapshot; an open one what submitting now would freeze."""
    if annual_return is not None and annual_return.state in FROZEN:
        version = annual_return.versions.first()
        return version, version.figures
    return None, current_figures(node, year, today=timezone.localdate())


def index(request):
    """Straight to the return of the user's top node for the year being prepared."""
    scope = require_capability(request, VIEW_DASHBOARD)
    root = Organization.objects.filter(path__in=scope.paths(VIEW_DASHBOARD)).first()
    if root is None:
        raise Http404
    year = annual_return_year(timezone.localdate())
    return redirect("reports:annual_return", pk=root.pk, year=year)


def annual_return(request, pk: int, year: int):
    node = _node(request, pk, year)
    ar = return_of(node, year)
    version, figures = _shown(node, year, ar)
    frozen = version is not None
    context = {
        "node": node,
        "year": year,
        "years": range(timezone.localdate().year, f.FIRST_YEAR - 1, -1)[:6],
        "annual_return": ar,
        "state": ar.get_state_display() if ar else ReturnState.DRAFT.label,
        "frozen": frozen,
        "version": version,
        "versions": list(ar.versions.select_related("submitted_by", "reviewed_by")) if ar else [],
        "rows": list(exports.rows(figures, text=True)),
        "can_submit": may_submit(request.user, node) and not frozen,
        "can_review": may_review(request.user, node)
        and ar is not None
        and ar.state == ReturnState.SUBMITTED,
        "children": children_returns(node, year),
    }
    return render(request, "reports/annual/return.html", context)


def submit(request, pk: int, year: int):
    node = _node(request, pk, year)
    if not may_submit(request.user, node):
        raise PermissionDenied
    ar = return_of(node, year)
    form = SubmitForm(request.POST or None, initial={"revision": ar.revision if ar else 0})
    if request.method == "POST" and form.is_valid():
        try:
            annual_return_submit(
                node=node,
                year=year,
                revision=form.cleaned_data["revision"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The return has been submitted."))
        return redirect("reports:annual_return", pk=node.pk, year=year)
    _version, figures = _shown(node, year, ar)
    context = {
        "node": node,
        "year": year,
        "form": form,
        "annual_return": ar,
        "rows": list(exports.rows(figures, text=True)),
        "children": children_returns(node, year) if node.level != "community" else [],
    }
    return render(request, "reports/annual/submit.html", context)


def review(request, pk: int, year: int):
    node = _node(request, pk, year)
    if not may_review(request.user, node):
        raise PermissionDenied
    ar = return_of(node, year)
    if ar is None or ar.state == ReturnState.DRAFT:
        messages.error(request, _("This return has not been submitted yet."))
        return redirect("reports:annual_return", pk=node.pk, year=year)
    form = ReviewForm(request.POST or None, initial={"revision": ar.revision})
    if request.method == "POST" and form.is_valid():
        try:
            annual_return_review(
                annual_return=ar,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                revision=form.cleaned_data["revision"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reports:annual_review", pk=node.pk, year=year)
        messages.success(request, _("Your decision has been recorded."))
        return redirect("reports:annual_return", pk=node.pk, year=year)
    version = ar.versions.first()
    context = {
        "node": node,
        "year": year,
        "form": form,
        "annual_return": ar,
        "version": version,
        "rows": list(exports.rows(version.figures, text=True)),
        "flags": review_flags(node, year, version.figures, today=timezone.localdate()),
    }
    return render(request, "reports/annual/review.html", context)


def _export(request, pk: int, year: int, writer):
    node = _node(request, pk, year)
    ar = return_of(node, year)
    version, figures = _shown(node, year, ar)
    return writer(request, node=node, year=year, annual_return=ar, version=version, figures=figures)


def export_xlsx(request, pk: int, year: int):
    return _export(request, pk, year, exports.xlsx)


def export_pdf(request, pk: int, year: int):
    return _export(request, pk, year, exports.pdf)
