"""Reads shared by the structure pages. Each runs a fixed number of queries."""

from collections import Counter

from django.db.models import Count, Q

from .access import VIEW_STRUCTURE, scope_for
from .models import Branch, Level, Organization


def top_nodes(user):
    """The highest organisation nodes the user can browse (one query)."""
    return list(Organization.objects.filter(path__in=scope_for(user).paths(VIEW_STRUCTURE)))


def children_with_counts(node: Organization):
    """Children of `node`, each with the number of communities and active branches in
    its subtree: three queries whatever the size of the tree."""
    children = list(node.children.all())
    communities = Counter()
    for (path,) in Organization.objects.filter(
        path__startswith=node.path, level=Level.COMMUNITY
    ).values_list("path"):
        communities[_child_prefix(node, path)] += 1
    branches = Counter()
    rows = (
        Branch.objects.active()
        .filter(organization__path__startswith=node.path)
        .values_list("organization__path")
        .annotate(n=Count("*"))
    )
    for path, n in rows:
        branches[_child_prefix(node, path)] += n
    for child in children:
        child.community_count = communities[child.path]
        child.branch_count = branches[child.path]
    return children


def _child_prefix(node: Organization, path: str) -> str:
    """The path of the child of `node` that contains `path`."""
    rest = path[len(node.path) :]
    return node.path + rest.split("/", 1)[0] + "/"


def branch_list(user, *, q="", kind="", organization: Organization | None = None, active=True):
    qs = (
        Branch.objects.visible_to(user)
        .select_related("organization", "organization__parent", "venue")
        .annotate(group_count=Count("groups"))
        .order_by("organization__path", "name")
    )
    if active:
        qs = qs.active()
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(work_brand__icontains=q))
    return qs
