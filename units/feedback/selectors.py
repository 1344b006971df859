"""Reads of the feedback reports: a letter's lines computed from the data, who reads which
letter, the community's list of units, the liaison's letters, the workbench section.

Who is on a unit's letter to a community for a half-year (`unit_members`):
- every active retiree of the unit whose live registration (accepted or notified) is
  with that community; and
- every retiree of the unit who left (moved away or died) on or after the half's first
  day, lived in that community and was expected at a held meeting of the half: the
  unit hears about the months they still took part. Those who left without any
  meeting in the half are left out (there is nothing to report), and so are
  registrations only reported (the community has not placed them yet).

A line's meeting figures are the attendance report's (activities.meetings.ledgers.
attendance_report) summed over every branch the person was expected at in the half, so
a move between branches mid-period neither drops nor doubles a meeting.

What a unit may read of care (docs/privacy/data-inventory.md): how many visits, their
kinds in neutral words (a sick visit or a hardship visit reads as a visit, so a kind
never tells of illness or money), how many problems were raised and how many solved.
Never health, care reasons, visit summaries or the problems' text.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, Case, Count, Exists, F, OuterRef, Q, Subquery, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.care.models import CareVisit, CareVisitKind, FollowUp, FollowUpState
from activities.meetings.models import Attendance, MeetingStatus
from activities.meetings.selectors import Tally, tally_annotations, tally_from
from branches.access import (
    ANSWER_FEEDBACK,
    RUN_FEEDBACK_BATCH,
    SEND_FEEDBACK,
    VIEW_UNIT_WORK,
    scope_for,
)
from branches.models import Organization, OriginalUnit
from members.models import (
    REGISTERED,
    CommunityRegistration,
    Member,
    MemberStatus,
    Recognition,
    ServiceRole,
)

from .models import FeedbackLetter, FeedbackRun, Half, LetterState, half_span

# Care visit kinds in the words a unit may read; the others read as a plain visit.
VISIT_WORDS = {
    CareVisitKind.HOME_STUDY: gettext_lazy("study at home"),
    CareVisitKind.FESTIVAL: gettext_lazy("holiday greetings"),
    CareVisitKind.BIRTHDAY: gettext_lazy("birthday greetings"),
    CareVisitKind.PHONE: gettext_lazy("phone call"),
}
PLAIN_VISIT = gettext_lazy("visit")
FIELD_LIMIT = 300  # FeedbackLine's text columns
REPLIES_SHOWN = 5


@dataclass
class LineData:
    """One retiree's figures for one letter, before they are stored as a FeedbackLine."""

    member_id: int
    name: str
    branch_name: str
    registered_on: datetime.date | None
    tally: Tally = field(default_factory=Tally)
    care_visits: int = 0
    care_outcome: str = ""
    service_roles: str = ""
    honours: str = ""


def _clip(text: str) -> str:
    return text if len(text) <= FIELD_LIMIT else text[: FIELD_LIMIT - 1] + "…"


def unit_members(unit, year: int, half: int, community=None) -> dict[int, list[LineData]]:
    """The people on the unit's letters of a half-year, by community id (see the module's
    docstring; with `community`, only that community's). One query.

    A person's community: their live registration's (one per member) while active; the
    community they lived in once they have left."""
    start, end = half_span(year, half)
    live = CommunityRegistration.objects.filter(member=OuterRef("pk"), status__in=REGISTERED)
    met = Attendance.objects.filter(
        member=OuterRef("pk"),
        meeting__status=MeetingStatus.HELD,
        meeting__held_on__gte=start,
        meeting__held_on__lte=end,
    )
    rows = (
        Member.objects.filter(original_unit=unit)
        .filter(
            (Q(status=MemberStatus.ACTIVE) & Exists(live))
            | (
                ~Q(status=MemberStatus.ACTIVE)
                & Q(status_on__gte=start, community__isnull=False)
                & Exists(met)
            )
        )
        .annotate(
            _community=Case(
                When(
                    status=MemberStatus.ACTIVE,
                    then=Subquery(live.order_by("-reported_on", "-pk").values("community_id")[:1]),
                ),
                default=F("community_id"),
                output_field=BigIntegerField(),
            )
        )
    )
    if community is not None:
        rows = rows.filter(_community=community.pk)
    registration = CommunityRegistration.objects.filter(
        member=OuterRef("pk"), community=OuterRef("_community")
    ).order_by("-reported_on", "-pk")
    rows = (
        rows.annotate(
            _branch=Subquery(registration.values("branch__name")[:1]),
            _accepted=Subquery(registration.values("accepted_on")[:1]),
            _reported=Subquery(registration.values("reported_on")[:1]),
        )
        .values(
            "pk", "name", "home_branch__name", "_community", "_branch", "_accepted", "_reported"
        )
        .order_by("name", "pk")
    )
    by_community: dict[int, list[LineData]] = {}
    for row in rows:
        by_community.setdefault(row["_community"], []).append(
            LineData(
                member_id=row["pk"],
                name=row["name"],
                branch_name=row["home_branch__name"] or row["_branch"] or "",
                registered_on=row["_accepted"] or row["_reported"],
            )
        )
    return by_community


