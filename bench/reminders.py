"""Reminder sweep benchmark: how long the sweep takes, and how many queries it asks, at
district and city size.

    .venv/bin/python bench/reminders.py                     # district
    .venv/bin/python bench/reminders.py --sizes district,city
    .venv/bin/python bench/reminders.py --reuse             # keep seeded databases

Each size lives in its own scratch database (`portal_bench_reminders_<size>` on the
server of DATABASE_URL, default postgres://portal:portal@127.0.0.1:5432/portal), seeded by
`seed_demo` and kept afterwards (--reuse skips the seeding). On top of the demo data it
gives every community a community secretary and every branch a branch secretary, half of
them with a daily digest by e-mail, then runs in a child process per size:

1. the first sweep (it writes every reminder due today and the digests), then --runs
   more sweeps (they find the same things due and write nothing new): time and queries
   (counted at the cursor), and the time of each kind's question;
2. the sender over every digest written, with Django's in-memory mail backend (nothing
   leaves the machine): time per digest and queries.

The query count must be the same at both sizes (one question per kind of reminder); the
time grows with the rows read and written. Bounded: --runs (1..50) sweeps per size.
Results go to bench/results/reminders.txt (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import DEFAULT_DATABASE_URL, recreate_database, with_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district", help="comma-separated: district,city")
    parser.add_argument("--runs", type=int, default=5, help="repeated sweeps to time (1..50)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not 1 <= args.runs <= 50:
        parser.error("--runs must be 1..50")
    return args


class Counter:
    """Queries executed inside the block, counted at the cursor."""

    def __enter__(self):
        from django.db import connection

        self.count = 0

        def wrapper(execute, sql, params, many, context):
            self.count += 1
            return execute(sql, params, many, context)

        self._cm = connection.execute_wrapper(wrapper)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)


def add_secretaries():
    """A community secretary per community and a branch secretary per branch (bulk), half
    of them with an e-mail digest at 00:00. Idempotent."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from activities.messaging.models import ReminderPreference
    from branches.access import Role
    from branches.models import Branch, Level, Organization, StaffRole

    User = get_user_model()
    if User.objects.filter(username__startswith="bench-sec-").exists():
        return User.objects.filter(username__startswith="bench-sec-").count()
    password = make_password("Bench@2026!")
    nodes = [("c", c.pk) for c in Organization.objects.filter(level=Level.COMMUNITY)]
    nodes += [("b", b.pk) for b in Branch.objects.all()]
    users = User.objects.bulk_create(
        User(username=f"bench-sec-{kind}{pk}", full_name=f"书记{pk}", password=password)
        for kind, pk in nodes
    )
    roles, prefs = [], []
    for user, (kind, pk) in zip(users, nodes, strict=True):
        if kind == "c":
            roles.append(StaffRole(user=user, role=Role.COMMUNITY_SECRETARY, organization_id=pk))
        else:
            roles.append(StaffRole(user=user, role=Role.BRANCH_SECRETARY, branch_id=pk))
        if pk % 2 == 0:
            prefs.append(
                ReminderPreference(
                    user=user,
                    use_email=True,
                    email=f"{user.username}@example.cn",
                    digest_time="00:00",
                )
            )
    StaffRole.objects.bulk_create(roles)
    ReminderPreference.objects.bulk_create(prefs)
    return len(users)


def time_collectors(now):
    """Seconds and queries of each kind's question, asked once more on its own."""
    from django.conf import settings
    from django.utils import timezone, translation

    from activities.messaging import due, sweep

    ctx = due.Context(today=timezone.localdate(now), now=now, secretaries=due.Secretaries.load())
    out = {}
    with translation.override(settings.LANGUAGE_CODE):
        for kind, collector in sweep.COLLECTORS.items():
            with Counter() as queries:
                started = time.perf_counter()
                dues = collector(ctx)
                elapsed = time.perf_counter() - started
            out[str(kind)] = {
                "ms": round(elapsed * 1000),
                "queries": queries.count,
                "due": len(dues),
                "rows": sum(len(d.recipients) + len(d.members) for d in dues),
            }
    return out


