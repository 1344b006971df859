"""Downloads of the feedback reports (双向联系反馈表) x roles, on unit_a's letters to
community_a (翠园社区, 和平街道, 东城区).

A draft is read by the community's area (VIEW_UNIT_WORK over community_a: the city,
the district, the street, the community); a letter sent to the unit by its liaison too.
A unit's half-year (every letter sent to it) by who reads the unit: the city, the
unit's district and its liaison. Each file given out is audited once."""

from units.feedback.models import FeedbackLetter, FeedbackLine, LetterState

from . import Spec

AREA_A = frozenset({"city_admin", "district_staff", "street_staff", "community_secretary"})
UNIT_A = frozenset({"city_admin", "district_staff", "unit_liaison"})
PDF_LAYOUTS = ("layout=table", "layout=person")
SENT = (2025, 2)


def letter(cast, *, sent: bool):
    year, half = SENT if sent else (2026, 1)
    found, created = FeedbackLetter.objects.get_or_create(
        unit=cast.unit_a,
        community=cast.community_a,
        year=year,
        half=half,
        defaults={
            "state": LetterState.SENT if sent else LetterState.DRAFT,
            "remarks": "积极参加组织生活",
        },
    )
    if created:
        FeedbackLine.objects.create(
            letter=found,
            member=cast.member_a,
            name=cast.member_a.name,
            branch_name=cast.branch_a.name,
            expected=6,
            present=4,
            remote=1,
            absent=1,
            made_up=1,
            care_visits=2,
        )
    return found


def _letter_spec(*, sent: bool, fmt: str):
    return Spec(
        "feedback:letter_export",
        kwargs=lambda cast: {"pk": letter(cast, sent=sent).pk, "fmt": fmt},
        ok=AREA_A | ({"unit_liaison"} if sent else set()),
        exports=PDF_LAYOUTS if fmt == "pdf" else ("",),
        case=f"{'sent' if sent else 'draft'}-{fmt}",
    )


def _half_spec(fmt: str):
    return Spec(
        "feedback:half_export",
        kwargs=lambda cast: {
            "pk": letter(cast, sent=True).unit_id,
            "year": SENT[0],
            "half": SENT[1],
            "fmt": fmt,
        },
        ok=UNIT_A,
        exports=PDF_LAYOUTS if fmt == "pdf" else ("",),
        case=fmt,
    )


SPECS = [
    _letter_spec(sent=False, fmt="pdf"),
    _letter_spec(sent=False, fmt="xlsx"),
    _letter_spec(sent=True, fmt="pdf"),
    _letter_spec(sent=True, fmt="xlsx"),
    _half_spec("pdf"),
    _half_spec("xlsx"),
]
