"""Benchmark: importing a 10,000-row 花名册 workbook (time and peak memory).

    .venv/bin/python bench/import_members.py [--rows 10000] [--database-url URL]

Without --database-url it runs on a fresh SQLite file in a temporary folder (the zero-setup
default); pass a postgres:// URL of a scratch database to measure PostgreSQL. It builds a
workbook shaped like a real one (title and 填报单位 rows, Chinese headers, mixed date
spellings, full-width digits), then measures:

  1. check  - read and check every row (members.importing.reading.read_plan)
  2. write  - write the checked plan in one transaction (members.importing.writing.members_import)
  3. again  - read the same file a second time: every row matched, nothing to write
  4. memory - the same check + write for another community under tracemalloc (peak
              Python allocations)

The workbooks are built and saved first; the import runs in a fresh process, as a user
runs it, and its peak RSS after check + write is the import's own (the process that
built two workbooks held ~230 MB before importing anything).

Times are wall-clock and CPU time of the importing process (the CPU time does not count
the database server, and is what to compare when the machine is busy); tracemalloc
slows Python down, so the timed runs are done without it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    # The importing process, started by the building one: its folder of workbooks.
    parser.add_argument("--import-from", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


def setup_django(database_url: str, folder: Path, *, migrate=True):
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DEBUG"] = "0"  # no query log growing in memory
    os.environ.setdefault("MEMBER_IMPORT_READ_SECONDS", "3600")  # measure, do not refuse
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def build_workbook(path: Path, rows: int, *, area: str, seed: int, branch_name: str):
    import openpyxl

    from members.validators import make_id_number

    rng = random.Random(seed)
    header = [
        "序号", "姓名", "性别", "民族", "出生年月", "公民身份号码", "联系电话", "家庭住址",
        "原工作单位", "原职务", "离退休类别", "离退休时间", "入党时间", "转正时间",
        "健康状况", "居住情况", "所在支部", "党小组", "备注",
    ]  # fmt: skip
    units = [f"滨海市第{n}机关" for n in range(1, 41)]
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "建国华明德文秀英兰玉珍志伟军平红梅丽强敏",
    )
    # A normal (not write-only) workbook: like Excel and WPS it records the sheet's
    # dimension up front, which read-only mode uses instead of scanning the sheet.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["离退休干部党员花名册（基准测试）"])
    sheet.append(["填报单位：基准社区党委", None, None, None, "填报日期：2026年5月"])
    sheet.append(header)
    used = set()
    for n in range(1, rows + 1):
        born = datetime.date(1926, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 40))
        male = rng.random() < 0.6
        while True:
            number = make_id_number(area, born, rng.randint(0, 999), male=male)
            if number not in used:
                used.add(number)
                break
        joined = born.replace(year=born.year + rng.randint(18, 35), day=1)
        spelling = n % 4
        birth = [
            born.strftime("%Y.%m"),
            born.strftime("%Y-%m-%d"),
            f"{born.year}年{born.month}月",
            born.strftime("%Y%m%d"),
        ][spelling]
        phone = f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}"
        if n % 10 == 0:  # typed with full-width digits
            phone = phone.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        sheet.append(
            [
                n,
                rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                "男" if male else "女",
                "汉族",
                birth,
                number.lower() if n % 50 == 0 else number,
                phone,
                f"基准社区{rng.randint(1, 80)}号楼{rng.randint(1, 6)}单元",
                rng.choice(units),
                rng.choice(["科员", "科长", "处长", "教师", "工程师"]),
                "离休" if born.year < 1932 else "退休",
                f"{born.year + 60}-{born.month:02d}",
                joined.strftime("%Y.%m"),
                joined.replace(year=joined.year + 1).strftime("%Y-%m-%d"),
                rng.choice(["健康", "健康", "一般", "较差", "卧床"]),
                rng.choice(["与家人同住", "独居", "空巢"]),
                branch_name,
                rng.choice(["第一党小组", "第二党小组", "第三党小组"]),
                "",
            ]
        )
    book.save(path)


def make_places():
    from branches.models import Branch, Level, Organization, PartyGroup

    city = Organization.objects.create(name="基准市", code="B399", level=Level.CITY)
    district = Organization.objects.create(
        name="基准区", code="B39901", level=Level.DISTRICT, parent=city
    )
    street = Organization.objects.create(
        name="基准街道", code="B39901001", level=Level.STREET, parent=district
    )
    places = []
    for n in (1, 2):
        community = Organization.objects.create(
            name=f"基准社区{n}", code=f"B39901001{n:03d}", level=Level.COMMUNITY, parent=street
        )
        branch = Branch.objects.create(organization=community, name=f"基准社区{n}党支部")
        for name in ("第一党小组", "第二党小组", "第三党小组"):
            PartyGroup.objects.create(branch=branch, name=name)
        places.append((community, branch))
    return places


def rss_mb() -> float:
    """The process's peak RSS. On Linux VmHWM: ru_maxrss survives exec, so a child
    started by a big process would report its parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main():
    args = parse_args()
    if args.import_from:
        return import_in_this_process(args, Path(args.import_from))
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    setup_django(args.database_url, folder)
    from members.models import Member

    if Member.objects.exists():
        sys.exit("The database already has members: point --database-url at a scratch one.")
    (_community, branch), (_community2, branch2) = make_places()
    first, second = folder / "roster-1.xlsx", folder / "roster-2.xlsx"
    started = time.perf_counter()
    build_workbook(first, args.rows, area="399011", seed=1, branch_name=branch.name)
    build_workbook(second, args.rows, area="399012", seed=2, branch_name=branch2.name)
    built = time.perf_counter() - started
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  workbooks built in {built:.1f}s by a process of {rss_mb():.0f} MB peak RSS")
    command = [sys.executable, __file__, "--rows", str(args.rows), "--import-from", str(folder)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    outcome = subprocess.run(command, check=False)
    if args.keep:
        print(f"  kept {folder}")
    else:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    sys.exit(outcome.returncode)


def import_in_this_process(args, folder: Path):
    """The import as a user runs it: a fresh process, the saved workbook."""
    setup_django(args.database_url, folder, migrate=False)
    from django.db import connection

    from accounts.models import AuditEntry
    from branches.models import Organization
    from members.importing.reading import read_plan
    from members.importing.writing import members_import
    from members.models import Member

    community = Organization.objects.get(code="B39901001001")
    community2 = Organization.objects.get(code="B39901001002")
    first, second = folder / "roster-1.xlsx", folder / "roster-2.xlsx"
    print(f"{connection.vendor}, {args.rows} rows: workbook {first.stat().st_size / 2**20:.1f} MB")
    rss_start = rss_mb()

    def timed(label, fn):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        seconds = time.perf_counter() - start
        print(f"  {label:<8} {seconds:6.2f}s wall, {time.process_time() - cpu:6.2f}s CPU")
        return result, seconds

    plan, t_check = timed("check", lambda: read_plan(first, community=community))
    assert plan.ok, [str(e) for e in plan.errors[:5]]
    outcome, t_write = timed(
        "write",
        lambda: members_import(plan=plan, community=community, actor=None),
    )
    assert outcome.created == args.rows, outcome
    rss_import = rss_mb()
    again, _t_again = timed("again", lambda: read_plan(first, community=community))
    assert (again.create_count, again.update_count) == (0, 0)
    plan = again = None  # free them before measuring memory
    print(
        f"  total    {t_check + t_write:6.2f}s for check + write "
        f"({args.rows / (t_check + t_write):,.0f} rows/s); "
        f"{AuditEntry.objects.count():,} audit entries"
    )
    print(
        f"  process  peak RSS {rss_import:.0f} MB after check + write "
        f"({rss_start:.0f} MB before importing)"
    )

    tracemalloc.start()
    plan2 = read_plan(second, community=community2)
    _, check_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    members_import(plan=plan2, community=community2, actor=None)
    _, write_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  memory   check peak {check_peak / 2**20:.1f} MB, write peak "
        f"{write_peak / 2**20:.1f} MB (tracemalloc, another community)"
    )
    print(f"  members in the database: {Member.objects.count():,}")


if __name__ == "__main__":
    main()
