"""Submitting the annual return up the tree: a community submits its figures, the street
checks and accepts or returns each community's, then submits the sum of its communities'
accepted returns; the district does the same for its streets and the city receives.

Each action is one transaction, audited, and a conditional update on the return's state
and revision: a return submitted twice, or changed by someone else meanwhile, gets a
clear error and nothing changes.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from accounts.models import AuditAction
from branches.access import REVIEW_RETURNS, SUBMIT_RETURNS, scope_for
from branches.models import Level, Organization

from ..models import AnnualReturn, AnnualReturnVersion, ReturnState, VersionOutcome
from . import definitions as d
from . import figures as f
from .checks import latest_versions

SUBMITTING_LEVELS = (Level.COMMUNITY, Level.STREET, Level.DISTRICT)
OPEN_STATES = (ReturnState.DRAFT, ReturnState.RETURNED)


class Decision:
    ACCEPT = "accept"
    RETURN = "return"


def _acts_on(user, node: Organization, capability: str) -> bool:
    """A role on exactly this node grants the capability (not one above it: a district
    does not submit a street's return for it)."""
    return any(g.path == node.path and capability in g.capabilities for g in scope_for(user).grants)


def may_submit(user, node: Organization) -> bool:
    return node.level in SUBMITTING_LEVELS and _acts_on(user, node, SUBMIT_RETURNS)


def may_review(user, node: Organization) -> bool:
    """The level just above reviews a node's return."""
    return node.parent is not None and _acts_on(user, node.parent, REVIEW_RETURNS)


def return_of(node: Organization, year: int) -> AnnualReturn | None:
    return AnnualReturn.objects.filter(organization=node, year=year).first()


def children_returns(node: Organization, year: int) -> list[tuple[Organization, AnnualReturn]]:
    """The nodes just below and their returns (None: not started): two queries."""
    children = list(node.children.order_by("path"))
    returns = {
        r.organization_id: r
        for r in AnnualReturn.objects.filter(organization__in=children, year=year)
    }
    return [(child, returns.get(child.pk)) for child in children]


def current_figures(node: Organization, year: int, *, today: datetime.date) -> dict:
    """What submitting now would freeze. A community: its figures computed now. A street
    or district: the sum of its children's latest submitted figures, plus the branches
    sitting on the node itself (a street's functional branches), computed now."""
    if node.level == Level.COMMUNITY:
        return f.area_figures(node, year, today=today)[node.pk]
    total = f.own_figures(node, year, today=today)
    for version in latest_versions(node.children.all(), year).values():
        d.add(total, version.figures)
    return total


CONFLICT = gettext_lazy(
    "Someone else changed this return meanwhile. Reload the page and try again."
)


def _state_error(annual_return: AnnualReturn) -> ValidationError:
    if annual_return.state in (ReturnState.SUBMITTED, ReturnState.ACCEPTED):
        return ValidationError(
            _("This return has already been submitted: it cannot be submitted again.")
        )
    return ValidationError(CONFLICT)


@transaction.atomic
def annual_return_submit(
    *, node: Organization, year: int, revision: int, actor, request=None, today=None
) -> AnnualReturn:
    """Freeze the node's figures as a new version and send them up."""
    today = today or timezone.localdate()
    if node.level not in SUBMITTING_LEVELS:
        raise ValidationError(_("The city receives the returns; it does not submit one."))
    annual_return, _created = AnnualReturn.objects.get_or_create(organization=node, year=year)
    if node.level != Level.COMMUNITY:
        waiting = [
            child.name
            for child, child_return in children_returns(node, year)
            if child_return is None or child_return.state != ReturnState.ACCEPTED
        ]
        if waiting:
            raise ValidationError(
                _("Accept the returns of every unit below first. Not yet accepted: %(names)s.")
                % {"names": "、".join(waiting)}
            )
    updated = AnnualReturn.objects.filter(
        pk=annual_return.pk, revision=revision, state__in=OPEN_STATES
    ).update(
        state=ReturnState.SUBMITTED,
        submissions=F("submissions") + 1,
        revision=F("revision") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        annual_return.refresh_from_db()
        raise _state_error(annual_return)
    before = {"state": annual_return.state, "submissions": annual_return.submissions}
    annual_return.refresh_from_db()
    version = AnnualReturnVersion.objects.create(
        annual_return=annual_return,
        number=annual_return.submissions,
        figures=current_figures(node, year, today=today),
        submitted_at=timezone.now(),
        submitted_by=actor,
    )
    audit.record(
        AuditAction.UPDATE,
        annual_return,
        actor=actor,
        request=request,
        before=before,
        after={"state": annual_return.state, "submissions": version.number},
    )
    return annual_return


@transaction.atomic
def annual_return_review(
    *,
    annual_return: AnnualReturn,
    decision: str,
    comment: str,
    revision: int,
    actor,
    request=None,
) -> AnnualReturn:
    """Accept a submitted return of the level below, or return it with a comment."""
    comment = comment.strip()
    if decision == Decision.RETURN and not comment:
        raise ValidationError(_("Say what needs correcting when you return a return."))
    parent = annual_return.organization.parent
    own = return_of(parent, annual_return.year) if parent else None
    if own is not None and own.state in (ReturnState.SUBMITTED, ReturnState.ACCEPTED):
        raise ValidationError(
            _("Your own return has been submitted: the returns below it can no longer change.")
        )
    new_state = ReturnState.ACCEPTED if decision == Decision.ACCEPT else ReturnState.RETURNED
    updated = AnnualReturn.objects.filter(
        pk=annual_return.pk, revision=revision, state=ReturnState.SUBMITTED
    ).update(state=new_state, revision=F("revision") + 1, updated_at=timezone.now())
    if not updated:
        annual_return.refresh_from_db()
        if annual_return.state != ReturnState.SUBMITTED:
            raise ValidationError(_("This return has already been reviewed."))
        raise ValidationError(CONFLICT)
    AnnualReturnVersion.objects.filter(
        annual_return=annual_return, outcome=VersionOutcome.PENDING
    ).update(
        outcome=new_state,
        comment=comment[:500],
        reviewed_by=actor,
        reviewed_at=timezone.now(),
    )
    before = {"state": annual_return.state}
    annual_return.refresh_from_db()
    after = {"state": annual_return.state, "submissions": annual_return.submissions}
    if comment:
        after["comment"] = comment[:500]
    audit.record(
        AuditAction.UPDATE, annual_return, actor=actor, request=request, before=before, after=after
    )
    return annual_return