def child(size: str, url: str, runs: int):
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from activities.messaging import sender as reminder_sender
    from activities.messaging import sweep
    from activities.messaging.models import Reminder, ReminderKind
    from members.models import Member

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    call_command("migrate", verbosity=0)
    secretaries = add_secretaries()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    Reminder.objects.all().delete()  # each run starts from no reminders
    now = timezone.now()
    result = {
        "size": size,
        "members": Member.objects.count(),
        "secretaries": secretaries,
        "attendance": __import__(
            "activities.models", fromlist=["Attendance"]
        ).Attendance.objects.count(),
    }
    with Counter() as queries:
        started = time.perf_counter()
        first = sweep.sweep(now=now)
        result["first_sweep_s"] = round(time.perf_counter() - started, 2)
    result["first_sweep_queries"] = queries.count
    result["rows_written"] = first.created
    result["digests"] = first.digests
    result["due"] = {str(k): v for k, v in first.due.items()}
    times, counts = [], []
    for _run in range(runs):
        with Counter() as queries:
            started = time.perf_counter()
            again = sweep.sweep(now=timezone.now())
            times.append(time.perf_counter() - started)
        counts.append(queries.count)
        assert again.created == 0 and again.digests == 0, again
    result["repeat_sweep_median_s"] = round(statistics.median(times), 2)
    result["repeat_sweep_queries"] = sorted(set(counts))
    result["collectors"] = time_collectors(now)
    digests = Reminder.objects.filter(kind=ReminderKind.DIGEST).count()
    with Counter() as queries:
        started = time.perf_counter()
        sent = reminder_sender.send_due(max_batches=10_000)
        elapsed = time.perf_counter() - started
    result["send"] = {
        "digests": digests,
        "sent": sent.sent,
        "s": round(elapsed, 2),
        "ms_per_digest": round(elapsed * 1000 / max(1, sent.sent), 1),
        "queries": queries.count,
        "queries_per_digest": round(queries.count / max(1, sent.sent), 1),
    }
    print(json.dumps(result, ensure_ascii=False))


def prepare(size: str, admin_url: str, *, reuse: bool, seed: int) -> str:
    name = f"portal_bench_reminders_{size}"
    url = with_database(admin_url, name)
    if reuse:
        import psycopg

        try:
            with psycopg.connect(url) as conn:
                seeded = conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM branches_organization)"
                ).fetchone()[0]
            if seeded:
                return url
        except psycopg.Error:
            pass
    recreate_database(admin_url, name)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--size", size, "--seed", str(seed)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  seeded {size} in {time.perf_counter() - started:.0f}s")
    return url


def report(results) -> str:
    lines = [f"Reminder sweep benchmark {time.strftime('%Y-%m-%d %H:%M')}", ""]
    for r in results:
        lines += [
            f"== {r['size']}: {r['members']} members, {r['attendance']} attendance lines, "
            f"{r['secretaries']} secretaries",
            f"first sweep: {r['first_sweep_s']} s, {r['first_sweep_queries']} queries, "
            f"{r['rows_written']} reminders + {r['digests']} digests written",
            f"repeat sweep (nothing new): median {r['repeat_sweep_median_s']} s, "
            f"queries {r['repeat_sweep_queries']}",
            "per kind (ms / queries / things due / rows):",
        ]
        for kind, c in r["collectors"].items():
            lines.append(
                f"  {kind:<22} {c['ms']:>7} ms {c['queries']:>3} q {c['due']:>7} {c['rows']:>7}"
            )
        s = r["send"]
        lines += [
            f"sender: {s['sent']}/{s['digests']} digests in {s['s']} s "
            f"({s['ms_per_digest']} ms and {s['queries_per_digest']} queries per digest)",
            "",
        ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if args.child:
        size, url = args.child.split("|", 1)
        child(size, url, args.runs)
        return
    results = []
    for size in args.sizes:
        print(f"{size}: preparing")
        url = prepare(size, admin_url, reuse=args.reuse, seed=args.seed)
        out = subprocess.run(
            [sys.executable, __file__, "--child", f"{size}|{url}", "--runs", str(args.runs)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(report(results[-1:]))
    text = report(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reminders.txt").write_text(text + "\n" + json.dumps(results, ensure_ascii=False))
    print(f"written to {RESULTS / 'reminders.txt'}")


if __name__ == "__main__":
    main()
