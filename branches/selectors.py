"""Reads shared by the structure pages. Each runs a fixed number of queries."""

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, StrIndex, Substr

from .access import VIEW_STRUCTURE, scope_for
from .models import Branch, Level, Organization, PartyGroup


def top_nodes(user):
    """The highest organisation nodes the user can browse (one query)."""
    return list(Organization.objects.filter(path__in=scope_for(user).paths(VIEW_STRUCTURE)))


def children_with_counts(node: Organization):
    """Children of `node`, each with the number of communities and active branches in
    its subtree: three queries whatever the size of the tree, each returning one row per
    child (the database groups by the child's path prefix)."""
    children = list(node.children.all())
    communities = dict(
        Organization.objects.subtree(node)
        .filter(level=Level.COMMUNITY, closed_on__isnull=True)  # merged away: kept, not counted
        .annotate(child=_child_prefix(node, "path"))
        .values_list("child")
        .annotate(n=Count("*"))
        .order_by()
    )
    branches = dict(
        Branch.objects.active()
        .filter(organization__path__startswith=node.path)
        .annotate(child=_child_prefix(node, "organization__path"))
        .values_list("child")
        .annotate(n=Count("*"))
        .order_by()
    )
    for child in children:
        child.community_count = communities.get(child.path, 0)
        child.branch_count = branches.get(child.path, 0)
    return children


def _child_prefix(node: Organization, field: str):
    """SQL for the path of the child of `node` containing `field`'s path: the path up to
    the first "/" after the node's own path."""
    start = len(node.path) + 1
    return Substr(field, 1, start - 1 + StrIndex(Substr(field, start), Value("/")))


def _group_count():
    """The number of party groups of the outer query's branch (a correlated subquery)."""
    counts = (
        PartyGroup.objects.filter(branch=OuterRef("pk"))
        .order_by()
        .values("branch")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def branch_list(user, *, q="", kind="", organization: Organization | None = None, active=True):
    qs = (
        Branch.objects.visible_to(user)
        # The rows name their organisation only (the list, a node's page, the API): each
        # more join was ~0.4 ms of the list's query to build and its rows to load.
        .select_related("organization")
        # A correlated count, computed for the rows of the page only: a JOIN + GROUP BY
        # would aggregate every visible branch before the LIMIT (56 ms vs 1 ms for a
        # whole city's 5,500 branches; bench/README.md).
        .annotate(group_count=_group_count())
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
