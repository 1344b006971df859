"""Bad query strings never make a server error (issue 13, item 24).

Every GET page of the URL x role matrix, as a role that reaches it, gets each of its
query parameters (those the view reads, those of its Spec, and the common ones) set to
NUL, superscript digits, a huge number, a negative one and garbage: once one parameter
at a time, once all together. The answer is what the plain URL answers (a list page
may also redirect to a clean one), or a 400 that says why in Chinese; never a 500.

On PostgreSQL: it refuses NUL in text, where SQLite takes it.
"""

import re

import pytest
from django.http import QueryDict

from .walk import client_as, pages

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]

COMMON = (
    "q year month period page quarter kind status street community branch sort format "
    "list full role active show by group organization hpage heat code mine late dissolved"
).split()
BAD = {
    "NUL": "\x00",
    "NUL inside": "2026\x00",
    "superscript": "²",
    "huge": str(10**30),
    "negative": "-5",
    "garbage": "垃圾<b>'\"%",
}
ONE_AT_A_TIME = ("NUL", "superscript", "huge", "garbage")
HAN = re.compile(r"[\u4e00-\u9fff]")
READERS = ("get", "__getitem__", "getlist", "__contains__")


@pytest.fixture
def reads(monkeypatch):
    """The query parameter names the views read (through QueryDict's accessors)."""
    seen: set[str] = set()
    for name in READERS:
        original = getattr(QueryDict, name)

        def reader(self, key, *args, _original=original, **kwargs):
            seen.add(key)
            return _original(self, key, *args, **kwargs)

        monkeypatch.setattr(QueryDict, name, reader)
    return seen


def test_no_query_string_makes_a_server_error(cast, client, reads):
    client.raise_request_exception = False  # count 500s instead of stopping at the first
    wrong = []
    for page in pages(cast):
        client = client_as(client, cast, page.role)
        plain = dict(page.query)
        reads.clear()
        expected = client.get(page.path, plain).status_code
        read = set(reads) | set(plain)
        allowed = {expected, 400} | ({302} if expected == 200 else set())
        tries = [
            (label, {**plain, **dict.fromkeys(read | set(COMMON), value)})
            for label, value in BAD.items()
        ]
        tries += [
            (f"{label} in {key}", {**plain, key: value})
            for key in sorted(read)
            for label, value in BAD.items()
        ]
        for label, query in tries:
            response = client.get(page.path, query)
            status = response.status_code
            if status not in allowed:
                wrong.append(f"{page.name} as {page.role}, {label}: {status} (plain {expected})")
            elif status == 400 and not HAN.search(response.content.decode()):
                wrong.append(f"{page.name}, {label}: a 400 that says nothing in Chinese")
    assert wrong == [], "\n".join(wrong)
