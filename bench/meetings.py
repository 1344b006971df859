"""Benchmark of organisational life: recording a meeting, the recording screen, and the
PDFs.

    .venv/bin/python bench/meetings.py                  # PostgreSQL from DATABASE_URL
    .venv/bin/python bench/meetings.py --runs 50

It (re)creates a scratch database `portal_bench_meetings` on the server named by
DATABASE_URL (default postgres://portal:portal@127.0.0.1:5432/portal), builds one branch
with 60 members by hand and a year of its meetings (then ANALYZE, as autovacuum keeps a
live database), and measures, in the same run:

1. saving a held meeting with 40 attendance lines through activities.meetings.services.recording
   (one upsert, one audit insert) against the same through a standard Django model
   formset (a ModelForm for the meeting and one form per line, each validated and saved
   on its own, with no audit at all): median time, ratio and queries;
2. the recording screen (GET) for a meeting of 10 and of 60 expected members;
3. the sign-in sheet PDF (40 names) and the yearly ledger PDF (a year of a branch's
   meetings with their attendance), cold and warm.

The report is printed and written to bench/results/meetings.txt (not committed).
"""

import argparse
import datetime
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import DEFAULT_DATABASE_URL, recreate_database, with_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DB_NAME = "portal_bench_meetings"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--db-name", default=DB_NAME, help="the scratch database")
    return parser.parse_args(argv)


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]


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


def build():
    """One community branch with a party group, 60 members and a committee secretary."""
    from django.contrib.auth import get_user_model

    from branches.models import Branch, Level, Organization, PartyGroup, StaffRole
    from members.models import Member

    def org(code, name, level, parent):
        node = Organization(code=code, name=name, level=level, parent=parent)
        node.save()
        return node

    city = org("3199", "滨海市", Level.CITY, None)
    district = org("319901", "东城区", Level.DISTRICT, city)
    street = org("319901001", "和平街道", Level.STREET, district)
    community = org("319901001001", "翠园社区", Level.COMMUNITY, street)
    branch = Branch.objects.create(organization=community, name="翠园社区离退休干部党支部")
    small = Branch.objects.create(organization=community, name="翠园社区离退休干部第二党支部")
    group = PartyGroup.objects.create(branch=branch, name="第一党小组")
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭", "建国华明德文秀英兰玉珍志伟军平红"

    def member(i, home):
        return Member(
            name=surnames[i % 16] + given[(i * 3) % 16] + given[(i * 7) % 16],
            gender="male",
            birth_date=datetime.date(1945, 1, 1) + datetime.timedelta(days=i * 40),
            id_number=f"3199011945{i:08d}",
            community=community,
            home_branch=home,
            party_group=group if home == branch else None,
            full_member_on=datetime.date(1975, 1, 1),
        )

    Member.objects.bulk_create([member(i, branch) for i in range(60)])
    Member.objects.bulk_create([member(100 + i, small) for i in range(10)])
    user = get_user_model().objects.create_user(username="bench_secretary", password="x" * 12)
    StaffRole.objects.create(user=user, role="community_secretary", organization=community)
    return branch, small, user


def forty_marks(branch):
    from activities.meetings.selectors import expected_members
    from activities.meetings.services.recording import Mark

    rows = expected_members(
        branch_id=branch.pk, kind="general_assembly", party_group_id=None, day=datetime.date.today()
    )[:40]
    marks = {}
    for i, row in enumerate(rows):
        if i % 9 == 4:
            marks[row.member_id] = Mark("excused", "住院")
        elif i % 13 == 6:
            marks[row.member_id] = Mark("absent")
    return rows, marks


