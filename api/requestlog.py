"""Every request to the API and its outcome, in ApiRequest, for the auditor.

A middleware (not a DRF hook) so that refusals before the view (unknown URL, bad token,
throttled) are logged too. The row is written after the response is made, outside any
transaction of the view; a failure to log is reported but never fails the request.
"""

import logging
import time

from accounts.audit import client_ip

from .models import ApiRequest

logger = logging.getLogger("portal.api")

API_PREFIX = "/api/"


class ApiRequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        token = getattr(request, "api_token", None)
        try:
            ApiRequest.objects.create(
                client_id=token.client_id if token else None,
                token=token,
                method=request.method[:10],
                path=request.path[:300],
                query=request.META.get("QUERY_STRING", "")[:300],
                status=response.status_code,
                duration_ms=int((time.monotonic() - started) * 1000),
                ip_address=client_ip(request) or None,
            )
        except Exception:  # the log must not turn an answered request into an error
            logger.exception("could not log an API request")
        return response
