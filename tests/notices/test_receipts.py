"""Receipts (回执) and replies (反馈): who confirms what, double submits, late replies,
files, and the sender's receipts page (counts per level, drill-down, filter, export,
downloads) with a query count that does not grow with the branches."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEntry
from branches.models import BranchKind
from notices.models import Notice, NoticeAttachment, NoticeReceipt, ResponseKind

from .. import factories as f
from .receipts_helpers import pdf_file, receipt, send_notice

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def notice(cast):
    """District A to street_a: branch_a (community_a) and functional_a (on the street)."""
    return send_notice(
        sender=cast.district_a,
        audience=[cast.street_a],
        author=cast.user("district_staff"),
        deadline=timezone.localdate() + 3 * DAY,
    )


@pytest.fixture
def to_reply(cast):
    return send_notice(
        sender=cast.district_a,
        audience=[cast.street_a],
        title="关于报送学习情况的通知",
        response=ResponseKind.REPLY,
        deadline=timezone.localdate() + 3 * DAY,
    )


def states(notice):
    return {
        r.branch.name: (r.confirmed_at is not None, r.confirmed_by_id, r.opened_at is not None)
        for r in NoticeReceipt.objects.filter(notice=notice).select_related("branch")
    }


# --- Confirming -----------------------------------------------------------------------------


def test_a_branch_secretary_confirms_their_branch_once_and_is_audited(cast, client_for, notice):
    client = client_for("branch_secretary")
    secretary = cast.user("branch_secretary")
    url = reverse("notices:confirm", args=[notice.pk])
    page = client.get(url).content.decode()
    assert cast.branch_a.name in page and "尚未确认" in page
    assert cast.functional_a.name not in page

    assert receipt(notice, cast.branch_a).opened_by == secretary  # reading it opened it

    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = client.post(url, follow=True)
    assert "已为 1 个支部确认收到" in response.content.decode()
    row = receipt(notice, cast.branch_a)
    assert row.confirmed_by == secretary and row.opened_at <= row.confirmed_at
    assert receipt(notice, cast.functional_a).confirmed_at is None
    entry = AuditEntry.objects.filter(pk__gt=last, object_type="notices.noticereceipt").get()
    assert (entry.action, entry.actor_id, entry.object_id) == (
        AuditAction.UPDATE,
        secretary.pk,
        str(row.pk),
    )
    confirmed_at = row.confirmed_at

    # The double submit: a message, nothing written twice.
    entries = AuditEntry.objects.count()
    response = client.post(url, follow=True)
    assert "已确认，无需重复确认" in response.content.decode()
    row.refresh_from_db()
    assert row.confirmed_at == confirmed_at
    assert AuditEntry.objects.count() == entries


def test_confirming_keeps_an_earlier_opening(cast, client_for, notice):
    opened = timezone.now() - DAY
    NoticeReceipt.objects.filter(notice=notice, branch=cast.branch_a).update(
        opened_at=opened, opened_by=cast.user("community_secretary")
    )
    client_for("branch_secretary").post(reverse("notices:confirm", args=[notice.pk]))
    row = receipt(notice, cast.branch_a)
    assert row.opened_at == opened and row.opened_by == cast.user("community_secretary")
    assert row.confirmed_by == cast.user("branch_secretary")


def test_a_community_secretary_confirms_all_their_branches_in_one_post(cast, client_for):
    second = f.branch(organization=cast.community_a, name="翠园社区第二党支部")
    notice = send_notice(sender=cast.district_a, audience=[cast.street_a])
    client = client_for("community_secretary")
    client.post(reverse("notices:confirm", args=[notice.pk]))
    done = states(notice)
    assert done[cast.branch_a.name][0] and done[second.name][0]
    assert not done[cast.functional_a.name][0], "the street's own branch is not hers"


def test_a_community_secretary_may_confirm_one_chosen_branch(cast, client_for):
    second = f.branch(organization=cast.community_a, name="翠园社区第二党支部")
    notice = send_notice(sender=cast.district_a, audience=[cast.street_a])
    client = client_for("community_secretary")
    page = client.get(reverse("notices:confirm", args=[notice.pk])).content.decode()
    assert "我负责的全部支部" in page
    client.post(
        reverse("notices:confirm", args=[notice.pk]), {"receipt": receipt(notice, second).pk}
    )
    done = states(notice)
    assert done[second.name][0] and not done[cast.branch_a.name][0]


def test_street_staff_confirm_the_street_level_functional_branch(cast, client_for, notice):
    client_for("street_staff").post(reverse("notices:confirm", args=[notice.pk]))
    done = states(notice)
    assert done[cast.functional_a.name][0]
    assert not done[cast.branch_a.name][0], "community branches stay with their secretaries"


def test_a_receipt_of_another_branch_cannot_be_confirmed_by_naming_it(cast, client_for, notice):
    other = receipt(notice, cast.functional_a)
    response = client_for("branch_secretary").post(
        reverse("notices:confirm", args=[notice.pk]), {"receipt": other.pk}
    )
    assert response.status_code == 200  # the form refuses the choice
    assert "选择一个有效的选项" in response.content.decode()
    other.refresh_from_db()
    assert other.confirmed_at is None


def test_confirming_redirects_back_to_a_local_page_only(cast, client_for, notice):
    client = client_for("branch_secretary")
    url = reverse("notices:confirm", args=[notice.pk])
    response = client.post(url, {"next": "https://evil.example.com/"})
    assert response["Location"] == url
    response = client.post(url, {"next": "/reminders/"})
    assert response["Location"] == "/reminders/"


# --- Replying -------------------------------------------------------------------------------


def test_a_reply_with_text_and_two_files_confirms_too(cast, client_for, to_reply):
    client = client_for("branch_secretary")
    row = receipt(to_reply, cast.branch_a)
    response = client.post(
        reverse("notices:reply", args=[to_reply.pk]),
        {
            "receipt": row.pk,
            "text": "已组织全体党员学习，共 12 人参加。",
            "files": [pdf_file("学习记录.pdf"), pdf_file("签到表.pdf")],
        },
        follow=True,
    )
    assert "反馈已提交" in response.content.decode()
    row.refresh_from_db()
    assert row.reply.startswith("已组织") and row.replied_at
    assert row.confirmed_at == row.replied_at and row.confirmed_by == cast.user("branch_secretary")
    names = sorted(row.attachments.values_list("original_name", flat=True))
    assert names == ["学习记录.pdf", "签到表.pdf"]
    assert AuditEntry.objects.filter(
        object_type="notices.noticereceipt", object_id=str(row.pk), action=AuditAction.UPDATE
    ).exists()


def test_a_second_reply_is_refused_and_changes_nothing(cast, client_for, to_reply):
    client = client_for("branch_secretary")
    row = receipt(to_reply, cast.branch_a)
    url = reverse("notices:reply", args=[to_reply.pk])
    client.post(url, {"receipt": row.pk, "text": "第一次"})
    response = client.post(
        url, {"receipt": row.pk, "text": "第二次", "files": [pdf_file()]}, follow=True
    )
    assert "已反馈过此通知" in response.content.decode()
    row.refresh_from_db()
    assert row.reply == "第一次"
    assert not NoticeAttachment.objects.filter(receipt=row).exists()


def test_a_disguised_file_refuses_the_whole_reply(cast, client_for, to_reply):
    row = receipt(to_reply, cast.branch_a)
    response = client_for("branch_secretary").post(
        reverse("notices:reply", args=[to_reply.pk]),
        {
            "receipt": row.pk,
            "text": "见附件",
            "files": [pdf_file("好的.pdf"), pdf_file("坏的.pdf", b"<script>alert(1)</script>")],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "坏的.pdf" in page and "尚未保存" in page
    row.refresh_from_db()
    assert row.replied_at is None and row.confirmed_at is None
    assert not NoticeAttachment.objects.exists()


def test_an_empty_reply_is_refused(cast, client_for, to_reply):
    row = receipt(to_reply, cast.branch_a)
    response = client_for("branch_secretary").post(
        reverse("notices:reply", args=[to_reply.pk]), {"receipt": row.pk, "text": "  "}
    )
    assert "请填写反馈内容或附上文件" in response.content.decode()
    row.refresh_from_db()
    assert row.replied_at is None


def test_a_late_reply_is_taken_and_marked_late(cast, client_for, to_reply):
    to_reply.deadline = timezone.localdate() - 2 * DAY
    to_reply.save(update_fields=["deadline"])
    client = client_for("branch_secretary")
    url = reverse("notices:reply", args=[to_reply.pk])
    assert "仍可反馈" in client.get(url).content.decode()
    client.post(url, {"receipt": receipt(to_reply, cast.branch_a).pk, "text": "补报"})
    assert receipt(to_reply, cast.branch_a).replied_at
    page = client_for("district_staff").get(reverse("notices:receipts", args=[to_reply.pk]))
    html = page.content.decode()
    assert "补报" in html and "逾期" in html


def test_a_notice_that_asks_no_reply_has_no_reply_page(cast, client_for, notice):
    response = client_for("branch_secretary").get(reverse("notices:reply", args=[notice.pk]))
    assert response.status_code == 404


# --- The sender's receipts page -------------------------------------------------------------


def _two_streets(cast):
    """A notice to the whole of district A: branch_a and functional_a (street_a),
    branch_a2 (street_a2)."""
    return send_notice(
        sender=cast.district_a,
        audience=[cast.district_a],
        response=ResponseKind.REPLY,
        deadline=timezone.localdate() + DAY,
    )


def test_the_district_sees_each_street_and_drills_down(cast, client_for):
    notice = _two_streets(cast)
    client_for("branch_secretary").post(reverse("notices:confirm", args=[notice.pk]))
    NoticeReceipt.objects.filter(notice=notice, branch=cast.branch_a2).update(
        opened_at=timezone.now()
    )
    client = client_for("district_staff")
    url = reverse("notices:receipts", args=[notice.pk])
    response = client.get(url)
    parts = {p.node.name if p.node else None: p.counts for p in response.context["parts"]}
    assert {k: v.as_tuple() for k, v in parts.items()} == {
        "和平街道": (2, 1, 1, 0),
        "新华街道": (1, 1, 0, 0),
    }
    assert response.context["total"].as_tuple() == (3, 2, 1, 0)

    street = client.get(url, {"node": cast.street_a.pk})
    parts = {p.node.name if p.node else None: p.counts.as_tuple() for p in street.context["parts"]}
    assert parts == {"翠园社区": (1, 1, 1, 0), None: (1, 0, 0, 0)}
    html = street.content.decode()
    assert "和平街道直属支部" in html
    assert {r.branch for r in street.context["page"]} == {cast.branch_a, cast.functional_a}
    assert "东城区" in html  # the trail back up

    unconfirmed = client.get(url, {"node": cast.street_a.pk, "state": "unconfirmed"})
    assert [r.branch for r in unconfirmed.context["page"]] == [cast.functional_a]
    unopened = client.get(url, {"state": "unopened"})
    assert [r.branch for r in unopened.context["page"]] == [cast.functional_a]


def test_a_node_outside_the_notice_is_404(cast, client_for, notice):
    client = client_for("district_staff")
    url = reverse("notices:receipts", args=[notice.pk])
    assert client.get(url, {"node": cast.community_b.pk}).status_code == 404
    assert client.get(url, {"node": "²"}).status_code == 200  # ignored, not an error


def test_the_page_shows_who_confirmed_and_the_reply_files(cast, client_for, to_reply):
    client_for("branch_secretary").post(
        reverse("notices:reply", args=[to_reply.pk]),
        {"receipt": receipt(to_reply, cast.branch_a).pk, "text": "学习完毕", "files": [pdf_file()]},
    )
    html = (
        client_for("district_staff")
        .get(reverse("notices:receipts", args=[to_reply.pk]))
        .content.decode()
    )
    assert "branch_secretary" in html and "学习完毕" in html and "学习材料.pdf" in html
    attachment = NoticeAttachment.objects.get()
    assert reverse("notices:reply_file", args=[attachment.pk]) in html


def test_a_reply_file_is_a_download_with_nosniff_and_audited(cast, client_for, to_reply):
    client_for("branch_secretary").post(
        reverse("notices:reply", args=[to_reply.pk]),
        {"receipt": receipt(to_reply, cast.branch_a).pk, "files": [pdf_file()]},
    )
    attachment = NoticeAttachment.objects.get()
    client = client_for("district_staff")
    response = client.get(reverse("notices:reply_file", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert entry.actor_id == cast.user("district_staff").pk
    for outsider in ("street_a2_staff", "district_b_staff", "system_admin", "unit_liaison"):
        url = reverse("notices:reply_file", args=[attachment.pk])
        assert client_for(outsider).get(url).status_code == 404, outsider


def test_the_excel_export_lists_the_branches_and_is_audited(cast, client_for, to_reply):
    client_for("branch_secretary").post(
        reverse("notices:reply", args=[to_reply.pk]),
        {"receipt": receipt(to_reply, cast.branch_a).pk, "text": "=cmd|' /C calc'!A0"},
    )
    response = client_for("district_staff").get(
        reverse("notices:receipts_export", args=[to_reply.pk])
    )
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == to_reply.title
    assert rows[2][:2] == ["支部", "所属组织"]
    by_branch = {row[0]: row for row in rows[3:]}
    assert set(by_branch) == {cast.branch_a.name, cast.functional_a.name}
    assert by_branch[cast.branch_a.name][4] == "branch_secretary"
    assert by_branch[cast.branch_a.name][6] == "=cmd|' /C calc'!A0"  # text, not a formula
    assert sheet.cell(row=4, column=7).data_type != "f"
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert entry.object_type == "notices.receipts" and entry.changes["after"]["rows"] == 2


def test_followers_only(cast, client_for, notice):
    url = reverse("notices:receipts", args=[notice.pk])
    for role in ("street_staff", "community_secretary", "branch_secretary", "system_admin"):
        assert client_for(role).get(url).status_code == 404, role


def _many_branches(cast, count):
    for n in range(count):
        community = (
            f.org(
                name=f"测试社区{n}",
                level="community",
                parent=cast.street_a2,
                code=f"31990100200{n + 2}",
            )
            if n % 3 == 0
            else cast.community_a2
        )
        f.branch(organization=community, name=f"测试支部{n}")


@pytest.mark.parametrize("count", [2, 30])
def test_the_receipts_page_costs_the_same_queries_whatever_the_branches(cast, client_for, count):
    _many_branches(cast, count)
    notice = _two_streets(cast)
    client_for("branch_secretary").post(
        reverse("notices:reply", args=[notice.pk]),
        {"receipt": receipt(notice, cast.branch_a).pk, "text": "好", "files": [pdf_file()]},
    )
    client = client_for("district_staff")
    url = reverse("notices:receipts", args=[notice.pk])
    # session, user, scope, notice, children, counts per part, list count, page, its
    # files, last round; below the top, the node and the trail up to it
    for query, expected in (({}, 10), ({"node": cast.street_a2.pk}, 12)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        assert len(queries) == expected, [q["sql"][:80] for q in queries]


def test_branch_kinds_narrow_the_audience_and_so_the_counts(cast, client_for):
    notice = send_notice(
        sender=cast.district_a, audience=[cast.district_a], kinds=[BranchKind.FUNCTIONAL]
    )
    response = client_for("district_staff").get(reverse("notices:receipts", args=[notice.pk]))
    assert response.context["total"].total == 1


def test_reading_the_confirm_page_opens_the_receipt_once(cast, client_for, notice):
    client = client_for("branch_secretary")
    url = reverse("notices:confirm", args=[notice.pk])
    client.get(url)
    row = receipt(notice, cast.branch_a)
    assert row.opened_by == cast.user("branch_secretary") and row.confirmed_at is None
    opened = row.opened_at
    entries = AuditEntry.objects.filter(object_type="notices.noticereceipt").count()
    assert entries == 1
    client.get(url)
    row.refresh_from_db()
    assert row.opened_at == opened
    assert AuditEntry.objects.filter(object_type="notices.noticereceipt").count() == entries
    # The district reading it opens nothing (it answers for no branch).
    assert client_for("district_staff").get(url).status_code == 403
    assert receipt(notice, cast.functional_a).opened_at is None


# --- The includes of the notice page ---------------------------------------------------------


def _render(template, notice, user):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get(f"/notices/{notice.pk}/")
    request.user = user
    return Template("{% include '" + template + "' %}").render(
        Context({"request": request, "notice": notice, "csrf_token": "token"})
    )


def test_the_senders_include_shows_the_counts_and_links(cast, client_for, notice):
    client_for("branch_secretary").post(reverse("notices:confirm", args=[notice.pk]))
    district = cast.user("district_staff")
    notice = Notice.objects.select_related("organization").get(pk=notice.pk)  # as the page has it
    with CaptureQueriesContext(connection) as queries:
        html = _render("notices/_receipts.html", notice, district)
    assert "2 个支部中已确认 1 个，已打开 1 个" in html
    assert reverse("notices:receipts", args=[notice.pk]) in html
    assert reverse("notices:remind", args=[notice.pk]) in html
    assert len(queries) == 2  # the user's roles, the counts
    assert _render("notices/_receipts.html", notice, cast.user("branch_secretary")).strip() == ""


def test_the_recipients_include_offers_confirm_reply_and_forward(cast, to_reply):
    html = _render("notices/_respond.html", to_reply, cast.user("community_secretary"))
    assert reverse("notices:confirm", args=[to_reply.pk]) in html
    assert reverse("notices:reply", args=[to_reply.pk]) in html
    assert reverse("notices:forward", args=[to_reply.pk]) in html  # her community may pass it on
    assert 'name="csrfmiddlewaretoken"' in html
    branch = _render("notices/_respond.html", to_reply, cast.user("branch_secretary"))
    assert "确认收到" in branch and reverse("notices:forward", args=[to_reply.pk]) not in branch
    district = _render("notices/_respond.html", to_reply, cast.user("district_staff"))
    assert district.strip() == ""


def test_confirming_without_reading_opens_it_in_the_same_update(cast, client_for, notice):
    client_for("branch_secretary").post(reverse("notices:confirm", args=[notice.pk]))
    row = receipt(notice, cast.branch_a)
    assert row.opened_at == row.confirmed_at and row.opened_by == cast.user("branch_secretary")
