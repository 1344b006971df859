"""定期通报: district A's bulletins. Drafting needs can_send_notices and the dashboard
over the district (the city and the district); a draft is read by that side only; a
sent bulletin by everyone it reached too."""

import datetime

from notices import services
from notices.models import Notice, NoticeKind
from reports import bulletins
from reports.selectors.periods import choose_period

from . import Spec

PUBLISHERS_A = frozenset({"city_admin", "district_staff"})
STREET_A_PUBLISHERS = PUBLISHERS_A | {"street_staff"}
# A bulletin sent to district A reaches every branch there: whoever sends or answers
# notices over one of them reads it (not the system administrator, who keeps the
# structure but reads no notices: 三权分立).
REACHED_A = PUBLISHERS_A | {
    "street_staff",
    "community_secretary",
    "branch_secretary",
    "street_a2_staff",
}
DAY = datetime.date(2026, 4, 2)


def drafted(cast, period="2026-Q1"):
    found = Notice.objects.filter(
        organization=cast.district_a, kind=NoticeKind.BULLETIN, bulletin_period=period
    ).first()
    if found:
        return found
    year, quarter = period.split("-Q")
    choice = choose_period({"period": "quarter", "year": year, "quarter": quarter}, today=DAY)
    notice, _created = bulletins.draft_bulletin(
        node=cast.district_a, choice=choice, today=DAY, actor=None
    )
    return notice


def sent(cast):
    notice = drafted(cast, "2025-Q4")
    if notice.state == "draft":
        services.send(notice=notice, actor=None)
    return notice


def bulletins_state(cast):
    return list(Notice.objects.filter(kind=NoticeKind.BULLETIN).values_list("pk", flat=True))


SPECS = [
    Spec(
        "reports:bulletin_list",
        kwargs=lambda c: {"pk": c.district_a.pk},
        ok=PUBLISHERS_A,
        post=lambda c: {"period": "quarter", "year": "2026", "quarter": "1"},
        state=bulletins_state,
    ),
    Spec(
        "reports:bulletin_list",
        case="street_a",
        kwargs=lambda c: {"pk": c.street_a.pk},
        ok=STREET_A_PUBLISHERS,
    ),
    Spec("reports:bulletin", kwargs=lambda c: {"pk": drafted(c).pk}, ok=PUBLISHERS_A),
    Spec("reports:bulletin", case="sent", kwargs=lambda c: {"pk": sent(c).pk}, ok=REACHED_A),
    Spec(
        "reports:bulletin_pdf",
        kwargs=lambda c: {"pk": sent(c).pk},
        ok=REACHED_A,
        exports=("",),
    ),
]
