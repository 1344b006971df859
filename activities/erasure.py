"""The activities' part of erasing a member (members.erasure.member_erase): every row
here about the member goes, inside the erasure's transaction. Meeting tallies are
recomputed for the months whose attendance changed (activities.meetings.summaries).

Where the member is named as a person acting — a meeting's host, recorder or lecturer,
who delivered a make-up, a care visit's visitors, a follow-up's responsible person, a
carer named without an account — the name is replaced by its masked form (张**).
Meeting minutes, decisions and attachments are the branch's record of a meeting and
may name several people: they are not searched or changed (docs/privacy).
"""

from __future__ import annotations

from django.db.models import F, Q, Value
from django.db.models.functions import Replace

from accounts.audit import masked_name

from .care.models import ActivityParticipant, CareNeed, Carer, CareVisit, FollowUp
from .meetings.models import Attendance, MakeUp, Meeting
from .messaging.models import MemberMessaging, MemberOptOut, Reminder, SmsReply
from .year_end.models import Appraisal, LifeRecord, RectificationItem, TalkPair

# Plain text fields that name the people acting (not encrypted, so found by SQL).
ACTING_PERSON_FIELDS = [
    (Meeting, ("host", "recorder", "lecturer")),
    (MakeUp, ("delivered_by",)),
    (CareVisit, ("visitors",)),
    (FollowUp, ("owner_name",)),
    (Carer, ("name",)),
    (RectificationItem, ("owner",)),
]


def _reminder_subjects(member) -> Q:
    """Reminders that name the member in their title: notices to them, and the
    secretaries' reminders about their care (or the care they give as a carer),
    follow-ups, greetings, registration and participation (see activities.messaging.due_* for
    the subjects)."""
    subjects = [f"member:{member.pk}"]
    # Care reminders name the member cared for and the carers (the member may be one).
    cared = CareNeed.objects.filter(Q(member=member) | Q(carers__helper_member=member))
    subjects += [f"care:{pk}" for pk in cared.values_list("pk", flat=True)]
    subjects += [
        f"followup:{pk}"
        for pk in FollowUp.objects.filter(visit__member=member).values_list("pk", flat=True)
    ]
    subjects += [f"registration:{pk}" for pk in member.registrations.values_list("pk", flat=True)]
    return Q(member=member) | Q(subject__in=subjects) | Q(subject__startswith=f"greet:{member.pk}:")


def erase_member(sender, member, **kwargs) -> dict[str, int]:
    from .meetings import summaries

    counts = {}
    _n, counts_by_model = Reminder.objects.filter(_reminder_subjects(member)).delete()
    counts["reminders"] = counts_by_model.get("activities.Reminder", 0)
    counts["sms_replies"] = SmsReply.objects.filter(member=member).delete()[0]  # reasons typed
    # How notices reached them: their family contact (name, phone, consent) and opt-outs.
    counts["notice_settings"] = MemberMessaging.objects.filter(member=member).delete()[0]
    counts["notice_opt_outs"] = MemberOptOut.objects.filter(member=member).delete()[0]
    counts["care_visits"] = CareVisit.objects.filter(member=member).delete()[0]
    counts["carer_pairings"] = Carer.objects.filter(helper_member=member).delete()[0]
    counts["activity_participations"] = ActivityParticipant.objects.filter(member=member).delete()[
        0
    ]
    attendance = Attendance.objects.filter(member=member)
    months = set(attendance.values_list("meeting__branch_id", "meeting__held_on"))
    counts["attendance"] = attendance.delete()[0]
    if months:
        summaries.refresh(months=months)
    # The year end: the member's talks, meeting records and appraisals go; a committee
    # member's 整改 item stays as the branch's own problem.
    counts["year_end_talks"] = TalkPair.objects.filter(Q(first=member) | Q(second=member)).delete()[
        0
    ]
    counts["year_end_records"] = LifeRecord.objects.filter(member=member).delete()[0]
    counts["appraisals"] = Appraisal.objects.filter(member=member).delete()[0]
    counts["rectification_items"] = RectificationItem.objects.filter(
        committee_member=member
    ).update(committee_member=None, source="branch")
    counts["names_masked"] = _mask_name(member.name)
    return {key: n for key, n in counts.items() if n}


def _mask_name(name: str) -> int:
    """Replace the member's name where it stands as a person acting; the rows changed
    (a field without the name is written back unchanged).
    A shorter name than two characters would match inside too many others: left."""
    if len(name) < 2:
        return 0
    masked, changed = masked_name(name), 0
    for model, fields in ACTING_PERSON_FIELDS:  # one UPDATE a model
        naming = Q()
        for field in fields:
            naming |= Q(**{f"{field}__contains": name})
        changed += model.objects.filter(naming).update(
            **{field: Replace(F(field), Value(name), Value(masked)) for field in fields}
        )
    return changed
