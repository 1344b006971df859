"""The notice pages: writing and sending, bad input, reading and opening, downloads,
the lists and their query counts, the menu."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from notices import services
from notices.models import Notice, NoticeReceipt, NoticeState

from ..otp import login_as
from .conftest import draft_notice, pdf, sent_notice, stored_files
from .receipts_helpers import forward_directly, send_notice

pytestmark = pytest.mark.django_db


def compose(cast, **changes):
    return {
        "title": "关于开展主题党日学习的通知",
        "kind": "study",
        "body": "请各支部组织学习附件材料。",
        "response": "confirm",
        "audience": [cast.street_a.pk],
        "save": "1",
        **changes,
    }


def page(response) -> str:
    return response.content.decode()


# --- Writing and sending ----------------------------------------------------------------


def test_a_district_writes_a_notice_with_a_pdf_checks_it_and_sends_it(cast, client_for):
    client = client_for("district_staff")
    deadline = timezone.localdate() + datetime.timedelta(days=3)
    response = client.post(
        reverse("notices:create"),
        {**compose(cast, deadline=deadline.isoformat(), send="1"), "files": [pdf()]},
    )
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("notices:send", args=[notice.pk])
    assert (notice.state, notice.deadline, notice.author) == (
        NoticeState.DRAFT,
        deadline,
        cast.user("district_staff"),
    )

    confirm = client.get(reverse("notices:send", args=[notice.pk]))
    assert "将发送给 2 个支部。" in page(confirm)

    response = client.post(reverse("notices:send", args=[notice.pk]), {"version": notice.version})
    assert response.status_code == 302
    shown = page(client.get(response["Location"]))
    assert "已发送给 2 个支部。" in shown
    assert "学习材料" in shown
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT
    assert NoticeReceipt.objects.filter(notice=notice).count() == 2
    actions = AuditEntry.objects.filter(object_type="notices.notice").values_list(
        "action", flat=True
    )
    assert list(actions.order_by("pk")) == [AuditAction.CREATE, AuditAction.UPDATE]


def test_the_preview_shows_the_cleaned_text_and_saves_nothing(cast, client_for):
    response = client_for("district_staff").post(
        reverse("notices:create"),
        compose(cast, body="## 要求\n\n<script>alert('x')</script>**按时**", preview="1"),
    )
    assert response.status_code == 200
    html = page(response).split('id="notice-preview">', 1)[1].split("</div>", 1)[0]
    assert "<h2>要求</h2>" in html
    assert "<strong>按时</strong>" in html
    assert "alert(" not in html
    assert not Notice.objects.exists()


SCRIPTS = (
    "<script>alert('x')</script>\n\n"
    "<img src=x onerror=alert(1)>\n\n"
    "[点此](javascript:alert(1))\n\n"
    '<a href="#" onclick="alert(1)">链接</a>\n\n'
    "<iframe src=https://example.cn></iframe>"
)


def test_script_in_the_body_never_reaches_a_reader(cast, client_for):
    client = client_for("district_staff")
    client.post(reverse("notices:create"), compose(cast, body=SCRIPTS))
    notice = Notice.objects.get()
    services.send(notice=notice, actor=None)
    html = page(client_for("branch_secretary").get(reverse("notices:detail", args=[notice.pk])))
    body = html.split('id="notice-body">', 1)[1].split("</div>", 1)[0]
    for bad in ("<script", "onerror", "javascript:", "onclick", "<iframe", "<img"):
        assert bad not in body
    assert "链接" in body


def test_an_audience_outside_ones_area_is_refused_and_nothing_is_saved(cast, client_for, media):
    response = client_for("district_staff").post(
        reverse("notices:create"),
        {**compose(cast, audience=[cast.street_a.pk, cast.street_b.pk]), "files": [pdf()]},
    )
    assert response.status_code == 200
    assert "不在您的辖区内" in page(response)
    assert not Notice.objects.exists()
    assert stored_files(media) == []


def test_oversized_or_disguised_files_are_named_and_nothing_is_saved(
    cast, client_for, media, settings
):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 1024
    big = pdf("大文件.pdf", b"%PDF-1.4\n" + b"0" * 2048)
    disguised = pdf("伪装.docx", b"<html><script>alert(1)</script></html>")
    response = client_for("district_staff").post(
        reverse("notices:create"), {**compose(cast), "files": [pdf(), big, disguised]}
    )
    assert response.status_code == 200
    html = page(response)
    assert "“大文件.pdf”太大" in html
    assert "“伪装.docx”实际上不是 DOCX 文件" in html
    assert 'class="alert alert-danger"' in html
    assert not Notice.objects.exists()
    assert stored_files(media) == []


def test_two_editors_of_one_draft_get_a_conflict_not_an_overwrite(cast, client_for):
    notice = draft_notice(cast, title="原标题")
    url = reverse("notices:edit", args=[notice.pk])
    first = client_for("district_staff")
    loaded = first.get(url).context["form"]["version"].value()
    colleague = Client()
    login_as(colleague, cast.user("district_staff"), key="district_staff")
    assert colleague.post(url, compose(cast, title="同事的标题", version=loaded)).status_code == 302

    response = first.post(url, compose(cast, title="我的标题", version=loaded))
    assert response.status_code == 409
    assert "在您编辑期间，其他人已保存了这份草稿。" in page(response)
    assert "同事的标题" in page(response)
    notice.refresh_from_db()
    assert notice.title == "同事的标题"
    # The form moved on to the saved version: saving again is a deliberate overwrite.
    again = response.context["form"].data["version"]
    assert first.post(url, compose(cast, title="我的标题", version=again)).status_code == 302
    notice.refresh_from_db()
    assert notice.title == "我的标题"


def test_a_sent_notice_is_not_edited_or_sent_again(cast, client_for, notice):
    client = client_for("district_staff")
    before = Notice.objects.filter(pk=notice.pk).values().get()
    for name in ("notices:edit", "notices:send"):
        response = client.post(reverse(name, args=[notice.pk]), compose(cast, title="改"))
        assert response.status_code == 302
    assert Notice.objects.filter(pk=notice.pk).values().get() == before
    assert NoticeReceipt.objects.filter(notice=notice).count() == 2


def test_a_double_submitted_new_notice_writes_one_draft(cast, client_for, media):
    client = client_for("district_staff")
    key = client.get(reverse("notices:create")).context["form"]["client_key"].value()
    for _ in range(2):
        response = client.post(
            reverse("notices:create"), {**compose(cast, client_key=key), "files": [pdf()]}
        )
        assert response.status_code == 302
    notice = Notice.objects.get()
    assert response["Location"] == reverse("notices:detail", args=[notice.pk])
    assert len(stored_files(media)) == 1
    assert AuditEntry.objects.filter(object_type="notices.notice").count() == 1


def test_a_double_submitted_send_sends_once(cast, client_for):
    notice = draft_notice(cast)
    client = client_for("district_staff")
    url = reverse("notices:send", args=[notice.pk])
    client.post(url, {"version": notice.version})
    client.post(url, {"version": notice.version})
    assert NoticeReceipt.objects.filter(notice=notice).count() == 2
    assert AuditEntry.objects.filter(object_type="notices.notice").count() == 2


# --- Reading, opening, downloading -------------------------------------------------------


def test_reading_the_notice_opens_the_readers_receipts_only(cast, client_for, notice):
    assert client_for("district_staff").get(reverse("notices:detail", args=[notice.pk]))
    assert not NoticeReceipt.objects.filter(opened_at__isnull=False).exists()
    response = client_for("branch_secretary").get(reverse("notices:detail", args=[notice.pk]))
    assert response.status_code == 200
    receipt = NoticeReceipt.objects.get(notice=notice, branch=cast.branch_a)
    assert receipt.opened_by == cast.user("branch_secretary")
    assert NoticeReceipt.objects.get(notice=notice, branch=cast.functional_a).opened_at is None


@pytest.mark.parametrize("role", ["district_b_staff", "community_b_secretary", "system_admin"])
def test_outside_the_audience_the_notice_and_its_files_are_404(cast, client, role, notice):
    login_as(client, cast.user(role), key=role)
    attachment = notice.attachments.get()
    for url in (
        reverse("notices:detail", args=[notice.pk]),
        reverse("notices:attachment", args=[attachment.pk]),
        reverse("notices:edit", args=[notice.pk]),
        reverse("notices:send", args=[notice.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_street_of_another_street_does_not_see_the_notice(cast, client_for, notice):
    client = client_for("street_a2_staff")
    assert client.get(reverse("notices:detail", args=[notice.pk])).status_code == 404
    assert notice.title not in page(client.get(reverse("notices:received")))


def test_an_attachment_is_always_a_sandboxed_download_and_audited(cast, client_for, notice):
    attachment = notice.attachments.get()
    client = client_for("branch_secretary")
    response = client.get(reverse("notices:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=utf-8''%E5%AD%A6%E4%B9%A0%E6%9D%90%E6%96%99.pdf"
        in (response["Content-Disposition"])
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].endswith("; sandbox")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    [entry] = AuditEntry.objects.filter(action=AuditAction.EXPORT)
    assert (entry.object_type, entry.actor) == (
        "notices.noticeattachment",
        cast.user("branch_secretary"),
    )
    assert entry.changes["after"] == {"format": "pdf", "notice": notice.pk}
    # Downloading counts as opening.
    assert NoticeReceipt.objects.get(notice=notice, branch=cast.branch_a).opened_at is not None


def test_an_image_is_downloaded_too_never_shown_inline(cast, client_for):
    from .conftest import png

    notice = draft_notice(cast)
    services.update_draft(
        notice=notice,
        details={},
        uploads=[services.Upload(png(), "image/png")],
        version=None,
        actor=None,
    )
    attachment = notice.attachments.get()
    response = client_for("district_staff").get(reverse("notices:attachment", args=[attachment.pk]))
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_forward_shows_the_original_and_its_files(cast, client_for, notice):
    """Forwarding itself is another page's work: here a forward row as it would write it."""
    forward = Notice.objects.create(
        organization=cast.street_a,
        title=notice.title,
        body="街道补充：请于周五前完成。",
        body_html="<p>街道补充：请于周五前完成。</p>",
        forwarded_from=notice,
        root=notice,
        state=NoticeState.SENT,
        sent_at=timezone.now(),
    )
    response = client_for("community_secretary").get(reverse("notices:detail", args=[forward.pk]))
    html = page(response)
    assert response.context["chain"] == [notice]
    assert "请各支部组织学习。" in html and "街道补充" in html
    assert [a.pk for a in response.context["attachments"]] == [notice.attachments.get().pk]
    # Opening the forward opens the original's receipts.
    assert NoticeReceipt.objects.get(notice=notice, branch=cast.branch_a).opened_at is not None
    assert (
        client_for("street_a2_staff").get(reverse("notices:detail", args=[forward.pk])).status_code
        == 404
    )


