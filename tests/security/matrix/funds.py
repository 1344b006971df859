"""Funds (经费) x roles, on branch_a (翠园社区, 和平街道, 东城区).

Reading a branch's funds needs can_view_funds over it (the area roles above it and its
branch secretary) or being the liaison of a unit whose retirees belong to it (unit_a:
member_a). Granting: the district's staff, and the unit liaison for the unit's share.
Recording spending and counter-entries: the community and branch secretaries.
Deciding a pending spending: the community secretary or the street's staff (the
default rule lets the community decide). Closing a year: the street. The district's
rule: who edits rules over the district (the district's staff, the city).
"""

import datetime
import io
import uuid
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from resources.funds.models import (
    Allocation,
    FundRule,
    FundYear,
    Receipt,
    Spending,
    SpendingCategory,
    SpendingState,
)

from . import Spec

READERS = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "unit_liaison",
    }
)
GRANTERS = frozenset({"district_staff", "unit_liaison"})
RECORDERS = frozenset({"community_secretary", "branch_secretary"})
APPROVERS_A = frozenset({"community_secretary", "street_staff"})
APPROVERS = APPROVERS_A | {"community_b_secretary", "street_a2_staff"}
STREET_A_READERS = frozenset({"city_admin", "district_staff", "street_staff"})
SHEET_FORMATS = ("", "format=pdf", "format=xlsx")


def _year():
    return timezone.localdate().year


def _day():
    return min(datetime.date(_year(), 1, 5), timezone.localdate())


def png_file():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile("发票.png", buffer.getvalue(), content_type="image/png")


def allocation(cast):
    found = Allocation.objects.filter(branch=cast.branch_a, corrects__isnull=True).first()
    return found or Allocation.objects.create(
        branch=cast.branch_a,
        year=_year(),
        source="bureau",
        amount=Decimal("1000.00"),
        granted_on=_day(),
        granted_by_node=cast.district_a,
    )


def _spending(cast, purpose, amount, state):
    allocation(cast)
    found = Spending.objects.filter(branch=cast.branch_a, purpose=purpose).first()
    return found or Spending.objects.create(
        branch=cast.branch_a,
        year=_year(),
        spent_on=_day(),
        amount=Decimal(amount),
        category=SpendingCategory.objects.get(district=cast.district_a, name="学习资料"),
        purpose=purpose,
        state=state,
        approver_level="community" if state == SpendingState.PENDING else "",
        created_by=cast.user("branch_secretary"),
    )


def counted(cast):
    return _spending(cast, "矩阵学习资料", "120.00", SpendingState.COUNTED)


def pending(cast):
    return _spending(cast, "矩阵场地租金", "600.00", SpendingState.PENDING)


def receipt(cast):
    s = counted(cast)
    found = Receipt.objects.filter(spending=s).first()
    return found or Receipt.objects.create(
        spending=s, file=png_file(), original_name="发票.png", content_type="image/png", size=70
    )


def allocations(cast):
    return sorted(Allocation.objects.values_list("pk", "amount"))


def spendings(cast):
    return sorted(Spending.objects.values_list("pk", "state", "amount"))


SPECS = [
    Spec("funds:branch", kwargs=lambda c: {"branch_pk": c.branch_a.pk}, ok=READERS),
    Spec(
        "funds:branch_usage",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=READERS,
        exports=SHEET_FORMATS,
    ),
    Spec(
        "funds:allocation_add",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=GRANTERS,
        forbidden=READERS - GRANTERS,
        post=lambda c: {
            "year": str(_year()),
            "source": "bureau",
            "amount": "300.50",
            "granted_on": _day().isoformat(),
            "nonce": str(uuid.uuid4()),
        },
        state=allocations,
    ),
    Spec(
        "funds:spending_add",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=RECORDERS,
        forbidden=READERS - RECORDERS,
        post=lambda c: {
            "spent_on": _day().isoformat(),
            "amount": "35.80",
            "category": SpendingCategory.objects.get(district=c.district_a, name="交通").pk,
            "purpose": "送学上门车费",
            "receipts": png_file(),
            "nonce": str(uuid.uuid4()),
        },
        state=spendings,
    ),
    Spec(
        "funds:allocation_correct",
        kwargs=lambda c: {"pk": allocation(c).pk},
        ok=frozenset({"district_staff"}),
        forbidden=READERS - {"district_staff"},
        post=lambda c: {"amount": "10.00", "reason": "多拨", "nonce": str(uuid.uuid4())},
        state=allocations,
    ),
    Spec("funds:spending", kwargs=lambda c: {"pk": pending(c).pk}, ok=READERS),
    Spec(
        "funds:spending_decide",
        kwargs=lambda c: {"pk": pending(c).pk},
        ok=APPROVERS_A,
        forbidden=READERS - APPROVERS_A,
        post=lambda c: {"decision": "approve"},
        state=spendings,
    ),
    Spec(
        "funds:spending_correct",
        kwargs=lambda c: {"pk": counted(c).pk},
        ok=RECORDERS,
        forbidden=READERS - RECORDERS,
        post=lambda c: {"amount": "20.00", "reason": "退货", "nonce": str(uuid.uuid4())},
        state=spendings,
    ),
    Spec("funds:receipt", kwargs=lambda c: {"pk": receipt(c).pk}, ok=READERS, exports=("",)),
    Spec("funds:waiting", ok=APPROVERS),
    Spec("funds:area", kwargs=lambda c: {"pk": c.street_a.pk}, ok=STREET_A_READERS),
    Spec(
        "funds:area",
        case="community",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=STREET_A_READERS | {"community_secretary"},
    ),
    Spec(
        "funds:area_usage",
        kwargs=lambda c: {"pk": c.street_a.pk},
        ok=STREET_A_READERS,
        exports=SHEET_FORMATS,
    ),
    Spec(
        "funds:year_close",
        kwargs=lambda c: {"pk": c.street_a.pk},
        ok=frozenset({"street_staff"}),
        forbidden=STREET_A_READERS - {"street_staff"},
        post=lambda c: {"confirm": "on"},
        state=lambda c: list(FundYear.objects.values_list("street_id", "year", "closed_at")),
    ),
    Spec(
        "funds:rule",
        kwargs=lambda c: {"pk": c.district_a.pk},
        ok=frozenset({"city_admin", "district_staff"}),
        post=lambda c: {"threshold": "300.00", "approver_level": "street", "note": "区文件"},
        state=lambda c: list(FundRule.objects.values_list("district_id", "threshold")),
    ),
]
