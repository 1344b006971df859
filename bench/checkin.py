"""Benchmark of self check-in (扫码签到): a whole branch checks in at once over HTTP.

    .venv/bin/python bench/checkin.py                     # PostgreSQL from DATABASE_URL
    .venv/bin/python bench/checkin.py --members 200 --clients 16 --double 20

It (re)creates a scratch database `portal_bench_checkin` on the server named by
DATABASE_URL (default postgres://portal:portal@127.0.0.1:5432/portal), migrates it and
builds one branch with N members (each with a phone number on record) and a meeting
planned for today. Then gunicorn (2 sync workers, one per core, 4 threads each) serves
the portal on 127.0.0.1, and a bounded pool of client threads plays the members' phones:
each opens the public page at the meeting's signed URL with `?who=` (a session and the
CSRF cookie of its own), then posts the last four digits of its phone number. `--double`
members tap twice at once (two concurrent posts), the way a nervous finger does.

Afterwards it counts the meeting's attendance lines in the database: exactly one per
member, every one "present (self check-in)" with its time, none lost, none duplicated,
and one audit entry per check-in. It prints the wall time of the whole run (it must stay
under a minute), the posts per second and the median and 95th percentile of a post.
The report is also written to bench/results/checkin.txt (not committed). Counters of
the abuse rules live in Redis when CACHE_URL is set (as in production), else per worker.
"""

import argparse
import datetime
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    recreate_database,
    wait_until_up,
    with_database,
)

RESULTS = ROOT / "bench" / "results"
LIMIT_SECONDS = 60  # the issue: 200 self check-ins to one meeting within a minute


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200, help="expected members (1..2000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent phones (1..64)")
    parser.add_argument("--double", type=int, default=20, help="members who tap twice at once")
    parser.add_argument("--db-name", default="portal_bench_checkin")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if not 1 <= args.members <= 2000 or not 1 <= args.clients <= 64:
        parser.error("--members 1..2000, --clients 1..64")
    args.double = max(0, min(args.double, args.members))
    return args


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()


def build(n_members: int):
    """One community branch with n members (phones 139000xxxxx) and today's meeting."""
    from django.core.management import call_command
    from django.utils import timezone

    from activities.meetings import checkin
    from activities.meetings.models import MeetingKind
    from activities.meetings.services import planning
    from branches.models import Level
    from tests import factories as f

    call_command("migrate", verbosity=0)
    city = f.org(name="滨海市", level=Level.CITY, code="3199")
    district = f.org(name="东城区", level=Level.DISTRICT, parent=city, code="319901")
    street = f.org(name="和平街道", level=Level.STREET, parent=district, code="319901001")
    community = f.org(name="翠园社区", level=Level.COMMUNITY, parent=street, code="319901001001")
    branch = f.branch(organization=community)
    members = []
    for i in range(n_members):
        member = f.member(
            name=f"党员{i:04d}",
            community=community,
            born=datetime.date(1940, 1, 1) + datetime.timedelta(days=37 * i),
            phone=f"139{i:08d}",
        )
        f.registration(member=member, branch=branch)
        members.append((member.pk, f"{i:08d}"[-4:]))
    meeting, _ = planning.meeting_plan(
        branch=branch,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "扫码签到压力测试",
            "planned_on": timezone.localdate(),
        },
        client_key=__import__("uuid").uuid4(),
        actor=None,
    )
    path = f"/checkin/{checkin.token_for(meeting)}/"
    return meeting, members, path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def one_phone(base: str, path: str, member_pk: int, digits: str, taps: int) -> list:
    """GET the member's page, then POST the digits `taps` times at once (threads).
    Returns [(status, seconds)] of the posts."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    url = f"{base}{path}?who={member_pk}"
    page = opener.open(url, timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "who": member_pk, "digits": digits}
    ).encode()

    def post():
        request = urllib.request.Request(base + path, data=body, method="POST")  # noqa: S310
        started = time.perf_counter()
        try:
            status = opener.open(request, timeout=60).status
        except urllib.error.HTTPError as error:  # 302 (NoRedirect), 4xx, 5xx
            status = error.code
        return status, time.perf_counter() - started

    if taps == 1:
        return [post()]
    with ThreadPoolExecutor(max_workers=taps) as pool:
        return list(pool.map(lambda _: post(), range(taps)))


def run_load(args, database_url, members, path) -> dict:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "retiree_party.settings",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "retiree_party.wsgi",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, tries=150)
        doubles = {pk for pk, _ in members[: args.double]}
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(
                pool.map(
                    lambda m: one_phone(base, path, m[0], m[1], 2 if m[0] in doubles else 1),
                    members,
                )
            )
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    posts = [r for member_posts in results for r in member_posts]
    statuses = {}
    for status, _seconds in posts:
        statuses[status] = statuses.get(status, 0) + 1
    times = sorted(seconds for _status, seconds in posts)
    return {
        "wall": wall,
        "posts": len(posts),
        "statuses": statuses,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
    }


def count_lines(meeting) -> dict:
    from django.db.models import Count

    from accounts.models import AuditEntry
    from activities.meetings.models import Attendance

    lines = Attendance.objects.filter(meeting=meeting)
    per_member = lines.values("member").annotate(n=Count("pk"))
    return {
        "lines": lines.count(),
        "members_with_a_line": per_member.count(),
        "duplicated": per_member.filter(n__gt=1).count(),
        "self_checked_in_present": lines.filter(
            status="present", checked_in_at__isnull=False
        ).count(),
        "audit_entries": AuditEntry.objects.filter(
            object_type="activities.attendance", changes__after__has_key="checked_in_at"
        ).count(),
    }


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    url = with_database(admin_url, args.db_name)
    recreate_database(admin_url, args.db_name)
    try:
        setup_django(url)
        t0 = time.perf_counter()
        meeting, members, path = build(args.members)
        built = time.perf_counter() - t0
        from django.db import connection

        connection.close()  # gunicorn's workers write; we only read afterwards
        load = run_load(args, url, members, path)
        counts = count_lines(meeting)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            recreate_database(admin_url, args.db_name, drop_only=True)

    n = args.members
    lost = n - counts["members_with_a_line"]
    ok = (
        counts["lines"] == n
        and counts["duplicated"] == 0
        and counts["self_checked_in_present"] == n
        and counts["audit_entries"] == n
        and load["wall"] < LIMIT_SECONDS
    )
    report = "\n".join(
        [
            f"self check-in bench, {datetime.datetime.now():%Y-%m-%d %H:%M}",
            f"setup: {n} members, one meeting, built in {built:.1f} s",
            f"load: {args.clients} concurrent phones (GET the page, POST the digits), "
            f"{args.double} of them tapping twice at once; gunicorn 2 workers x 4 threads",
            f"wall time: {load['wall']:.1f} s for {load['posts']} posts "
            f"({load['posts'] / load['wall']:.1f} posts/s; limit {LIMIT_SECONDS} s)",
            f"post latency: median {load['median_ms']:.0f} ms, p95 {load['p95_ms']:.0f} ms",
            f"answers: {dict(sorted(load['statuses'].items()))} (302: checked in, or told"
            " so after a double tap; 200: the page 'already checked in at HH:MM')",
            f"attendance lines: {counts['lines']} for {n} members "
            f"(lost {lost}, duplicated {counts['duplicated']}, present by self check-in "
            f"{counts['self_checked_in_present']}), audit entries {counts['audit_entries']}",
            "RESULT: " + ("OK" if ok else "FAILED"),
        ]
    )
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "checkin.txt").write_text(report + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
