"""Benchmark: a city's worth of roll-out workbooks, imported on PostgreSQL (time and peak
memory), and a file of mistakes that writes nothing.

    .venv/bin/python bench/city_files.py --database-url postgres://.../portal_bench_city
    .venv/bin/python bench/city_files.py --out DIR --no-import      # only write the files

Writes into DIR (a temporary folder by default):

  tree.xlsx      the statistics bureau's list as a city office downloads it (统计用区划代码,
                 城乡分类代码, 名称; every code padded to 12 digits; the city's own lines first):
                 16 districts, ~250 streets, ~4,000 communities
  branches.xlsx  ~5,500 branches (a community branch in every community, a second one in
                 every third, a functional branch in most streets), with party groups
  units.xlsx     ~3,000 original units with valid 统一社会信用代码 (GB 32100-2015)
  staff.xlsx     ~6,000 staff accounts in the staff import's columns (rollout.staff: 姓名,
                 用户名, 手机号, 电子邮箱, 角色, 节点编码): district and street staff and the
                 community secretaries (branch secretaries need the branches' numbers,
                 known only after the branches import, so they are left to that step)
  mistakes-*.xlsx one file per import with planted mistakes (a community code that does not
                 start with its street's, a wrong check character, a branch under a
                 community that does not exist); each must write nothing and name every
                 mistake at its row

With --database-url (a scratch database; it is migrated) it creates the city node and
imports tree, branches and units through the same check and write as the import jobs
(rollout.jobs.services), then imports each again (everything left as it is), then each
mistakes file. For every step: wall time, CPU time of this process, and the peak memory:
tracemalloc's peak of Python allocations (measured in a separate run of the same step,
since tracemalloc slows Python down) and the process's peak RSS so far.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CITY = "3198"
CITY_NAME = "基准市"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文海云"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="", help="folder for the workbooks")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--no-import", action="store_true", help="only write the files")
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--streets", type=int, default=16, help="streets per district")
    parser.add_argument("--communities", type=int, default=16, help="communities per street")
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=22)
    return parser.parse_args()


# --- The city's rows ------------------------------------------------------------------


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def city_codes(districts: int, streets: int, communities: int):
    """[(district code, [(street code, [community codes])])]; a few streets of each
    district are smaller, as in life (about 250 streets and 4,000 communities at 16 x 16
    x 16 with the trimming)."""
    city = []
    for d in range(1, districts + 1):
        district = f"{CITY}{d:02d}"
        street_list = []
        count = streets - (d % 3)  # 14-16 streets
        for s in range(1, count + 1):
            street = f"{district}{s:03d}"
            n = communities + (s % 3)  # 16-18 communities
            street_list.append((street, [f"{street}{c:03d}" for c in range(1, n + 1)]))
        city.append((district, street_list))
    return city


def street_name(code: str) -> str:
    return f"第{int(code[4:6])}区{int(code[6:9])}号街道"


def community_name(code: str) -> str:
    return f"第{int(code[4:6])}区{int(code[6:9])}街道{int(code[9:12])}号社区"


def tree_rows(city):
    rows = [("统计用区划代码", "城乡分类代码", "名称"), (CITY.ljust(12, "0"), "", CITY_NAME)]
    for d_index, (district, streets) in enumerate(city, start=1):
        rows.append((district.ljust(12, "0"), "", f"第{d_index}区"))
        for street, communities in streets:
            rows.append((street.ljust(12, "0"), "", street_name(street)))
            for community in communities:
                rows.append((community, "111", community_name(community)))
    return rows


def branch_rows(city, rng: random.Random):
    rows = [
        (
            "支部代码",
            "支部名称",
            "支部类型",
            "所在社区或街道代码",
            "成立日期",
            "试点",
            "工作品牌",
            "党小组",
        )
    ]
    for _district, streets in city:
        for s_index, (street, communities) in enumerate(streets, start=1):
            for c_index, community in enumerate(communities, start=1):
                kinds = ["社区离退休干部党支部"] + (
                    ["社区离退休干部党支部"] if c_index % 3 == 0 else []
                )
                for b_index, kind in enumerate(kinds, start=1):
                    pilot = rng.random() < 0.05
                    rows.append(
                        (
                            f"{community}-{b_index:02d}",
                            f"{community_name(community)}第{b_index}离退休干部党支部",
                            kind,
                            community,
                            f"{rng.randint(2005, 2024)}-07-01",
                            "是" if pilot else "否",
                            "银龄先锋" if pilot else "",
                            "、".join(f"第{'一二三四'[g]}党小组" for g in range(rng.randint(0, 3))),
                        )
                    )
            if s_index % 8 != 0:
                rows.append(
                    (
                        f"{street}-F1",
                        f"{street_name(street)}银发志愿服务队功能型党支部",
                        "功能型党支部",
                        street,
                        "2021-03-05",
                        "否",
                        "",
                        "",
                    )
                )
    return rows


def uscc(body: str) -> str:
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def unit_rows(city, count: int, rng: random.Random):
    rows = [("单位名称", "统一社会信用代码", "所属区代码", "联系人", "联系电话", "电子邮箱")]
    kinds = ["教育局", "卫生健康委员会", "财政局", "中学", "医院", "供电公司", "机械厂", "设计院"]
    for n in range(count):
        district = city[n % len(city)][0]
        body = f"1{rng.choice('1234')}{district}{n:08d}X"[:17]
        body = body[:16] + rng.choice(USCC_CHARS[:10])
        rows.append(
            (
                f"第{n % len(city) + 1}区第{n // len(city) + 1}{kinds[n % len(kinds)]}",
                uscc(body),
                district,
                name(rng),
                f"0{rng.randint(10, 99)}-{rng.randint(60000000, 89999999)}",
                f"unit{n}@example.cn" if n % 4 == 0 else "",
            )
        )
    return rows


def staff_rows(city, rng: random.Random):
    rows = [("姓名", "用户名", "手机号", "电子邮箱", "角色", "节点编码")]
    n = 0

    def phone():
        return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"

    for district, streets in city:
        for _ in range(3):
            n += 1
            rows.append((name(rng), f"staff{n:05d}", phone(), "", "区老干部局工作人员", district))
        for street, communities in streets:
            for _ in range(8):
                n += 1
                rows.append((name(rng), f"staff{n:05d}", phone(), "", "街镇工作人员", street))
            for community in communities:
                n += 1
                rows.append((name(rng), f"staff{n:05d}", phone(), "", "社区书记", community))
    return rows


def mistake_files(city):
    """{kind: (rows, {excel row: column header})}: one planted mistake per named row; the
    other rows are right, and nothing may be written."""
    district, streets = city[0]
    street, communities = streets[0]
    other_street = streets[1][0]
    new_street = f"{district}{900:03d}"
    tree = [
        ("代码", "名称", "地址", "上级代码"),
        (new_street, "新设街道", "", district),
        (f"{new_street}001", "新设社区", "", new_street),
        (f"{other_street}950", "错位社区", "", new_street),  # not its street's prefix
        (f"{district}{901:03d}001", "无主社区", "", ""),  # its street exists nowhere
    ]
    good = uscc(f"91{district}MA0000001")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    units = [
        ("单位名称", "统一社会信用代码", "所属区代码", "联系人", "联系电话", "电子邮箱"),
        ("新单位甲", good, district, "", "", ""),
        ("新单位乙", wrong, district, "", "", ""),  # wrong check character
        ("新单位丙", uscc(f"91{district}MA0000003"), f"{CITY}99", "", "", ""),  # no such district
    ]
    branches = [
        ("支部代码", "支部名称", "支部类型", "所在社区或街道代码"),
        (f"{communities[0]}-99", "新支部甲", "社区离退休干部党支部", communities[0]),
        (
            f"{street}999-01",
            "新支部乙",
            "社区离退休干部党支部",
            f"{street}999",
        ),  # no such community
        (
            f"{street}-F9",
            "新支部丙",
            "社区离退休干部党支部",
            street,
        ),  # a community branch on a street
    ]
    return {
        "structure": (tree, {4: "代码", 5: "代码"}),
        "units": (units, {3: "统一社会信用代码", 4: "所属区代码"}),
        "branches": (branches, {3: "所在社区或街道代码", 4: "所在社区或街道代码"}),
    }


def save(rows, path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_files(out: Path, args) -> dict[str, Path]:
    rng = random.Random(args.seed)
    city = city_codes(args.districts, args.streets, args.communities)
    files = {
        "structure": save(tree_rows(city), out / "tree.xlsx"),
        "branches": save(branch_rows(city, rng), out / "branches.xlsx"),
        "units": save(unit_rows(city, args.units, rng), out / "units.xlsx"),
        "staff": save(staff_rows(city, rng), out / "staff.xlsx"),
    }
    for kind, (rows, _expected) in mistake_files(city).items():
        files[f"mistakes-{kind}"] = save(rows, out / f"mistakes-{kind}.xlsx")
    return files


# --- Importing ----------------------------------------------------------------------------


def setup_django(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"  # no query log growing in memory
    os.environ.setdefault("MEMBER_IMPORT_READ_SECONDS", "3600")  # measure, do not refuse
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def import_file(kind_name: str, path: Path, node, *, write=True):
    """(plan, check seconds, write seconds, cpu seconds)."""
    from rollout.jobs import services
    from rollout.jobs.registry import get_kind

    kind = get_kind(kind_name)
    wall, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as source:
        plan = services.check_file(kind, io.BytesIO(source.read()), node=node)
    checked = time.perf_counter() - wall
    if write and plan.ok:
        services.write_plan(kind, plan, node=node)
    return plan, checked, time.perf_counter() - wall - checked, time.process_time() - cpu


def traced_peak(kind_name: str, path: Path, node) -> float:
    """MB of Python allocations at their peak while checking the file (nothing written)."""
    tracemalloc.start()
    import_file(kind_name, path, node, write=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_imports(files: dict[str, Path], args) -> list[str]:
    from django.utils import translation

    from branches.models import Branch, Level, Organization, OriginalUnit, PartyGroup
    from rollout.jobs.plan import Action, located

    translation.activate("zh-hans")
    city, _created = Organization.objects.get_or_create(
        code=CITY, defaults={"name": CITY_NAME, "level": Level.CITY}
    )
    lines = [
        "step                 rows   add    change leave  errors check_s write_s cpu_s  "
        "trace_MB rss_MB"
    ]
    for round_name in ("first", "again"):
        for kind in ("structure", "branches", "units"):
            plan, checked, written, cpu = import_file(kind, files[kind], city)
            peak = traced_peak(kind, files[kind], city) if round_name == "first" else 0.0
            lines.append(
                f"{kind + ' ' + round_name:<20} {len(plan.rows):<6} {plan.count(Action.ADD):<6} "
                f"{plan.count(Action.CHANGE):<6} {plan.count(Action.LEAVE):<6} "
                f"{plan.error_count:<6} {checked:<7.1f} {written:<7.1f} {cpu:<6.1f} "
                f"{peak:<8.1f} {rss_mb():.0f}"
            )
            if not plan.ok:
                lines += [located(e) for e in plan.errors[:5]]
    counts = (
        Organization.objects.count(),
        Branch.objects.count(),
        PartyGroup.objects.count(),
        OriginalUnit.objects.count(),
    )
    lines.append(
        "organisations {}, branches {}, party groups {}, original units {}".format(*counts)
    )
    for kind in ("structure", "branches", "units"):
        before = counts
        plan, *_ = import_file(kind, files[f"mistakes-{kind}"], city)
        after = (
            Organization.objects.count(),
            Branch.objects.count(),
            PartyGroup.objects.count(),
            OriginalUnit.objects.count(),
        )
        lines.append(
            f"mistakes-{kind}: {plan.error_count} errors, "
            f"{'nothing written' if after == before else 'WRITTEN'}"
        )
        lines += ["  " + located(e) for e in plan.errors]
    return lines


def main():
    args = parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="city-files-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = write_files(out, args)
    print(f"files written to {out} in {time.perf_counter() - started:.1f} s")
    for key, path in files.items():
        print(f"  {key:<20} {path.stat().st_size / 2**20:6.2f} MB")
    if args.no_import:
        return
    if not args.database_url.startswith("postgres"):
        sys.exit("--database-url postgres://... of a scratch database is needed to import")
    setup_django(args.database_url)
    for line in run_imports(files, args):
        print(line)


if __name__ == "__main__":
    main()
