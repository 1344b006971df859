"""The unit overview: a unit's retirees counted by where they live, for its liaison, its
district and the city; counts only, a fixed number of queries."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEntry
from tests import factories as f

from .overview_world import PERIOD, build, meeting

pytestmark = pytest.mark.django_db


def unit_url(cast, query=PERIOD):
    return f"{reverse('unit_overview:unit', args=[cast.unit_a.pk])}?{query}"


def lines_by_name(response):
    return {line.node.name: line for line in response.context["table"].lines}


def test_the_unit_page_counts_the_retirees_per_district(cast, client_for):
    build(cast)
    response = client_for("unit_liaison").get(unit_url(cast))
    assert response.status_code == 200
    lines = lines_by_name(response)
    assert list(lines) == ["东城区", "西湖区"]
    a, b = lines["东城区"].figures, lines["西湖区"].figures
    assert (a.total, a.registered, a.reported, a.unregistered) == (2, 1, 0, 1)
    assert (b.total, b.registered, b.reported, b.unregistered) == (1, 0, 1, 0)
    # (present 1 + remote 0 + made up 1) / expected 3; the 2025 meeting is outside.
    assert (a.tally.expected, a.tally.rate_label) == (3, "66.7%")
    assert b.tally.rate is None
    assert (a.care_on_time, a.care_needs, b.care_on_time, b.care_needs) == (1, 1, 0, 1)
    total = response.context["table"].total
    assert (total.total, total.registered_label) == (3, "33.3%")
    html = response.content.decode()
    assert "66.7%" in html and "<svg" in html
    # Counts only: no retiree is named.
    for name in ("赵德明", "吴建华", "郑丽"):
        assert name not in html


def test_the_period_chooses_the_meetings(cast, client_for):
    build(cast)
    response = client_for("unit_liaison").get(unit_url(cast, "start=2025-01-01&end=2025-12-31"))
    assert lines_by_name(response)["东城区"].figures.tally.rate_label == "100.0%"


def test_district_staff_drill_into_their_district_only(cast, client_for):
    build(cast)
    client = client_for("district_staff")
    lines = lines_by_name(client.get(unit_url(cast)))
    assert lines["东城区"].drillable and not lines["西湖区"].drillable
    inside = client.get(unit_url(cast, f"area={cast.district_a.pk}&{PERIOD}"))
    assert sorted(lines_by_name(inside)) == ["和平街道", "新华街道"]
    street = client.get(unit_url(cast, f"area={cast.street_a.pk}&{PERIOD}"))
    assert list(lines_by_name(street)) == ["翠园社区"]
    assert not lines_by_name(street)["翠园社区"].drillable  # a community is the last level
    assert client.get(unit_url(cast, f"area={cast.district_b.pk}")).status_code == 404
    assert client.get(unit_url(cast, f"area={cast.community_a.pk}")).status_code == 404


def test_the_liaison_drills_wherever_the_units_retirees_live(cast, client_for):
    build(cast)
    response = client_for("unit_liaison").get(unit_url(cast, f"area={cast.district_b.pk}"))
    assert response.status_code == 200
    assert list(lines_by_name(response)) == ["长江街道"]


def test_the_list_shows_each_unit_of_the_district(cast, client_for):
    build(cast)
    response = client_for("district_staff").get(reverse("unit_overview:list") + "?" + PERIOD)
    (line,) = response.context["lines"]
    assert line.unit == cast.unit_a
    assert (line.figures.total, line.figures.registered_label) == (3, "33.3%")
    assert line.figures.tally.rate_label == "66.7%"
    city = client_for("city_admin").get(reverse("unit_overview:list"))
    assert [x.unit for x in city.context["lines"]] == [cast.unit_a, cast.unit_b]


def test_a_liaison_goes_straight_to_their_unit(cast, client_for):
    response = client_for("unit_liaison").get(reverse("unit_overview:list"))
    assert response.status_code == 302
    assert response.url == reverse("unit_overview:unit", args=[cast.unit_a.pk])


def test_a_liaison_of_two_units_chooses(cast, client_for):
    f.grant(cast.user("unit_liaison"), f.Role.UNIT_LIAISON, cast.unit_b)
    response = client_for("unit_liaison").get(reverse("unit_overview:list"))
    assert response.status_code == 200
    assert [x.unit for x in response.context["lines"]] == [cast.unit_a, cast.unit_b]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-05-01&end=2026-01-01", "开始日期晚于结束日期"),
        ("start=1990-01-01&end=2026-01-01", "不超过五年"),
        ("start=%C2%B2&end=垃圾", "无法识别"),
        ("start=2026-13-45&area=" + "9" * 30, "无法识别"),
    ],
)
def test_a_bad_period_gives_the_default_with_a_chinese_message(cast, client_for, query, message):
    response = client_for("district_staff").get(unit_url(cast, query))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["period"].start.month == 1


def test_the_unit_page_asks_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries):
    client = client_for("district_staff")
    url = unit_url(cast, f"area={cast.district_a.pk}&{PERIOD}")
    client.get(url)  # warm the session
    # session, user, roles; the unit; the area; retirees, attendance, care (grouped by
    # community); the areas' names (a district's breadcrumb has no step between)
    with django_assert_num_queries(QUERIES) as first:
        client.get(url)
    build(cast)
    for i in range(5):
        extra = f.member(name=f"新成员{i}", community=cast.community_a2, original_unit=cast.unit_a)
        meeting(cast.branch_a2, datetime.date(2026, 5, 1 + i), [(extra, "present")])
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert lines_by_name(response)["新华街道"].figures.total == 6


QUERIES = 9


def test_the_list_asks_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries):
    client = client_for("city_admin")
    url = reverse("unit_overview:list")
    client.get(url)
    with django_assert_num_queries(LIST_QUERIES) as first:
        client.get(url)
    build(cast)
    for i in range(3):
        f.unit(name=f"单位{i}", district=cast.district_a)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


LIST_QUERIES = 7  # session, user, roles; the units; retirees, attendance, care


def test_the_excel_table_is_the_pages_table_and_is_audited(cast, client_for):
    build(cast)
    user = cast.user("district_staff")
    client = client_for("district_staff")
    before = AuditEntry.objects.count()
    response = client.get(unit_url(cast, f"{PERIOD}&format=xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    entry = AuditEntry.objects.order_by("-pk").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor_id, entry.object_type) == (
        AuditAction.EXPORT,
        user.pk,
        "units.unitoverview",
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    by_area = {row[0]: row for row in rows if row and row[0] in ("东城区", "西湖区", "合计")}
    assert by_area["东城区"][1:5] == [2, 1, 0, 1]
    assert by_area["合计"][1] == 3
    assert round(by_area["东城区"][7], 3) == 0.667


def test_the_menu_and_the_liaisons_panel_link_to_the_overview(cast, client_for):
    url = reverse("unit_overview:list")
    assert url in client_for("district_staff").get("/").content.decode()
    assert url not in client_for("street_staff").get("/").content.decode()
    home = client_for("unit_liaison").get("/").content.decode()
    link = reverse("unit_overview:unit", args=[cast.unit_a.pk])
    assert re.search(rf'id="unit-overview-link" href="{re.escape(link)}"', home)


def test_the_liaisons_panel_counts_equal_the_overviews(cast, client_for):
    build(cast)
    client = client_for("unit_liaison")
    home = client.get("/").content.decode()
    total = client.get(unit_url(cast)).context["table"].total
    unit = f"original_unit={cast.unit_a.pk}"
    assert f'?{unit}">{total.total}</a>' in home
    assert f'registration=reported&amp;{unit}">{total.reported}</a>' in home
    assert f'registration=none&amp;{unit}">{total.unregistered}</a>' in home
