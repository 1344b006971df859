"""Demo annual returns (年报) for last year: the demo community's accepted by its street
(returned once with a comment, resubmitted as version 2), and a second community of the
street submitted and waiting for the street's check."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model

from .annual.services import Decision, annual_return_review, annual_return_submit


def seed_annual_returns(*, community, street, today: datetime.date) -> int:
    users = get_user_model().objects
    secretary, street_staff = users.get(username="community"), users.get(username="street")
    year = today.year - 1
    ar = annual_return_submit(node=community, year=year, revision=0, actor=secretary, today=today)
    annual_return_review(
        annual_return=ar,
        decision=Decision.RETURN,
        comment="请核对迁出人数，并补充本年去世党员的日期。",
        revision=ar.revision,
        actor=street_staff,
    )
    ar.refresh_from_db()
    ar = annual_return_submit(
        node=community, year=year, revision=ar.revision, actor=secretary, today=today
    )
    annual_return_review(
        annual_return=ar,
        decision=Decision.ACCEPT,
        comment="",
        revision=ar.revision,
        actor=street_staff,
    )
    other = street.children.exclude(pk=community.pk).order_by("path").first()
    if other is None:
        return 1
    annual_return_submit(node=other, year=year, revision=0, actor=None, today=today)
    return 2
