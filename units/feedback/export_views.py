"""Downloads of the feedback reports (PDF, Excel): one letter, or a unit's half-year.
Thin: the letter or unit through the scope (404 outside it), the layout parsed by a
form (400 with the reason), the file built and audited by `exports`."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from branches.access import VIEW_UNIT_WORK, get_for_user
from branches.models import OriginalUnit

from . import exports
from .models import Half


def _layout(request, fmt: str):
    """The layout asked for, or a 400 page saying why."""
    if fmt not in exports.FORMATS:
        raise Http404
    form = exports.LayoutForm(request.GET)
    if not form.is_valid():
        response = render(request, "units/feedback/export_error.html", {"form": form}, status=400)
        return None, response
    return form.chosen(), None


def letter_export(request, pk, fmt):
    letter = exports.with_lines(exports.readable_letters(request.user)).filter(pk=pk).first()
    if letter is None:
        raise Http404
    layout, refused = _layout(request, fmt)
    if refused:
        return refused
    return exports.letter_export(request, letter, fmt, layout)


def half_export(request, pk, year, half, fmt):
    if half not in Half.values or not 2000 <= year <= 2100:
        raise Http404
    unit = get_for_user(request, OriginalUnit.objects, pk, read=VIEW_UNIT_WORK)
    layout, refused = _layout(request, fmt)
    if refused:
        return refused
    letters = exports.with_lines(
        exports.readable_letters(request.user)
        .sent()
        .filter(unit=unit, year=year, half=half)
        .order_by("community__path")
    )
    return exports.half_export(request, unit, year, half, list(letters), fmt, layout)
