"""Structure warnings of a branch: too few or too many members, no committee, terms ending."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from members.selectors import COMMITTEE_FROM, MAX_MEMBERS, MIN_FULL_MEMBERS, TERM_WARNING_DAYS

WARNING_TEXTS = {
    "too_few": _("Fewer than %(n)d full members"),
    "too_many": _("More than %(n)d members"),
    "no_committee": _("%(n)d or more full members but no committee"),
    "no_term": _("No current committee term"),
    "vacant": _("Vacant post or no secretary"),
    "term_ending": _("Term ends within six months"),
}
WARNING_NUMBERS = {
    "too_few": MIN_FULL_MEMBERS,
    "too_many": MAX_MEMBERS,
    "no_committee": COMMITTEE_FROM,
}


def warning_label(code: str) -> str:
    """The warning's words in the active language (translated when called)."""
    text = str(WARNING_TEXTS[code])
    return text % {"n": WARNING_NUMBERS[code]} if code in WARNING_NUMBERS else text


@dataclass
class TermFacts:
    ends_on: datetime.date
    has_committee: bool
    secretaries: int
    vacant: int


def branch_warning_codes(
    *, members: int, full: int, term: TermFacts | None, today: datetime.date
) -> list[str]:
    """The structure rules of members.selectors.structure_warnings, from counts (pure)."""
    codes = []
    if full < MIN_FULL_MEMBERS:
        codes.append("too_few")
    if members > MAX_MEMBERS:
        codes.append("too_many")
    if full >= COMMITTEE_FROM and not (term and term.has_committee):
        codes.append("no_committee")
    if term is None:
        codes.append("no_term")
    else:
        if term.vacant or not term.secretaries:
            codes.append("vacant")
        if (term.ends_on - today).days <= TERM_WARNING_DAYS:
            codes.append("term_ending")
    return codes