def letter_members(unit, community, year: int, half: int) -> list[LineData]:
    """The people on one letter. One query."""
    return unit_members(unit, year, half, community).get(community.pk, [])


def _care_words(kinds: dict[str, int], raised: int, solved: int) -> str:
    counts: dict[str, int] = {}
    for kind, n in kinds.items():
        word = str(VISIT_WORDS.get(kind, PLAIN_VISIT))
        counts[word] = counts.get(word, 0) + n
    parts = [_("%(kind)s ×%(n)d") % {"kind": word, "n": n} for word, n in sorted(counts.items())]
    text = "、".join(parts)
    if raised:
        text += _("; problems raised %(raised)d, solved %(solved)d") % {
            "raised": raised,
            "solved": solved,
        }
    return text


def letter_lines(unit, community, year: int, half: int) -> list[LineData]:
    """Every line of the letter with its figures. Six queries, whatever the number of
    people, meetings, branches or visits: the people, their attendance tallies, care
    visits by kind, follow-ups, service roles, honours."""
    return unit_lines(unit, year, half, community).get(community.pk, [])


def unit_lines(unit, year: int, half: int, community=None) -> dict[int, list[LineData]]:
    """The lines of the unit's letters of a half-year, by community id (all its
    communities at once, for the district's run: the same six queries as one letter)."""
    by_community = unit_members(unit, year, half, community)
    if by_community:
        _add_figures([line for lines in by_community.values() for line in lines], year, half)
    return by_community


