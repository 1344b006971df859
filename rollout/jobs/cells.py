"""Reading one cell for a kind's checker: text cleaned, formulas refused, lengths and
dates checked, each problem added to the plan at its row and column."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from members.importing.checking import Formula, blank, clean_text

from .plan import Plan

TRUE_WORDS = {"是", "试点", "有", "√", "y", "yes", "true", "1"}
FALSE_WORDS = {"否", "不是", "无", "", "n", "no", "false", "0"}


def text(plan: Plan, row: int, name: str, value, *, max_length: int, required=False) -> str:
    """The cell as clean text ("" when blank); errors go to the plan."""
    if isinstance(value, Formula):
        plan.add_error(row, name, _("holds a formula: type the value itself."))
        return ""
    if blank(value):
        if required:
            plan.add_error(row, name, _("is empty."))
        return ""
    if isinstance(value, datetime.date):
        value = value.isoformat()
    cleaned = clean_text(value)
    if len(cleaned) > max_length:
        plan.add_error(row, name, _("is longer than %(max)d characters.") % {"max": max_length})
        return ""
    return cleaned


def date(plan: Plan, row: int, name: str, value) -> datetime.date | None:
    if blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = clean_text(value).replace("/", "-").replace(".", "-")
    raw = raw.replace("年", "-").replace("月", "-").replace("日", "")
    try:
        parts = [int(part) for part in raw.split("-") if part]
        if len(parts) == 2:
            parts.append(1)
        return datetime.date(*parts)
    except (TypeError, ValueError):
        plan.add_error(row, name, _("is not a date (write it as 2020-07-01)."))
        return None


def yes_no(plan: Plan, row: int, name: str, value) -> bool | None:
    """True, False, or None for a blank cell (the value stays as it is)."""
    if blank(value):
        return None
    word = clean_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    plan.add_error(row, name, _("write “是” or “否”."))
    return None
