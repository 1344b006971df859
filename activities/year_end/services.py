"""Writes of the year end. Each function is one transaction, checks that every member it
names belongs to the cycle's branch (a clear refusal otherwise, nothing written), leaves
audit rows, and is safe to run twice: pairs and per-member rows are unique per cycle,
a new item carries the form's client key, closing is a conditional update. Forms carry
the version they were loaded at; a save over somebody else's newer one is refused.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from members.models import MemberStatus

from .models import (
    GRADE_RULES,
    Appraisal,
    Grade,
    LifeRecord,
    PairKind,
    RectificationItem,
    TalkPair,
    YearEndCycle,
)
from .selectors import branch_members, committee

APPRAISAL_FIELDS = (
    "self_assessment",
    "votes_excellent",
    "votes_qualified",
    "votes_basically_qualified",
    "votes_unqualified",
    "proposal",
    "decision",
    "reason",
    "outcome",
    "absent_reason",
)
LIFE_FIELDS = (
    "self_criticism",
    "criticism_given",
    "given_text",
    "criticism_received",
    "received_text",
)
ITEM_FIELDS = (
    "year",
    "source",
    "committee_member_id",
    "problem",
    "measure",
    "owner",
    "deadline",
    "evidence",
    "closed_on",
)


class YearEndError(ValueError):
    """A write the rules do not allow; the message is translated for the page."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _stale():
    return YearEndError(
        _("Someone else saved this in the meantime. Open the page again to see their changes."),
        "conflict",
    )


def _check_members(branch, *members) -> None:
    for member in members:
        if member.home_branch_id != branch.pk:
            raise YearEndError(
                _("%(name)s is not a member of this branch.") % {"name": member.name},
                "other_branch",
            )
        if member.status != MemberStatus.ACTIVE:
            raise YearEndError(
                _("%(name)s is no longer an active member.") % {"name": member.name},
                "inactive",
            )


def cycle_for(*, branch, year: int, actor=None, request=None) -> YearEndCycle:
    """The branch's cycle of the year, created (and audited) on first use; locked."""
    cycle = YearEndCycle.objects.select_for_update().filter(branch=branch, year=year).first()
    if cycle is not None:
        return cycle
    try:
        with transaction.atomic():
            cycle = YearEndCycle.objects.create(branch=branch, year=year, created_by=actor)
    except IntegrityError:  # created by a concurrent request a moment ago
        return YearEndCycle.objects.select_for_update().get(branch=branch, year=year)
    audit.record(AuditAction.CREATE, cycle, actor=actor, request=request, after={"year": year})
    return cycle


# --- 谈心谈话 ---------------------------------------------------------------------------


def _ordered(a, b):
    return (a, b) if a.pk < b.pk else (b, a)


def pairs_add(*, branch, year: int, pairs, actor, request=None) -> int:
    """Plan pairs [(member, member, kind)]; those already planned are skipped. Returns
    how many are new."""
    with transaction.atomic():
        cycle = cycle_for(branch=branch, year=year, actor=actor, request=request)
        existing = set(cycle.pairs.values_list("first_id", "second_id"))
        new = []
        for a, b, kind in pairs:
            if a.pk == b.pk:
                raise YearEndError(_("A member cannot talk with themselves."), "same")
            _check_members(branch, a, b)
            first, second = _ordered(a, b)
            if (first.pk, second.pk) in existing:
                continue
            existing.add((first.pk, second.pk))
            new.append(TalkPair(cycle=cycle, first=first, second=second, kind=kind))
        TalkPair.objects.bulk_create(new)
        audit.record_many(
            [
                audit.Change(
                    AuditAction.CREATE,
                    p,
                    after={"first_id": p.first_id, "second_id": p.second_id, "kind": p.kind},
                )
                for p in new
            ],
            actor=actor,
            request=request,
        )
        return len(new)


def pair_suggestions(*, branch, year: int, today, which: str) -> list:
    """The pairs the rules suggest: the secretary with each committee member, or each
    member with a committee member (spread in turn over the committee)."""
    board = committee(branch, today)
    if which == "secretary":
        if board.secretary is None:
            raise YearEndError(_("The branch has no secretary in its current committee."), "none")
        return [(board.secretary, o, PairKind.SECRETARY_COMMITTEE) for o in board.others]
    talkers = board.all
    if not talkers:
        raise YearEndError(_("The branch has no committee or secretary on record."), "none")

    others = [m for m in branch_members(branch) if m not in talkers]
    return [(talkers[i % len(talkers)], m, PairKind.COMMITTEE_MEMBER) for i, m in enumerate(others)]


