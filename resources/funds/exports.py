"""经费使用情况表: a branch's or an area's year of funds as print page, PDF and Excel,
from the same selector rows. Money cells are exact Decimals (two places) in Excel.
Every copy given out, in any format, writes one audit entry."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import audit
from accounts.models import AuditAction
from branches.exporting import Sheet, pdf_response, xlsx_response

from .selectors import AreaFunds, BranchFunds


def _filename(*parts) -> str:
    return "-".join(str(p).replace("/", "-") for p in parts if p)


def _respond(request, fmt, *, audit_as, subject, year, template, context, filename, sheets, page):
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type=f"funds.{audit_as}",
        object_id=str(subject.pk),
        object_repr=f"{subject.name} {year} {context['title']}"[:200],
        after={"format": fmt, "year": year},
    )
    context = {**context, "printed_on": timezone.localdate()}
    if fmt == "pdf":
        return pdf_response(template, context, f"{filename}.pdf", request=request)
    if fmt == "xlsx":
        return xlsx_response(sheets(), f"{filename}.xlsx")
    return render(
        request,
        "funds/print_page.html",
        {**context, **page, "sheet_template": template, "for_pdf": False},
    )


def _or_dash(value):
    return "—" if value is None else value


def branch_sheets(book: BranchFunds) -> list[Sheet]:
    """The branch's usage table: allocations, spending by category, every entry."""
    title = _("Use of funds")
    heading = [
        f"{book.branch.name} {book.year} {title}",
        f"{_('Allocated')}：{book.allocated}",
        f"{_('Spent')}：{book.spent}",
        f"{_('Balance')}：{book.balance}",
    ]
    rows = []
    for a in book.allocations:
        rows.append(
            [
                f"{a.granted_on:%Y-%m-%d}",
                _("Allocation"),
                a.get_source_display(),
                str(a.granted_by or ""),
                a.note,
                "",
                a.amount,
            ]
        )
    for s in book.spendings:
        rows.append(
            [
                f"{s.spent_on:%Y-%m-%d}",
                _("Spending"),
                s.category.name,
                s.purpose,
                s.get_state_display(),
                s.amount,
                "",
            ]
        )
    rows.append(["", _("Total"), "", "", "", book.spent, book.allocated])
    categories = [[line.name, line.amount] for line in book.by_category]
    categories.append([_("Total"), book.spent])
    return [
        Sheet(
            title,
            [
                _("Date"),
                _("Entry"),
                _("Source or category"),
                _("Granted by or purpose"),
                _("State or note"),
                _("Spent (yuan)"),
                _("Allocated (yuan)"),
            ],
            rows,
            heading=heading,
            widths=[12, 10, 16, 30, 16, 14, 14],
        ),
        Sheet(
            _("By category"),
            [_("Category"), _("Spent (yuan)")],
            categories,
            heading=[f"{book.branch.name} {book.year} {_('Spending by category')}"],
            widths=[20, 14],
        ),
    ]


def branch_usage(request, book: BranchFunds, fmt: str, *, page: dict):
    title = _("Use of funds")
    return _respond(
        request,
        fmt,
        audit_as="branchusage",
        subject=book.branch,
        year=book.year,
        template="funds/sheets/branch_usage.html",
        context={"title": title, "book": book},
        filename=_filename(book.branch.name, book.year, title),
        sheets=lambda: branch_sheets(book),
        page=page,
    )


def area_usage(request, area: AreaFunds, fmt: str, *, page: dict):
    title = _("Use of funds")

    def sheets():
        rows = [
            [
                r.unit,
                r.name,
                r.allocated,
                r.spent,
                r.pending,
                r.balance,
                r.members,
                _or_dash(r.per_member),
            ]
            for r in area.rows
        ]
        t = area.total
        rows.append(
            [_("Total"), "", t.allocated, t.spent, "", t.balance, t.members, _or_dash(t.per_member)]
        )
        units = [
            [u.name, u.branches, u.allocated, u.spent, u.balance, u.members, _or_dash(u.per_member)]
            for u in area.units
        ]
        categories = [[c.name, c.amount] for c in area.by_category]
        return [
            Sheet(
                title,
                [
                    pgettext("funds", "Area"),
                    _("Branch"),
                    _("Allocated (yuan)"),
                    _("Spent (yuan)"),
                    _("Waiting for approval (yuan)"),
                    _("Balance (yuan)"),
                    pgettext("funds", "Members"),
                    _("Spent per member (yuan)"),
                ],
                rows,
                heading=[f"{area.node.name} {area.year} {title}"],
                widths=[16, 30, 14, 14, 14, 14, 8, 14],
            ),
            Sheet(
                _("Per area"),
                [
                    pgettext("funds", "Area"),
                    pgettext("count", "Branches"),
                    _("Allocated (yuan)"),
                    _("Spent (yuan)"),
                    _("Balance (yuan)"),
                    pgettext("funds", "Members"),
                    _("Spent per member (yuan)"),
                ],
                units,
                heading=[f"{area.node.name} {area.year} {_('Per area')}"],
                widths=[20, 8, 14, 14, 14, 8, 14],
            ),
            Sheet(
                _("By category"),
                [_("Category"), _("Spent (yuan)")],
                categories,
                heading=[f"{area.node.name} {area.year} {_('Spending by category')}"],
                widths=[20, 14],
            ),
        ]

    return _respond(
        request,
        fmt,
        audit_as="areausage",
        subject=area.node,
        year=area.year,
        template="funds/sheets/area_usage.html",
        context={"title": title, "area": area},
        filename=_filename(area.node.name, area.year, title),
        sheets=sheets,
        page=page,
    )
