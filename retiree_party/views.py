from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader


# 403: Django's own handler renders templates/403.html with the request. These two would
# render theirs without it (no header, no working language switch).
def bad_request(request, exception):
    # Mostly a form post beyond DATA_UPLOAD_MAX_NUMBER_FIELDS or DATA_UPLOAD_MAX_MEMORY_SIZE.
    return HttpResponseBadRequest(loader.render_to_string("400.html", request=request))


def csrf_failure(request, reason=""):
    # CSRF_FAILURE_VIEW: a form kept open past the session, or cookies turned off.
    return HttpResponseForbidden(loader.render_to_string("403_csrf.html", request=request))


def page_not_found(request, exception):
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request):
    # No request context: the error may come from a context processor or the database.
    return HttpResponseServerError(loader.render_to_string("500.html"))
