"""定期通报: a district's bulletin drafted from the dashboard's figures (the same numbers
as the dashboard for the same period, counted by hand on the reports fixture), reviewed,
printed as PDF and sent as a notice."""

import subprocess

import pytest
from django.urls import reverse

from accounts.models import AuditAction, AuditEntry
from activities.meetings.selectors import format_rate
from notices import services
from notices.models import Notice, NoticeKind, NoticeState, ResponseKind
from reports import bulletins

from .conftest import TODAY

pytestmark = pytest.mark.django_db
Q1 = {"period": "quarter", "year": "2026", "quarter": "1"}
FIGURES = ("coverage", "compliance", "attendance", "care")


@pytest.fixture
def bulletin_today(monkeypatch, frozen_today):
    monkeypatch.setattr("reports.bulletin_views._today", lambda: TODAY)
    return TODAY


def draft(client, node, data=Q1):
    return client.post(reverse("reports:bulletin_list", args=[node.pk]), data)


def test_ranks_go_highest_first_share_equal_values_and_skip_what_has_no_rate():
    assert bulletins.ranks([0.5, None, 0.9, 0.5, 0.1]) == [2, None, 1, 2, 4]


def test_the_bulletin_says_what_the_dashboard_says_for_the_period(
    world, client_for, bulletin_today
):
    cast = world.cast
    client = client_for("district_staff")
    response = draft(client, cast.district_a)
    notice = Notice.objects.get(kind=NoticeKind.BULLETIN)
    assert response.url == reverse("reports:bulletin", args=[notice.pk])
    figures = notice.bulletin_figures

    page = client.get(reverse("reports:org_dashboard", args=[cast.district_a.pk]), Q1)
    dashboard = page.context["dashboard"]
    shown = {u.name: u.figures for u in dashboard.units}
    kept = {u["name"]: u for u in figures["units"]}
    assert set(kept) == set(shown) == {"和平街道", "新华街道"}
    for name, f in shown.items():
        assert [kept[name][k] for k in FIGURES] == [
            f.coverage,
            f.compliance,
            f.attendance,
            f.care_coverage,
        ]
    total = dashboard.total
    assert [figures["total"][k] for k in FIGURES] == [
        total.coverage,
        total.compliance,
        total.attendance,
        total.care_coverage,
    ]
    # By hand (tests/reports/conftest.py): 和平街道 leads on every figure.
    rates = {name: [format_rate(unit[k]) for k in FIGURES] for name, unit in kept.items()}
    assert rates == {
        "和平街道": ["75.0%", "85.7%", "80.0%", "50.0%"],
        "新华街道": ["66.7%", "80.0%", "66.7%", "0.0%"],
    }
    assert [format_rate(figures["total"][k]) for k in FIGURES] == [
        "71.4%",
        "83.3%",
        "76.2%",
        "33.3%",
    ]
    assert kept["和平街道"]["ranks"] == dict.fromkeys(FIGURES, 1)
    assert kept["新华街道"]["ranks"] == dict.fromkeys(FIGURES, 2)
    assert kept["和平街道"]["counts"]["coverage"] == [3, 4]


def test_the_draft_is_a_bulletin_notice_to_the_whole_district_with_table_and_text(
    world, client_for, bulletin_today
):
    cast = world.cast
    draft(client_for("district_staff"), cast.district_a)
    notice = Notice.objects.get(kind=NoticeKind.BULLETIN)
    assert (notice.state, notice.organization, notice.bulletin_period) == (
        NoticeState.DRAFT,
        cast.district_a,
        "2026-Q1",
    )
    assert list(notice.audience.all()) == [cast.district_a]
    assert (notice.author, notice.response) == (cast.user("district_staff"), ResponseKind.NONE)
    assert notice.title == "东城区离退休干部党建工作通报（2026年第一季度）"
    assert "| 和平街道 | 75.0% | 1 | 85.7% | 1 | 80.0% | 1 | 50.0% | 1 |" in notice.body
    assert "和平街道最高（75.0%），新华街道最低（66.7%）" in notice.body
    assert "<table>" in notice.body_html and "<!--" not in notice.body_html
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="notices.notice")
    assert entry.changes["after"]["period"] == "2026-Q1"


