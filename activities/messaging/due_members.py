"""What is due about members: greetings (birthdays, political birthdays), committee
terms ending, community registrations waiting, members not taking part."""

from __future__ import annotations

import datetime

from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.utils.translation import gettext as _

from accounts.formats import month_day
from activities.care.models import ActivityParticipant, CareVisit
from activities.meetings.models import (
    ATTENDING,
    Attendance,
    MakeUp,
    MeetingStatus,
)
from branches.models import Branch
from members.models import (
    CommitteeTerm,
    CommunityRegistration,
    Member,
    MemberStatus,
    RegistrationStatus,
)

from .due import DAY, Context, Due, day_key, month_key, page_link, setting, week_key
from .models import (
    ReminderKind,
)


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
                    page_link("care:member", pk=member.pk),
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
                page_link("branches:branch_detail", pk=term.branch_id),
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
            page_link("members:registration_list"),
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
            page_link("members:member_detail", pk=m.pk),
            None,
            frozenset(ctx.secretaries.for_member(m)),
        )
        for m in members
    ]
