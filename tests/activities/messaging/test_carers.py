"""Carers (结对人) in care reminders: the secretaries' item names them; with
REMINDER_CARE_SMS_TO_CARERS a carer who is a member with a phone and no portal account
gets one SMS a week while the member is overdue. No sensitive field in either text."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.care.models import CareNeed, Carer
from activities.messaging import sender as reminder_sender
from activities.messaging import sweep
from activities.messaging.channels import LoggingSmsBackend
from activities.messaging.models import (
    DeliveryState,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderState,
)

from .conftest import NOW, TODAY, add_member, days, prefer

pytestmark = pytest.mark.django_db

SENSITIVE = ("13812345678", "13600003333", "解放路", "卧床", "糖尿病", "女儿")


@pytest.fixture
def need(cast):
    """赵德明 (member_a, phone 13812345678) overdue for a visit since 2026-03-08, with a
    lead carer who is a member without an account and a helper with an account."""
    need = CareNeed.objects.create(
        member=cast.member_a,
        interval_days=30,
        started_on=TODAY - days(40),
        care_note="糖尿病，卧床",
    )
    wang = add_member(branch=cast.branch_a, name="王秀兰", phone="13600003333")
    Carer.objects.create(
        need=need, name="王阿姨", relation="女儿", is_lead=True, helper_member=wang
    )
    Carer.objects.create(need=need, name="李明", user=cast.user("street_staff"))
    return need


def care_items():
    return Reminder.objects.filter(kind=ReminderKind.CARE_OVERDUE)


def notices():
    return Reminder.objects.filter(kind=ReminderKind.CARE_NOTICE)


def test_the_secretaries_item_names_the_carers_and_nothing_sensitive(cast, need):
    sweep.sweep(now=NOW)
    [title] = set(care_items().values_list("title", flat=True))
    assert "赵德明" in title
    assert "结对人：王阿姨（主要结对人）、李明（结对人）" in title
    assert not any(s in title for s in SENSITIVE)
    assert not notices().exists()  # SMS to carers is off by default


def test_an_item_says_when_nobody_is_assigned(cast):
    CareNeed.objects.create(member=cast.member_a, interval_days=30, started_on=TODAY - days(40))
    sweep.sweep(now=NOW)
    assert "尚未安排结对人" in care_items().first().title


def test_a_carer_without_an_account_gets_one_sms_a_week(cast, need, settings):
    settings.REMINDER_CARE_SMS_TO_CARERS = True
    Carer.objects.create(need=need, name="邻居老周")  # no member, no phone: not texted
    nophone = add_member(branch=cast.branch_a, name="无手机党员")
    Carer.objects.create(need=need, name="无手机党员", helper_member=nophone)
    sweep.sweep(now=NOW)
    sweep.sweep(now=NOW + days(1))  # same week: nothing new
    [notice] = notices()
    wang = need.carers.get(is_lead=True).helper_member
    assert (notice.member_id, notice.recipient_id) == (wang.pk, None)
    assert (notice.subject, notice.period, notice.state) == (
        f"care:{need.pk}",
        "2026-W12",
        ReminderState.PENDING,
    )
    result = reminder_sender.send_due()
    assert (result.sent, result.deliveries) == (1, 1)
    [sms] = LoggingSmsBackend.outbox
    assert sms["phone"] == "13600003333" and sms["key"] == f"reminder-{notice.pk}-sms"
    assert sms["text"] == "【党支部】王秀兰同志：请于本周探访赵德明（应于3月8日前探访）。"
    assert not any(s in sms["text"] for s in SENSITIVE if s != "13600003333")
    assert ReminderDelivery.objects.get(reminder=notice).state == DeliveryState.DELIVERED
    # Still overdue next week: once more.
    sweep.sweep(now=NOW + days(7))
    assert notices().count() == 2
    # Visited: no more.
    need.member.care_visits.create(visited_on=TODAY + days(7), kind="routine", visitors="王")
    sweep.sweep(now=NOW + days(14))
    assert notices().count() == 2


def test_a_carer_notice_is_never_in_a_digest_and_never_resolved(cast, need, settings):
    settings.REMINDER_CARE_SMS_TO_CARERS = True
    prefer(cast.user("community_secretary"))
    sweep.sweep(now=NOW)
    digest = Reminder.objects.get(kind=ReminderKind.DIGEST)
    assert set(digest.items.values_list("kind", flat=True)) >= {ReminderKind.CARE_OVERDUE}
    assert not digest.items.filter(kind=ReminderKind.CARE_NOTICE).exists()
    need.member.care_visits.create(visited_on=TODAY, kind="routine", visitors="王")
    sweep.sweep(now=NOW + days(1))
    assert notices().get().resolved_at is None
    assert not care_items().filter(resolved_at__isnull=True).exists()


def test_the_digest_by_real_smtp_names_the_carer(cast, need, smtp):
    prefer(cast.user("community_secretary"))
    sweep.sweep(now=NOW)
    reminder_sender.send_due()
    [mail] = smtp.raw
    body = mail.get_body(("plain",)).get_content()
    assert "王阿姨（主要结对人）" in body
    assert not any(s in body for s in SENSITIVE)


def count_queries():
    with CaptureQueriesContext(connection) as queries:
        sweep.sweep(now=NOW, digests=False)
    return len(queries)


def test_carers_and_their_notices_cost_no_query_per_need(cast, settings):
    settings.REMINDER_CARE_SMS_TO_CARERS = True

    def grow(n):
        for _ in range(n):
            member = add_member(branch=cast.branch_a)
            need = CareNeed.objects.create(
                member=member, interval_days=30, started_on=TODAY - days(40)
            )
            helper = add_member(branch=cast.branch_a, phone="13600004444")
            Carer.objects.create(need=need, name="帮手", is_lead=True, helper_member=helper)
            Carer.objects.create(need=need, name="邻居")

    grow(1)
    small = count_queries()
    Reminder.objects.all().delete()
    grow(15)
    large = count_queries()
    assert notices().count() == 16
    assert small == large, (small, large)


def test_erasing_a_carer_removes_the_reminders_that_name_them(cast, need, settings):
    from django.db import transaction

    from members.erasure import member_erase

    settings.REMINDER_CARE_SMS_TO_CARERS = True
    sweep.sweep(now=NOW)
    wang = need.carers.get(is_lead=True).helper_member
    assert care_items().exists() and notices().exists()
    with transaction.atomic():
        member_erase(member=wang, actor=None)
    assert not care_items().exists() and not notices().exists()
