"""Import jobs (rollout/jobs) x roles. Importing the structure is can_import_structure
(the city administrator over the city, district staff over their district): a job of
district A is read and followed by the city administrator and district A's staff;
everyone else gets 404. The form and the blank templates are for anyone holding an
import capability somewhere. Running inline and confirming are POST only
(tests/rollout/jobs/test_jobs.py checks who may)."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from rollout.jobs.models import ImportJob, JobState

from ...rollout.conftest import upload, xlsx
from . import Spec

IMPORTERS = frozenset({"city_admin", "district_staff", "district_b_staff"})
DISTRICT_A = frozenset({"city_admin", "district_staff"})
ROWS = [("代码", "名称", "上级代码"), ("319901003", "光明街道", "319901")]


def queued(cast):
    found = ImportJob.objects.filter(node=cast.district_a, state=JobState.QUEUED).first()
    if found:
        return found
    path = default_storage.save("rollout/imports/matrix.xlsx", ContentFile(xlsx(ROWS)))
    return ImportJob.objects.create(
        kind="structure",
        node=cast.district_a,
        file_name="matrix.xlsx",
        file_path=path,
        created_by=cast.user("district_staff"),
    )


SPECS = [
    Spec(
        "rollout_jobs:index",
        ok=IMPORTERS | {"system_admin"},
        # The first allowed role (city_admin) imports into the city.
        post=lambda c: {"kind": "structure", "node": c.city.pk, "file": upload(ROWS)},
        state=lambda c: ImportJob.objects.count(),
    ),
    Spec("rollout_jobs:job", kwargs=lambda c: {"pk": queued(c).pk}, ok=DISTRICT_A),
    Spec("rollout_jobs:progress", kwargs=lambda c: {"pk": queued(c).pk}, ok=DISTRICT_A),
    Spec("rollout_jobs:run", kwargs=lambda c: {"pk": queued(c).pk}, everyone=405),
    Spec("rollout_jobs:confirm", kwargs=lambda c: {"pk": queued(c).pk}, everyone=405),
    Spec("rollout_jobs:template", kwargs=lambda c: {"kind": "structure"}, ok=IMPORTERS),
    # Staff accounts (rollout/staff) are the system administrator's import.
    Spec(
        "rollout_jobs:template",
        case="staff",
        kwargs=lambda c: {"kind": "staff"},
        ok=frozenset({"system_admin"}),
    ),
]
