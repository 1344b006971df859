"""Deterministic demo funds for seed_demo, bulk inserts only.

Every district gets the default categories; every active branch a grant from the
bureau for last year and this year (two instalments), about a third a street grant and
a unit's share; spending through the year below the threshold (counted), and in about
one branch in six a larger one waiting for approval. A handful of branches have spent
nothing; last year is closed by every street. Demo data leaves no audit rows.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from branches.models import Branch, Level, Organization

from .models import (
    Allocation,
    FundSource,
    FundYear,
    Spending,
    SpendingCategory,
    SpendingState,
)
from .services import ensure_categories

PURPOSES = {
    "学习资料": [
        "购买《习近平新时代中国特色社会主义思想学习纲要》",
        "订阅《老干部之家》",
        "打印学习材料",
    ],
    "活动场地": ["主题党日活动场地租用", "党员大会会场布置"],
    "走访慰问": ["重阳节慰问品", "春节走访慰问高龄党员", "住院党员探望"],
    "交通": ["送学上门车费", "参观红色教育基地包车"],
    "其他": ["党员政治生日贺卡", "支部活动茶水"],
}


@dataclass
class FundsSeed:
    allocations: int = 0
    spendings: int = 0


def _yuan(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def seed_funds(*, rng: random.Random, today: datetime.date | None = None) -> FundsSeed:
    today = today or timezone.localdate()
    seed = FundsSeed()
    for district in Organization.objects.filter(level=Level.DISTRICT):
        ensure_categories(district)
    categories = {}
    for c in SpendingCategory.objects.select_related("district"):
        categories.setdefault(c.district.path, []).append(c)
    branches = list(Branch.objects.active(today).select_related("organization").order_by("pk"))
    allocations, spendings = [], []
    for branch in branches:
        district_path = next(
            (p for p in categories if branch.organization.path.startswith(p)), None
        )
        if district_path is None:
            continue
        cats = categories[district_path]
        quiet = rng.random() < 0.08  # granted, nothing spent yet
        for year in (today.year - 1, today.year):
            total = _yuan(rng, 2000, 5000)
            half = (total / 2).quantize(Decimal("0.01"))
            for n, amount in enumerate((half, total - half)):
                on = datetime.date(year, 1 + 6 * n, 15)
                if on > today:
                    continue
                allocations.append(
                    Allocation(
                        branch=branch,
                        year=year,
                        source=FundSource.BUREAU,
                        amount=amount,
                        granted_on=on,
                        note="年度党建工作经费",
                    )
                )
            if rng.random() < 0.33:
                allocations.append(
                    Allocation(
                        branch=branch,
                        year=year,
                        source=FundSource.STREET,
                        amount=_yuan(rng, 500, 1500),
                        granted_on=datetime.date(year, 3, 1),
                    )
                )
            if quiet and year == today.year:
                continue
            last_day = today if year == today.year else datetime.date(year, 12, 31)
            for _ in range(rng.randrange(3, 9)):
                category = rng.choice(cats)
                on = datetime.date(year, 1, 1) + datetime.timedelta(
                    days=rng.randrange((last_day - datetime.date(year, 1, 1)).days + 1)
                )
                spendings.append(
                    Spending(
                        branch=branch,
                        year=year,
                        spent_on=on,
                        amount=_yuan(rng, 20, 480),
                        category=category,
                        purpose=rng.choice(PURPOSES.get(category.name, ["其他"])),
                        state=SpendingState.COUNTED,
                    )
                )
            if year == today.year and rng.random() < 0.17:
                spendings.append(
                    Spending(
                        branch=branch,
                        year=year,
                        spent_on=today,
                        amount=_yuan(rng, 600, 1200),
                        category=cats[1],
                        purpose="重阳节联谊活动场地及用品",
                        state=SpendingState.PENDING,
                        approver_level="community",
                    )
                )
    Allocation.objects.bulk_create(allocations, batch_size=5000)
    Spending.objects.bulk_create(spendings, batch_size=5000)
    FundYear.objects.bulk_create(
        [
            FundYear(street=street, year=today.year - 1, closed_at=timezone.now())
            for street in Organization.objects.filter(level=Level.STREET).filter(
                ~Q(fund_years__year=today.year - 1)
            )
        ],
        ignore_conflicts=True,
    )
    seed.allocations, seed.spendings = len(allocations), len(spendings)
    return seed
