"""Placeholders for the notice pages built in parallel (notices/urls.py marks them "h1
replaces"): every page links to them, none answers yet. Delete with them at merge."""

from . import Spec

SPECS = [
    Spec("notices:detail", kwargs=lambda c: {"pk": 1}, everyone=404),
    Spec("notices:edit", kwargs=lambda c: {"pk": 1}, everyone=404),
]