def bench_save(branch, user, runs):
    """Service (bulk) vs a standard model formset, 40 lines each, same run."""
    from django import forms
    from django.db import transaction
    from django.forms import modelformset_factory

    from activities.meetings.models import Attendance, Meeting
    from activities.meetings.services import recording
    from members.models import Member

    # The service restricts to the first 40 members by giving it a 40-member group.
    rows, marks = forty_marks(branch)
    Member.objects.filter(home_branch=branch).exclude(pk__in=[r.member_id for r in rows]).update(
        party_group=None
    )
    group = branch.groups.get()

    def via_service(day):
        return recording.meeting_record_new(
            branch=branch,
            details={
                "kind": "group",
                "party_group": group,
                "topic": "学习党章",
                "held_on": day,
            },
            marks=marks,
            client_key=uuid.uuid4(),
            actor=user,
        )

    class MeetingForm(forms.ModelForm):
        class Meta:
            model = Meeting
            fields = ["branch", "kind", "party_group", "topic", "planned_on", "held_on", "status"]

    AttendanceFormSet = modelformset_factory(
        Attendance, fields=["meeting", "member", "status", "reason"], extra=0
    )

    def via_formset(day):
        data = {
            "branch": branch.pk,
            "kind": "group",
            "party_group": group.pk,
            "topic": "学习党章",
            "planned_on": day.isoformat(),
            "held_on": day.isoformat(),
            "status": "held",
        }
        with transaction.atomic():
            meeting_form = MeetingForm(data)
            assert meeting_form.is_valid(), meeting_form.errors
            meeting = meeting_form.save()
            post = {
                "form-TOTAL_FORMS": str(len(rows)),
                "form-INITIAL_FORMS": "0",
                "form-MIN_NUM_FORMS": "0",
                "form-MAX_NUM_FORMS": "1000",
            }
            for i, row in enumerate(rows):
                mark = marks.get(row.member_id)
                post[f"form-{i}-meeting"] = meeting.pk
                post[f"form-{i}-member"] = row.member_id
                post[f"form-{i}-status"] = mark.status if mark else "present"
                post[f"form-{i}-reason"] = mark.reason if mark else ""
            formset = AttendanceFormSet(post, queryset=Attendance.objects.none())
            assert formset.is_valid(), formset.errors
            formset.save()
        return meeting

    results = {}
    for label, fn in (("service (bulk)", via_service), ("model formset", via_formset)):
        with Counter() as counted:
            fn(datetime.date(2020, 1, 1))
        times, cpu = [], []
        for i in range(runs):
            # A meeting a week, as a branch holds them (four to six a month): the save
            # rewrites its month's tally, and a meeting a day would pile 20 in one month.
            day = datetime.date(2020, 1, 2) + datetime.timedelta(weeks=i)
            started, cpu_started = time.perf_counter(), time.process_time()
            fn(day)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        # This process's CPU time too: it does not count the database server, and the
        # wall-clock time of a busy machine includes waiting for a core.
        results[label] = (
            statistics.median(times) * 1000,
            counted.count,
            statistics.median(cpu) * 1000,
        )
    assert Attendance.objects.filter(meeting__held_on=datetime.date(2020, 1, 1)).count() == 80
    # Put the group back for the other measurements.
    Member.objects.filter(home_branch=branch).update(party_group=group)
    return results


def bench_page(branch, small, user, runs):
    from django.test import Client
    from django.urls import reverse

    from activities.meetings.services import planning

    client = Client()
    client.force_login(user)
    results = {}
    for label, target in (("10 members", small), ("60 members", branch)):
        meeting, _ = planning.meeting_plan(
            branch=target,
            details={
                "kind": "general_assembly",
                "topic": "学习",
                "planned_on": datetime.date.today(),
            },
            client_key=uuid.uuid4(),
            actor=user,
        )
        url = reverse("activities:meeting_record", args=[meeting.pk])
        with Counter() as counted:
            assert client.get(url).status_code == 200
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        results[label] = (statistics.median(times) * 1000, counted.count)
    return results


