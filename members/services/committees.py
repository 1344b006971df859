"""Branch committees: terms and their posts, and party group leaders."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch, PartyGroup

from .. import selectors
from ..models import CommitteeTerm, GroupLeader, Member, Position, Post, SecondedMember

Holder = Member | SecondedMember | None


def holder_ref(position: Position):
    """How an audit record names a post's holder: a member's id, or `seconded:<id>`."""
    if position.seconded_id:
        return f"seconded:{position.seconded_id}"
    return position.member_id


def _ref(holder: Holder):
    if isinstance(holder, SecondedMember):
        return f"seconded:{holder.pk}"
    return holder.pk if holder is not None else None


def _place(position: Position, holder: Holder) -> None:
    """Put `holder` (a member, a seconded member or nobody) in the post."""
    position.member = holder if isinstance(holder, Member) else None
    position.seconded = holder if isinstance(holder, SecondedMember) else None


def _refuse_ineligible(holder: Holder, *, eligible, field=None) -> None:
    """A member must be an active member of the branch; a seconded member must be sent
    to this branch onto its committee, with the secondment running."""
    if holder is None or _ref(holder) in eligible:
        return
    if isinstance(holder, SecondedMember):
        message = _("%(name)s is not seconded to this branch's committee at present.")
    else:
        message = _("%(name)s is not a member of this branch.")
    message %= {"name": holder.name}
    raise ValidationError({field: message} if field else message)


def _eligible(branch: Branch) -> set:
    """The holders a post may be given: refs of the branch's active members and of the
    seconded members currently sent onto its committee."""
    return set(selectors.branch_members(branch).values_list("pk", flat=True)) | {
        f"seconded:{pk}" for pk in selectors.committee_seconded(branch).values_list("pk", flat=True)
    }


@transaction.atomic
def committee_term_create(
    *,
    branch: Branch,
    number: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    has_committee: bool,
    holders: dict[str, Holder],
    actor,
    request=None,
) -> CommitteeTerm:
    """A new term of the branch committee with its posts (a post may be left vacant).

    An election (换届) ends the term it replaces: a term still running when the new one
    starts now ends the day before (audited). A new term may not reach into a later
    term, nor repeat a term's number."""
    eligible = _eligible(branch)
    for holder in holders.values():
        _refuse_ineligible(holder, eligible=eligible)
    others = list(CommitteeTerm.objects.select_for_update().filter(branch=branch))
    if any(t.number == number for t in others):
        raise ValidationError(
            {"number": _("Term %(number)d is already recorded.") % {"number": number}}
        )
    _refuse_overlap([t for t in others if t.starts_on >= starts_on], starts_on, ends_on)
    replaced = [t for t in others if t.starts_on < starts_on <= t.ends_on]
    for old in replaced:
        ended_on = starts_on - datetime.timedelta(days=1)
        audit.record(
            AuditAction.UPDATE,
            old,
            actor=actor,
            request=request,
            before={"ends_on": old.ends_on},
            after={"ends_on": ended_on, "replaced_by": number},
        )
        old.ends_on = ended_on
        old.save(update_fields=["ends_on"])
    term = CommitteeTerm.objects.create(
        branch=branch,
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        has_committee=has_committee,
    )
    positions = []
    for post, holder in holders.items():
        position = Position(term=term, post=post)
        _place(position, holder)
        positions.append(position)
    Position.objects.bulk_create(positions)
    audit.record(
        AuditAction.CREATE,
        term,
        actor=actor,
        request=request,
        after={
            "branch": branch.pk,
            "number": number,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "has_committee": has_committee,
            "positions": {p.post: holder_ref(p) for p in positions},
        },
    )
    return term


def _refuse_overlap(terms, starts_on: datetime.date, ends_on: datetime.date) -> None:
    """A branch has one committee at a time: no two terms share a day."""
    for term in terms:
        if term.starts_on <= ends_on and starts_on <= term.ends_on:
            raise ValidationError(
                {
                    "starts_on": _("These dates overlap term %(number)d (%(start)s to %(end)s).")
                    % {
                        "number": term.number,
                        "start": f"{term.starts_on:%Y-%m-%d}",
                        "end": f"{term.ends_on:%Y-%m-%d}",
                    }
                }
            )


