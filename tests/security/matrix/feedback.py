"""Feedback reports (双向联系反馈表) x roles, on unit_a's letters to community_a (district A).

Reading a community's letters: can_view_unit_work over its path (the city, district
A, street A, community A); the unit's liaison reads the letters sent to unit_a, never
a draft. Generating, reviewing, sending and marking a reply read: the community's
secretary (can_send_feedback). Acknowledging: the unit's liaison (can_answer_feedback).
The district's runs: read with can_view_unit_work over the district, started by its
staff (can_run_feedback_batch). Objects are found by unit and community, so the
district-B sweep (tests/branches/test_scope.py) finds or makes unit_b's letters to
community_b.
"""

from django.utils import timezone

from units.feedback.models import FeedbackLetter, FeedbackRun, LetterState

from . import Spec

AREA_A = frozenset({"city_admin", "district_staff", "street_staff", "community_secretary"})
SENDERS = frozenset({"community_secretary"})
AREA_READERS_ONLY = AREA_A - SENDERS
LIAISON = frozenset({"unit_liaison"})
DISTRICT_A = frozenset({"city_admin", "district_staff"})


def _letter(cast, year, half, **fields):
    found = FeedbackLetter.objects.filter(
        unit=cast.unit_a, community=cast.community_a, year=year, half=half
    ).first()
    return found or FeedbackLetter.objects.create(
        unit=cast.unit_a, community=cast.community_a, year=year, half=half, **fields
    )


def draft(cast):
    """Reviewed, so that sending it goes through."""
    return _letter(cast, 2026, 1, reviewed_at=timezone.now())


def sent(cast):
    return _letter(cast, 2025, 2, state=LetterState.SENT, sent_at=timezone.now())


def acknowledged(cast):
    now = timezone.now()
    return _letter(
        cast,
        2025,
        1,
        state=LetterState.ACKNOWLEDGED,
        sent_at=now,
        acknowledged_at=now,
        reply="收到，谢谢社区",
        replied_at=now,
    )


def _state(make):
    def state(cast):
        letter = FeedbackLetter.objects.get(pk=make(cast).pk)
        return (
            letter.state,
            letter.version,
            letter.remarks,
            letter.reviewed_at,
            letter.reply_read_at,
        )

    return state


def run(cast):
    found = FeedbackRun.objects.filter(district=cast.district_a).first()
    return found or FeedbackRun.objects.create(district=cast.district_a, year=2025, half=2)


SPECS = [
    Spec("feedback:community", kwargs=lambda c: {"pk": c.community_a.pk}, ok=AREA_A),
    Spec(
        "feedback:generate",
        kwargs=lambda c: {"pk": c.community_a.pk, "unit_pk": c.unit_a.pk, "year": 2026, "half": 1},
        ok=SENDERS,
        forbidden=AREA_READERS_ONLY,
        post=lambda c: {},
        state=lambda c: sorted(
            FeedbackLetter.objects.filter(unit=c.unit_a).values_list("pk", "version")
        ),
    ),
    Spec("feedback:letter", kwargs=lambda c: {"pk": sent(c).pk}, ok=AREA_A | LIAISON),
    Spec(
        "feedback:letter",
        case="draft",
        kwargs=lambda c: {"pk": draft(c).pk},
        ok=AREA_A,
    ),
    Spec(
        "feedback:review",
        kwargs=lambda c: {"pk": draft(c).pk},
        ok=SENDERS,
        forbidden=AREA_READERS_ONLY,
        post=lambda c: {"version": draft(c).version, "remarks": "矩阵审核"},
        state=_state(draft),
    ),
    Spec(
        "feedback:send",
        kwargs=lambda c: {"pk": draft(c).pk},
        ok=SENDERS,
        forbidden=AREA_READERS_ONLY,
        post=lambda c: {"version": draft(c).version},
        state=_state(draft),
    ),
    Spec(
        "feedback:reply_read",
        kwargs=lambda c: {"pk": acknowledged(c).pk},
        ok=SENDERS,
        forbidden=AREA_READERS_ONLY | LIAISON,
        post=lambda c: {},
        state=_state(acknowledged),
    ),
    Spec(
        "feedback:acknowledge",
        kwargs=lambda c: {"pk": sent(c).pk},
        ok=LIAISON,
        forbidden=AREA_A,
        post=lambda c: {"reply": "已收到"},
        state=_state(sent),
    ),
    Spec("feedback:unit_letters", ok=LIAISON),
    Spec("feedback:runs", kwargs=lambda c: {"pk": c.district_a.pk}, ok=DISTRICT_A),
    Spec(
        "feedback:run_start",
        kwargs=lambda c: {"pk": c.district_a.pk},
        ok=frozenset({"district_staff"}),
        forbidden=frozenset({"city_admin"}),
        post=lambda c: {"year": "2026", "half": "1"},
        state=lambda c: FeedbackRun.objects.filter(district=c.district_a).count(),
    ),
    Spec("feedback:run", kwargs=lambda c: {"pk": run(c).pk}, ok=DISTRICT_A),
]
