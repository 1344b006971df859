"""Batch prints (reports/prints) x roles. Printing batches is can_print_batches (district
and street staff, community secretaries) over the job's area: a job of street A is read,
followed and downloaded by district A's and street A's staff; one of community A also
by its secretary. Everyone else gets 404. The form is for anyone holding the capability
somewhere. Running inline and cancelling are POST only (tests/reports/prints/test_views.py
checks who may); the download is an audited export."""

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from reports.prints.models import PrintJob, PrintState

from . import Spec

PRINTERS = frozenset(
    {
        "district_staff",
        "street_staff",
        "community_secretary",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
STREET_A = frozenset({"district_staff", "street_staff"})
COMMUNITY_A = STREET_A | {"community_secretary"}


def _job(node, user, **fields):
    found = PrintJob.objects.filter(node=node, state=fields.get("state", PrintState.QUEUED))
    return found.first() or PrintJob.objects.create(
        node=node, user=user, kind="ledger", params={"year": 2026}, **fields
    )


def queued(cast):
    return _job(cast.street_a, cast.user("street_staff"))


def of_community(cast):
    return _job(cast.community_a, cast.user("community_secretary"))


def done(cast):
    existing = PrintJob.objects.filter(node=cast.street_a, state=PrintState.DONE).first()
    if existing:
        return existing
    # The result lives in the default storage, like a finished job's.
    name = default_storage.save("prints/matrix/result.pdf", ContentFile(b"%PDF-1.4\n% matrix\n"))
    return _job(
        cast.street_a,
        cast.user("street_staff"),
        state=PrintState.DONE,
        file_path=name,
        file_size=18,
        total=1,
        done=1,
        contents=[{"branch": cast.branch_a.pk, "name": cast.branch_a.name, "pages": 1}],
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )


SPECS = [
    Spec(
        "prints:index",
        ok=PRINTERS,
        # The first allowed role (community_b_secretary) prints its own community.
        post=lambda c: {"kind": "roster", "node": c.community_b.pk, "output": "pdf"},
        state=lambda c: PrintJob.objects.count(),
    ),
    Spec("prints:job", kwargs=lambda c: {"pk": queued(c).pk}, ok=STREET_A),
    Spec(
        "prints:job", case="community", kwargs=lambda c: {"pk": of_community(c).pk}, ok=COMMUNITY_A
    ),
    Spec("prints:progress", kwargs=lambda c: {"pk": queued(c).pk}, ok=STREET_A),
    Spec("prints:run", kwargs=lambda c: {"pk": queued(c).pk}, everyone=405),
    Spec("prints:cancel", kwargs=lambda c: {"pk": queued(c).pk}, everyone=405),
    Spec("prints:download", kwargs=lambda c: {"pk": done(c).pk}, ok=STREET_A, exports=("",)),
]
