"""The roster's rows, written in Python (members_extras.roster_rows), show and mask what
the template they replaced did, for every kind of reader."""

import datetime
import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from members import selectors
from members.models import Member

# The rows as the roster template wrote them before.
TEMPLATE_ROWS = """{% load i18n members_extras %}{% for member in members %}
    <tr>
      <th scope="row"><a href="{% url 'members:member_detail' member.pk %}">{{ member.name }}</a>
        {% if member.status != "active" %}<span class="tag tag-muted">{{ member.get_status_display }}</span>{% endif %}</th>
      {% if not limited %}
      {% if member.full_view %}
      <td>{{ member.get_gender_display }} · {{ member.age }}</td>
      {% else %}<td>—</td>{% endif %}
      {% endif %}
      <td>{{ member.community.name }}</td>
      <td>{{ member.home_branch.name|default:"—" }}{% if member.party_group and member.full_view %}<br><small>{{ member.party_group.name }}</small>{% endif %}</td>
      {% if not limited %}
      {% if member.full_view %}
      <td>{{ member.original_unit.name|default:"—" }}</td>
      <td>{{ member.get_retirement_type_display }}</td>
      <td>{% if member.show_health %}{{ member.get_health_display }}{% if member.mobility_impaired %} · {% translate "limited mobility" %}{% endif %}{% else %}<span class="masked" title="{% translate 'Hidden' %}">***</span>{% endif %}</td>
      <td class="num">{{ member.phone|mask_phone|default:"—" }}</td>
      {% else %}<td>—</td><td>—</td><td>—</td><td>—</td>{% endif %}
      {% endif %}
      <td><span class="tag">{{ member.registration_status|registration_label }}</span></td>
    </tr>
    {% endfor %}"""  # noqa: E501  (the template as it was)


def normalized(html: str) -> str:
    """Whitespace as the browser lays out a table: none around rows and cells."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(</?(?:tr|td|th)\b[^>]*>)\s*", r"\1", html).strip()


@pytest.mark.parametrize(
    "key", ["community_secretary", "district_staff", "branch_secretary", "unit_liaison"]
)
def test_the_rows_are_those_of_the_template(cast, key):
    # A deceased member, one without a home branch, one with limited mobility (member_a's
    # neighbour in the cast): every branch of the template.
    Member.objects.filter(pk=cast.member_b.pk).update(
        status="deceased", status_on=datetime.date(2025, 1, 1), home_branch=None
    )
    user = cast.user(key)
    members = list(selectors.roster(user, selectors.RosterFilters(status="")))
    assert members
    selectors.MemberGate(user).decorate(members)
    limited = key == "unit_liaison"
    ours = Template("{% load members_extras %}{% roster_rows members limited %}").render(
        Context({"members": members, "limited": limited})
    )
    theirs = Template(TEMPLATE_ROWS).render(Context({"members": members, "limited": limited}))
    assert normalized(ours) == normalized(theirs)
    assert ours.count("<tr>") == len(members)


def test_the_roster_page_escapes_names(cast, client_for):
    Member.objects.filter(pk=cast.member_a.pk).update(name="<b>赵</b>")
    text = client_for("community_secretary").get(reverse("members:roster")).content.decode()
    assert "&lt;b&gt;赵&lt;/b&gt;" in text and "<b>赵" not in text
