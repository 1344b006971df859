"""Query-string parameters, read one way everywhere (issue 13, item 24).

Anyone can type a query string, so every parameter passes two checks:
- `RefuseNulInQuery` (middleware): a NUL character in any parameter name or value is
  answered 400 with a Chinese page. PostgreSQL refuses NUL in text, so it would
  otherwise fail a search, or the audit row that keeps an export's query.
- `query_int`: numbers are read from ASCII digits within bounds ("²".isdigit() is true,
  int("²") fails; 10**30 overflows any column); anything else is "not given".
"""

from __future__ import annotations

import re

from django.shortcuts import render

NUMBER = re.compile(r"-?[0-9]{1,18}")


def query_int(value, low: int, high: int) -> int | None:
    """The whole number `value` spells in ASCII digits, if within [low, high]."""
    if not isinstance(value, str) or not NUMBER.fullmatch(value):
        return None
    number = int(value)
    return number if low <= number <= high else None


def query_pk(value) -> int | None:
    """A primary key from the query string (a positive 32-bit integer)."""
    return query_int(value, 1, 2**31 - 1)


class RefuseNulInQuery:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return render(request, "bad_query.html", status=400)
        return self.get_response(request)
