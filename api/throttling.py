"""Throttling per API client, at the rate the system administrator set for it.

A fixed one-minute window counted with the cache's atomic increment (Redis in
production), so two app servers and concurrent requests share one count.
"""

import time

from rest_framework.throttling import BaseThrottle

from accounts.counters import bump

WINDOW = 60


class ClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        token = request.auth
        if token is None:  # no client: the permission check refuses the request anyway
            return True
        now = time.time()
        window = int(now // WINDOW)
        key = f"api:throttle:{token.client_id}:{window}"
        count = bump(key, WINDOW + 5)
        self._wait = (window + 1) * WINDOW - now
        return count <= token.client.rate_per_minute

    def wait(self):
        return self._wait
