"""Display helpers for members: masks, status labels, and the branch page's panel.

The branch detail template loads this library (`{% load members_extras %}`) to show the
members panel; that is a template dependency only, so `branches` still never imports
`members` in Python.
"""

import html

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.links import pk_link
from branches.access import EDIT_MEMBERS, VIEW_MEMBERS, scope_for

from .. import masking, selectors
from ..exporting import registration_label as _registration_label
from ..models import Member

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


_ROW_CHOICES = ("status", "gender", "health", "retirement_type")


def _choice_labels(name: str) -> dict:
    """A Member choice field's labels by value, as get_FOO_display shows them."""
    return {value: str(label) for value, label in Member._meta.get_field(name).flatchoices}


@register.simple_tag
def roster_rows(members, limited):
    """The roster's table rows (members decorated by MemberGate), written in Python: the
    template's dozen lookups and filters per cell cost ~6 ms a page of 25. Cells shown
    and masked exactly as the template did."""
    esc = html.escape
    dash = "<td>—</td>"
    hidden = f'<span class="masked" title="{esc(_("Hidden"))}">***</span>'
    # Per page, not per row: the link, each choice field's labels in the active language
    # (get_FOO_display per cell was ~15% of the rows), the day ages are counted on.
    link = pk_link("members:member_detail")
    labels = {name: _choice_labels(name) for name in _ROW_CHOICES}
    today = timezone.localdate()
    retirement = labels["retirement_type"]
    rows = []
    for member in members:
        url = link(member.pk)
        cells = [f'<tr><th scope="row"><a href="{esc(url)}">{esc(member.name)}</a>']
        if member.status != "active":
            status = labels["status"].get(member.status, member.status)
            cells.append(f' <span class="tag tag-muted">{esc(status)}</span>')
        cells.append("</th>")
        full = member.full_view
        if not limited:
            if full:
                gender = labels["gender"].get(member.gender, member.gender)
                cells.append(f"<td>{esc(gender)} · {member.age_on(today)}</td>")
            else:
                cells.append(dash)
        cells.append(f"<td>{esc(member.community.name)}</td>")
        branch = member.home_branch.name if member.home_branch else ""
        group = ""
        if member.party_group and full:
            group = f"<br><small>{esc(member.party_group.name)}</small>"
        cells.append(f"<td>{esc(branch or '—')}{group}</td>")
        if not limited:
            if full:
                unit = member.original_unit.name if member.original_unit else ""
                kind = retirement.get(member.retirement_type, member.retirement_type)
                if member.show_health:
                    health = esc(labels["health"].get(member.health, member.health))
                    if member.mobility_impaired:
                        health += f" · {esc(_('limited mobility'))}"
                else:
                    health = hidden
                phone = masking.mask_phone(member.phone) or "—"
                cells += [
                    f"<td>{esc(unit or '—')}</td>",
                    f"<td>{esc(kind)}</td>",
                    f"<td>{health}</td>",
                    f'<td class="num">{esc(phone)}</td>',
                ]
            else:
                cells.append(dash * 4)
        label = _registration_label(member.registration_status)
        cells.append(f'<td><span class="tag">{esc(label)}</span></td></tr>')
        rows.append("".join(cells))
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped above)


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
