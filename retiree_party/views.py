from django.http import HttpResponseNotFound, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from branches import selectors
from branches.access import VIEW_STRUCTURE, scope_for
from branches.models import Branch


def home(request):
    """Each user's own starting point: the nodes and branches they look after."""
    scope = scope_for(request.user)
    roots = selectors.top_nodes(request.user) if scope.has(VIEW_STRUCTURE) else []
    own_branches = list(
        Branch.objects.filter(pk__in=scope.branch_ids(VIEW_STRUCTURE)).select_related(
            "organization"
        )
    )
    return render(
        request,
        "home.html",
        {"roots": roots, "own_branches": own_branches},
    )


def page_not_found(request, exception):
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request):
    # No request context: the error may come from a context processor or the database.
    return HttpResponseServerError(loader.render_to_string("500.html"))
