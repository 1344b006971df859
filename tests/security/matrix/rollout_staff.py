"""Staff accounts in bulk (rollout/staff) x roles. A batch of role grants sits on the
import's area (the city here): the system administrators over it follow it, the
security administrators over it decide it; everyone else gets 404. Deciding and
resending are POST only (tests/rollout/staff/test_flow.py checks that neither admin can
do the other's step). The activation page answers anyone; an unknown token gets the
"link no longer works" page (410)."""

from branches.access import Role
from rollout.staff.models import GrantBatch, PendingGrant

from ...factories import user as make_user
from . import Spec

ADMINS = frozenset({"system_admin", "security_admin"})


def batch(cast):
    found = GrantBatch.objects.filter(organization=cast.city).first()
    if found:
        return found
    found = GrantBatch.objects.create(organization=cast.city, created_by=cast.user("system_admin"))
    account = make_user(username="新书记甲")
    account.is_active = False
    account.set_unusable_password()
    account.save()
    PendingGrant.objects.create(
        batch=found, excel_row=2, user=account, role=Role.BRANCH_SECRETARY, branch=cast.branch_a
    )
    return found


SPECS = [
    Spec("staff:batches", ok=ADMINS),
    Spec("staff:batch", kwargs=lambda c: {"pk": batch(c).pk}, ok=ADMINS),
    Spec("staff:decide", kwargs=lambda c: {"pk": batch(c).pk}, everyone=405),
    Spec("staff:resend", kwargs=lambda c: {"pk": batch(c).pk}, everyone=405),
    Spec(
        "staff:activate", kwargs=lambda c: {"token": "no-such-token"}, everyone=410, anonymous=410
    ),
]
