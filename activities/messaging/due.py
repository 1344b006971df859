"""What is due, the parts every question shares: who is reminded (the secretaries), the
shape of one thing due, the period keys and links. The questions, one per reminder kind,
are in due_meetings, due_care and due_members; the sweep (sweep.py) asks them."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Q,
)
from django.urls import reverse

from branches.access import Role
from branches.models import Organization, StaffRole
from members.models import (
    Member,
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


def page_link(name: str, **kwargs) -> str:
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
    # A member notice's SMS template parameters (sms.TEMPLATE_PARAMS names them).
    sms_params: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Context:
    today: datetime.date
    now: datetime.datetime
    secretaries: Secretaries
    branch_ids: list[int] | None = None  # a targeted sweep (after a save): only these

    def only_branches(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__in": self.branch_ids}) if self.branch_ids else Q()


# --- Questions from the rooms above -------------------------------------------------------
# Messaging sits below the rooms that build on activities (units/, ...) and never imports
# them. A room above adds its own questions here at start-up, from its AppConfig.ready():
#
#     register(ReminderKind.X, collector, judged=lambda today: Q())
#
# `collector(ctx)` answers like due_meetings & co (a list of Due, a fixed number of
# queries, nothing when `ctx.branch_ids` targets a branch unless it can filter by it);
# `judged(today)` names the open items of the kind a full sweep may resolve when the
# question no longer finds their subject (see sweep.judged). The kind must be a
# ReminderKind value (a migration here), so the inbox and digest know how to show it.


@dataclass(frozen=True)
class Question:
    kind: str
    collector: Callable[[Context], list[Due]]
    judged: Callable[[datetime.date], Q]


QUESTIONS: dict[str, Question] = {}


def register(
    kind: str,
    collector: Callable[[Context], list[Due]],
    *,
    judged: Callable[[datetime.date], Q] = lambda today: Q(),
) -> None:
    """Add a question to every sweep (idempotent: registering a kind again replaces it)."""
    QUESTIONS[kind] = Question(kind, collector, judged)
