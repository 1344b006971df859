"""The branch table's rows, written in Python (branch_tags.branch_rows), are the markup
the template wrote: pilot and dissolved tags, kinds, organisations, group counts."""

import datetime
import re

from django.template import Context, Template

from branches import selectors
from branches.models import Branch

# The rows as branches/includes/branch_table.html wrote them before.
TEMPLATE_ROWS = """{% load i18n %}{% translate "Kind" as kind_label %}{% translate "Organisation" as org_label %}{% translate "Party groups" as groups_label %}
  {% for branch in branches %}
    <tr>
      <td><a href="{% url 'branches:branch_detail' branch.pk %}">{{ branch.name }}</a>
        {% if branch.is_pilot %}<span class="tag tag-pilot">{% translate "Pilot" %}</span>{% endif %}
        {% if branch.dissolved_on %}<span class="tag tag-muted">{% translate "Dissolved" %}</span>{% endif %}</td>
      <td data-label="{{ kind_label }}">{{ branch.get_kind_display }}</td>
      <td data-label="{{ org_label }}">{{ branch.organization.name }}</td>
      <td class="num" data-label="{{ groups_label }}">{{ branch.group_count }}</td>
    </tr>
  {% endfor %}"""  # noqa: E501  (the template as it was)


def normalized(html: str) -> str:
    """Whitespace as the browser lays out a table: none around rows and cells."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(</?(?:tr|td|th)\b[^>]*>)\s*", r"\1", html).strip()


def test_the_rows_are_those_of_the_template(cast):
    Branch.objects.filter(pk=cast.branch_a.pk).update(is_pilot=True, name="<b>翠园</b>支部")
    Branch.objects.filter(pk=cast.branch_b.pk).update(dissolved_on=datetime.date(2025, 1, 1))
    branches = list(selectors.branch_list(cast.user("city_admin"), active=False))
    assert len(branches) >= 5
    ours = Template("{% load branch_tags %}{% branch_rows branches %}").render(
        Context({"branches": branches})
    )
    theirs = Template(TEMPLATE_ROWS).render(Context({"branches": branches}))
    assert normalized(ours) == normalized(theirs)
    assert ours.count("<tr>") == len(branches)
    assert "&lt;b&gt;翠园&lt;/b&gt;支部" in ours and "tag-pilot" in ours and "tag-muted" in ours
