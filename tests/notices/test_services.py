"""Writing, editing and sending drafts; opening. Each write is one transaction with its
audit entries, and a failed write leaves no file behind."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts import audit_display
from accounts.models import AuditAction, AuditEntry
from branches.models import BranchKind
from notices import services
from notices.models import Notice, NoticeAttachment, NoticeReceipt, NoticeState

from .. import factories as f
from .conftest import PDF, draft_notice, pdf, sent_notice, stored_files

pytestmark = pytest.mark.django_db


def entries(obj):
    return list(f.audit_entries(obj))


def test_a_draft_is_written_with_its_audience_files_and_audit(cast, media):
    notice = draft_notice(cast, body="**重要** <script>alert(1)</script>", files=[pdf()])
    assert notice.state == NoticeState.DRAFT
    assert list(notice.audience.all()) == [cast.street_a]
    assert "<strong>重要</strong>" in notice.body_html
    assert "script" not in notice.body_html
    attachment = notice.attachments.get()
    assert (attachment.original_name, attachment.content_type) == (
        "学习材料.pdf",
        "application/pdf",
    )
    assert "学习材料" not in attachment.file.name  # stored under a random name
    assert len(stored_files(media)) == 1
    [created] = entries(notice)
    assert created.action == AuditAction.CREATE
    assert created.changes["after"]["audience"] == ["和平街道"]
    assert [e.action for e in entries(attachment)] == [AuditAction.CREATE]


class BrokenUpload(SimpleUploadedFile):
    """An upload that breaks off while being stored (a client gone mid-transfer)."""

    def chunks(self, chunk_size=None):
        yield b"%PDF-"
        raise OSError("connection reset")


def test_a_failed_write_leaves_neither_rows_nor_files(cast, media):
    uploads = [
        services.Upload(pdf("一.pdf"), "application/pdf"),
        services.Upload(BrokenUpload("二.pdf", PDF), "application/pdf"),
    ]
    with pytest.raises(OSError):
        services.create_draft(
            organization=cast.district_a,
            details={"title": "半途而废"},
            audience=[cast.street_a],
            uploads=uploads,
            actor=None,
        )
    assert not Notice.objects.exists()
    assert not NoticeAttachment.objects.exists()
    assert not AuditEntry.objects.filter(object_type__startswith="notices.").exists()
    assert stored_files(media) == []


def test_an_update_changes_only_what_it_carries_and_audits_the_difference(cast):
    notice = draft_notice(cast, title="旧标题")
    updated = services.update_draft(
        notice=notice,
        details={"title": "新标题"},
        version=notice.version,
        actor=cast.user("district_staff"),
    )
    assert (updated.title, updated.body, updated.version) == ("新标题", "请各支部组织学习。", 2)
    change = entries(notice)[-1]
    assert change.action == AuditAction.UPDATE
    assert change.changes == {"before": {"title": "旧标题"}, "after": {"title": "新标题"}}


def test_an_update_with_nothing_new_writes_nothing(cast):
    notice = draft_notice(cast)
    services.update_draft(
        notice=notice,
        details={"title": notice.title},
        audience=[cast.street_a],
        version=notice.version,
        actor=None,
    )
    notice.refresh_from_db()
    assert notice.version == 1
    assert len(entries(notice)) == 1


def test_a_second_editor_loaded_before_the_first_save_gets_a_conflict(cast):
    notice = draft_notice(cast, title="原标题")
    loaded = notice.version
    services.update_draft(notice=notice, details={"title": "甲的标题"}, version=loaded, actor=None)
    with pytest.raises(services.NoticeConflict) as conflict:
        services.update_draft(
            notice=notice, details={"title": "乙的标题"}, version=loaded, actor=None
        )
    assert conflict.value.notice.title == "甲的标题"
    notice.refresh_from_db()
    assert notice.title == "甲的标题"


def test_files_are_added_and_removed_with_a_new_version(
    cast, media, django_capture_on_commit_callbacks
):
    notice = draft_notice(cast, files=[pdf("旧.pdf")])
    old = notice.attachments.get()
    old_pk = old.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.update_draft(
            notice=notice,
            details={},
            uploads=[services.Upload(pdf("新.pdf"), "application/pdf")],
            remove=[old],
            version=notice.version,
            actor=None,
        )
    notice.refresh_from_db()
    assert [a.original_name for a in notice.attachments.all()] == ["新.pdf"]
    assert notice.version == 2
    assert len(stored_files(media)) == 1, "the removed file is deleted once committed"
    deleted = AuditEntry.objects.get(action=AuditAction.DELETE)
    assert (deleted.object_type, deleted.object_id) == ("notices.noticeattachment", str(old_pk))


def test_a_sent_notice_can_no_longer_be_edited(cast):
    notice = sent_notice(cast)
    with pytest.raises(services.NoticeError):
        services.update_draft(notice=notice, details={"title": "改"}, version=None, actor=None)


def test_sending_writes_one_receipt_per_branch_of_the_audience_once(cast):
    notice = draft_notice(cast)
    assert services.send(notice=notice, actor=cast.user("district_staff")) == 2
    receipts = NoticeReceipt.objects.filter(notice=notice)
    assert {r.branch_id for r in receipts} == {cast.branch_a.pk, cast.functional_a.pk}
    assert notice.state == NoticeState.SENT and notice.recipient_count == 2
    with pytest.raises(services.NoticeError):
        services.send(notice=notice, actor=None)
    assert receipts.count() == 2


def test_branch_kinds_narrow_the_audience(cast):
    notice = draft_notice(cast, audience=[cast.district_a], branch_kinds=[BranchKind.FUNCTIONAL])
    assert services.send(notice=notice, actor=None) == 1
    assert notice.receipts.get().branch == cast.functional_a


def test_sending_a_draft_changed_since_it_was_looked_at_is_refused(cast):
    notice = draft_notice(cast)
    seen = notice.version
    services.update_draft(notice=notice, details={"title": "改过"}, version=seen, actor=None)
    with pytest.raises(services.NoticeConflict):
        services.send(notice=notice, actor=None, version=seen)
    assert not NoticeReceipt.objects.exists()


def test_an_audience_outside_the_sender_reaches_nobody(cast):
    """Even written past the form, a node outside the sender's subtree adds no branch."""
    notice = draft_notice(cast, audience=[cast.street_b])
    with pytest.raises(services.NoticeError):
        services.send(notice=notice, actor=None)