def a_year_of_meetings(branch, user):
    """A year as the cadence asks: 12 theme days, 12 committee and 12 group meetings,
    4 assemblies, 4 lectures, a life meeting and an appraisal (46 meetings)."""
    from activities.meetings.services import recording
    from activities.meetings.services.recording import Mark

    year = datetime.date.today().year - 1
    plan = []
    for month in range(1, 13):
        plan += [("theme_day", month, 10), ("group", month, 18)]
    for quarter in range(4):
        plan += [("general_assembly", quarter * 3 + 2, 15), ("lecture", quarter * 3 + 2, 25)]
    plan += [("life_meeting", 12, 20), ("appraisal", 12, 20)]
    rows, marks = forty_marks(branch)
    group = branch.groups.get()
    for kind, month, day in plan:
        recording.meeting_record_new(
            branch=branch,
            details={
                "kind": kind,
                "party_group": group if kind == "group" else None,
                "topic": f"{year}年{month}月学习",
                "held_on": datetime.date(year, month, day),
                "minutes": "书记领学，党员交流发言，形成会议决议。" * 3,
            },
            marks={**marks, rows[0].member_id: Mark("excused", "外出")},
            client_key=uuid.uuid4(),
            actor=user,
        )
    return year


def pdf_pages(content: bytes) -> int:
    """Pages of a PDF, by pdfinfo (poppler-utils) when it is installed."""
    import shutil
    import subprocess

    if not shutil.which("pdfinfo"):
        return 0
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        out = subprocess.run(["pdfinfo", handle.name], capture_output=True, check=True)
    found = re.search(rb"Pages:\s+(\d+)", out.stdout)
    return int(found.group(1)) if found else 0


SHEET = "sign-in sheet PDF (60 names)"


