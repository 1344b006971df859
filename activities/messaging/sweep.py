"""What is due, as reminders: the sweep, the daily digest, and the writes of the inbox.

`sweep()` asks one question per kind of reminder (one SQL query each, the cadence check
the six of `meetings.compliance`), whatever the number of members, and writes the
answers as Reminder rows with `bulk_create(ignore_conflicts=True)` on the unique key
(kind, subject, recipient, period): a second sweep, or two at once, adds nothing.

Who is reminded: the secretaries over the thing that is due, that is the users holding
`branch_secretary` for its branch and `community_secretary` for a community that covers
the branch or the member's community of residence (one query loads them all). A past-due
follow-up also goes to its responsible account.

What is due (thresholds are settings, REMINDER_*):
- a planned meeting within MEETING_DAYS_AHEAD days;
- a meeting whose planned day is ATTENDANCE_AFTER_DAYS days past and still not recorded
  as held (or held with no attendance lines): weekly until recorded or cancelled;
- a cadence period ending within CADENCE_DAYS_LEFT[period] days whose minimum is not met
  (meetings.compliance: "in progress");
- care visits overdue (care.selectors.overdue_needs) and follow-ups past due: weekly;
- birthdays and political birthdays (入党纪念日) within GREETING_DAYS_AHEAD days, as a
  greeting list;
- a committee term ending within TERM_ENDING_DAYS days (or ended) with no next term
  recorded: monthly;
- a community registration reported REGISTRATION_WAITING_DAYS days ago and not yet
  accepted: weekly;
- a member expected at meetings in the last NO_PARTICIPATION_DAYS days who attended none,
  made none up, took part in no activity and had no care visit: monthly (a prompt to call
  or visit, not a penalty);
- optionally (MEETING_SMS_TO_MEMBERS) an SMS notice to the members expected at a meeting
  the day before.

The care item names the carers (结对人); optionally (CARE_SMS_TO_CARERS) a carer who is a
member with a phone and no portal account gets an SMS once a week (modelled like the
meeting notices: a Reminder with `member`).

A full sweep also resolves the open items that are done (see `judged`): one UPDATE,
from the answers it already has. `build_digests()` then writes one digest per recipient
per day, once their digest time has passed, linking the open items it gathers; the
sender (sender.py) delivers it. `writes.prune()` deletes old finished rows (daily).
Texts are written in Chinese when the row is created (no sensitive fields: no phone, ID
number, address, health or care notes, since digests go to group chats too).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    Q,
)
from django.utils import timezone, translation

from members.models import (
    Member,
)

from .digest import build_digests
from .due import DAY, QUESTIONS, Context, Due, Secretaries
from .due_care import due_care_visits, due_follow_ups
from .due_meetings import due_attendance, due_cadence, due_meeting_notices, due_meetings
from .due_members import due_greetings, due_no_participation, due_registrations, due_terms
from .models import (
    EVENT_KINDS,
    ITEM_KINDS,
    MEMBER_NOTICE_KINDS,
    OUTBOUND_KINDS,
    MemberChannel,
    MemberMessaging,
    Reminder,
    ReminderKind,
    ReminderState,
)

# The sweep asks these in order; each is one query (the cadence check six). A question
# may answer for more than its own kind (the care question also writes carers' notices).
COLLECTORS: dict[str, Callable[[Context], list[Due]]] = {
    ReminderKind.MEETING_UPCOMING: due_meetings,
    ReminderKind.MEETING_NOTICE: due_meeting_notices,
    ReminderKind.ATTENDANCE_MISSING: due_attendance,
    ReminderKind.CADENCE_AT_RISK: due_cadence,
    ReminderKind.CARE_OVERDUE: due_care_visits,
    ReminderKind.FOLLOW_UP_PAST_DUE: due_follow_ups,
    ReminderKind.GREETING: due_greetings,
    ReminderKind.TERM_ENDING: due_terms,
    ReminderKind.REGISTRATION_WAITING: due_registrations,
    ReminderKind.NO_PARTICIPATION: due_no_participation,
}


def judged(today: datetime.date) -> dict[str, Q]:
    """Item kinds a full sweep can resolve, each with the items its question still covers.

    An open item of these kinds whose subject the question no longer finds (for anyone,
    in any period) is done: attendance recorded or the meeting cancelled, the cadence met
    or excused, the member visited, the follow-up solved, a new term recorded, the
    registration accepted, the member taking part again, a meeting coming up cancelled
    or moved. Items the question no longer looks at are left as they are: a meeting
    more than 90 days past still unrecorded, a cadence period that ended unmet, a term
    that ended over a year ago (nobody did them: they are not "done").
    Greetings are events, with nothing to do that the portal would see: they, and
    meetings coming up, are resolved once their day has passed (`EVENT_KINDS`).
    Outbound notices and digests are never resolved."""
    return {
        ReminderKind.MEETING_UPCOMING: Q(due_on__gte=today),
        ReminderKind.ATTENDANCE_MISSING: Q(due_on__gte=today - 90 * DAY),
        ReminderKind.CADENCE_AT_RISK: Q(due_on__gte=today),  # due_on: the period's end
        ReminderKind.CARE_OVERDUE: Q(),
        ReminderKind.FOLLOW_UP_PAST_DUE: Q(),
        ReminderKind.TERM_ENDING: Q(due_on__gte=today - 365 * DAY),
        ReminderKind.REGISTRATION_WAITING: Q(),
        ReminderKind.NO_PARTICIPATION: Q(),
        # The rooms above judge their own (due.register): action items closed, tasks done.
        **{kind: question.judged(today) for kind, question in QUESTIONS.items()},
    }


def collectors() -> dict[str, Callable[[Context], list[Due]]]:
    """The sweep's own questions, then those the rooms above registered (due.register)."""
    return {**COLLECTORS, **{kind: q.collector for kind, q in QUESTIONS.items()}}