def test_opening_marks_the_receipts_one_answers_for_once(cast):
    notice = sent_notice(cast)
    secretary = cast.user("branch_secretary")
    assert services.mark_opened(notice=notice, user=cast.user("district_staff")) == 0
    assert services.mark_opened(notice=notice, user=secretary) == 1
    receipt = notice.receipts.get(branch=cast.branch_a)
    assert receipt.opened_by == secretary
    first = receipt.opened_at
    assert services.mark_opened(notice=notice, user=cast.user("community_secretary")) == 0
    receipt.refresh_from_db()
    assert (receipt.opened_at, receipt.opened_by) == (first, secretary)
    assert notice.receipts.get(branch=cast.functional_a).opened_at is None
    # The street's staff answer for the branch on the street itself.
    assert services.mark_opened(notice=notice, user=cast.user("street_staff")) == 1
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=receipt.pk).exists()


def test_sending_to_many_branches_takes_the_same_queries(cast):
    def queries_to_send():
        notice = draft_notice(cast, audience=[cast.street_a])
        with CaptureQueriesContext(connection) as captured:
            services.send(notice=notice, actor=None)
        return len(captured), notice.recipient_count

    few, reached = queries_to_send()
    for number in range(40):
        f.branch(organization=cast.community_a, name=f"第{number}支部")
    many, reached_many = queries_to_send()
    assert (reached, reached_many) == (2, 42)
    assert many == few


def test_the_audit_trail_names_notices_in_chinese(cast):
    with translation.override("zh-hans"):
        assert audit_display.type_label("notices.notice") == "通知"
        assert audit_display.type_label("notices.noticeattachment") == "通知附件"
        assert audit_display.field_label(Notice, "branches") == "送达支部数"
        types = dict(audit_display.type_choices())
        assert types["notices.noticeattachment"] == "通知附件"
