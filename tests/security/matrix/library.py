"""Study materials: branch A's library (who covers the branch reads it) and the study
materials of branch A's held meeting (its recorders link and unlink them)."""

from activities.meetings.models import MeetingMaterial

from ...notices.study import study_material
from . import Spec
from .activities import READ_ONLY_A, RECORDERS_A, held

# can_view_structure over branch A (the system administrator keeps the structure).
LIBRARY_A = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "system_admin",
    }
)


def linked(cast):
    """branch A's held meeting with the district's study material linked."""
    meeting = held(cast)
    MeetingMaterial.objects.get_or_create(meeting=meeting, notice=study_material(cast))
    return meeting


def library_a(cast):
    study_material(cast)  # the library has an entry to show
    return {"branch_pk": cast.branch_a.pk}


def materials_state(cast):
    return list(MeetingMaterial.objects.order_by("pk").values_list("meeting_id", "notice_id"))


SPECS = [
    Spec(
        "activities:library",
        kwargs=library_a,
        ok=LIBRARY_A,
    ),
    Spec(
        "activities:material_link",
        kwargs=lambda c: {"pk": held(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"notice": study_material(c).pk},
        state=materials_state,
    ),
    Spec(
        "activities:material_unlink",
        kwargs=lambda c: {"pk": linked(c).pk, "notice_pk": study_material(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {},
        state=materials_state,
    ),
]
