"""Reminders x roles. Everybody logged in has an inbox, settings and a "not delivered"
page of their own. One reminder item belongs to the community secretary (only she opens
it); a failed digest of hers, about community_a, is also open to the district A staff
(can_review_reminders over its area), and to nobody else."""

from activities.messaging.models import (
    MemberMessaging,
    MemberOptOut,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderState,
)

from . import LOGGED_IN, Spec
from .members import MEMBER_A_EDITORS, MEMBER_A_READERS


def secretary_of(community):
    """The community secretary of `community` (so that the scope sweep's mirrored cast,
    with community_b for community_a, finds district B's secretary)."""
    from branches.access import Role
    from branches.models import StaffRole

    role = StaffRole.objects.get(role=Role.COMMUNITY_SECRETARY, organization=community)
    return role.user


def item(cast):
    user = secretary_of(cast.community_a)
    found = Reminder.objects.filter(recipient=user, kind=ReminderKind.MEETING_UPCOMING).first()
    return found or Reminder.objects.create(
        kind=ReminderKind.MEETING_UPCOMING,
        subject="meeting:matrix",
        recipient=user,
        period="2026-03-20",
        area_path=cast.community_a.path,
        title="矩阵提醒",
        link="/reminders/",
        state=ReminderState.SENT,
    )


def unread_for_everyone(cast):
    """An unread item for every user of the cast (so "mark all read" changes something
    for whoever posts)."""
    for key in LOGGED_IN:
        Reminder.objects.get_or_create(
            kind=ReminderKind.GREETING,
            subject="greet:matrix",
            recipient=cast.user(key),
            period="2026-03-20",
            defaults={"title": "矩阵生日", "state": ReminderState.SENT},
        )
    return {}


def failed(cast):
    user = secretary_of(cast.community_a)
    found = Reminder.objects.filter(recipient=user, kind=ReminderKind.DIGEST).first()
    return found or Reminder.objects.create(
        kind=ReminderKind.DIGEST,
        subject="digest",
        recipient=user,
        period="2026-03-18",
        area_path=cast.community_a.path,
        title="3月18日提醒",
        state=ReminderState.FAILED,
        attempts=6,
        last_error="收件地址被拒收（550）：zhang@example.cn",
    )


def read_states(cast):
    return sorted(Reminder.objects.values_list("pk", "read_at"))


SPECS = [
    Spec("reminders:inbox", ok=LOGGED_IN),
    Spec("reminders:unread_badge", ok=LOGGED_IN),
    Spec(
        "reminders:item",
        kwargs=lambda c: {"pk": item(c).pk},
        ok=frozenset({"community_secretary"}),
        post=lambda c: {"open": "1"},
        state=read_states,
    ),
    Spec(
        "reminders:mark_all_read",
        kwargs=unread_for_everyone,
        ok=LOGGED_IN,
        post=lambda c: {},
        state=read_states,
    ),
    Spec(
        "reminders:preferences",
        ok=LOGGED_IN,
        post=lambda c: {"digest_time": "07:30", "use_email": "on", "email": "x@example.cn"},
        state=lambda c: sorted(
            ReminderPreference.objects.values_list("user_id", "digest_time", "use_email")
        ),
    ),
    Spec("reminders:failed_list", ok=LOGGED_IN),
    # A member's notice settings: their secretaries write them; readers of the member
    # without can_edit_members are refused (403), everybody else 404.
    Spec(
        "reminders:member_settings",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {
            "channel": "sms",
            "opted_out": ["meeting_notice"],
            "family_name": "赵小明",
            "family_relation": "son",
            "family_phone": "13912345678",
            "family_mode": "also",
            "consent_by": "赵德明",
            "consent_on": "2026-03-01",
            "consent_how": "signed",
        },
        state=lambda c: (
            sorted(MemberMessaging.objects.values_list("member_id", "channel", "family_name")),
            sorted(MemberOptOut.objects.values_list("member_id", "kind")),
        ),
    ),
    Spec(
        "reminders:failed_detail",
        kwargs=lambda c: {"pk": failed(c).pk},
        ok=frozenset({"community_secretary", "district_staff"}),
        post=lambda c: {},
        state=lambda c: sorted(Reminder.objects.outbound().values_list("pk", "state", "attempts")),
    ),
]
