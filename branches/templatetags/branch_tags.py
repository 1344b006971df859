"""`{% branch_rows branches %}`: the rows of the branch table (the branch list, an
organisation's page), written in Python: the template's lookups, translations and
links per cell were ~40% of the branch list's work (bench/README.md). The markup is the
template's (tests/branches/test_branch_rows.py)."""

from __future__ import annotations

import html

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.links import pk_link

from ..models import Branch

register = template.Library()


@register.simple_tag
def branch_rows(branches):
    """Branches with their organisation loaded and `group_count` annotated."""
    esc = html.escape
    kind_label, org_label, groups_label = (
        esc(_("Kind")),
        esc(_("Organisation")),
        esc(_("Party groups")),
    )
    pilot = f' <span class="tag tag-pilot">{esc(_("Pilot"))}</span>'
    dissolved = f' <span class="tag tag-muted">{esc(_("Dissolved"))}</span>'
    link = pk_link("branches:branch_detail")
    kinds = {value: str(label) for value, label in Branch._meta.get_field("kind").flatchoices}
    rows = []
    for branch in branches:
        url = link(branch.pk)
        rows.append(
            f'<tr><td><a href="{esc(url)}">{esc(branch.name)}</a>'
            f"{pilot if branch.is_pilot else ''}{dissolved if branch.dissolved_on else ''}</td>"
            f'<td data-label="{kind_label}">{esc(kinds.get(branch.kind, branch.kind))}</td>'
            f'<td data-label="{org_label}">{esc(branch.organization.name)}</td>'
            f'<td class="num" data-label="{groups_label}">{branch.group_count}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped above)
