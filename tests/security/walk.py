"""Walking the GET pages of the URL x role matrix: one page per Spec, as a role that gets
it (200, else a redirect), with the Spec's own query string. Shared by the scans that
look at every page (bad query strings, and any other page-wide check)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.urls import reverse

from ..otp import login_as
from .matrix import Spec
from .test_url_matrix import SPECS


@dataclass(frozen=True)
class Page:
    spec: Spec
    role: str
    path: str
    query: tuple[tuple[str, str], ...]  # the Spec's own parameters, in order

    @property
    def name(self) -> str:
        return self.spec.name


def viewer(spec: Spec) -> str:
    """The role a scan visits the page as: one it answers (else any logged-in role)."""
    for roles in (spec.ok, spec.redirect, spec.forbidden):
        if roles:
            return sorted(roles)[0]
    return "district_staff"


def pages(cast) -> list[Page]:
    return [
        Page(
            spec,
            viewer(spec),
            reverse(spec.name, kwargs=spec.kwargs(cast)),
            tuple(parse_qsl(spec.query(cast), keep_blank_values=True)),
        )
        for spec in SPECS
    ]


def client_as(client, cast, role):
    client.logout()
    if role != "anonymous":
        login_as(client, cast.user(role), key=role)  # admin roles: second factor passed
    return client