def _add_figures(lines: list[LineData], year: int, half: int) -> None:
    """Each line's attendance tally, care visits, service roles and honours. Five queries."""
    start, end = half_span(year, half)
    by_id = {line.member_id: line for line in lines}
    ids = list(by_id)
    tallies = (
        Attendance.objects.filter(
            member_id__in=ids,
            meeting__status=MeetingStatus.HELD,
            meeting__held_on__gte=start,
            meeting__held_on__lte=end,
        )
        .values("member_id")
        .annotate(**tally_annotations())
        .order_by()
    )
    for row in tallies:
        by_id[row["member_id"]].tally = tally_from(row)
    kinds: dict[int, dict[str, int]] = {}
    visits = (
        CareVisit.objects.filter(member_id__in=ids, visited_on__gte=start, visited_on__lte=end)
        .values("member_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in visits:
        kinds.setdefault(row["member_id"], {})[row["kind"]] = row["n"]
    problems = {
        row["visit__member_id"]: (row["raised"], row["solved"])
        for row in FollowUp.objects.filter(
            visit__member_id__in=ids, visit__visited_on__gte=start, visit__visited_on__lte=end
        )
        .values("visit__member_id")
        .annotate(raised=Count("pk"), solved=Count("pk", filter=Q(state=FollowUpState.SOLVED)))
        .order_by()
    }
    for member_id, member_kinds in kinds.items():
        line = by_id[member_id]
        line.care_visits = sum(member_kinds.values())
        line.care_outcome = _clip(_care_words(member_kinds, *problems.get(member_id, (0, 0))))
    roles: dict[int, list[str]] = {}
    for role in (
        ServiceRole.objects.filter(member_id__in=ids, starts_on__lte=end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .order_by("starts_on", "pk")
    ):
        label = role.get_kind_display()
        if role.organization_name:
            label = f"{label}（{role.organization_name}）"
        roles.setdefault(role.member_id, []).append(label)
    honours: dict[int, list[str]] = {}
    for member_id, title, day in (
        Recognition.objects.filter(
            member_id__in=ids, conferred_on__gte=start, conferred_on__lte=end
        )
        .order_by("conferred_on", "pk")
        .values_list("member_id", "title", "conferred_on")
    ):
        honours.setdefault(member_id, []).append(f"{title}（{day:%Y-%m}）")
    for member_id, labels in roles.items():
        by_id[member_id].service_roles = _clip("、".join(labels))
    for member_id, labels in honours.items():
        by_id[member_id].honours = _clip("、".join(labels))


# --- Who reads which letter ---------------------------------------------------------------


def visible_letters(user):
    """The letters of the communities in the user's area (drafts included), and the
    letters sent to the user's units (never drafts): FeedbackLetterQuerySet.visible_to."""
    return FeedbackLetter.objects.visible_to(user, VIEW_UNIT_WORK)


def can_send(user, letter) -> bool:
    return scope_for(user).covers_path(letter.community.path, SEND_FEEDBACK)


def can_answer(user, letter) -> bool:
    return letter.state != LetterState.DRAFT and letter.unit_id in scope_for(user).unit_ids(
        ANSWER_FEEDBACK
    )


def last_finished_half(today: datetime.date) -> tuple[int, int]:
    """The latest half-year that has ended by `today`."""
    if today.month >= 7:
        return today.year, Half.FIRST
    return today.year - 1, Half.SECOND


# --- The community's page -------------------------------------------------------------------


@dataclass
class UnitRow:
    unit: OriginalUnit
    retirees: int
    letter: FeedbackLetter | None


def community_units(community: Organization, year: int, half: int) -> list[UnitRow]:
    """One row per unit with active retirees registered in the community, or with a
    letter of the half already. Two queries."""
    units = {
        unit.pk: unit
        for unit in OriginalUnit.objects.filter(
            retirees__status=MemberStatus.ACTIVE,
            retirees__registrations__community=community,
            retirees__registrations__status__in=REGISTERED,
        ).annotate(n=Count("retirees", distinct=True))
    }
    letters = {
        letter.unit_id: letter
        for letter in FeedbackLetter.objects.filter(
            community=community, year=year, half=half
        ).select_related("unit")
    }
    rows = [UnitRow(unit, unit.n, letters.get(pk)) for pk, unit in units.items()] + [
        UnitRow(letter.unit, 0, letter) for pk, letter in letters.items() if pk not in units
    ]
    return sorted(rows, key=lambda row: (row.unit.name, row.unit.pk))


def unit_is_here(unit_id: int, community, year: int, half: int) -> bool:
    """Whether the community writes to this unit: it has active retirees registered
    there, or a letter of the half-year already. One query."""
    return (
        CommunityRegistration.objects.filter(
            community=community,
            status__in=REGISTERED,
            member__status=MemberStatus.ACTIVE,
            member__original_unit_id=unit_id,
        ).exists()
        or FeedbackLetter.objects.filter(
            unit_id=unit_id, community=community, year=year, half=half
        ).exists()
    )


def unit_letters(user, since_year: int):
    """The letters sent to the user's units since `since_year` (the liaison's page)."""
    unit_ids = scope_for(user).unit_ids(VIEW_UNIT_WORK)
    return (
        FeedbackLetter.objects.filter(unit_id__in=unit_ids, year__gte=since_year)
        .sent()
        .select_related("unit", "community")
        .order_by("-year", "-half", "unit__name", "unit_id", "community__path")
    )


def district_pairs(district) -> list[tuple[int, int]]:
    """(unit id, community id) of every unit with active retirees registered in a
    community of the district. One query."""
    return list(
        CommunityRegistration.objects.filter(
            community__path__startswith=district.path,
            status__in=REGISTERED,
            member__status=MemberStatus.ACTIVE,
            member__original_unit__isnull=False,
        )
        .values_list("member__original_unit_id", "community_id")
        .distinct()
        .order_by("member__original_unit_id", "community_id")
    )


# --- The workbench ---------------------------------------------------------------------------


def workbench_section(request, scope, today):
    """The community's drafts of the last finished half-year (to review and send) and the
    unit replies it has not read; the liaison's letters to acknowledge; the district's
    latest run. Two queries per role (the community and its letters; the liaison's
    count; the district's latest run and the district); None when nothing concerns
    the user."""
    year, half = last_finished_half(today)
    section: dict = {}
    if send_paths := scope.paths(SEND_FEEDBACK):
        community = Organization.objects.filter(path__in=send_paths).order_by("path").first()
        if community is not None:
            # One query for both: the half's drafts and the replies not read yet.
            due = Q(year=year, half=half, state=LetterState.DRAFT)
            letters = list(
                FeedbackLetter.objects.filter(community=community)
                .filter(due | unread_reply())
                .select_related("unit")
                .order_by("-replied_at", "-pk")
            )
            replies = [letter for letter in letters if letter.state == LetterState.ACKNOWLEDGED]
            section.update(
                community=community,
                year=year,
                half=half,
                to_send=len(letters) - len(replies),
                replies=replies[:REPLIES_SHOWN],
            )
    if unit_ids := scope.unit_ids(ANSWER_FEEDBACK):
        section["to_acknowledge"] = FeedbackLetter.objects.filter(
            unit_id__in=unit_ids, state=LetterState.SENT
        ).count()
    if scope.paths(RUN_FEEDBACK_BATCH):
        runs = FeedbackRun.objects.visible_to(request.user, RUN_FEEDBACK_BATCH)
        section["run"] = runs.select_related("district").first()
        if section["run"] is None:
            section["district"] = (
                Organization.objects.filter(path__in=scope.paths(RUN_FEEDBACK_BATCH))
                .order_by("path")
                .first()
            )
    return section or None


def unread_reply() -> Q:
    return Q(state=LetterState.ACKNOWLEDGED, reply_read_at__isnull=True) & ~Q(reply="")


def unread_replies(letters):
    """Acknowledged letters whose reply the community has not read yet."""
    return letters.filter(unread_reply()).select_related("unit").order_by("-replied_at", "-pk")
