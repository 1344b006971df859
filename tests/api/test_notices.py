"""GET /api/v1/notices/...: the notices a client sends with their receipt counts, a sent
notice's receipts (who confirmed, when, the reply), and the notices addressed to the
client's branches, as the notice pages read them; constant query counts."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notices import receipt_selectors
from notices import receipts as receipt_services
from notices.models import NoticeReceipt, ResponseKind

from .. import factories as f
from ..notices.receipts_helpers import receipt, reply_directly, send_notice

SENT = "/api/v1/notices/sent/"
RECEIVED = "/api/v1/notices/received/"


def ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def district_notice(cast, title="关于学习的通知", response=ResponseKind.CONFIRM):
    return send_notice(
        sender=cast.district_a,
        audience=[cast.street_a],
        title=title,
        response=response,
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )


def confirm_as_branch(cast, notice):
    receipt_services.confirm(
        receipts=receipt_selectors.answerable(cast.user("branch_secretary"), notice),
        user=cast.user("branch_secretary"),
    )


def test_the_sender_sees_its_notice_with_receipt_counts(api_for, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    notice = district_notice(cast)
    confirm_as_branch(cast, notice)
    body = ok(api_for("district_staff").get(SENT))
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["id"] == notice.pk
    assert row["kind"] == "notice" and row["kind_display"] == "通知"
    assert row["state"] == "sent" and row["state_display"] == "已发送"
    assert row["response"] == "confirm"
    assert row["organization_name"] == "东城区"
    # branch_a and functional_a (on street_a): one confirmed.
    assert row["receipts"] == {"total": 2, "opened": 1, "confirmed": 1}
    # Another district's staff sees none of it.
    assert ok(api_for("district_b_staff").get(SENT))["count"] == 0
    assert api_for("district_b_staff").get(f"{SENT}{notice.pk}/").status_code == 404


def test_the_receipts_say_who_confirmed_when_and_the_reply(api_for, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    notice = district_notice(cast, response=ResponseKind.REPLY)
    confirm_as_branch(cast, notice)
    reply_directly(notice, cast.functional_a)
    rows = ok(api_for("district_staff").get(f"{SENT}{notice.pk}/receipts/"))["results"]
    by_branch = {row["branch"]: row for row in rows}
    assert list(by_branch) == [cast.functional_a.pk, cast.branch_a.pk]  # path order
    branch_a = by_branch[cast.branch_a.pk]
    stored = receipt(notice, cast.branch_a)
    assert branch_a["confirmed_at"] == timezone.localtime(stored.confirmed_at).isoformat()
    assert branch_a["confirmed_at"].endswith("+08:00")
    assert branch_a["confirmed_by"] == cast.user("branch_secretary").display_name
    assert branch_a["reply"] == "" and branch_a["late"] is False
    functional = by_branch[cast.functional_a.pk]
    assert functional["reply"] == "已组织全体党员学习。"
    assert functional["files"] == ["学习记录.pdf"]
    # The street reads the notice (it is addressed to it) but does not follow its receipts.
    assert api_for("street_staff").get(f"{SENT}{notice.pk}/receipts/").status_code == 404


def test_the_recipients_see_the_notices_addressed_to_their_branches(api_for, cast):
    notice = district_notice(cast)
    confirm_as_branch(cast, notice)
    rows = ok(api_for("branch_secretary").get(RECEIVED))["results"]
    assert [r["id"] for r in rows] == [notice.pk]
    assert rows[0]["mine"] == {"total": 1, "unopened": 0, "unconfirmed": 0}
    street = ok(api_for("street_staff").get(RECEIVED))["results"]
    assert street[0]["mine"] == {"total": 1, "unopened": 1, "unconfirmed": 1}  # functional_a
    assert street[0]["area"] == {"total": 2, "opened": 1, "confirmed": 1}
    # The sender's own notices are not "received"; another district's secretary has none.
    assert ok(api_for("district_staff").get(RECEIVED))["count"] == 0
    assert ok(api_for("community_b_secretary").get(RECEIVED))["count"] == 0
    # State filter and strict values.
    api = api_for("branch_secretary")
    assert ok(api.get(RECEIVED, {"state": "confirmed"}))["count"] == 1
    assert ok(api.get(RECEIVED, {"state": "unread"}))["count"] == 0
    assert api.get(RECEIVED, {"state": "maybe"}).status_code == 400
    # Reading through the API does not mark anything opened.
    assert NoticeReceipt.objects.filter(notice=notice, opened_at__isnull=False).count() == 1


def test_the_receipts_list_runs_the_same_queries_for_2_or_20_branches(api_for, cast):
    api = api_for("district_staff")
    api.get(SENT)

    def notice_with(n, title):
        for i in range(n):
            f.branch(organization=cast.community_a, name=f"{title}支部{i:02d}")
        return district_notice(cast, title=title)

    few_notice = notice_with(0, "甲")
    with CaptureQueriesContext(connection) as few:
        assert ok(api.get(f"{SENT}{few_notice.pk}/receipts/"))["count"] == 2
    many_notice = notice_with(18, "乙")
    with CaptureQueriesContext(connection) as many:
        assert ok(api.get(f"{SENT}{many_notice.pk}/receipts/"))["count"] == 20
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as sent_list:
        assert ok(api.get(SENT))["count"] == 2
    notice_with(0, "丙")
    with CaptureQueriesContext(connection) as sent_more:
        assert ok(api.get(SENT))["count"] == 3
    assert len(sent_more) == len(sent_list)