# --- Lists --------------------------------------------------------------------------------


def test_a_branch_secretary_sees_the_state_of_their_receipt(cast, client_for, notice):
    client = client_for("branch_secretary")
    listing = page(client.get(reverse("notices:received")))
    assert notice.title in listing and "未读" in listing
    assert notice.title in page(client.get(reverse("notices:received") + "?state=unread"))
    client.get(reverse("notices:detail", args=[notice.pk]))
    assert notice.title not in page(client.get(reverse("notices:received") + "?state=unread"))
    opened = page(client.get(reverse("notices:received") + "?state=opened"))
    assert notice.title in opened and "已查看，未确认" in opened
    NoticeReceipt.objects.filter(notice=notice).update(confirmed_at=timezone.now())
    assert notice.title in page(client.get(reverse("notices:received") + "?state=confirmed"))


def test_a_late_notice_is_marked_for_those_who_have_not_confirmed(cast, client_for):
    notice = sent_notice(cast, deadline=timezone.localdate())
    Notice.objects.filter(pk=notice.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(1)
    )
    client = client_for("branch_secretary")
    assert "已逾期" in page(client.get(reverse("notices:received") + "?state=overdue"))
    NoticeReceipt.objects.filter(notice=notice, branch=cast.branch_a).update(
        confirmed_at=timezone.now()
    )
    assert notice.title not in page(client.get(reverse("notices:received") + "?state=overdue"))


