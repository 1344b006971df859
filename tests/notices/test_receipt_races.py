"""Two confirmations of the same receipts at once (a double click on two devices), two
reminder requests, two forwards: on PostgreSQL, with real concurrent transactions, one
does the work and the other nothing (no second audit entry, round or forward)."""

import threading

import pytest
from django.db import connection

from accounts.models import AuditEntry
from notices import receipts
from notices.models import NoticeReceipt, NoticeReminder

from .receipts_helpers import send_notice

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db(transaction=True)]


def at_once(work, n=2):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # the caller asserts on them
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_confirmations_at_once_confirm_once(cast):
    notice = send_notice(sender=cast.district_a, audience=[cast.community_a])
    secretary = cast.user("community_secretary")
    before = AuditEntry.objects.count()

    def confirm():
        mine = NoticeReceipt.objects.answerable_by(secretary).filter(notice=notice)
        return receipts.confirm(receipts=mine, user=secretary)

    results, errors = at_once(confirm)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert AuditEntry.objects.count() == before + 1


def test_two_reminder_requests_from_the_same_page_make_one_round(cast):
    notice = send_notice(sender=cast.district_a, audience=[cast.community_a])
    district = cast.user("district_staff")

    def remind():
        return receipts.remind(notice=notice, user=district, seen_round=0)

    results, errors = at_once(remind)
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], receipts.ReceiptError)
    assert NoticeReminder.objects.count() == 1


def test_two_forwards_from_the_same_node_at_once_make_one(cast):
    from notices.models import Notice

    notice = send_notice(sender=cast.district_a, audience=[cast.street_a])
    street = cast.user("street_staff")

    def forward():
        return receipts.forward(
            notice=notice,
            user=street,
            node=cast.street_a,
            note="请各社区落实",
            audience=[cast.street_a],
            deadline=None,
            files=[],
        )

    results, errors = at_once(forward)
    assert len(results) == 1 and len(errors) == 1
    assert "已转发过" in str(errors[0])
    assert Notice.objects.filter(root=notice).count() == 1
