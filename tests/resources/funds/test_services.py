"""The rules of funds: amounts, the threshold, the balance, closing a year, corrections,
and two spendings at once on PostgreSQL."""

import datetime
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections

from accounts.models import AuditAction, AuditEntry
from resources.funds import selectors, services
from resources.funds.models import (
    Allocation,
    FundRule,
    Spending,
    SpendingCategory,
    SpendingState,
)
from resources.funds.services import FundsError

from ...factories import Level, org
from .conftest import D, category, grant, png, spend, this_year


def test_a_new_district_starts_with_the_default_categories(cast):
    district = org(name="南山区", level=Level.DISTRICT, parent=cast.city, code="319903")
    names = list(SpendingCategory.objects.filter(district=district).values_list("name", flat=True))
    assert names == ["学习资料", "活动场地", "走访慰问", "交通", "其他"]


def test_a_small_spending_within_the_balance_counts_at_once(cast):
    grant(cast, "1000.00")
    s = spend(cast, "120.50")
    assert s.state == SpendingState.COUNTED
    assert selectors.balance_of(cast.branch_a.pk, this_year()) == D("879.50")
    entry = AuditEntry.objects.filter(object_type="funds.spending").get()
    assert entry.action == AuditAction.CREATE


def test_a_spending_above_the_threshold_counts_only_once_approved(cast):
    grant(cast, "2000.00")
    s = spend(cast, "600.00")  # default threshold 500
    assert (s.state, s.approver_level) == (SpendingState.PENDING, "community")
    assert selectors.balance_of(cast.branch_a.pk, this_year()) == D("2000.00")
    assert list(selectors.funds_waiting(cast.user("community_secretary"))) == [s]
    assert list(selectors.funds_waiting(cast.user("street_staff"))) == [s]
    assert list(selectors.funds_waiting(cast.user("street_a2_staff"))) == []
    assert list(selectors.funds_waiting(cast.user("community_b_secretary"))) == []
    services.spending_decide(spending=s, approve=True, actor=cast.user("community_secretary"))
    s.refresh_from_db()
    assert s.state == SpendingState.APPROVED
    assert selectors.balance_of(cast.branch_a.pk, this_year()) == D("1400.00")
    with pytest.raises(FundsError, match="已经"):
        services.spending_decide(
            spending=s, approve=False, note="x", actor=cast.user("street_staff")
        )


def test_the_districts_rule_can_send_approval_to_the_street(cast):
    FundRule.objects.create(
        district=cast.district_a, threshold=D("100.00"), approver_level="street"
    )
    grant(cast, "500.00")
    s = spend(cast, "100.01")
    assert (s.state, s.approver_level) == (SpendingState.PENDING, "street")
    assert list(selectors.funds_waiting(cast.user("community_secretary"))) == []
    with pytest.raises(FundsError):
        services.spending_decide(spending=s, approve=True, actor=cast.user("community_secretary"))
    services.spending_decide(spending=s, approve=True, actor=cast.user("street_staff"))
    assert spend(cast, "100.00").state == SpendingState.COUNTED


def test_nobody_approves_their_own_spending(cast):
    grant(cast, "2000.00")
    s = spend(cast, "800.00", actor="community_secretary")
    assert list(selectors.funds_waiting(cast.user("community_secretary"))) == []
    with pytest.raises(FundsError, match="自己"):
        services.spending_decide(spending=s, approve=True, actor=cast.user("community_secretary"))


def test_beyond_the_balance_waits_and_needs_an_exception(cast):
    grant(cast, "100.00")
    s = spend(cast, "150.00")
    assert s.state == SpendingState.PENDING and s.over_balance
    with pytest.raises(FundsError, match="结余"):
        services.spending_decide(spending=s, approve=True, actor=cast.user("street_staff"))
    s.refresh_from_db()
    assert s.state == SpendingState.PENDING
    services.spending_decide(
        spending=s, approve=True, exception=True, actor=cast.user("street_staff")
    )
    s.refresh_from_db()
    assert (s.state, s.exception) == (SpendingState.APPROVED, True)
    assert selectors.balance_of(cast.branch_a.pk, this_year()) == D("-50.00")


def test_a_refusal_needs_a_reason_and_never_counts(cast):
    grant(cast, "1000.00")
    s = spend(cast, "700.00")
    with pytest.raises(FundsError):
        services.spending_decide(spending=s, approve=False, actor=cast.user("street_staff"))
    services.spending_decide(
        spending=s, approve=False, note="超出标准", actor=cast.user("street_staff")
    )
    s.refresh_from_db()
    assert s.state == SpendingState.REFUSED
    assert selectors.balance_of(cast.branch_a.pk, this_year()) == D("1000.00")


@pytest.mark.parametrize("amount", ["-5.00", "0", "1.005"])
def test_a_bad_amount_is_refused_and_nothing_is_saved(cast, amount):
    grant(cast, "100.00")
    with pytest.raises(FundsError):
        spend(cast, amount)
    with pytest.raises(FundsError):
        grant(cast, amount)
    assert Spending.objects.count() == 0
    assert Allocation.objects.count() == 1


def test_sums_are_exact_to_the_fen(cast):
    grant(cast, "0.10")
    grant(cast, "0.20")
    spend(cast, "0.10")
    spend(cast, "0.20", name="交通")
    book = selectors.branch_funds(cast.branch_a, this_year())
    assert book.allocated == D("0.30")
    assert book.spent == D("0.30")
    assert book.balance == D("0.00")
    area = selectors.area_funds(cast.district_a, this_year())
    assert (area.total.allocated, area.total.spent) == (D("0.30"), D("0.30"))
    assert [(c.name, c.amount) for c in area.by_category] == [
        ("学习资料", D("0.10")),
        ("交通", D("0.20")),
    ]


