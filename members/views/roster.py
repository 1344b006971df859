"""The roster: the filtered list of members, and its exports (xlsx, pdf, print)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.access import (
    EDIT_MEMBERS,
    IMPORT_MEMBERS,
    VIEW_MEMBERS,
    VIEW_SENSITIVE,
    VIEW_UNIT_MEMBERS,
    scope_for,
)
from branches.models import Branch, Organization, OriginalUnit

from .. import exporting, selectors
from ..forms.roster import RosterFilterForm
from ..selectors import MemberGate
from .shared import PAGE_SIZE, editable_communities

PDF_MAX_ROWS = 2000


def _require_roster_access(request):
    scope = scope_for(request.user)
    if not (scope.has(VIEW_MEMBERS) or scope.has(VIEW_UNIT_MEMBERS)):
        raise Http404
    return scope


def _roster_query(request, area=None):
    form = RosterFilterForm(request.GET or None, user=request.user, area=area)
    filters = form.filters() if request.GET else selectors.RosterFilters()
    return form, filters, selectors.roster(request.user, filters)


# The unfiltered roster's filter as rendered, per process (~600 options: building and
# rendering the form was ~a third of the page's CPU). Keyed by everything it shows: the
# language, whether health filters are offered and the (pk, name) lists themselves, so
# an entry is only ever served for the very same markup.
KEEP_FILTERS_AT_MOST = 200
_kept_filters: dict[tuple, str] = {}


def _filter_fields(form) -> str:
    return render_to_string("members/includes/roster_filters.html", {"form": form})


def _kept_filter_fields(request, scope, area) -> str:
    """The filter fields of the roster with no filter given (the area's lists as kept,
    the original units read: their creation moves no version)."""
    units = tuple(OriginalUnit.objects.choosable_by(request.user).values_list("pk", "name"))
    key = (
        get_language(),
        scope.has(VIEW_SENSITIVE),
        tuple(area.communities),
        tuple(area.branches),
        units,
    )
    html = _kept_filters.get(key)
    if html is None:
        form = RosterFilterForm(user=request.user, area=area)
        form.fields["original_unit"].names = list(units)
        html = _filter_fields(form)
        if len(_kept_filters) >= KEEP_FILTERS_AT_MOST:
            _kept_filters.clear()
        _kept_filters[key] = html
    return html


def roster(request):
    scope = _require_roster_access(request)
    area = selectors.roster_area(request.user)
    if area is not None and not request.GET.keys() - {"page"}:
        form, filters = None, selectors.RosterFilters()
        qs = selectors.roster(request.user, filters)
        filter_fields = _kept_filter_fields(request, scope, area)
    else:
        form, filters, qs = _roster_query(request, area)
        filter_fields = _filter_fields(form)
    fields = selectors.ROSTER_PAGE_FIELDS
    if not scope.has(VIEW_SENSITIVE):  # no row shows health: not read, not decrypted
        fields = tuple(name for name in fields if name != "health")
    qs = qs.only(*fields)
    paginator = Paginator(qs, PAGE_SIZE)
    if area is not None and filters == selectors.RosterFilters():
        paginator.count = area.active_count  # the unfiltered roster: counted as kept
    page = paginator.get_page(request.GET.get("page"))
    MemberGate(request.user).decorate(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/roster.html",
        {
            "form": form,
            "filter_fields": filter_fields,
            "page": page,
            "limited": not scope.has(VIEW_MEMBERS),
            "can_create": scope.has(EDIT_MEMBERS) and editable_communities(request.user).exists(),
            "can_import": scope.has(IMPORT_MEMBERS),
            "can_reveal": scope.has(VIEW_SENSITIVE),
            "query": query.urlencode(),
        },
    )


def _roster_title(filters) -> str:
    """The roster's title names the branch or community it was narrowed to."""
    if filters.branch:
        branch = Branch.objects.filter(pk=filters.branch).values_list("name", flat=True).first()
        if branch:
            return _("Roster of party members: %(branch)s") % {"branch": branch}
    if filters.community:
        community = (
            Organization.objects.filter(pk=filters.community).values_list("name", flat=True).first()
        )
        if community:
            return _("Roster of retired cadre party members: %(place)s") % {"place": community}
    return _("Roster of retired cadre party members")


def _audited_query(request) -> dict:
    """The export's filters for the audit entry; the search text masked like a name (it
    is often a member's name, and the trail must not name members)."""
    query = request.GET.dict()
    if query.get("q"):
        query["q"] = audit.masked_name(query["q"])
    return query


def _export(request, fmt):
    scope = _require_roster_access(request)
    _form, filters, qs = _roster_query(request)
    reveal = request.GET.get("full") == "1" and scope.has(VIEW_SENSITIVE)
    gate = MemberGate(request.user)
    full_view = scope.has(VIEW_MEMBERS)
    title = _roster_title(filters)
    count = qs.count()
    if fmt == "pdf" and count > PDF_MAX_ROWS:
        messages.error(
            request,
            _(
                "The PDF is limited to %(max)d members (%(n)d match): narrow the filters "
                "or export to Excel."
            )
            % {"max": PDF_MAX_ROWS, "n": count},
        )
        return redirect(f"{reverse('members:roster')}?{request.GET.urlencode()}")
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="members.roster",
        object_repr=title[:200],
        after={"format": fmt, "rows": count, "unmasked": reveal, "query": _audited_query(request)},
    )
    rows = exporting.roster_rows(qs, gate, reveal=reveal)
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "xlsx":
        body = exporting.export_xlsx(rows, title=title, full_view=full_view)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        body = exporting.export_pdf(rows, title=title, full_view=full_view)
        content_type = "application/pdf"
    else:
        html = exporting.render_roster_html(
            list(rows), title=title, full_view=full_view, request=request
        )
        return HttpResponse(html)
    response = HttpResponse(body, content_type=content_type)
    filename = _("roster") + f"-{stamp}.{fmt}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"roster-{stamp}.{fmt}\"; filename*=UTF-8''"
        + urlencode({"": filename})[1:]
    )
    return response


def roster_xlsx(request):
    return _export(request, "xlsx")


def roster_pdf(request):
    return _export(request, "pdf")


def roster_print(request):
    return _export(request, "html")
