"""The registry of what a batch print can print (its kinds), below everything else in
reports/prints so that the model, the form and the worker all read it.

A kind names the branches it prints (`branches`: the job -> a queryset of Branch; by
default every active branch of the job's area), renders one branch as a PDF (`render`:
the job and a branch -> bytes, or None when that branch has nothing to print, e.g. no
meeting planned in the range) and describes its parameters in words (`describe`). Its
`period` says which parameters the form asks for: "range" (a date range), "period" (a
year and maybe a quarter), "year", or "" (none).

A later kind (the feedback reports of the original units, the annual return) plugs in
with `register(Kind(...))` from a module imported at start-up (reports.apps imports
reports.prints.kinds), without changing the job, its worker or its pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PERIODS = ("range", "period", "year", "")


@dataclass(frozen=True)
class Kind:
    key: str
    label: object  # a lazy translation
    render: Callable  # (job, branch) -> bytes | None
    branches: Callable  # (job) -> queryset of Branch, in print order
    period: str = ""
    describe: Callable = lambda params: ""

    def __post_init__(self):
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r}")


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.key] = kind
    return kind


def get_kind(key: str) -> Kind | None:
    return KINDS.get(key)


def choices() -> list[tuple[str, object]]:
    return [(kind.key, kind.label) for kind in KINDS.values()]