# --- The sweep ----------------------------------------------------------------------------


@dataclass
class SweepResult:
    due: dict[str, int] = field(default_factory=dict)  # rows wanted per kind (new or not)
    created: int = 0  # rows that did not exist before
    inbox: int = 0  # of those, items: delivered by being in the recipient's inbox
    resolved: int = 0  # items whose condition no longer holds (or whose day passed)
    reopened: int = 0  # resolved items due again in the same period
    digests: int = 0

    def __str__(self):
        wanted = ", ".join(f"{k}={n}" for k, n in self.due.items() if n)
        return (
            f"due: {wanted or 'nothing'}; new rows: {self.created}; "
            f"resolved: {self.resolved}; reopened: {self.reopened}; digests: {self.digests}"
        )


def _rows(due: Due, now: datetime.datetime, run: uuid.UUID) -> list[Reminder]:
    outbound = due.kind in OUTBOUND_KINDS
    common = {
        "claim_token": run,  # which sweep wrote it (a sender's claim replaces it later)
        "kind": due.kind,
        "subject": due.subject,
        "period": due.period,
        "area_path": due.area_path,
        "title": due.title[:200],
        "body": due.body,
        "link": due.link,
        "sms_params": due.sms_params,
        "due_on": due.due_on,
        "created_at": now,
        "next_attempt_at": now,
        # An item is delivered by existing (the inbox); a notice waits for the sender.
        "state": ReminderState.PENDING if outbound else ReminderState.SENT,
        "sent_at": None if outbound else now,
    }
    rows = [Reminder(recipient_id=user_id, **common) for user_id in sorted(due.recipients)]
    rows += [Reminder(member_id=member_id, **common) for member_id in sorted(due.members)]
    return rows


def _wanted_by_members(rows: list[Reminder]) -> list[Reminder]:
    """Leave out the member notices their member does not want: a kind they opted out
    of, or any text when they prefer a call from the secretary and have no family
    contact. One query, only when there are member notices (an opt-out is recorded
    with the member's settings row: writes.member_messaging_save)."""
    member_ids = {r.member_id for r in rows if r.member_id}
    if not member_ids:
        return rows
    refused = set()
    for member_id, channel, family_phone, kind in MemberMessaging.objects.filter(
        member_id__in=member_ids
    ).values_list("member_id", "channel", "family_phone", "member__notice_opt_outs__kind"):
        if kind:
            refused.add((member_id, kind))
        if channel == MemberChannel.CALL and not family_phone:
            refused.update((member_id, k) for k in MEMBER_NOTICE_KINDS)
    return [r for r in rows if (r.member_id, r.kind) not in refused]


UPDATE_CHUNK = 900  # ids per UPDATE (below SQLite's oldest parameter limit)


