"""A meeting-notice day by SMS: every branch holds a meeting tomorrow, and the sweep texts
every expected member with a phone through a fake Tencent Cloud SMS server on 127.0.0.1
(the official SDK, signed requests checked by the fake), then the receipts come back by
callback in batches.

    .venv/bin/python bench/sms_day.py                     # district
    .venv/bin/python bench/sms_day.py --sizes district,city --reuse

Each size uses the reminders bench's scratch database (`portal_bench_reminders_<size>`,
seeded by `seed_demo`, kept afterwards; --reuse skips the seeding; the reminders are
deleted first). In a child process per size:

1. one planned meeting tomorrow per active branch (a general assembly: the whole branch);
2. the sweep with REMINDER_MEETING_SMS_TO_MEMBERS: time, queries, notices written;
3. the sender over every notice (SDK -> HTTP -> fake): time, queries per message;
4. the receipts posted to the callback view (Django's test client, 500 per post, as the
   providers batch them): time and queries per post;
5. peak memory of the process (ru_maxrss).

Bounded: --max-messages (default 50,000) caps the messages sent. Results go to
bench/results/sms_day.txt (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reminders import Counter, prepare  # noqa: E402
from bench.run import DEFAULT_DATABASE_URL  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BATCH = 500  # receipts per callback post


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district", help="comma-separated: district,city")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--max-messages", type=int, default=50_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    return args


def child(size: str, url: str, max_messages: int):
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from activities.meetings.models import Meeting, MeetingKind, MeetingStatus
    from activities.messaging import sender as reminder_sender
    from activities.messaging import sweep
    from activities.messaging.models import ReceiptState, Reminder, ReminderDelivery
    from branches.models import Branch
    from members.models import Member
    from tests.activities.messaging.fake_providers import APP_ID, KEY_ID, SECRET, FakeTencent

    call_command("migrate", verbosity=0)
    fake = FakeTencent().start()
    settings.REMINDER_SMS_BACKEND = "activities.messaging.sms.TencentSmsBackend"
    settings.REMINDER_SMS_ENDPOINT = fake.endpoint
    settings.REMINDER_SMS_ENDPOINT_HTTP = True
    settings.REMINDER_SMS_ACCESS_KEY_ID = KEY_ID
    settings.REMINDER_SMS_ACCESS_KEY_SECRET = SECRET
    settings.REMINDER_SMS_APP_ID = APP_ID
    settings.REMINDER_SMS_SIGN_NAME = "区委老干部局"
    settings.REMINDER_SMS_TEMPLATES = {"meeting_notice": "1", "care_notice": "2", "digest": "3"}
    settings.REMINDER_SMS_PER_DAY = 10 * max_messages
    settings.REMINDER_SMS_CALLBACK_TOKEN = "bench"  # noqa: S105  (a scratch database)
    settings.REMINDER_MEETING_SMS_TO_MEMBERS = True
    # The members' quiet hours would hold every notice when the bench runs at night.
    settings.REMINDER_QUIET_FROM_HOUR = settings.REMINDER_QUIET_UNTIL_HOUR = 0
    settings.REMINDER_SEND_BATCH = 500
    settings.ALLOWED_HOSTS = ["*"]
    # Only the notices: no secretaries' digests or items in the way.
    Reminder.objects.all().delete()
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    Meeting.objects.filter(planned_on=tomorrow, status=MeetingStatus.PLANNED).delete()
    branches = list(Branch.objects.active(timezone.localdate()).values_list("pk", flat=True))
    Meeting.objects.bulk_create(
        Meeting(
            branch_id=pk,
            kind=MeetingKind.GENERAL_ASSEMBLY,
            topic="主题党日：学习党的二十届四中全会精神",
            planned_on=tomorrow,
            status=MeetingStatus.PLANNED,
            venue_note="社区党群服务中心",
        )
        for pk in branches
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result = {"size": size, "members": Member.objects.count(), "meetings": len(branches)}
    with Counter() as queries:
        started = time.perf_counter()
        swept = sweep.sweep(branch_ids=branches)
        result["sweep_s"] = round(time.perf_counter() - started, 2)
    result["sweep_queries"] = queries.count
    result["notices"] = swept.created
    batches = max(1, max_messages // settings.REMINDER_SEND_BATCH)
    with Counter() as queries:
        started = time.perf_counter()
        sent = reminder_sender.send_due(max_batches=batches)
        elapsed = time.perf_counter() - started
    result["send"] = {
        "sent": sent.sent,
        "failed": sent.failed,
        "retrying": sent.retrying,
        "s": round(elapsed, 1),
        "ms_per_message": round(elapsed * 1000 / max(1, sent.sent), 2),
        "queries_per_message": round(queries.count / max(1, sent.sent), 1),
        "fake_accepted": len(fake.sent),
        "keys_twice": sum(1 for n in fake.per_key().values() if n > 1),
    }
    receipts = fake.receipts()
    client = Client()
    url = reverse("reminders:sms_status", kwargs={"provider": "tencent", "token": "bench"})
    with Counter() as queries:
        started = time.perf_counter()
        posts = 0
        for i in range(0, len(receipts), BATCH):
            response = client.post(
                url, data=json.dumps(receipts[i : i + BATCH]), content_type="application/json"
            )
            assert response.status_code == 200, response.content
            posts += 1
        elapsed = time.perf_counter() - started
    result["receipts"] = {
        "posts": posts,
        "s": round(elapsed, 2),
        "ms_per_post": round(elapsed * 1000 / max(1, posts), 1),
        "queries_per_post": round(queries.count / max(1, posts), 1),
        "delivered": ReminderDelivery.objects.filter(receipt=ReceiptState.DELIVERED).count(),
    }
    result["maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    fake.stop()
    print(json.dumps(result, ensure_ascii=False))


def report(results) -> str:
    lines = [f"SMS meeting-notice day {time.strftime('%Y-%m-%d %H:%M')}", ""]
    for r in results:
        s, c = r["send"], r["receipts"]
        lines += [
            f"== {r['size']}: {r['members']} members, {r['meetings']} meetings tomorrow",
            f"sweep: {r['sweep_s']} s, {r['sweep_queries']} queries, {r['notices']} notices",
            f"send: {s['sent']} sent ({s['failed']} failed, {s['retrying']} retrying) in "
            f"{s['s']} s: {s['ms_per_message']} ms and {s['queries_per_message']} queries per "
            f"message; the fake took {s['fake_accepted']}, keys sent twice {s['keys_twice']}",
            f"receipts: {c['posts']} posts of {BATCH} in {c['s']} s ({c['ms_per_post']} ms, "
            f"{c['queries_per_post']} queries per post), {c['delivered']} delivered",
            f"memory: process max RSS {r['maxrss_mb']} MB",
            "",
        ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if args.child:
        size, url = args.child.split("|", 1)
        child(size, url, args.max_messages)
        return
    results = []
    for size in args.sizes:
        print(f"{size}: preparing")
        url = prepare(size, admin_url, reuse=args.reuse, seed=args.seed)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                f"{size}|{url}",
                "--max-messages",
                str(args.max_messages),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(report(results[-1:]))
    text = report(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sms_day.txt").write_text(text + "\n" + json.dumps(results, ensure_ascii=False))
    print(f"written to {RESULTS / 'sms_day.txt'}")


if __name__ == "__main__":
    main()