def test_drafting_the_same_period_twice_opens_the_first_draft(world, client_for, bulletin_today):
    client = client_for("district_staff")
    first = draft(client, world.cast.district_a)
    second = draft(client, world.cast.district_a)
    assert first.url == second.url
    assert Notice.objects.filter(kind=NoticeKind.BULLETIN).count() == 1
    assert AuditEntry.objects.filter(object_type="notices.notice").count() == 1


def test_a_street_drafts_its_own_bulletin_of_its_communities_not_the_districts(
    world, client_for, bulletin_today
):
    cast = world.cast
    client = client_for("street_staff")
    assert draft(client, cast.district_a).status_code == 404
    assert draft(client, cast.street_a).status_code == 302
    notice = Notice.objects.get(kind=NoticeKind.BULLETIN)
    units = {u["name"]: u for u in notice.bulletin_figures["units"]}
    # The functional branch on the street itself is shown, not ranked among communities.
    assert units["翠园社区"]["ranks"]["coverage"] == 1
    direct = [u for u in units.values() if not u["ranked"]]
    assert len(direct) == 1 and "ranks" not in direct[0]
    assert draft(client_for("community_secretary"), cast.community_a).status_code == 404


def test_a_period_that_has_not_begun_is_refused_in_chinese(world, client_for, bulletin_today):
    response = draft(
        client_for("district_staff"),
        world.cast.district_a,
        {"period": "quarter", "year": "2026", "quarter": "3"},
    )
    assert response.status_code == 200
    assert "该期间尚未开始。" in response.content.decode()
    month = draft(client_for("district_staff"), world.cast.district_a, {"period": "month"})
    assert "请选择月份。" in month.content.decode()
    assert not Notice.objects.exists()


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.services("poppler")
def test_the_pdf_prints_the_kept_figures_and_the_edited_text(
    world, client_for, bulletin_today, tmp_path
):
    cast = world.cast
    client = client_for("district_staff")
    draft(client, cast.district_a)
    notice = Notice.objects.get(kind=NoticeKind.BULLETIN)
    # The reviewer rewrites the opening and, by mistake, a number of the table.
    body = notice.body.replace("| 和平街道 | 75.0%", "| 和平街道 | 99.9%")
    body = "经区委老干部局研究，现将有关情况通报如下。\n\n" + body.split("\n\n", 1)[1]
    Notice.objects.filter(pk=notice.pk).update(body=body)

    page = client.get(reverse("reports:bulletin", args=[notice.pk])).content.decode()
    assert "经区委老干部局研究" in page and "75.0%" in page and "99.9%" not in page
    assert reverse("notices:edit", args=[notice.pk]) in page

    before = AuditEntry.objects.count()
    response = client.get(reverse("reports:bulletin_pdf", args=[notice.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content, tmp_path).split())
    assert "经区委老干部局研究" in text
    assert "75.0%" in text and "99.9%" not in text  # the figures as they were drafted
    assert "和平街道最高" in text
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("pk")
    assert (entry.action, entry.object_type, entry.changes["after"]["format"]) == (
        AuditAction.EXPORT,
        "reports.bulletin",
        "pdf",
    )


def test_a_sent_bulletin_reaches_every_branch_of_the_district(world, client_for, bulletin_today):
    cast = world.cast
    draft(client_for("district_staff"), cast.district_a)
    notice = Notice.objects.get(kind=NoticeKind.BULLETIN)
    url = reverse("reports:bulletin", args=[notice.pk])
    secretary = client_for("branch_secretary")
    assert secretary.get(url).status_code == 404  # a draft stays with its sender
    assert services.send(notice=notice, actor=cast.user("district_staff")) == 3
    assert secretary.get(url).status_code == 200
    pdf = secretary.get(reverse("reports:bulletin_pdf", args=[notice.pk]))
    assert pdf.status_code == 200
    assert client_for("community_b_secretary").get(url).status_code == 404
