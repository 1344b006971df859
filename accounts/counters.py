"""Counters kept in the shared cache (Redis in production, so every app server counts
together): the API's per-client throttle, the self check-in's abuse limits."""

from django.core.cache import cache


def bump(key: str, seconds: int) -> int:
    """Add one to a counter that lives `seconds` from its first count; the new value.
    One atomic increment, so concurrent requests never lose a count."""
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return 1
