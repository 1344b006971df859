"""Display helpers for members: masks, status labels, and the branch page's panel.

The branch detail template loads this library (`{% load members_extras %}`) to show the
members panel; that is a template dependency only, so `branches` still never imports
`members` in Python.
"""

from django import template

from branches.access import EDIT_MEMBERS, VIEW_MEMBERS, scope_for

from .. import masking, selectors
from ..exporting import registration_label as _registration_label

register = template.Library()


@register.filter
def mask_id(value):
    """{{ member.id_number|mask_id }} -> 110***********1234"""
    return masking.mask_id(value)


@register.filter
def mask_phone(value):
    """{{ member.phone|mask_phone }} -> 138****5678"""
    return masking.mask_phone(value)


@register.filter
def mask_address(value):
    return masking.mask_address(value)


@register.simple_tag
def sensitive_value(member, field, revealed=False):
    """The field's value when `revealed`, else its masked form."""
    value = getattr(member, field, "")
    if field == "health":
        return member.get_health_display() if revealed else masking.HIDDEN
    return value if revealed else masking.masked(field, value)


@register.filter
def registration_label(status):
    return _registration_label(status)


@register.inclusion_tag("members/includes/branch_panel.html", takes_context=True)
def branch_members_panel(context, branch):
    """Member counts, the current committee and the structure warnings of a branch."""
    user = context["request"].user
    scope = scope_for(user)
    structure = selectors.branch_structure(branch)
    return {
        "branch": branch,
        "structure": structure,
        "can_list": scope.covers_branch(branch, VIEW_MEMBERS),
        "can_edit_terms": scope.covers_branch(branch, EDIT_MEMBERS),
        "groups": context.get("groups", []),
        "warning_days": selectors.SECONDMENT_WARNING_DAYS,
    }
