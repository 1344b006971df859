"""Exactly once through a real SMS provider's SDK: a provider frozen mid-request (a fake
Tencent server in its own process, SIGSTOPped), and a worker that died after the
provider took the message. Lost 0, sent twice 0: the retry asks the provider whether it
took the key before sending again (sms.find)."""

import datetime
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from activities.messaging import sender as reminder_sender
from activities.messaging import sms, sweep
from activities.messaging.models import (
    DeliveryState,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderState,
)

from .conftest import NOW, TODAY, days, plan
from .fake_providers import FakeTencent
from .test_sms_providers import PHONE_A, PHONE_B, configure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProviderProcess:
    """The fake Tencent server in a subprocess (so it can be frozen with SIGSTOP)."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.record = tmp_path / "accepted.jsonl"
        self.record.touch()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.activities.messaging.fake_providers",
                "tencent",
                str(self.port),
                str(self.record),
            ],
            cwd=django_settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        ready, _, _ = select.select([self.process.stdout], [], [], 15)
        assert ready and self.process.stdout.readline().strip() == b"ready"
        self.endpoint = f"127.0.0.1:{self.port}"
        self.name = "tencent"

    def accepted(self) -> list[str]:
        return [line for line in self.record.read_text().splitlines() if line.strip()]

    def wait_for(self, n: int, seconds: float = 10) -> int:
        deadline = time.monotonic() + seconds
        while len(self.accepted()) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.accepted())

    def stop(self):
        os.kill(self.process.pid, signal.SIGCONT)
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def frozen_provider(tmp_path, settings):
    provider = ProviderProcess(tmp_path)
    configure(settings, provider)
    yield provider
    provider.stop()


@pytest.fixture
def meeting(cast):
    cast.member_a.phone = PHONE_A
    cast.member_a.save()
    return plan(branch=cast.branch_a, on=TODAY + days(1), topic="支部党员大会")


def test_a_frozen_provider_costs_a_timeout_and_the_retry_sends_nothing_twice(
    frozen_provider, cast, meeting
):
    os.kill(frozen_provider.process.pid, signal.SIGSTOP)
    sweep.sweep(now=NOW)
    started = time.monotonic()
    result = reminder_sender.send_due()
    elapsed = time.monotonic() - started
    # The connection is accepted by the kernel, the answer never comes: 1 s each.
    assert (result.retrying, result.sent) == (2, 0) and elapsed < 5, elapsed
    assert frozen_provider.accepted() == []
    os.kill(frozen_provider.process.pid, signal.SIGCONT)
    # Thawed, the provider reads the two requests it was holding, and sends them.
    assert frozen_provider.wait_for(2) == 2
    later = timezone.now() + datetime.timedelta(hours=2)
    result = reminder_sender.send_due(now=later)
    assert result.sent == 2
    assert len(frozen_provider.accepted()) == 2  # found by its key: not sent again
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SENT}
    assert ReminderDelivery.objects.exclude(provider_id="").count() == 2


def test_a_worker_that_died_after_the_provider_took_it_does_not_cause_a_second_message(
    cast, meeting, settings
):
    fake = FakeTencent().start()
    try:
        configure(settings, fake)
        sweep.sweep(now=NOW)
        _token, claimed = reminder_sender.claim()
        notice = claimed[0]
        key = reminder_sender.delivery_key(notice.pk, "sms")
        # The dead worker wrote its delivery row, and the provider took the message...
        ReminderDelivery.objects.create(reminder=notice, channel="sms", key=key)
        phone = notice.member.phone
        sms.TencentSmsBackend().send(
            phone=phone, text="", key=key, kind=ReminderKind.MEETING_NOTICE, params={}
        )
        # ...then the lease ran out and another worker took the row.
        later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
        result = reminder_sender.send_due(now=later)
        assert result.sent == 2
        assert fake.per_key()[key] == 1  # found by its key: not sent again
        assert {sms.national_number(m["phone"]) for m in fake.sent} == {PHONE_A, PHONE_B}
        delivery = ReminderDelivery.objects.get(key=key)
        assert delivery.state == DeliveryState.DELIVERED and delivery.provider_id
    finally:
        fake.stop()
