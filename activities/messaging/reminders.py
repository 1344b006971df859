"""What is due, as reminders: the sweep, the daily digest, and the writes of the inbox.

`sweep()` asks one question per kind of reminder (one SQL query each, the cadence check
the six of `selectors.compliance`), whatever the number of members, and writes the
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
  (selectors.compliance: "in progress");
- care visits overdue (care_selectors.overdue_needs) and follow-ups past due: weekly;
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
sender (reminder_sender) delivers it. `prune()` deletes old finished rows (daily).
Texts are written in Chinese when the row is created (no sensitive fields: no phone, ID
number, address, health or care notes, since digests go to group chats too).
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.formats import month_day
from accounts.models import AuditAction
from activities.care.models import ActivityParticipant, CareNeed, Carer, CareVisit, FollowUp
from activities.care.selectors import decorate, overdue_needs
from activities.meetings.models import (
    ATTENDING,
    Attendance,
    MakeUp,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from activities.meetings.selectors import CellStatus, compliance
from branches.access import Role
from branches.models import Branch, Organization, StaffRole
from members.models import (
    CommitteeTerm,
    CommunityRegistration,
    Member,
    MemberStatus,
    RegistrationStatus,
)

from .models import (
    EVENT_KINDS,
    ITEM_KINDS,
    OUTBOUND_KINDS,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderState,
)

DAY = datetime.timedelta(days=1)


def setting(name: str):
    return getattr(settings, f"REMINDER_{name}")


# --- Periods and small formats ------------------------------------------------------------


def day_key(day: datetime.date) -> str:
    return day.isoformat()


def week_key(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: datetime.date) -> str:
    return f"{day.year}-{day.month:02d}"


@functools.cache
def _link_pattern(name: str, keys: tuple[str, ...]) -> str:
    placeholder = {key: 987654321 + i for i, key in enumerate(keys)}
    path = reverse(name, kwargs=placeholder)
    for key, value in placeholder.items():
        path = path.replace(str(value), "{%s}" % key)  # noqa: UP031
    return path


def _link(name: str, **kwargs) -> str:
    """reverse() for integer arguments, without resolving thousands of times a sweep."""
    return _link_pattern(name, tuple(sorted(kwargs))).format(**kwargs)


# --- Who is reminded ----------------------------------------------------------------------


class Secretaries:
    """The secretaries of every branch and community, loaded in one query.

    A branch secretary is reminded about their branch; a community secretary about the
    branches and members of the communities they cover (their node's subtree)."""

    def __init__(self, rows: Iterable[tuple]):
        self.by_branch: dict[int, set[int]] = defaultdict(set)
        self.by_path: dict[str, set[int]] = defaultdict(set)
        self.home: dict[int, str] = {}  # user -> the area of their first role
        for user_id, role, branch_id, org_path, branch_path in rows:
            if role == Role.BRANCH_SECRETARY and branch_id:
                self.by_branch[branch_id].add(user_id)
                self.home.setdefault(user_id, branch_path or "")
            elif role == Role.COMMUNITY_SECRETARY and org_path:
                self.by_path[org_path].add(user_id)
                self.home.setdefault(user_id, org_path)

    @classmethod
    def load(cls) -> Secretaries:
        rows = StaffRole.objects.filter(
            role__in=[Role.BRANCH_SECRETARY, Role.COMMUNITY_SECRETARY], user__is_active=True
        ).values_list(
            "user_id", "role", "branch_id", "organization__path", "branch__organization__path"
        )
        return cls(rows)

    def for_path(self, path: str | None) -> set[int]:
        users: set[int] = set()
        if path:
            for prefix in Organization.path_prefixes(path):
                users |= self.by_path.get(prefix, set())
        return users

    def for_branch(self, branch_id: int | None, path: str | None) -> set[int]:
        users = set(self.by_branch.get(branch_id, set())) if branch_id else set()
        return users | self.for_path(path)

    def for_member(self, member: Member) -> set[int]:
        """Over the member's home branch and community of residence. The member's
        `home_branch__organization` and `community` must be loaded."""
        branch = member.home_branch
        users = self.for_branch(member.home_branch_id, branch.organization.path if branch else None)
        return users | self.for_path(member.community.path)

    def area_of(self, user_id: int) -> str:
        return self.home.get(user_id, "")


# --- What is due --------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One thing due, for a set of recipients (users) or members (an SMS notice)."""

    kind: str
    subject: str
    period: str
    area_path: str
    title: str
    body: str = ""
    link: str = ""
    due_on: datetime.date | None = None
    recipients: frozenset[int] = frozenset()
    members: frozenset[int] = frozenset()


@dataclass
class Context:
    today: datetime.date
    now: datetime.datetime
    secretaries: Secretaries
    branch_ids: list[int] | None = None  # a targeted sweep (after a save): only these

    def only_branches(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__in": self.branch_ids}) if self.branch_ids else Q()


def _meeting_title(meeting: Meeting, today: datetime.date) -> str:
    return _("%(day)s %(branch)s %(kind)s: %(topic)s") % {
        "day": month_day(meeting.day, today),
        "branch": meeting.branch.name,
        "kind": meeting.get_kind_display(),
        "topic": meeting.topic,
    }


def due_meetings(ctx: Context) -> list[Due]:
    """Planned meetings in the next MEETING_DAYS_AHEAD days, to the secretaries. One query."""
    until = ctx.today + setting("MEETING_DAYS_AHEAD") * DAY
    meetings = (
        Meeting.objects.filter(
            status=MeetingStatus.PLANNED, planned_on__gte=ctx.today, planned_on__lte=until
        )
        .filter(ctx.only_branches("branch_id"))
        .select_related("branch__organization", "venue")
    )
    dues = []
    for m in meetings:
        when = m.start_time.strftime("%H:%M") if m.start_time else ""
        body = " · ".join(p for p in (when, m.place) if p)
        dues.append(
            Due(
                ReminderKind.MEETING_UPCOMING,
                f"meeting:{m.pk}",
                day_key(m.planned_on),
                m.branch.organization.path,
                _("Coming up: %(meeting)s") % {"meeting": _meeting_title(m, ctx.today)},
                body,
                _link("activities:meeting_detail", pk=m.pk),
                m.planned_on,
                frozenset(ctx.secretaries.for_branch(m.branch_id, m.branch.organization.path)),
            )
        )
    return dues


def due_meeting_notices(ctx: Context) -> list[Due]:
    """With MEETING_SMS_TO_MEMBERS: an SMS the day before to each member expected at a
    planned meeting (group meetings: the group; committee meetings are left to the
    secretary) who has a phone. Two queries (the meetings, then their members)."""
    if not setting("MEETING_SMS_TO_MEMBERS"):
        return []
    tomorrow = ctx.today + DAY
    meetings = list(
        Meeting.objects.filter(
            status=MeetingStatus.PLANNED, planned_on__gte=ctx.today, planned_on__lte=tomorrow
        )
        .exclude(kind=MeetingKind.COMMITTEE)
        .filter(ctx.only_branches("branch_id"))
        .select_related("branch__organization", "venue")
    )
    if not meetings:
        return []
    members = defaultdict(list)  # branch -> [(member id, group id)]
    for pk, branch_id, group_id in (
        Member.objects.filter(
            status=MemberStatus.ACTIVE, home_branch_id__in={m.branch_id for m in meetings}
        )
        .exclude(phone="")
        .values_list("pk", "home_branch_id", "party_group_id")
    ):
        members[branch_id].append((pk, group_id))
    dues = []
    for m in meetings:
        wanted = frozenset(
            pk
            for pk, group_id in members[m.branch_id]
            if m.kind != MeetingKind.GROUP or group_id == m.party_group_id
        )
        when = m.start_time.strftime("%H:%M") if m.start_time else ""
        text = _("%(branch)s holds a %(kind)s on %(day)s %(time)s at %(place)s. Please attend.") % {
            "branch": m.branch.name,
            "kind": m.get_kind_display(),
            "day": month_day(m.planned_on, ctx.today),
            "time": when,
            "place": m.place or _("the usual place"),
        }
        dues.append(
            Due(
                ReminderKind.MEETING_NOTICE,
                f"meeting:{m.pk}",
                day_key(m.planned_on),
                m.branch.organization.path,
                text,
                "",
                "",
                m.planned_on,
                members=wanted,
            )
        )
    return dues


def due_attendance(ctx: Context) -> list[Due]:
    """Meetings whose planned day is ATTENDANCE_AFTER_DAYS or more days past (within the
    last 90) still not recorded as held, or held with no attendance lines. One query."""
    cutoff = ctx.today - setting("ATTENDANCE_AFTER_DAYS") * DAY
    oldest = ctx.today - 90 * DAY
    lines = Attendance.objects.filter(meeting=OuterRef("pk"))
    meetings = (
        Meeting.objects.filter(
            Q(status=MeetingStatus.PLANNED, planned_on__lte=cutoff, planned_on__gte=oldest)
            | (
                Q(status=MeetingStatus.HELD, held_on__lte=cutoff, held_on__gte=oldest)
                & ~Exists(lines)
            )
        )
        .filter(ctx.only_branches("branch_id"))
        .select_related("branch__organization")
    )
    return [
        Due(
            ReminderKind.ATTENDANCE_MISSING,
            f"meeting:{m.pk}",
            week_key(ctx.today),
            m.branch.organization.path,
            _("Attendance not recorded: %(meeting)s (%(days)d days ago)")
            % {"meeting": _meeting_title(m, ctx.today), "days": (ctx.today - m.day).days},
            _("Record who attended, or cancel the meeting if it did not take place."),
            _link("activities:meeting_record", pk=m.pk),
            m.day,
            frozenset(ctx.secretaries.for_branch(m.branch_id, m.branch.organization.path)),
        )
        for m in meetings
    ]


def due_cadence(ctx: Context) -> list[Due]:
    """Cadence periods ending soon and not met. One query for the branches, then the six
    of selectors.compliance over all of them at once."""
    days_left = setting("CADENCE_DAYS_LEFT")
    branches = list(
        Branch.objects.active(ctx.today)
        .filter(ctx.only_branches("pk"))
        .select_related("organization")
    )
    cells = compliance(branches, ctx.today, ctx.today, today=ctx.today)
    by_pk = {b.pk: b for b in branches}
    dues = []
    for branch_id, by_kind in cells.items():
        branch = by_pk[branch_id]
        for kind, kind_cells in by_kind.items():
            for cell in kind_cells:
                left = (cell.span.end - ctx.today).days
                if cell.status != CellStatus.IN_PROGRESS or left > days_left.get(
                    cell.span.period, 0
                ):
                    continue
                dues.append(
                    Due(
                        ReminderKind.CADENCE_AT_RISK,
                        f"cadence:{branch_id}:{kind}:{cell.span.start.isoformat()}",
                        day_key(cell.span.start),
                        branch.organization.path,
                        _("%(branch)s: %(kind)s for %(period)s still needs %(n)d (by %(end)s)")
                        % {
                            "branch": branch.name,
                            "kind": MeetingKind(kind).label,
                            "period": cell.span.label,
                            "n": cell.required - cell.counted,
                            "end": month_day(cell.span.end, ctx.today),
                        },
                        _("Held %(held)d, required %(required)d.")
                        % {"held": cell.counted, "required": cell.required},
                        _link("activities:branch_compliance", branch_pk=branch_id),
                        cell.span.end,
                        frozenset(ctx.secretaries.for_branch(branch_id, branch.organization.path)),
                    )
                )
    return dues


def _carer_list(field_name: str, condition: Q) -> Subquery:
    """One string per need: `field_name` of its carers matching `condition`, joined by
    CARER_SEPARATOR (a correlated subquery, so the care question stays one query)."""
    return Subquery(
        Carer.objects.filter(condition, need=OuterRef("pk"))
        .order_by()
        .values("need")
        .annotate(joined=StringAgg(Cast(field_name, TextField()), Value(CARER_SEPARATOR)))
        .values("joined")
    )


CARER_SEPARATOR = "\x1f"  # never in a name typed into a form


def _split(joined: str | None) -> list[str]:
    return sorted(part for part in (joined or "").split(CARER_SEPARATOR) if part)


def carers_text(lead: str | None, helpers: list[str]) -> str:
    """ "王阿姨（主要结对人）、李明（结对人）": names and their part only (no phone, no
    relation to the member: digests go to group chats too)."""
    names = [_("%(name)s (lead carer)") % {"name": lead}] if lead else []
    names += [_("%(name)s (carer)") % {"name": name} for name in helpers]
    return _(", ").join(names)


def due_care_visits(ctx: Context) -> list[Due]:
    """Members whose care visit is overdue (care_selectors.overdue_needs), to the
    secretaries, naming the carers responsible; with CARE_SMS_TO_CARERS also an SMS
    once a week to each carer who is a member with a phone and no portal account (a
    carer with an account sees the member on their own weekly list). One query: the
    carers come as correlated subqueries."""
    needs = CareNeed.objects.open().filter(ctx.only_branches("member__home_branch_id"))
    overdue = decorate(
        list(
            overdue_needs(needs, ctx.today)
            .annotate(
                helper_carers=_carer_list("name", Q(is_lead=False)),
                texted_carers=_carer_list(
                    "helper_member_id",
                    Q(
                        user__isnull=True,
                        helper_member__status=MemberStatus.ACTIVE,
                    )
                    & ~Q(helper_member__phone=""),
                ),
            )
            .select_related("member__home_branch__organization")
        ),
        ctx.today,
    )
    texting = setting("CARE_SMS_TO_CARERS")
    dues = []
    for need in overdue:
        member = need.member
        if need.last_visit:
            title = _("Visit overdue: %(name)s, last visited %(days)d days ago") % {
                "name": member.name,
                "days": need.days_since,
            }
        else:
            title = _("Visit overdue: %(name)s has not been visited yet") % {"name": member.name}
        carers = carers_text(need.lead_carer, _split(need.helper_carers))
        if carers:
            title += _("; carers: %(carers)s") % {"carers": carers}
        else:
            title += _("; no carer assigned")
        dues.append(
            Due(
                ReminderKind.CARE_OVERDUE,
                f"care:{need.pk}",
                week_key(ctx.today),
                member.community.path,
                title,
                _("To be visited at least every %(n)d days.") % {"n": need.interval_days},
                _link("care:member", pk=member.pk),
                need.due_on,
                frozenset(ctx.secretaries.for_member(member)),
            )
        )
        carer_members = frozenset(int(pk) for pk in _split(need.texted_carers)) - {member.pk}
        if texting and carer_members:
            # Only the member's name and the date the visit was due: an SMS may be read
            # by anyone holding the phone.
            dues.append(
                Due(
                    ReminderKind.CARE_NOTICE,
                    f"care:{need.pk}",
                    week_key(ctx.today),
                    member.community.path,
                    _("Please visit %(name)s this week (the visit was due on %(day)s).")
                    % {"name": member.name, "day": month_day(need.due_on, ctx.today)},
                    due_on=need.due_on,
                    members=carer_members,
                )
            )
    return dues


def due_follow_ups(ctx: Context) -> list[Due]:
    """Follow-ups past due, to the secretaries and the responsible account. One query.
    The matter itself is a care note: it is not repeated in the reminder."""
    items = (
        FollowUp.objects.past_due(ctx.today)
        .filter(ctx.only_branches("visit__member__home_branch_id"))
        .select_related("visit__member__community", "visit__member__home_branch__organization")
    )
    dues = []
    for item in items:
        member = item.visit.member
        users = ctx.secretaries.for_member(member)
        if item.owner_id:
            users.add(item.owner_id)
        dues.append(
            Due(
                ReminderKind.FOLLOW_UP_PAST_DUE,
                f"followup:{item.pk}",
                week_key(ctx.today),
                member.community.path,
                _("Follow-up for %(name)s past due (due %(day)s, responsible: %(owner)s)")
                % {
                    "name": member.name,
                    "day": month_day(item.due_on, ctx.today),
                    "owner": item.owner_name,
                },
                "",
                _link("care:follow_up_edit", pk=item.pk),
                item.due_on,
                frozenset(users),
            )
        )
    return dues


def _anniversary(born: datetime.date, year: int) -> datetime.date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February, marked on the 28th in other years
        return born.replace(year=year, day=28)


def _month_days(days: list[datetime.date]) -> set[tuple[int, int]]:
    pairs = {(d.month, d.day) for d in days}
    if (2, 28) in pairs:
        pairs.add((2, 29))
    return pairs


def due_greetings(ctx: Context) -> list[Due]:
    """Birthdays and political birthdays (the day the member joined the party) in the
    next GREETING_DAYS_AHEAD days, as a greeting list. One query."""
    days = [ctx.today + i * DAY for i in range(setting("GREETING_DAYS_AHEAD") + 1)]
    pairs = _month_days(days)
    birth = Q()
    party = Q()
    for month, day in pairs:
        birth |= Q(birth_date__month=month, birth_date__day=day)
        party |= Q(joined_party_on__month=month, joined_party_on__day=day)
    members = (
        Member.objects.filter(status=MemberStatus.ACTIVE)
        .filter(birth | party)
        .filter(ctx.only_branches("home_branch_id"))
        .select_related("community", "home_branch__organization")
    )
    window = set(days)
    dues = []
    for member in members:
        users = frozenset(ctx.secretaries.for_member(member))
        occasions = []
        for year in {d.year for d in days}:
            on = _anniversary(member.birth_date, year)
            if on in window:
                occasions.append(
                    (
                        "birthday",
                        on,
                        _("%(day)s: %(name)s turns %(age)d")
                        % {
                            "day": month_day(on, ctx.today),
                            "name": member.name,
                            "age": year - member.birth_date.year,
                        },
                    )
                )
            if member.joined_party_on:
                on = _anniversary(member.joined_party_on, year)
                years = year - member.joined_party_on.year
                if on in window and years > 0:
                    occasions.append(
                        (
                            "party",
                            on,
                            _(
                                "%(day)s: %(name)s's political birthday, "
                                "%(years)d years in the party"
                            )
                            % {
                                "day": month_day(on, ctx.today),
                                "name": member.name,
                                "years": years,
                            },
                        )
                    )
        for occasion, on, title in occasions:
            dues.append(
                Due(
                    ReminderKind.GREETING,
                    f"greet:{member.pk}:{occasion}",
                    day_key(on),
                    member.community.path,
                    title,
                    _("A call, a card or a visit: a good day to show the branch remembers."),
                    _link("care:member", pk=member.pk),
                    on,
                    users,
                )
            )
    return dues


def due_terms(ctx: Context) -> list[Due]:
    """Committee terms ending within TERM_ENDING_DAYS days, or ended in the last year,
    with no next term recorded. One query."""
    until = ctx.today + setting("TERM_ENDING_DAYS") * DAY
    later = CommitteeTerm.objects.filter(
        branch=OuterRef("branch"), starts_on__gt=OuterRef("starts_on")
    )
    terms = (
        CommitteeTerm.objects.filter(
            starts_on__lte=ctx.today, ends_on__lte=until, ends_on__gte=ctx.today - 365 * DAY
        )
        .exclude(Exists(later))
        .filter(Q(branch__dissolved_on__isnull=True) | Q(branch__dissolved_on__gt=ctx.today))
        .filter(ctx.only_branches("branch_id"))
        .select_related("branch__organization")
    )
    dues = []
    for term in terms:
        params = {
            "branch": term.branch.name,
            "n": term.number,
            "day": month_day(term.ends_on, ctx.today),
        }
        if term.ends_on >= ctx.today:
            title = _("%(branch)s: term %(n)d ends on %(day)s, prepare the election") % params
        else:
            title = _("%(branch)s: term %(n)d ended on %(day)s, no new term recorded") % params
        dues.append(
            Due(
                ReminderKind.TERM_ENDING,
                f"term:{term.pk}",
                month_key(ctx.today),
                term.branch.organization.path,
                title,
                "",
                _link("branches:branch_detail", pk=term.branch_id),
                term.ends_on,
                frozenset(
                    ctx.secretaries.for_branch(term.branch_id, term.branch.organization.path)
                ),
            )
        )
    return dues


def due_registrations(ctx: Context) -> list[Due]:
    """Registrations reported REGISTRATION_WAITING_DAYS or more days ago and not yet
    accepted, to the community's secretaries (who accept them). One query."""
    cutoff = ctx.today - setting("REGISTRATION_WAITING_DAYS") * DAY
    regs = CommunityRegistration.objects.filter(
        status=RegistrationStatus.REPORTED,
        reported_on__lte=cutoff,
        member__status=MemberStatus.ACTIVE,
    ).select_related("member", "community")
    if ctx.branch_ids:
        regs = regs.filter(
            community_id__in=Branch.objects.filter(pk__in=ctx.branch_ids).values("organization_id")
        )
    return [
        Due(
            ReminderKind.REGISTRATION_WAITING,
            f"registration:{reg.pk}",
            week_key(ctx.today),
            reg.community.path,
            _("%(name)s registered with %(community)s on %(day)s and waits to be accepted")
            % {
                "name": reg.member.name,
                "community": reg.community.name,
                "day": month_day(reg.reported_on, ctx.today),
            },
            "",
            _link("members:registration_list"),
            reg.reported_on,
            frozenset(ctx.secretaries.for_path(reg.community.path)),
        )
        for reg in regs
    ]


def due_no_participation(ctx: Context) -> list[Due]:
    """Members expected at held meetings in the last NO_PARTICIPATION_DAYS days who
    attended none, made none up, took part in no activity and had no care visit. One
    query (correlated EXISTS on indexed foreign keys)."""
    days = setting("NO_PARTICIPATION_DAYS")
    since = ctx.today - days * DAY
    expected = Attendance.objects.filter(
        member=OuterRef("pk"),
        meeting__status=MeetingStatus.HELD,
        meeting__held_on__gte=since,
        meeting__held_on__lte=ctx.today,
    )
    members = (
        Member.objects.filter(status=MemberStatus.ACTIVE, home_branch__isnull=False)
        .filter(ctx.only_branches("home_branch_id"))
        .filter(Exists(expected))
        .exclude(Exists(expected.filter(status__in=ATTENDING)))
        .exclude(
            Exists(MakeUp.objects.filter(attendance__member=OuterRef("pk"), made_up_on__gte=since))
        )
        .exclude(
            Exists(
                ActivityParticipant.objects.filter(
                    member=OuterRef("pk"), activity__held_on__gte=since
                )
            )
        )
        .exclude(Exists(CareVisit.objects.filter(member=OuterRef("pk"), visited_on__gte=since)))
        .select_related("community", "home_branch__organization")
    )
    return [
        Due(
            ReminderKind.NO_PARTICIPATION,
            f"member:{m.pk}",
            month_key(ctx.today),
            m.community.path,
            _("%(name)s has not taken part in %(days)d days: a call or a visit?")
            % {"name": m.name, "days": days},
            _(
                "Not a penalty: a prompt to ask how they are and whether they need help "
                "to take part."
            ),
            _link("members:member_detail", pk=m.pk),
            None,
            frozenset(ctx.secretaries.for_member(m)),
        )
        for m in members
    ]


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
    }


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
        for kind, collector in COLLECTORS.items():
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


# --- The daily digest ---------------------------------------------------------------------

DIGEST_LOOKBACK = datetime.timedelta(days=2)  # a late digest never carries old news


def build_digests(*, now: datetime.datetime | None = None, secretaries=None) -> int:
    """One digest per recipient per day, for those with an outbound channel whose digest
    time has passed today and who have items not yet in a digest. Items are linked to
    the digest in the same transaction that creates it, so the sender never sees a digest
    before its items; items that arrive after today's digest wait for tomorrow's.
    Four queries; returns the number of recipients with a new digest."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    chosen = (Q(use_email=True) | Q(use_webhook=True) | Q(use_sms=True)) & Q(
        digest_time__lte=local.time(), user__is_active=True
    )
    due_users = ReminderPreference.objects.filter(chosen).values("user_id")
    waiting = Reminder.objects.filter(
        kind__in=ITEM_KINDS,
        digest__isnull=True,
        resolved_at__isnull=True,  # done already: nothing to tell
        recipient_id__in=Subquery(due_users),
        created_at__lte=now,
        created_at__gt=now - DIGEST_LOOKBACK,
    )
    with transaction.atomic():
        users = sorted(set(waiting.values_list("recipient_id", flat=True)))
        if not users:
            return 0
        token = uuid.uuid4()
        secretaries = secretaries or Secretaries.load()
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Reminders for %(day)s") % {"day": month_day(today, today)}
        Reminder.objects.bulk_create(
            [
                Reminder(
                    kind=ReminderKind.DIGEST,
                    subject="digest",
                    recipient_id=user_id,
                    period=day_key(today),
                    area_path=secretaries.area_of(user_id),
                    title=title,
                    state=ReminderState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                    claim_token=token,  # marks the digests made by this run
                )
                for user_id in users
            ],
            ignore_conflicts=True,
        )
        fresh = Reminder.objects.filter(
            kind=ReminderKind.DIGEST,
            recipient=OuterRef("recipient"),
            period=day_key(today),
            claim_token=token,
        ).values("pk")[:1]
        # Recipients whose digest for today already went out keep their new items for
        # tomorrow (the subquery finds no fresh digest and leaves them unlinked).
        waiting.filter(recipient_id__in=users).update(digest=Subquery(fresh))
        made = Reminder.objects.filter(kind=ReminderKind.DIGEST, claim_token=token).count()
    return made


# Section order and headings of the digest, in plain words.
DIGEST_SECTIONS = [
    (ReminderKind.MEETING_UPCOMING, gettext_noop("Meetings coming up")),
    (ReminderKind.ATTENDANCE_MISSING, gettext_noop("Attendance to record")),
    (ReminderKind.CADENCE_AT_RISK, gettext_noop("Meetings still needed this period")),
    (ReminderKind.CARE_OVERDUE, gettext_noop("Care visits overdue")),
    (ReminderKind.FOLLOW_UP_PAST_DUE, gettext_noop("Follow-ups past due")),
    (ReminderKind.GREETING, gettext_noop("Birthdays and political birthdays")),
    (ReminderKind.TERM_ENDING, gettext_noop("Committee terms ending")),
    (ReminderKind.REGISTRATION_WAITING, gettext_noop("Registrations waiting")),
    (ReminderKind.NO_PARTICIPATION, gettext_noop("Members to call or visit")),
]


@dataclass
class DigestSection:
    kind: str
    heading: str
    items: list[Reminder]


def digest_sections(items: Iterable[Reminder]) -> list[DigestSection]:
    by_kind = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    sections = []
    for kind, heading in DIGEST_SECTIONS:
        if by_kind.get(kind):
            rows = sorted(by_kind[kind], key=lambda r: (r.due_on or datetime.date.max, r.pk))
            sections.append(DigestSection(kind, _(heading), rows))
    return sections


def absolute(link: str) -> str:
    return f"{setting('SITE_URL')}{link}" if link else setting("SITE_URL")


def home_branch_of(member_id: int) -> int | None:
    return Member.objects.filter(pk=member_id).values_list("home_branch_id", flat=True).first()


# --- Writes from the pages ----------------------------------------------------------------


def mark_read(*, user, reminder_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own unread items read (all of them without ids). One UPDATE.
    Resolved items are left as they are: they are no longer unread."""
    qs = Reminder.objects.mine(user).items().unread()
    if reminder_ids is not None:
        qs = qs.filter(pk__in=list(reminder_ids))
    return qs.update(read_at=timezone.now())


def retry_failed(*, reminder: Reminder, request=None) -> bool:
    """Put a failed outbound reminder back in the queue, with a fresh set of attempts
    (after the recipient fixed an address, say). Deliveries already made stay made.
    Audited: the reviewer may be district staff acting on somebody else's message."""
    with transaction.atomic():
        done = (
            Reminder.objects.filter(pk=reminder.pk, state=ReminderState.FAILED)
            .outbound()
            .update(
                state=ReminderState.PENDING,
                attempts=0,
                next_attempt_at=timezone.now(),
                last_error="",
                claim_token=None,
                lease_until=None,
            )
        )
        if done:
            # Not the title or the error: they may name a member or hold an address.
            audit.record(
                AuditAction.UPDATE,
                reminder,
                request=request,
                object_repr=f"{reminder.get_kind_display()} · {reminder.period}",
                before={"state": ReminderState.FAILED, "attempts": reminder.attempts},
                after={"state": ReminderState.PENDING, "attempts": 0},
            )
    return bool(done)


# --- Pruning ------------------------------------------------------------------------------


@dataclass
class PruneResult:
    items: int = 0  # inbox items read or resolved
    outbound: int = 0  # digests and notices sent or failed
    deliveries: int = 0  # their channel rows
    batches: int = 0

    def __str__(self):
        return (
            f"pruned items: {self.items}, outbound: {self.outbound}, "
            f"deliveries: {self.deliveries} ({self.batches} batches)"
        )


def prunable(cutoff: datetime.datetime) -> dict[str, Q]:
    """What may go once created before `cutoff`: items read or resolved (an unread open
    item stays: somebody still has to see it) and outbound rows that are finished.
    Never a row waiting to be sent or being sent."""
    return {
        "items": Q(kind__in=ITEM_KINDS, created_at__lt=cutoff)
        & (Q(read_at__isnull=False) | Q(resolved_at__isnull=False)),
        "outbound": Q(
            kind__in=OUTBOUND_KINDS,
            created_at__lt=cutoff,
            state__in=[ReminderState.SENT, ReminderState.FAILED],
        ),
    }


def prune(
    *,
    now: datetime.datetime | None = None,
    days: int | None = None,
    batch: int | None = None,
    max_batches: int | None = None,
) -> PruneResult:
    """Delete old reminders (PRUNE_AFTER_DAYS, 180 by default) in batches of PRUNE_BATCH
    rows, items first (so deleting a digest has few items left to unlink), at most
    `max_batches` batches per run (the next run goes on). Each batch is one transaction
    that locks its rows, so a failed digest being sent again by a reviewer either goes
    back to the queue first (and stays) or finds it gone. One audit entry per run that
    deleted something (counts only)."""
    now = now or timezone.now()
    days = setting("PRUNE_AFTER_DAYS") if days is None else days
    batch = batch or setting("PRUNE_BATCH")
    cutoff = now - days * DAY
    result = PruneResult()
    for name, condition in prunable(cutoff).items():
        while max_batches is None or result.batches < max_batches:
            with transaction.atomic():
                pks = list(
                    Reminder.objects.select_for_update()
                    .filter(condition)
                    .order_by("created_at", "pk")
                    .values_list("pk", flat=True)[:batch]
                )
                if not pks:
                    break
                _total, per_model = Reminder.objects.filter(condition, pk__in=pks).delete()
            result.batches += 1
            setattr(result, name, getattr(result, name) + per_model.get("activities.Reminder", 0))
            result.deliveries += per_model.get("activities.ReminderDelivery", 0)
            if len(pks) < batch:
                break
    if result.items or result.outbound:
        audit.record(
            AuditAction.DELETE,
            object_type="activities.reminder",
            object_repr=f"pruned reminders older than {days} days",
            before={"created_before": cutoff.isoformat()},
            after={
                "items": result.items,
                "outbound": result.outbound,
                "deliveries": result.deliveries,
            },
        )
    return result
