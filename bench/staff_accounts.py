"""Benchmark: a city's staff accounts (6,000 by default) through the staff import.

    .venv/bin/python bench/staff_accounts.py [--rows 6000] [--database-url URL]

Without --database-url it runs on a fresh SQLite file in a temporary folder; pass the
postgres:// URL of a scratch database (it is migrated, and the tree it needs is added)
to measure PostgreSQL. It builds a city (16 districts, 256 streets, 4,096 communities, a
branch in each), a workbook of one role per row (branch and community secretaries, street
and district staff, unit liaisons; user names left to the import), then measures:

  1. check    - read and check every row (the import job's check, kind "staff")
  2. write    - the accounts and the batch of pending grants, one transaction, audited
  3. approve  - the security administrator approves the whole batch (the StaffRoles)
  4. links    - one activation link per account, each "sent" by the logging SMS backend
  5. again    - the same file once more: every row held, nothing to write

and the process's peak RSS. Times are wall-clock and this process's CPU time.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=6_000)
    parser.add_argument("--database-url", default="")
    return parser.parse_args()


def setup_django(database_url: str, folder: Path):
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    logging.getLogger("portal.reminders").setLevel(logging.WARNING)


def build_city():
    from django.contrib.auth import get_user_model

    from branches.access import Role
    from branches.models import Branch, Level, Organization, OriginalUnit, StaffRole

    city, _ = Organization.objects.get_or_create(
        code="8899", defaults={"name": "基准市", "level": Level.CITY}
    )
    if not Organization.objects.filter(parent=city).exists():
        for d in range(16):
            district = Organization.objects.create(
                code=f"8899{d:02d}", name=f"基准{d}区", level=Level.DISTRICT, parent=city
            )
            OriginalUnit.objects.create(
                name=f"基准{d}区原单位", code=f"B{d:017d}", district=district
            )
            for s in range(16):
                street = Organization.objects.create(
                    code=f"{district.code}{s:03d}",
                    name=f"第{s}街道",
                    level=Level.STREET,
                    parent=district,
                )
                for c in range(16):
                    community = Organization.objects.create(
                        code=f"{street.code}{c:03d}",
                        name=f"第{c}社区",
                        level=Level.COMMUNITY,
                        parent=street,
                    )
                    Branch.objects.create(organization=community, name=f"{community.name}支部")
    users = get_user_model().objects
    admins = {}
    for name, role in (("bench.sys", Role.SYSTEM_ADMIN), ("bench.sec", Role.SECURITY_ADMIN)):
        admins[name] = users.filter(username=name).first() or users.create_user(name)
        StaffRole.objects.get_or_create(user=admins[name], role=role, organization=city)
    return city, admins["bench.sys"], admins["bench.sec"]


SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "明华丽强军平芳敏静伟刚勇艳杰娟涛秀英"


def workbook(city, rows: int) -> bytes:
    import openpyxl

    from branches.models import Branch, Level, Organization, OriginalUnit

    branches = list(
        Branch.objects.filter(organization__path__startswith=city.path).values_list("pk", flat=True)
    )
    communities = list(
        Organization.objects.filter(path__startswith=city.path, level=Level.COMMUNITY).values_list(
            "code", flat=True
        )
    )
    streets = list(
        Organization.objects.filter(path__startswith=city.path, level=Level.STREET).values_list(
            "code", flat=True
        )
    )
    districts = list(
        Organization.objects.filter(path__startswith=city.path, level=Level.DISTRICT).values_list(
            "code", flat=True
        )
    )
    units = list(OriginalUnit.objects.filter(code__startswith="B").values_list("code", flat=True))
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("工作人员账号")
    sheet.append(["姓名", "用户名", "手机号", "电子邮箱", "角色", "节点编码"])
    for i in range(rows):
        name = SURNAMES[i % 30] + GIVEN[(i // 30) % 18] + GIVEN[(i // 540) % 18]
        phone = f"137{i:08d}"
        kind = i % 10
        if kind < 6:
            role, node = "支部书记", str(branches[i % len(branches)])
        elif kind < 8:
            role, node = "社区党组织书记", communities[i % len(communities)]
        elif kind == 8:
            role, node = "街镇工作人员", streets[i % len(streets)]
        elif i % 20 == 9:
            role, node = "区老干部局工作人员", districts[i % len(districts)]
        else:
            role, node = "原单位联络员", units[i % len(units)]
        sheet.append([name, "", phone, "", role, node])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(label, fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:8} {wall:7.2f} s wall  {cpu:7.2f} s cpu")
    return result


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(args.database_url, Path(folder))
        from django.db import connection, transaction
        from django.test import RequestFactory

        from rollout.jobs.plan import Action
        from rollout.jobs.services import check_file, write_plan
        from rollout.staff import services
        from rollout.staff.kinds import KIND
        from rollout.staff.models import GrantBatch

        city, sysadmin, secadmin = timed("tree", build_city)
        data = workbook(city, args.rows)
        print(f"workbook {len(data) / 1024:.0f} KiB, {args.rows} rows, {connection.vendor}")
        plan = timed("check", lambda: check_file(KIND, io.BytesIO(data), node=city))
        assert plan.ok, plan.errors[:5]
        print(f"         {plan.count(Action.ADD)} add, {plan.count(Action.LEAVE)} held")
        timed("write", lambda: write_plan(KIND, plan, node=city, actor=sysadmin))
        batch = GrantBatch.objects.latest("pk")
        request = RequestFactory().post("/")
        request.user = secadmin

        def approve():
            with transaction.atomic():
                return services.batch_decide(
                    request=request, batch=batch, version=batch.version, approve=True
                )

        decision = timed("approve", approve)
        sent = timed(
            "links",
            lambda: services.links_send(user_ids=decision.to_activate, base_url="https://x"),
        )
        print(f"         {decision.approved} roles, {sent} links")
        again = timed("again", lambda: check_file(KIND, io.BytesIO(data), node=city))
        print(f"         {again.count(Action.LEAVE)} held, {again.count(Action.ADD)} to add")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