def test_a_closed_year_takes_no_entries_and_corrections_go_to_an_open_year(cast):
    last = this_year() - 1
    on = datetime.date(last, 6, 1)
    grant(cast, "300.00", year=last)
    s = spend(cast, "100.00", on=on)
    pending = spend(cast, "600.00", on=on)
    street = cast.user("street_staff")
    with pytest.raises(FundsError, match="等待审批"):
        services.year_close(street=cast.street_a, year=last, actor=street)
    services.spending_decide(spending=pending, approve=False, note="不符合", actor=street)
    services.year_close(street=cast.street_a, year=last, actor=street)
    with pytest.raises(FundsError, match="已由和平街道关闭"):
        spend(cast, "10.00", on=on)
    with pytest.raises(FundsError):
        grant(cast, "10.00", year=last)
    # The functional branch of the same street is closed too; another street's is not.
    with pytest.raises(FundsError):
        grant(cast, "10.00", branch=cast.functional_a, year=last)
    grant(cast, "10.00", branch=cast.branch_a2, year=last)
    with pytest.raises(FundsError, match="已经结账"):
        services.year_close(street=cast.street_a, year=last, actor=street)
    counter = services.spending_correct(
        spending=s, amount=D("30.00"), reason="退货", actor=cast.user("branch_secretary")
    )
    assert (counter.amount, counter.corrects_id, counter.year) == (D("-30.00"), s.pk, this_year())
    s.refresh_from_db()
    assert s.amount == D("100.00")  # never edited
    assert selectors.balance_of(cast.branch_a.pk, last) == D("200.00")


def test_a_correction_takes_back_at_most_what_is_left(cast):
    grant(cast, "300.00")
    s = spend(cast, "100.00")
    services.spending_correct(
        spending=s, amount=D("60.00"), reason="多记", actor=cast.user("branch_secretary")
    )
    with pytest.raises(FundsError):
        services.spending_correct(
            spending=s, amount=D("40.01"), reason="多记", actor=cast.user("branch_secretary")
        )
    assert selectors.balance_of(cast.branch_a.pk, this_year()) == D("260.00")


def test_the_same_form_sent_twice_writes_once(cast):
    nonce = uuid.uuid4()
    args = dict(
        branch=cast.branch_a,
        year=this_year(),
        source="bureau",
        amount=D("50.00"),
        granted_on=datetime.date(this_year(), 1, 1),
        nonce=nonce,
        actor=cast.user("district_staff"),
    )
    first = services.allocation_grant(**args)
    assert services.allocation_grant(**args) == first
    assert Allocation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_spendings_at_the_same_moment_cannot_overdraw():
    """Two transactions record 80 each against a balance of 100: the street's year row
    lock puts them one after the other, so only one counts; the other waits for an
    approval (beyond the balance)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    from ...conftest import build_cast

    cast = build_cast()
    grant(cast, "100.00")
    cat = category(cast)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def record():
        try:
            barrier.wait()
            results.append(
                services.spending_record(
                    branch=cast.branch_a,
                    spent_on=datetime.date(this_year(), 1, 1),
                    amount=D("80.00"),
                    category=cat,
                    purpose="同时提交",
                    actor=cast.user("branch_secretary"),
                )
            )
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    states = sorted(s.state for s in Spending.objects.all())
    assert states == [SpendingState.COUNTED, SpendingState.PENDING]
    assert selectors.balance_of(cast.branch_a.pk, this_year()) == Decimal("20.00")


def test_the_auditor_reads_every_funds_entry_in_chinese(cast):
    import re

    from django.utils import translation

    from accounts import audit_display

    grant(cast, "700.00")
    s = spend(cast, "600.00", uploads=[(png(), "image/png")])
    services.spending_decide(spending=s, approve=True, actor=cast.user("street_staff"))
    services.spending_correct(
        spending=s, amount=D("1.00"), reason="退货", actor=cast.user("branch_secretary")
    )
    services.year_close(street=cast.street_a, year=this_year(), actor=cast.user("street_staff"))
    entries = AuditEntry.objects.filter(object_type__startswith="funds.")
    assert entries.count() == 5
    with translation.override("zh-hans"):
        labels = [
            field
            for entry in entries
            for field, _before, _after in audit_display.change_rows(entry, entry.changes)
        ]
        types = {audit_display.type_label(e.object_type) for e in entries}
    assert not [x for x in [*labels, *types] if re.search(r"[A-Za-z]{2,}", x)]


def test_two_people_changing_the_rule_at_once_get_a_conflict(cast):
    district_staff = cast.user("district_staff")
    rule = services.rule_update(
        district=cast.district_a,
        threshold=D("300.00"),
        approver_level="street",
        note="",
        version=1,
        actor=district_staff,
    )
    services.rule_update(
        district=cast.district_a,
        threshold=D("400.00"),
        approver_level="street",
        note="",
        version=rule.version,
        actor=district_staff,
    )
    with pytest.raises(FundsError, match="其他人"):
        services.rule_update(
            district=cast.district_a,
            threshold=D("200.00"),
            approver_level="community",
            note="",
            version=rule.version,  # read before the save above
            actor=cast.user("city_admin"),
        )
    assert FundRule.objects.get().threshold == D("400.00")
