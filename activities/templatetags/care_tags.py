"""Links into the care pages from other apps' templates (branch, organisation and
member pages, the main menu): `{% load care_tags %}` then one tag. A template dependency
only (no Python import runs against the layer order), and the link texts live in the
activities catalog. No queries: the user's scope is already loaded."""

from django import template

from branches.access import RECORD_CARE, VIEW_MEMBERS, scope_for

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("activities/care/includes/link_branch.html", takes_context=True)
def care_branch_links(context, branch):
    """Care, activities and the care visit register of a branch."""
    user = _user(context)
    show = user is not None and scope_for(user).covers_branch(branch, VIEW_MEMBERS)
    return {"branch": branch, "show": show}


@register.inclusion_tag("activities/care/includes/link_org.html", takes_context=True)
def care_coverage_link(context, node):
    """Care coverage of an organisation node (district, street or community)."""
    user = _user(context)
    show = (
        user is not None
        and node.level != "city"
        and scope_for(user).covers_path(node.path, VIEW_MEMBERS)
    )
    return {"node": node, "show": show}


@register.inclusion_tag("activities/care/includes/link_member.html", takes_context=True)
def care_member_link(context, member):
    """The member's care record, visits and activities (not for a unit liaison's
    status-only view)."""
    from activities.care.selectors import CareGate

    user = _user(context)
    show = user is not None and CareGate(user).reads(member)
    return {"member": member, "show": show}


@register.inclusion_tag("activities/care/includes/link_nav.html", takes_context=True)
def care_nav(context):
    """The main menu entry to the carer's own list."""
    user = _user(context)
    return {"show": user is not None and scope_for(user).has(RECORD_CARE)}
