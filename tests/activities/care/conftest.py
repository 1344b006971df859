"""Care fixtures on the standing cast: members with needs in branch_a (community_a),
branch_a2 (community_a2, same district) and branch_b (district B), and a fixed "today".

TODAY is a Wednesday, so "this week" runs to Sunday 2026-03-22.
"""

import datetime
import itertools

import pytest

from activities.care.models import CareNeed, Carer, CareVisit, CareVisitKind
from members.models import Health, Living, Member, MemberStatus

TODAY = datetime.date(2026, 3, 18)
_ids = itertools.count(1)
NAMES = (
    "王建国 李秀英 张德明 刘玉兰 陈志伟 杨桂林 黄淑清 赵宝福 吴红梅 周海燕 徐春生 孙荣霞".split()
)


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def make_member(
    *,
    branch,
    name=None,
    health=Health.GOOD,
    living=Living.WITH_FAMILY,
    born=datetime.date(1948, 5, 1),
    status=MemberStatus.ACTIVE,
    mobility_impaired=False,
):
    n = next(_ids)
    return Member.objects.create(
        name=name or f"{NAMES[n % len(NAMES)]}{n}",
        gender="male" if n % 2 else "female",
        birth_date=born,
        id_number=f"31990119{n:010d}",
        phone="13812345678",
        address="翠园新村12号楼3单元501室",
        community=branch.organization,
        home_branch=branch,
        health=health,
        living=living,
        mobility_impaired=mobility_impaired,
        status=status,
        status_on=None if status == MemberStatus.ACTIVE else days_ago(10),
    )


def make_need(member, *, interval=30, started=None, note="", **reasons):
    return CareNeed.objects.create(
        member=member,
        interval_days=interval,
        started_on=started or days_ago(365),
        care_note=note,
        **reasons,
    )


def visit(member, *, ago, kind=CareVisitKind.ROUTINE, **fields):
    fields.setdefault("visitors", "张书记")
    return CareVisit.objects.create(member=member, visited_on=days_ago(ago), kind=kind, **fields)


def carer(need, *, user=None, name="张书记", lead=False):
    return Carer.objects.create(need=need, user=user, name=name, is_lead=lead)


@pytest.fixture
def today(monkeypatch):
    """Pin timezone.localdate() (views and services read it) to TODAY."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY
