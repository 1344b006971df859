"""The kinds of import a job can run. Each subject (structure, staff...) registers its
kinds from its own module; a kind gives its columns, its blank template, a checker
that turns the sheet's rows into a plan (rows to add, change or leave, and located
errors) and an all-or-nothing writer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from branches.models import Level


@dataclass(frozen=True)
class ImportKind:
    name: str
    label: str  # lazy translation
    capability: str  # held over the job's node to start, follow and confirm it
    levels: tuple[str, ...]  # the levels of node an import may target
    headers: dict[str, tuple[str, ...]]  # field -> the headers used for it (first: template)
    required: tuple[str, ...]
    # template() -> an openpyxl Workbook with the headers (and a hint row).
    template: Callable
    # check(rows, *, plan, node) fills the plan from (excel_row, {field: value}) rows.
    check: Callable[..., None]
    # write(plan, *, node, actor, progress) -> the audit changes (accounts.audit.Change);
    # runs inside the job's transaction.
    write: Callable[..., Iterable]
    # An alternative header set that is recognised too (e.g. the statistics bureau's list).
    also_headers: dict[str, tuple[str, ...]] | None = None
    description: str = ""

    @property
    def all_headers(self) -> dict[str, tuple[str, ...]]:
        merged = {field: tuple(names) for field, names in self.headers.items()}
        for field, names in (self.also_headers or {}).items():
            merged[field] = (*merged.get(field, ()), *names)
        return merged


_KINDS: dict[str, ImportKind] = {}

DEFAULT_LEVELS = (Level.CITY, Level.DISTRICT)


def register(kind: ImportKind) -> ImportKind:
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ImportKind | None:
    return _KINDS.get(name)


def all_kinds() -> list[ImportKind]:
    return list(_KINDS.values())


def choices(capabilities: Iterable[str] | None = None) -> list[tuple[str, str]]:
    held = None if capabilities is None else set(capabilities)
    return [(k.name, k.label) for k in _KINDS.values() if held is None or k.capability in held]