def pair_delete(*, pair: TalkPair, actor, request=None) -> None:
    with transaction.atomic():
        audit.record(
            AuditAction.DELETE,
            pair,
            actor=actor,
            request=request,
            before={
                "first_id": pair.first_id,
                "second_id": pair.second_id,
                "held_on": pair.held_on,
            },
        )
        pair.delete()


def talk_record(*, pair: TalkPair, data: dict, version: int, actor, request=None) -> bool:
    """Record the talk held (date, note, care visit). False when nothing changed."""
    with transaction.atomic():
        locked = TalkPair.objects.select_for_update().get(pk=pair.pk)
        visit = data.get("care_visit")
        if visit is not None and visit.member_id not in (locked.first_id, locked.second_id):
            raise YearEndError(_("The care visit must be to one of the two members."), "visit")
        fields = [n for n in ("held_on", "note", "care_visit") if n in data]
        before = {n: getattr(locked, n if n != "care_visit" else "care_visit_id") for n in fields}
        for n in fields:
            setattr(locked, n, data[n])
        after = {n: getattr(locked, n if n != "care_visit" else "care_visit_id") for n in fields}
        old, new = audit.diff(before, after)
        if not new:  # a doubled submit, or the same as saved: nothing to do
            return False
        if locked.version != version:
            raise _stale()
        locked.version += 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
        # The note itself never goes to the trail (it is sensitive): only that it changed.
        if "note" in new:
            old["note"], new["note"] = "***", "***"
        audit.record(
            AuditAction.UPDATE, locked, actor=actor, request=request, before=old, after=new
        )
        pair.version = locked.version
        return True


# --- 组织生活会 ---------------------------------------------------------------------------


def life_meeting_save(
    *,
    branch,
    year: int,
    meeting,
    observer: str,
    records: dict,
    version: int | None,
    actor,
    request=None,
) -> YearEndCycle:
    """Name the meeting and the observer, and save each member's record ({member: {field:
    value}}). `version` is the cycle's version the form was loaded at (None: no cycle yet)."""
    with transaction.atomic():
        cycle = cycle_for(branch=branch, year=year, actor=actor, request=request)
        if meeting is not None and (
            meeting.branch_id != branch.pk or meeting.kind != "life_meeting"
        ):
            raise YearEndError(
                _("Choose an organisational life meeting of this branch."), "meeting"
            )
        _check_members(branch, *records)
        changes = []
        before = {"life_meeting_id": cycle.life_meeting_id, "observer": cycle.observer}
        cycle.life_meeting, cycle.observer = meeting, observer
        old, new = audit.diff(
            before, {"life_meeting_id": cycle.life_meeting_id, "observer": observer}
        )
        if new:
            changes.append(audit.Change(AuditAction.UPDATE, cycle, before=old, after=new))
        existing = {r.member_id: r for r in cycle.life_records.select_for_update()}
        rows = []
        for member, values in records.items():
            row = existing.get(member.pk)
            created = row is None
            if created and not any(values.values()):
                continue  # nothing recorded for this member: no row
            if created:
                row = LifeRecord(cycle=cycle, member=member)
            before = {} if created else audit.snapshot(row, LIFE_FIELDS)
            for name in LIFE_FIELDS:
                if name in values:
                    setattr(row, name, values[name])
            if not row.criticism_given:
                row.given_text = ""
            if not row.criticism_received:
                row.received_text = ""
            old, new = audit.diff(before, audit.snapshot(row, LIFE_FIELDS))
            if not new:
                continue
            rows.append(row)
            for key in ("given_text", "received_text"):  # sensitive: that it changed only
                for side in (old, new):
                    if side.get(key):
                        side[key] = "***"
            action = AuditAction.CREATE if created else AuditAction.UPDATE
            changes.append(
                audit.Change(
                    action, row, before=old or None, after=new, object_repr=_repr(year, member)
                )
            )
        if not changes:  # a doubled submit, or the same as saved: nothing to do
            return cycle
        if version is not None and cycle.version != version:
            raise _stale()
        for row in rows:
            row.save()
        cycle.version += 1
        cycle.save(update_fields=["life_meeting", "observer", "version", "updated_at"])
        audit.record_many(changes, actor=actor, request=request)
        return cycle


def _repr(year, member) -> str:
    return f"{year} {member.audit_repr()}"


# --- 民主评议 ---------------------------------------------------------------------------


