"""What a checked sheet becomes: the plan of rows to add, change or leave as they are,
and the errors, each at its Excel row and column."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accounts.audit import masked_values

MAX_ERRORS_KEPT = 1000
PREVIEW_ROWS = 20


class Action:
    ADD = "add"
    CHANGE = "change"
    LEAVE = "leave"


@dataclass
class PlanRow:
    excel_row: int
    key: str  # the stable key the row is matched by (a code)
    label: str  # what a person reads (a name)
    action: str
    values: dict  # what the writer needs (the checked values)
    changes: dict = field(default_factory=dict)  # field -> [before, after]
    target_id: int | None = None  # the existing object for a change or leave


@dataclass
class Plan:
    columns: dict[str, str] = field(default_factory=dict)  # field -> the header as written
    rows: list[PlanRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    sheet: str = ""
    header_row: int = 0

    def header(self, name: str) -> str:
        return self.columns.get(name, name)

    def add_error(self, row: int | None, name: str, message) -> None:
        """An error at an Excel row and a field (named by its header as written)."""
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            column = self.header(name) if name else ""
            self.errors.append({"row": row, "column": column, "message": str(message)})

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def preview(self) -> dict:
        """The JSON kept on the job: the counts and the first rows of each action."""
        shown: dict[str, list] = {Action.ADD: [], Action.CHANGE: [], Action.LEAVE: []}
        for row in self.rows:
            if len(shown[row.action]) < PREVIEW_ROWS:
                shown[row.action].append(
                    {
                        "row": row.excel_row,
                        "key": row.key,
                        "label": row.label,
                        "changes": [
                            {
                                "field": self.header(name),
                                # Phones and the like masked as the audit pages show them.
                                "before": masked_values({name: before})[name],
                                "after": masked_values({name: after})[name],
                            }
                            for name, (before, after) in row.changes.items()
                        ],
                    }
                )
        return {
            "counts": {action: self.count(action) for action in shown},
            "rows": shown,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "columns": list(self.columns.values()),
        }


def located(error: dict) -> str:
    """An error as a sentence: 第 N 行“列”：…"""
    if error.get("row") is None:
        return error["message"]
    if error.get("column"):
        return _("Row %(row)d, column “%(column)s”: %(message)s") % error
    return _("Row %(row)d: %(message)s") % error