@transaction.atomic
def committee_term_update(
    *,
    term: CommitteeTerm,
    starts_on: datetime.date,
    ends_on: datetime.date,
    has_committee: bool,
    holders: dict[str, Holder],
    actor,
    request=None,
) -> list[str]:
    """Correct a term's dates and committee and fill, change or clear its posts (e.g. the
    secretary died or moved away). `holders` maps each post shown to its holder (None:
    vacant). A newly named holder must be an active member of the branch or a seconded
    member currently sent onto its committee; an unchanged one may stay whatever became
    of them (the post then shows as vacant). A secretary-only
    term keeps only a secretary and, if named, a deputy. Returns what changed (nothing is
    written or audited when nothing did)."""
    term = CommitteeTerm.objects.select_for_update().select_related("branch").get(pk=term.pk)
    if not has_committee:
        holders = {
            post: member
            for post, member in holders.items()
            if post == Post.SECRETARY or (post == Post.DEPUTY_SECRETARY and member is not None)
        }
    if ends_on <= starts_on:
        raise ValidationError({"ends_on": _("The term must end after it starts.")})
    if (starts_on, ends_on) != (term.starts_on, term.ends_on):
        _refuse_overlap(
            CommitteeTerm.objects.filter(branch=term.branch).exclude(pk=term.pk),
            starts_on,
            ends_on,
        )
    named = [_ref(h) for h in holders.values() if h is not None]
    if len(named) != len(set(named)):
        raise ValidationError(_("One person cannot hold two posts."))
    positions = {p.post: p for p in term.positions.select_for_update() if p.post != Post.MEMBER}
    eligible = _eligible(term.branch)
    for post, holder in holders.items():
        current = positions.get(post)
        if current is None or holder_ref(current) != _ref(holder):
            _refuse_ineligible(holder, eligible=eligible, field=f"post_{post}")
    before = {
        "starts_on": term.starts_on,
        "ends_on": term.ends_on,
        "has_committee": term.has_committee,
        "positions": {post: holder_ref(p) for post, p in positions.items()},
    }
    term.starts_on, term.ends_on, term.has_committee = starts_on, ends_on, has_committee
    term.save(update_fields=["starts_on", "ends_on", "has_committee"])
    after_positions = {}
    for post, holder in holders.items():
        position = positions.get(post)
        if position is None:
            position = Position(term=term, post=post)
            _place(position, holder)
            position.save()
        elif holder_ref(position) != _ref(holder):
            _place(position, holder)
            position.save(update_fields=["member", "seconded"])
        after_positions[post] = holder_ref(position)
    dropped = []
    if not has_committee:
        # A secretary-only term drops the committee's other posts.
        dropped = [p for post, p in positions.items() if post not in holders]
        dropped += list(term.positions.filter(post=Post.MEMBER))
    else:
        for post, position in positions.items():
            after_positions.setdefault(post, holder_ref(position))
    Position.objects.filter(pk__in=[p.pk for p in dropped]).delete()
    after = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "has_committee": has_committee,
        "positions": after_positions,
    }
    if dropped:
        after["removed"] = [[p.post, holder_ref(p)] for p in dropped]
    before, after = audit.diff(before, after)
    if after:
        audit.record(
            AuditAction.UPDATE, term, actor=actor, request=request, before=before, after=after
        )
    return list(after)


def vacate_posts(*, member_id: int, branch_id: int, on: datetime.date) -> list[audit.Change]:
    """A member who leaves a branch leaves the posts they hold in its terms still running
    on `on`: those posts become vacant, and the branch page warns about them (the audit
    keeps who held them)."""
    changes = []
    positions = (
        Position.objects.select_for_update()
        .filter(member_id=member_id, term__branch_id=branch_id, term__ends_on__gte=on)
        .select_related("term")
    )
    for position in positions:
        changes.append(
            audit.Change(
                AuditAction.UPDATE,
                position.term,
                before={"positions": {position.post: member_id}},
                after={"positions": {position.post: None}, "reason": "left the branch"},
            )
        )
        position.member = None
        position.save(update_fields=["member"])
    return changes


@transaction.atomic
def group_leader_set(
    *, group: PartyGroup, member: Member, starts_on: datetime.date, actor, request=None
) -> GroupLeader:
    """Make `member` the leader of `group` from `starts_on`, ending the previous leader."""
    if member.home_branch_id != group.branch_id:
        raise ValidationError(_("The leader must be a member of the group's branch."))
    current = GroupLeader.objects.select_for_update().filter(group=group, ends_on__isnull=True)
    ended = [leader.pk for leader in current]
    current.update(ends_on=starts_on)
    leader = GroupLeader.objects.create(group=group, member=member, starts_on=starts_on)
    audit.record(
        AuditAction.CREATE,
        leader,
        actor=actor,
        request=request,
        after={"group": group.pk, "member": member.pk, "starts_on": starts_on, "ended": ended},
    )
    return leader
