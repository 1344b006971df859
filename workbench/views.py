"""The workbench (工作台): each role's home page, "what must I do now, and how am I doing".

One panel per kind of work, each built by its own module from the selectors and cached
figures of the rooms below; a user holding several roles sees each of their panels.
Every panel runs a fixed number of queries, whatever the size of the data."""

from django.shortcuts import render
from django.utils import timezone

from branches import selectors
from branches.access import VIEW_STRUCTURE, scope_for
from branches.models import Branch

from . import admins, approvals, liaison, secretary, staff, units

# In page order: the work to do first, then the figures, then the administrators' queues.
PANELS = (
    ("secretary", secretary.panel),
    ("approvals", approvals.panel),
    ("staff", staff.panel),
    ("units", units.panel),
    ("liaison", liaison.panel),
    ("admins", admins.panel),
)


def home(request):
    scope = scope_for(request.user)
    today = timezone.localdate()
    panels = {}
    for name, build in PANELS:
        context = build(request, scope, today)
        if context is not None:
            panels[name] = context
    # The areas and branches the user looks after, as links (every role with a node).
    roots = selectors.top_nodes(request.user) if scope.has(VIEW_STRUCTURE) else []
    own_branches = Branch.objects.filter(pk__in=scope.branch_ids(VIEW_STRUCTURE))
    return render(
        request,
        "workbench/home.html",
        {
            "panels": panels,
            "roots": roots,
            "own_branches": list(own_branches.select_related("organization")),
            "has_role": bool(scope.roles),
            "today": today,
        },
    )