def test_street_staff_see_a_district_notice_as_received_with_their_area(cast, client_for, notice):
    NoticeReceipt.objects.filter(branch=cast.branch_a).update(opened_at=timezone.now())
    listing = page(client_for("street_staff").get(reverse("notices:received")))
    assert notice.title in listing
    # Their own answer (the street's functional branch) and the street's figures.
    assert "未读" in listing
    assert "本辖区：共 2 个支部，已读 1，已回执 0" in listing


def test_the_sender_sees_counts_of_n_and_drafts(cast, client_for, notice):
    draft = draft_notice(cast, title="还没发的草稿")
    NoticeReceipt.objects.filter(branch=cast.branch_a).update(
        opened_at=timezone.now(), confirmed_at=timezone.now()
    )
    client = client_for("district_staff")
    listing = page(client.get(reverse("notices:sent")))
    assert "共 2 个支部，已读 1，已回执 1" in listing
    assert draft.title in listing and "草稿，未发送" in listing
    assert listing.index(draft.title) < listing.index(notice.title), "drafts first"
    drafts = page(client.get(reverse("notices:sent") + "?state=draft"))
    assert draft.title in drafts and notice.title not in drafts
    assert notice.title not in page(client.get(reverse("notices:received")))


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("branch_secretary", "notices:received"),
        ("street_staff", "notices:received"),
        ("district_staff", "notices:sent"),
    ],
)
def test_list_pages_take_the_same_queries_for_more_notices_and_receipts(
    cast, client_for, role, name
):
    client = client_for(role)
    url = reverse(name)
    sent_notice(cast)
    draft_notice(cast)
    few = _queries(client, url)
    for number in range(12):
        sent_notice(cast, title=f"通知{number}", audience=[cast.district_a])
        draft_notice(cast, title=f"草稿{number}")
    NoticeReceipt.objects.update(opened_at=timezone.now())
    # Session, user, the scope, the count of the page, its rows with their counts.
    assert _queries(client, url) == few <= 6


