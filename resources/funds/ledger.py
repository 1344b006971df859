"""The funds section (经费) of a branch's yearly ledger (台账).

activities sits below funds and may not import it: its ledger sends
`activities.meetings.ledgers.ledger_sections` and this receiver (connected in apps.py)
answers with the section, its print/PDF include and its Excel sheets.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from activities.meetings.ledgers import LedgerSection

from .exports import branch_sheets
from .selectors import branch_funds


def funds_section(sender, *, branch, year, **kwargs) -> LedgerSection:
    book = branch_funds(branch, year)
    return LedgerSection(
        title=_("Funds"),
        template="funds/sheets/ledger_section.html",
        context={"book": book},
        sheets=branch_sheets(book),
    )