def _set_resolved(pks: list[int], value, also: Q | None = None) -> int:
    """UPDATE resolved_at for these ids (and the rows matching `also`, in the first
    statement): one query unless thousands change at once (the first sweep after an
    upgrade)."""
    changed = 0
    chunks = [pks[i : i + UPDATE_CHUNK] for i in range(0, len(pks), UPDATE_CHUNK)] or [[]]
    for i, chunk in enumerate(chunks):
        where = Q(pk__in=chunk)
        if also is not None and i == 0:
            where |= also
        if chunk or (also is not None and i == 0):
            changed += Reminder.objects.filter(where).update(resolved_at=value)
    return changed


def sweep(
    *,
    now: datetime.datetime | None = None,
    branch_ids: list[int] | None = None,
    kinds: Iterable[str] | None = None,
    digests: bool = True,
) -> SweepResult:
    """Find what is due and write it as reminders (idempotent), resolve the items that
    are done, then the daily digests.

    Queries: 1 for the secretaries, one per kind (the cadence check six), 1 for the keys
    that exist already and the open items, 1 update resolving what is done, and when
    something is new 1 insert (one per few thousand rows) and 1 count; then those of
    build_digests. None of it grows with the number of members, meetings or branches.

    Only a full sweep (no branch_ids) resolves conditions: a targeted one sees a part of
    what is due, so it cannot tell what is done elsewhere (the next beat sweep does)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = SweepResult()
    run = uuid.uuid4()
    with translation.override(settings.LANGUAGE_CODE):
        ctx = Context(today=today, now=now, secretaries=Secretaries.load(), branch_ids=branch_ids)
        rows: list[Reminder] = []
        due_subjects: set[tuple[str, str]] = set()
        asked: set[str] = set()
        for kind, collector in collectors().items():
            if kinds is not None and kind not in kinds:
                continue
            asked.add(kind)
            for due in collector(ctx):
                if kinds is not None and due.kind not in kinds:
                    continue
                due_subjects.add((due.kind, due.subject))
                due_rows = _rows(due, now, run)
                result.due[due.kind] = result.due.get(due.kind, 0) + len(due_rows)
                rows += due_rows
        rows = _wanted_by_members(rows)
        # Which open items this sweep can judge done (a full sweep, per kind asked).
        to_judge = Q(pk__in=[])
        if branch_ids is None:
            for kind, covered in judged(today).items():
                if kind in asked:
                    to_judge |= Q(kind=kind, resolved_at__isnull=True) & covered
        # Most of what is due was due at the last sweep too: leave out the keys that
        # exist (one query over this sweep's periods, with the open items to judge)
        # rather than send them again; the unique constraints still settle a race with
        # a concurrent sweep.
        existing = set()
        wanted = {(r.kind, r.subject, r.recipient_id, r.member_id, r.period) for r in rows}
        done, again = [], []
        for pk, *key, resolved_at, judge in Reminder.objects.filter(
            Q(kind__in={r.kind for r in rows}, period__in={r.period for r in rows}) | to_judge
        ).values_list(
            "pk",
            "kind",
            "subject",
            "recipient_id",
            "member_id",
            "period",
            "resolved_at",
            ExpressionWrapper(to_judge, output_field=BooleanField()),
        ):
            key = tuple(key)
            existing.add(key)
            if resolved_at is None and judge and (key[0], key[1]) not in due_subjects:
                done.append(pk)
            elif resolved_at is not None and key in wanted:
                again.append(pk)  # done, then due again (a visit deleted, say)
        new = [
            r
            for r in rows
            if (r.kind, r.subject, r.recipient_id, r.member_id, r.period) not in existing
        ]
        if new:
            Reminder.objects.bulk_create(new, ignore_conflicts=True)
            # Rows another sweep wrote first keep its token: this counts only ours.
            counts = Reminder.objects.filter(claim_token=run).aggregate(
                created=Count("pk"), inbox=Count("pk", filter=Q(kind__in=ITEM_KINDS))
            )
            result.created, result.inbox = counts["created"], counts["inbox"]
        # One UPDATE: the items found done, and events whose day has passed.
        result.resolved = _set_resolved(
            done, now, Q(kind__in=EVENT_KINDS, resolved_at__isnull=True, due_on__lt=today)
        )
        if again:
            result.reopened = _set_resolved(again, None)
        if digests:
            result.digests = build_digests(now=now, secretaries=ctx.secretaries)
    return result


def home_branch_of(member_id: int) -> int | None:
    return Member.objects.filter(pk=member_id).values_list("home_branch_id", flat=True).first()