def python_calls(fn) -> int:
    """The Python function calls `fn` makes: a measure of the work that, unlike time,
    does not move with the machine's load (C code such as HarfBuzz counts once a call)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.runcall(fn)
    return pstats.Stats(profile).total_calls


def bench_pdfs(branch, user, year):
    from django.test import Client
    from django.urls import reverse

    from activities.meetings.models import Meeting

    client = Client()
    client.force_login(user)
    meeting = Meeting.objects.filter(branch=branch, kind="general_assembly").first()
    targets = {
        SHEET: reverse("activities:sign_in_sheet", args=[meeting.pk]) + "?format=pdf",
        "yearly ledger PDF (46 meetings)": reverse("activities:ledger", args=[branch.pk])
        + f"?year={year}&format=pdf",
        "yearly ledger Excel": reverse("activities:ledger", args=[branch.pk])
        + f"?year={year}&format=xlsx",
    }
    results = {}
    # A baseline in the same run: a bare 25-row table through the same PDF path, so the
    # sheets can be read as multiples of it whatever the machine's load.
    from branches.exporting import render_pdf

    rows = "".join(f"<tr><td>{i}</td><td>王建国{i}</td><td></td></tr>" for i in range(25))
    html = f"<h1>基准</h1><table class='sheet-table'><tbody>{rows}</tbody></table>"
    render_pdf(html)
    warm = []
    for _ in range(3):
        started = time.perf_counter()
        content = render_pdf(html)
        warm.append(time.perf_counter() - started)
    results["baseline: 25-row table PDF"] = (warm[0], statistics.median(warm), len(content), 1)
    # The yardstick: the same table through bare WeasyPrint (its defaults, fresh
    # objects each time, no portal stylesheet), as a program that prints one PDF would.
    from weasyprint import HTML

    HTML(string=html).write_pdf()
    bare = []
    for _ in range(5):
        started = time.perf_counter()
        content = HTML(string=html).write_pdf()
        bare.append(time.perf_counter() - started)
    results["bare WeasyPrint 25-row table"] = (bare[0], statistics.median(bare), len(content), 1)
    # A like-for-like peer, reported beside the yardstick (not instead of it): the sheet's
    # 60 rows of five bordered cells, names and group, same bare WeasyPrint.
    rows = "".join(
        f"<tr><td>{i}</td><td>王建国{i}</td><td>第一党小组</td><td></td><td></td></tr>"
        for i in range(1, 61)
    )
    peer = (
        "<style>table { border-collapse: collapse; width: 100% } "
        "td { border: 1px solid #333; padding: 4px; height: 2rem }</style>"
        f"<h1>基准</h1><table><tbody>{rows}</tbody></table>"
    )
    HTML(string=peer).write_pdf()
    bare = []
    for _ in range(5):
        started = time.perf_counter()
        content = HTML(string=peer).write_pdf()
        bare.append(time.perf_counter() - started)
    results["bare WeasyPrint 60x5 bordered"] = (bare[0], statistics.median(bare), len(content), 0)
    calls = {
        "bare WeasyPrint 25-row table": python_calls(lambda: HTML(string=html).write_pdf()),
        "bare WeasyPrint 60x5 bordered": python_calls(lambda: HTML(string=peer).write_pdf()),
    }
    for label, url in targets.items():
        started = time.perf_counter()
        response = client.get(url)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(5 if "sign-in" in label else 3):
            started = time.perf_counter()
            client.get(url)
            warm.append(time.perf_counter() - started)
        pages = pdf_pages(response.content) if url.endswith("pdf") else 0
        results[label] = (cold, statistics.median(warm), len(response.content), pages)
    calls[SHEET] = python_calls(lambda: client.get(targets[SHEET]))
    return results, calls


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL")
    recreate_database(admin_url, args.db_name)
    setup_django(with_database(admin_url, args.db_name))
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    branch, small, user = build()
    # A branch with a year behind it, and the statistics autovacuum keeps on a live
    # database: on tables just filled the planner guesses (a member's last participation
    # was read by a nested loop over every meeting of the branch, twice the time).
    year = a_year_of_meetings(branch, user)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")

    save = bench_save(branch, user, args.runs)
    page = bench_page(branch, small, user, args.runs)
    pdfs, calls = bench_pdfs(branch, user, year)

    service_ms, service_q, service_cpu = save["service (bulk)"]
    formset_ms, formset_q, formset_cpu = save["model formset"]
    lines = [
        f"Meetings benchmark {time.strftime('%Y-%m-%d %H:%M')}: PostgreSQL, {args.runs} runs "
        f"(median), {os.cpu_count()} CPUs.",
        "",
        "Saving a held meeting with 40 attendance lines:",
        f"  {'path':<32} {'median ms':>9} {'queries':>8} {'CPU ms':>8}",
        f"  {'service (bulk upsert + audit)':<32} {service_ms:9.2f} {service_q:8d} "
        f"{service_cpu:8.2f}",
        f"  {'standard model formset (no audit)':<32} {formset_ms:9.2f} {formset_q:8d} "
        f"{formset_cpu:8.2f}",
        f"  formset / service: {formset_ms / service_ms:.1f}x the time, "
        f"{formset_q / service_q:.1f}x the queries, {formset_cpu / service_cpu:.1f}x the CPU",
        "",
        "Recording screen (GET), planned general assembly:",
    ]
    for label, (ms, queries) in page.items():
        lines.append(f"  {label:<32} {ms:9.2f} ms {queries:4d} queries")
    lines += ["", "Printed sheets (Django test client, whole request):"]
    for label, (cold, warm, size, pages) in pdfs.items():
        lines.append(
            f"  {label:<32} cold {cold:6.2f}s  warm {warm:6.2f}s  {size // 1024:5d} KB"
            + (f"  {pages} pages" if pages else "")
        )
    bare = pdfs["bare WeasyPrint 25-row table"][1]
    sheet = pdfs[SHEET][1]
    lines.append(f"  sign-in sheet (warm) / bare WeasyPrint 25-row table: {sheet / bare:.2f}x")
    peer = pdfs["bare WeasyPrint 60x5 bordered"][1]
    lines.append(f"  sign-in sheet (warm) / bare WeasyPrint 60x5 bordered: {sheet / peer:.2f}x")
    lines += ["", "Python function calls of one PDF (the work, whatever the machine's load):"]
    for label, count in calls.items():
        lines.append(f"  {label:<32} {count:9,d}")
    yardstick = calls["bare WeasyPrint 25-row table"]
    lines.append(f"  sign-in sheet request / bare 25-row table: {calls[SHEET] / yardstick:.2f}x")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "meetings.txt").write_text(text, encoding="utf-8")
    connections.close_all()
    if not args.keep:
        recreate_database(admin_url, args.db_name, drop_only=True)


if __name__ == "__main__":
    main()
