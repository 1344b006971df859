"""Calls to the shared cache that a cache down or frozen cannot hang: the first failure
pauses every later call for CACHE_PAUSE_SECONDS, so a page pays one socket timeout, not
one per call (the dashboards, their cache and the data completeness use it)."""

from __future__ import annotations

import datetime
import logging
import time
import zlib

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

logger = logging.getLogger("portal.reports")

# Kept per cache location (the settings may point elsewhere since, as tests do).
CACHE_PAUSE_SECONDS = 30
_paused_until: dict[str, float] = {}


def call(method, *args, default=None):
    """A call to the shared cache, or `default` if it cannot be reached (a shared cache
    that is down or frozen slows the pages, it does not break them)."""
    where = str(settings.CACHES["default"].get("LOCATION", ""))
    if time.monotonic() < _paused_until.get(where, 0.0):
        return default
    try:
        return method(*args)
    except Exception:
        _paused_until[where] = time.monotonic() + CACHE_PAUSE_SECONDS
        logger.warning("shared cache unreachable: computing without it", exc_info=True)
        return default


# --- Keys of what is kept of an area ---------------------------------------------------
def kept_key(prefix: str, *parts, version: str, today: datetime.date, grants: str) -> str:
    """The one key of anything kept for a reader: what it is (`prefix`, `parts`), the
    version of the data it was computed from (`Organization.figures_key()`: every write
    moves it), the day (figures that move with the date), the language and the digest of
    the reader's grants (`Scope.digest()`: two readers share an entry only if they hold
    the very same grants). Read the version before the data it keys."""
    language = get_language() or settings.LANGUAGE_CODE
    return ":".join([prefix, *map(str, parts), version, f"{today:%Y%m%d}", language, grants])


# --- Values kept whole (the area's year end, the roster's area, the completeness) -------
_MISSING = object()


def kept_value(key: str, compute, seconds: int):
    """The value kept under `key`, else `compute()`'s, kept under it (any picklable value,
    None too). As for `kept_page`: compute the key's version before calling."""
    found = call(cache.get, key, _MISSING, default=_MISSING)
    if found is _MISSING:
        found = compute()
        call(cache.set, key, found, seconds)
    return found


# --- Rendered pages kept whole (the dashboards' bodies, the funds overview) ------------
def read_page(key: str) -> SafeString | None:
    """A body kept by `keep_page`, or None."""
    entry = call(cache.get, key)
    if not isinstance(entry, bytes):
        return None
    return mark_safe(zlib.decompress(entry).decode())  # noqa: S308 (rendered by a view)


def kept_page(key: str, render, seconds: int) -> SafeString:
    """The body kept under `key`, else `render()`'s, kept under it. Compute the key's
    version before calling: the body read is then never older than its key."""
    body = read_page(key)
    if body is None:
        body = render()
        keep_page(key, body, seconds)
    return body


def keep_page(key: str, body: str, seconds: int) -> None:
    call(cache.set, key, page_entry(body), seconds)


def page_entry(body: str) -> bytes:
    """A body as kept: compressed (a district's year page is ~250 KB of HTML, ~25 KB so;
    a worker's own cache, when there is no shared one, holds up to 2,000 entries)."""
    return zlib.compress(str(body).encode(), 1)