def check_grade(data: dict) -> None:
    """The rules of GRADE_RULES: a reason where the grade needs one, an outcome that the
    grade allows (and only then). Raises YearEndError."""
    decision = data.get("decision") or ""
    rule = GRADE_RULES.get(decision)
    if decision and rule is None:
        raise YearEndError(_("Unknown grade."), "grade")
    if rule and rule.needs_reason and not (data.get("reason") or "").strip():
        raise YearEndError(
            _("The grade %(grade)s needs a recorded reason.") % {"grade": Grade(decision).label},
            "reason",
        )
    outcome = data.get("outcome") or ""
    if rule and rule.outcomes and outcome not in rule.outcomes:
        raise YearEndError(
            _("Record what follows the grade %(grade)s.") % {"grade": Grade(decision).label},
            "outcome",
        )
    if outcome and not (rule and outcome in rule.outcomes):
        raise YearEndError(_("Only an unqualified grade has an outcome."), "outcome")


def appraisal_save(
    *, branch, year: int, member, data: dict, version: int | None, actor, request=None
) -> tuple[Appraisal, bool]:
    """Create or update the member's appraisal. Returns (appraisal, changed)."""
    with transaction.atomic():
        _check_members(branch, member)
        check_grade(data)
        cycle = cycle_for(branch=branch, year=year, actor=actor, request=request)
        row = cycle.appraisals.select_for_update().filter(member=member).first()
        created = row is None
        if created:
            row = Appraisal(cycle=cycle, member=member)
            before = {}
        else:
            before = audit.snapshot(row, APPRAISAL_FIELDS)
        for name in APPRAISAL_FIELDS:
            if name in data:
                setattr(row, name, data[name])
        old, new = audit.diff(before, audit.snapshot(row, APPRAISAL_FIELDS))
        if not new:  # a doubled submit, or the same as saved: nothing to do
            return row, False
        if not created and version is not None and row.version != version:
            raise _stale()
        if not created:
            row.version += 1
        row.save()
        audit.record(
            AuditAction.CREATE if created else AuditAction.UPDATE,
            row,
            actor=actor,
            request=request,
            object_repr=_repr(year, member),
            before=old or None,
            after=new,
        )
        return row, True


# --- 整改 -------------------------------------------------------------------------------


def no_problems_set(*, branch, year: int, value: bool, actor, request=None) -> bool:
    with transaction.atomic():
        cycle = cycle_for(branch=branch, year=year, actor=actor, request=request)
        if cycle.no_problems == value:
            return False
        if value and RectificationItem.objects.filter(branch=branch, year=year).exists():
            raise YearEndError(_("Items are recorded for this year already."), "has_items")
        audit.record(
            AuditAction.UPDATE,
            cycle,
            actor=actor,
            request=request,
            before={"no_problems": cycle.no_problems},
            after={"no_problems": value},
        )
        cycle.no_problems = value
        cycle.version += 1
        cycle.save(update_fields=["no_problems", "version", "updated_at"])
        return True


def item_add(*, branch, year: int, data: dict, client_key, actor, request=None):
    """Add an item. Returns (item, created): a replayed form (same key) adds nothing."""
    with transaction.atomic():
        if client_key and (
            found := RectificationItem.objects.filter(client_key=client_key).first()
        ):
            return found, False
        member = data.get("committee_member")
        if member is not None:
            _check_members(branch, member)
            if member not in committee(branch, timezone.localdate()).all:
                raise YearEndError(
                    _("%(name)s is not on the branch's committee.") % {"name": member.name},
                    "not_committee",
                )
        cycle = cycle_for(branch=branch, year=year, actor=actor, request=request)
        if cycle.no_problems:
            cycle.no_problems = False
            cycle.save(update_fields=["no_problems", "updated_at"])
        item = RectificationItem(
            branch=branch,
            year=year,
            source=data["source"],
            committee_member=member,
            problem=data["problem"],
            measure=data["measure"],
            owner=data["owner"],
            deadline=data["deadline"],
            client_key=client_key,
            created_by=actor,
        )
        item.save()
        audit.record(
            AuditAction.CREATE,
            item,
            actor=actor,
            request=request,
            after=audit.snapshot(item, ITEM_FIELDS),
        )
        return item, True


def item_close(*, item: RectificationItem, evidence: str, closed_on, actor, request=None) -> bool:
    """Close an open item with its evidence. False when it was closed already (a second
    submit, or somebody else first)."""
    with transaction.atomic():
        done = RectificationItem.objects.filter(pk=item.pk, closed_on__isnull=True).update(
            evidence=evidence,
            closed_on=closed_on,
            version=item.version + 1,
            updated_at=timezone.now(),
        )
        if not done:
            return False
        audit.record(
            AuditAction.UPDATE,
            item,
            actor=actor,
            request=request,
            before={"closed_on": None, "evidence": item.evidence},
            after={"closed_on": closed_on, "evidence": evidence},
        )
        item.closed_on, item.evidence = closed_on, evidence
        return True
