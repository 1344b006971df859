"""How notices reach a member: quiet hours (nothing to members from 21:00 to 08:00, what
falls inside waits), opt-outs per kind, a preferred call instead of texts, a family
contact (with the member's consent) instead of or as well as the member; the secretary's
page that sets them (audited, masked, versioned)."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import AuditEntry
from activities.messaging import sender as reminder_sender
from activities.messaging import sweep
from activities.messaging.channels import LoggingSmsBackend
from activities.messaging.models import (
    Channel,
    MemberMessaging,
    MemberOptOut,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderState,
)
from activities.messaging.writes import member_messaging_save

from .conftest import SHANGHAI, TODAY, days, plan, prefer

pytestmark = pytest.mark.django_db

AT_22 = datetime.datetime(2026, 3, 18, 22, 0, tzinfo=SHANGHAI)
AT_0759 = datetime.datetime(2026, 3, 19, 7, 59, tzinfo=SHANGHAI)
AT_08 = datetime.datetime(2026, 3, 19, 8, 0, tzinfo=SHANGHAI)
CONSENT = {"consent_by": "赵德明", "consent_on": TODAY, "consent_how": "signed"}


@pytest.fixture
def notices(cast, settings):
    """Meeting notices on, quiet hours as deployed; member_a has a phone; a meeting of
    branch_a the day after tomorrow (still ahead at 08:00 the next morning)."""
    settings.REMINDER_MEETING_SMS_TO_MEMBERS = True
    settings.REMINDER_QUIET_FROM_HOUR, settings.REMINDER_QUIET_UNTIL_HOUR = 21, 8
    cast.member_a.phone = "13812345678"
    cast.member_a.save()
    return plan(branch=cast.branch_a, on=TODAY + days(1), topic="支部党员大会")


def phones() -> list[str]:
    return sorted(s["phone"] for s in LoggingSmsBackend.outbox)


def test_the_sweep_at_22_00_sends_nothing_to_members_and_sends_at_08_00(notices):
    sweep.sweep(now=AT_22)
    reminder_sender.send_due(now=AT_22)
    assert LoggingSmsBackend.outbox == []
    pending = Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE)
    assert set(pending.values_list("state", flat=True)) == {ReminderState.PENDING}
    assert pending.count() == 2  # waiting, not dropped
    reminder_sender.send_due(now=AT_0759)
    assert LoggingSmsBackend.outbox == []
    reminder_sender.send_due(now=AT_08)
    assert phones() == ["13812345678", "13900001111"]
    assert set(pending.values_list("state", flat=True)) == {ReminderState.SENT}


def test_quiet_hours_leave_the_secretaries_digest_alone(cast, notices):
    prefer(cast.user("community_secretary"))
    sweep.sweep(now=AT_22)
    result = reminder_sender.send_due(now=AT_22)
    assert result.sent == 1  # the digest; the members' notices wait
    assert Reminder.objects.get(kind=ReminderKind.DIGEST).state == ReminderState.SENT


def test_an_opted_out_member_gets_none_of_that_kind(cast, notices):
    secretary = cast.user("community_secretary")
    member_messaging_save(
        member=cast.member_a,
        data={},
        opted_out={ReminderKind.MEETING_NOTICE},
        version=None,
        actor=secretary,
    )
    opt_out = MemberOptOut.objects.get(member=cast.member_a)
    assert (opt_out.kind, opt_out.set_by) == (ReminderKind.MEETING_NOTICE, secretary)
    sweep.sweep(now=AT_08)
    reminder_sender.send_due(now=AT_08)
    assert phones() == ["13900001111"]  # the other member of branch_a only
    assert not Reminder.objects.filter(member=cast.member_a).exists()


def test_an_opt_out_recorded_during_the_quiet_hours_drops_the_waiting_notice(cast, notices):
    sweep.sweep(now=AT_22)
    member_messaging_save(
        member=cast.member_a,
        data={},
        opted_out={ReminderKind.MEETING_NOTICE},
        version=None,
        actor=cast.user("branch_secretary"),
    )
    reminder_sender.send_due(now=AT_08)
    assert phones() == ["13900001111"]


def test_a_member_who_prefers_a_call_gets_no_text(cast, notices):
    member_messaging_save(
        member=cast.member_a,
        data={"channel": "call"},
        opted_out=set(),
        version=None,
        actor=cast.user("community_secretary"),
    )
    sweep.sweep(now=AT_08)
    reminder_sender.send_due(now=AT_08)
    assert phones() == ["13900001111"]


def test_the_family_contact_gets_one_as_well_as_the_member(cast, notices):
    member_messaging_save(
        member=cast.member_a,
        data={"family_name": "赵小明", "family_phone": "13700001234", **CONSENT},
        opted_out=set(),
        version=None,
        actor=cast.user("community_secretary"),
    )
    sweep.sweep(now=AT_08)
    reminder_sender.send_due(now=AT_08)
    reminder_sender.send_due(now=AT_08)  # again: nothing twice
    assert phones() == ["13700001234", "13812345678", "13900001111"]
    family = next(s for s in LoggingSmsBackend.outbox if s["phone"] == "13700001234")
    assert family["text"].startswith("【党支部】为您的家人转达：")
    notice = Reminder.objects.get(member=cast.member_a)
    assert sorted(
        ReminderDelivery.objects.filter(reminder=notice).values_list("channel", flat=True)
    ) == [Channel.FAMILY, Channel.SMS]


def test_the_family_contact_instead_of_the_member(cast, notices):
    member_messaging_save(
        member=cast.member_a,
        data={"family_phone": "13700001234", "family_mode": "instead", **CONSENT},
        opted_out=set(),
        version=None,
        actor=cast.user("community_secretary"),
    )
    sweep.sweep(now=AT_08)
    reminder_sender.send_due(now=AT_08)
    assert phones() == ["13700001234", "13900001111"]


def test_a_member_without_a_phone_is_reached_through_the_family_contact(cast, notices):
    cast.member_a.phone = ""
    cast.member_a.save()
    member_messaging_save(
        member=cast.member_a,
        data={"family_phone": "13700001234", **CONSENT},
        opted_out=set(),
        version=None,
        actor=cast.user("community_secretary"),
    )
    sweep.sweep(now=AT_08)
    reminder_sender.send_due(now=AT_08)
    assert phones() == ["13700001234", "13900001111"]
    assert Reminder.objects.get(member=cast.member_a).state == ReminderState.SENT


# --- The secretary's page ------------------------------------------------------------------


def form(**fields):
    return {
        "channel": "sms",
        "family_name": "",
        "family_relation": "",
        "family_phone": "",
        "family_mode": "also",
        "consent_by": "",
        "consent_on": "",
        "consent_how": "",
        **fields,
    }


def test_the_secretary_sets_a_family_contact_with_consent_audited_and_masked(
    cast, client_for, notices
):
    client = client_for("community_secretary")
    url = reverse("reminders:member_settings", args=[cast.member_a.pk])
    assert "通知设置" in client.get(reverse("members:member_detail", args=[cast.member_a.pk])).text
    page = client.get(url)
    assert page.status_code == 200 and "21:00" in page.text
    response = client.post(
        url,
        form(
            family_name="赵小明",
            family_relation="son",
            family_phone="13700001234",
            consent_by="赵德明",
            consent_on="2026-03-01",
            consent_how="signed",
            opted_out=["care_notice"],
        ),
    )
    assert response.status_code == 302
    chosen = MemberMessaging.objects.get(member=cast.member_a)
    assert (chosen.family_phone, chosen.consent_how, chosen.version) == (
        "13700001234",
        "signed",
        1,
    )
    # Encrypted at rest, masked on the page and in the trail.
    with connection.cursor() as cursor:
        cursor.execute("SELECT family_phone FROM activities_membermessaging")
        assert "13700001234" not in cursor.fetchone()[0]
    page = client.get(url).text
    assert "137****1234" in page and "13700001234" not in page
    entries = AuditEntry.objects.filter(object_type__startswith="activities.member")
    assert sorted(entries.values_list("object_type", "action")) == [
        ("activities.membermessaging", "create"),
        ("activities.memberoptout", "create"),
    ]
    trail = " ".join(f"{e.changes} {e.object_repr}" for e in entries)
    assert "137****1234" in trail and "13700001234" not in trail and "赵小明" not in trail
    assert "不接收：" in page  # the opt-out, with who recorded it and when


def test_a_family_phone_without_consent_is_refused_and_nothing_saved(cast, client_for):
    client = client_for("branch_secretary")
    url = reverse("reminders:member_settings", args=[cast.member_a.pk])
    response = client.post(url, form(family_name="赵小明", family_phone="13700001234"))
    assert response.status_code == 200
    assert "请先记录党员本人的同意" in response.text
    assert not MemberMessaging.objects.exists()


def test_two_secretaries_saving_at_once_get_a_conflict_not_an_overwrite(cast, client_for):
    first, second = client_for("community_secretary"), client_for("branch_secretary")
    url = reverse("reminders:member_settings", args=[cast.member_a.pk])
    member_messaging_save(
        member=cast.member_a, data={}, opted_out=set(), version=None, actor=cast.user("auditor")
    )
    assert first.post(url, form(channel="call", version="1")).status_code == 302
    response = second.post(url, form(channel="sms", version="1"))
    assert response.status_code == 200 and "刷新" in response.text
    assert MemberMessaging.objects.get().channel == "call"


@pytest.mark.parametrize("bad", ["1\x00", "²", "9" * 40, "-1"])
def test_a_bad_version_is_a_form_error_not_a_crash(cast, client_for, bad):
    client = client_for("community_secretary")
    url = reverse("reminders:member_settings", args=[cast.member_a.pk])
    assert client.post(url, form(version=bad)).status_code == 200