def test_the_menu_has_notices_for_those_who_send_or_answer_them(cast, client_for, notice):
    for role in ("branch_secretary", "district_staff"):
        assert 'id="notice-nav"' in page(client_for(role).get(reverse("notices:received")))
    for role in ("unit_liaison", "auditor"):
        assert 'id="notice-nav"' not in page(client_for(role).get(reverse("home"), follow=True))
    badge = page(client_for("branch_secretary").get(reverse("notices:unread_badge")))
    assert "1 条未读" in badge
    client_for("branch_secretary").get(reverse("notices:detail", args=[notice.pk]))
    badge = page(client_for("branch_secretary").get(reverse("notices:unread_badge")))
    assert "无未读" in badge


def test_the_unread_badge_is_one_query(cast, client_for, notice):
    client = client_for("branch_secretary")
    url = reverse("notices:unread_badge")
    few = _queries(client, url)
    for number in range(5):
        sent_notice(cast, title=f"通知{number}")
    assert _queries(client, url) == few <= 4  # session, user, scope, the count


def test_a_district_receives_what_the_city_sends_with_its_areas_figures(cast, client_for):
    client = client_for("city_admin")
    client.post(
        reverse("notices:create"),
        compose(cast, title="市里的通知", audience=[cast.district_a.pk], send="1"),
    )
    notice = Notice.objects.get()
    client.post(reverse("notices:send", args=[notice.pk]))
    assert notice.receipts.count() == 3  # branch_a, functional_a, branch_a2
    listing = page(client_for("district_staff").get(reverse("notices:received")))
    assert "市里的通知" in listing
    assert "本辖区：共 3 个支部，已读 0，已回执 0" in listing
    assert "市里的通知" not in page(client_for("district_b_staff").get(reverse("notices:received")))


def test_a_draft_reaching_no_branch_is_not_sent(cast, client_for):
    notice = draft_notice(cast, audience=[cast.community_a], branch_kinds=["joint"])
    client = client_for("district_staff")
    confirm = page(client.get(reverse("notices:send", args=[notice.pk])))
    assert "所选发送范围内没有支部" in confirm
    response = client.post(reverse("notices:send", args=[notice.pk]), follow=True)
    assert "所选发送范围内没有支部。" in page(response)
    notice.refresh_from_db()
    assert notice.state == NoticeState.DRAFT


def test_an_original_shows_only_the_forward_notes_that_reached_the_reader(cast, client_for):
    notice = send_notice(
        sender=cast.district_a,
        audience=[cast.street_a, cast.street_a2],
        author=cast.user("district_staff"),
    )
    forward_directly(notice, cast.street_a, note="和平街道：请周五前学习。")
    forward_directly(notice, cast.street_a2, note="新华街道：请周四前学习。")
    own = client_for("community_secretary").get(f"/notices/{notice.pk}/").content.decode()
    assert "和平街道：请周五前学习。" in own and "新华街道" not in own
    sender = client_for("district_staff").get(f"/notices/{notice.pk}/").content.decode()
    assert "和平街道：请周五前学习。" in sender and "新华街道：请周四前学习。" in sender
