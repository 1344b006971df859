"""Reminders about notices (通知) not yet confirmed: one round per "remind those who have
not confirmed" (notices.NoticeReminder), written by the hook on its creation in the
same transaction.

Who is reminded: the secretaries over each branch still open (`due.Secretaries`: the
branch's secretaries and the community secretaries over it). A branch with no secretary
at all (a street-level functional branch whose secretary has no account yet) reminds
the staff of the street it sits on, who answer its notices (branches.access,
DIRECT_CAPABILITIES). One item per recipient per round, whatever the number of their
branches (the item names them): the unique key (kind, subject "notice:<original id>",
recipient, period "round-<round id>") with bulk_create(ignore_conflicts=True), so a
repeated write of the same round adds nothing.

An item is resolved once its recipient has no open branch left on the notice
(`resolve_confirmed`, run in the transaction of each confirmation or reply)."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.formats import month_day
from branches.access import Role
from branches.models import StaffRole
from notices.models import NoticeReceipt, NoticeReminder

from .due import Secretaries, page_link
from .models import Reminder, ReminderKind, ReminderState


def subject_of(notice_id: int) -> str:
    return f"notice:{notice_id}"


def period_of(round_id: int) -> str:
    return f"round-{round_id}"


def _open_receipts(notice_id: int, under: str | None = None) -> list[tuple[int, str, str]]:
    """(branch id, path, branch name) of the receipts not yet confirmed."""
    receipts = NoticeReceipt.objects.filter(notice_id=notice_id, confirmed_at__isnull=True)
    if under:
        receipts = receipts.filter(path__startswith=under)
    return list(
        receipts.order_by("path", "branch__name").values_list("branch_id", "path", "branch__name")
    )


def owing(rows: list[tuple[int, str, str]], secretaries: Secretaries) -> dict[int, list[tuple]]:
    """Recipient -> the open branches they are reminded of (see the module docstring).
    One query more only when some branch has no secretary."""
    by_user: dict[int, list[tuple]] = defaultdict(list)
    orphans = []
    for row in rows:
        users = secretaries.for_branch(row[0], row[1])
        if not users:
            orphans.append(row)
        for user_id in users:
            by_user[user_id].append(row)
    if orphans:
        staff = defaultdict(set)
        for user_id, path in StaffRole.objects.filter(
            role=Role.STREET_STAFF,
            organization__path__in={row[1] for row in orphans},
            user__is_active=True,
        ).values_list("user_id", "organization__path"):
            staff[path].add(user_id)
        for row in orphans:
            for user_id in staff.get(row[1], ()):
                by_user[user_id].append(row)
    return by_user


def write_round(reminder: NoticeReminder) -> int:
    """The items of one round; returns the number of recipients. Three queries (four when
    a branch has no secretary); a second write of the same round inserts nothing."""
    notice = reminder.notice
    original_id = notice.root_id or notice.pk
    rows = _open_receipts(original_id, under=notice.organization.path)
    if not rows:
        return 0
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        if notice.deadline:
            title = _("Please confirm the notice “%(title)s” by %(day)s") % {
                "title": notice.title,
                "day": month_day(notice.deadline),
            }
        else:
            title = _("Please confirm the notice “%(title)s”") % {"title": notice.title}
        items = []
        for user_id, branches in owing(rows, Secretaries.load()).items():
            names = "、".join(name for _id, _path, name in branches)
            items.append(
                Reminder(
                    kind=ReminderKind.NOTICE_UNCONFIRMED,
                    subject=subject_of(original_id),
                    recipient_id=user_id,
                    period=period_of(reminder.pk),
                    area_path=branches[0][1],
                    title=title[:200],
                    body=_("Not yet confirmed: %(branches)s.") % {"branches": names},
                    link=page_link("notices:confirm", pk=notice.pk),
                    due_on=notice.deadline,
                    state=ReminderState.SENT,
                    sent_at=now,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    Reminder.objects.bulk_create(items, ignore_conflicts=True)
    return len(items)


def resolve_confirmed(notice_id: int) -> int:
    """Resolve the open items of this notice whose recipients have no open branch left on
    it. One query when there is no open item; four or five otherwise."""
    open_items = Reminder.objects.filter(
        kind=ReminderKind.NOTICE_UNCONFIRMED,
        subject=subject_of(notice_id),
        resolved_at__isnull=True,
    )
    recipients = set(open_items.values_list("recipient_id", flat=True))
    if not recipients:
        return 0
    still = set(owing(_open_receipts(notice_id), Secretaries.load()))
    done = recipients - still
    if not done:
        return 0
    return open_items.filter(recipient_id__in=done).update(resolved_at=timezone.now())
