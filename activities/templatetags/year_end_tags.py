"""Links into the year-end pages (年终) from the branch and organisation pages:
`{% load year_end_tags %}` then one tag. No queries: the user's scope is loaded."""

from django import template

from branches.access import VIEW_MEMBERS, scope_for

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("activities/year_end/link_branch.html", takes_context=True)
def year_end_branch_link(context, branch):
    user = _user(context)
    show = user is not None and scope_for(user).covers_branch(branch, VIEW_MEMBERS)
    return {"branch": branch, "show": show}


@register.inclusion_tag("activities/year_end/link_org.html", takes_context=True)
def year_end_org_link(context, node):
    user = _user(context)
    show = (
        user is not None
        and node.level != "city"
        and scope_for(user).covers_path(node.path, VIEW_MEMBERS)
    )
    return {"node": node, "show": show}


@register.inclusion_tag("activities/year_end/ledger_section.html")
def year_end_ledger_section(branch, year):
    """The year end's section of the branch's yearly ledger (台账): the ledger belongs
    to meetings, which may not import the year end, so its template asks for it here."""
    from activities.year_end.selectors import ledger_section

    return {"section": ledger_section(branch, int(year)), "year": year}
