"""The branches import: each row a branch (党支部) by its code, the community or street it
sits under (by division code), its kind, founding date, pilot flag and work brand, and
its party groups (党小组) by their numbers (第一党小组、第二党小组). Re-import updates by
the branch's code; groups are added or renamed by number, never removed by a file."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import Change
from accounts.models import AuditAction
from branches.access import IMPORT_STRUCTURE
from branches.models import Branch, BranchKind, Level, Organization, PartyGroup
from branches.numbering import ordinal_in
from rollout.jobs import cells
from rollout.jobs.plan import Action, Plan, PlanRow
from rollout.jobs.registry import DEFAULT_LEVELS, ImportKind

from .codes import division_code

HEADERS = {
    "code": ("支部代码", "支部编号", "党组织代码"),
    "name": ("支部名称", "党支部名称"),
    "kind": ("支部类型", "类型"),
    "org_code": ("所在社区或街道代码", "所在社区代码", "所在街道代码", "所属组织代码"),
    "established_on": ("成立日期", "成立时间"),
    "is_pilot": ("试点", "是否试点", "试点支部"),
    "work_brand": ("工作品牌", "品牌"),
    "groups": ("党小组",),
}
KIND_WORDS = {
    "社区": BranchKind.COMMUNITY,
    "社区党支部": BranchKind.COMMUNITY,
    "社区离退休干部党支部": BranchKind.COMMUNITY,
    "功能型": BranchKind.FUNCTIONAL,
    "功能型党支部": BranchKind.FUNCTIONAL,
    "联合": BranchKind.JOINT,
    "联合党支部": BranchKind.JOINT,
}
GROUP_SPLIT = re.compile(r"[、,，;；\n]+")
FIELDS = ("name", "kind", "established_on", "is_pilot", "work_brand")


def template():
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "党支部"
    sheet.append([names[0] for names in HEADERS.values()])
    sheet.append(
        [
            "319901001001-01",
            "翠园社区离退休干部党支部",
            "社区离退休干部党支部",
            "319901001001",
            "2018-07-01",
            "否",
            "",
            "第一党小组、第二党小组",
        ]
    )
    for index, width in enumerate((18, 28, 20, 20, 12, 8, 16, 30)):
        letter = openpyxl.utils.get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = width
        for row in range(1, 500):
            sheet[f"{letter}{row}"].number_format = "@"
    return workbook


def _groups(plan: Plan, row: int, value) -> dict[int, str] | None:
    raw = cells.text(plan, row, "groups", value, max_length=2000)
    if not raw:
        return None
    groups: dict[int, str] = {}
    for name in (part.strip() for part in GROUP_SPLIT.split(raw)):
        if not name:
            continue
        number = ordinal_in(name)
        if number is None or len(name) > 60:
            plan.add_error(
                row, "groups", _("“%(name)s” has no number (write 第一党小组).") % {"name": name}
            )
            return None
        if number in groups:
            plan.add_error(row, "groups", _("two groups have the number %(n)d.") % {"n": number})
            return None
        groups[number] = name
    return groups


def check(rows, *, plan: Plan, node: Organization) -> None:
    today = timezone.localdate()
    read = []
    seen: dict[str, int] = {}
    for excel_row, values in rows:
        errors = plan.error_count
        code = cells.text(plan, excel_row, "code", values.get("code"), max_length=32, required=True)
        name = cells.text(
            plan, excel_row, "name", values.get("name"), max_length=100, required=True
        )
        kind_word = cells.text(plan, excel_row, "kind", values.get("kind"), max_length=20)
        kind = KIND_WORDS.get(kind_word.replace(" ", "")) if kind_word else None
        if kind_word and kind is None:
            plan.add_error(
                excel_row, "kind", _("write 社区离退休干部党支部, 功能型党支部 or 联合党支部.")
            )
        org_code = None
        if values.get("org_code") not in (None, ""):
            found = division_code(values.get("org_code"))
            if found is None or found[1] not in (Level.STREET, Level.COMMUNITY):
                plan.add_error(
                    excel_row, "org_code", _("is not the code of a community or street.")
                )
            else:
                org_code = found[0]
        established = cells.date(plan, excel_row, "established_on", values.get("established_on"))
        if established and established > today:
            plan.add_error(excel_row, "established_on", _("is in the future."))
        pilot = cells.yes_no(plan, excel_row, "is_pilot", values.get("is_pilot"))
        brand = cells.text(plan, excel_row, "work_brand", values.get("work_brand"), max_length=80)
        groups = _groups(plan, excel_row, values.get("groups"))
        if code and code in seen:
            plan.add_error(
                excel_row,
                "code",
                _("%(code)s is also on row %(row)d.") % {"code": code, "row": seen[code]},
            )
            continue
        if code:
            seen[code] = excel_row
        if plan.error_count > errors:
            continue
        given = {"name": name, "kind": kind, "established_on": established, "is_pilot": pilot}
        given["work_brand"] = brand or None
        read.append((excel_row, code, org_code, given, groups))
    _resolve(read, plan=plan, node=node)


def _resolve(read, *, plan: Plan, node: Organization) -> None:
    codes = [code for _r, code, *_ in read]
    existing = {
        b.code: b for b in Branch.objects.filter(code__in=codes).select_related("organization")
    }
    orgs = {
        o.code: o for o in Organization.objects.filter(code__in={c for _r, _c, c, *_ in read if c})
    }
    groups_of: dict[int, dict[int, PartyGroup]] = {}
    for group in PartyGroup.objects.filter(branch__in=existing.values()):
        groups_of.setdefault(group.branch_id, {})[group.number] = group
    for excel_row, code, org_code, given, groups in read:
        branch = existing.get(code)
        if branch is not None and not branch.organization.path.startswith(node.path):
            plan.add_error(
                excel_row,
                "code",
                _("%(code)s is a branch outside %(area)s.") % {"code": code, "area": node.name},
            )
            continue
        org = orgs.get(org_code) if org_code else None
        if org_code and org is None:
            plan.add_error(
                excel_row,
                "org_code",
                _(
                    "no community or street with the code %(code)s is in the portal: "
                    "import the tree first."
                )
                % {"code": org_code},
            )
            continue
        if org is not None and not org.path.startswith(node.path):
            plan.add_error(
                excel_row,
                "org_code",
                _("%(code)s is outside %(area)s.") % {"code": org_code, "area": node.name},
            )
            continue
        if branch is None and org is None:
            plan.add_error(
                excel_row, "org_code", _("is empty: a new branch needs its community or street.")
            )
            continue
        kind = given["kind"] or (branch.kind if branch else BranchKind.COMMUNITY)
        place = org or branch.organization
        if kind == BranchKind.COMMUNITY and place.level != Level.COMMUNITY:
            plan.add_error(
                excel_row, "org_code", _("a community branch sits under a community, not a street.")
            )
            continue
        values = {k: v for k, v in given.items() if v is not None}
        values["kind"] = kind
        values["org"] = place.pk
        values["groups"] = {str(n): name for n, name in (groups or {}).items()}
        if values.get("established_on"):
            values["established_on"] = values["established_on"].isoformat()
        if branch is None:
            plan.rows.append(PlanRow(excel_row, code, given["name"], Action.ADD, values))
            continue
        if branch.organization_id != place.pk:
            plan.add_error(
                excel_row,
                "org_code",
                _(
                    "%(name)s sits under %(old)s: moving a branch is a 区划调整 (regions "
                    "page), not an import."
                )
                % {"name": branch.name, "old": branch.organization.name},
            )
            continue
        changes = {}
        for field in FIELDS:
            if field not in values:
                continue
            before = getattr(branch, field)
            before = before.isoformat() if hasattr(before, "isoformat") else before
            if before != values[field]:
                changes[field] = [before, values[field]]
        held = {n: g.name for n, g in groups_of.get(branch.pk, {}).items()}
        wanted = {**held, **(groups or {})}
        if groups and wanted != held:
            changes["groups"] = [
                "、".join(held[n] for n in sorted(held)),
                "、".join(wanted[n] for n in sorted(wanted)),
            ]
        action = Action.CHANGE if changes else Action.LEAVE
        plan.rows.append(
            PlanRow(excel_row, code, given["name"], action, values, changes, branch.pk)
        )


def write(plan: Plan, *, node: Organization, actor=None, progress=None):
    changes: list[Change] = []
    new = []
    for row in plan.rows:
        if row.action != Action.ADD:
            continue
        values = row.values
        established = values.get("established_on")
        new.append(
            Branch(
                code=row.key,
                name=values["name"],
                kind=values["kind"],
                organization_id=values["org"],
                established_on=datetime.date.fromisoformat(established) if established else None,
                is_pilot=values.get("is_pilot", False),
                work_brand=values.get("work_brand", ""),
            )
        )
    created = Branch.objects.bulk_create(new, batch_size=1000)
    ids = {b.code: b.pk for b in created}
    for branch in created:
        changes.append(
            Change(
                AuditAction.CREATE,
                branch,
                None,
                {
                    "code": branch.code,
                    "name": branch.name,
                    "kind": branch.kind,
                    "organization": branch.organization_id,
                    "is_pilot": branch.is_pilot,
                },
            )
        )
    updated: dict[tuple, list[Branch]] = {}
    existing_groups: dict[int, dict[int, PartyGroup]] = {}
    changed_ids = [row.target_id for row in plan.rows if row.action == Action.CHANGE]
    for group in PartyGroup.objects.filter(branch_id__in=changed_ids):
        existing_groups.setdefault(group.branch_id, {})[group.number] = group
    new_groups, renamed = [], []
    for row in plan.rows:
        if row.action == Action.LEAVE:
            continue
        branch_id = ids.get(row.key) if row.action == Action.ADD else row.target_id
        held = existing_groups.get(branch_id, {})
        for number, name in row.values["groups"].items():
            group = held.get(int(number))
            if group is None:
                new_groups.append(PartyGroup(branch_id=branch_id, number=int(number), name=name))
            elif group.name != name:
                group.name = name
                renamed.append(group)
        if row.action != Action.CHANGE:
            continue
        fields = tuple(sorted(f for f in row.changes if f in FIELDS))
        if fields:
            branch = Branch(pk=row.target_id, code=row.key)
            for field in fields:
                value = row.changes[field][1]
                if field == "established_on" and value:
                    value = datetime.date.fromisoformat(value)
                setattr(branch, field, value)
            updated.setdefault(fields, []).append(branch)
        before = {f: pair[0] for f, pair in row.changes.items()}
        after = {f: pair[1] for f, pair in row.changes.items()}
        changes.append(
            Change(
                AuditAction.UPDATE, Branch(pk=row.target_id), before, after, object_repr=row.label
            )
        )
    for fields, batch in updated.items():
        Branch.objects.bulk_update(batch, list(fields), batch_size=1000)
    PartyGroup.objects.bulk_create(new_groups, batch_size=1000)
    PartyGroup.objects.bulk_update(renamed, ["name"], batch_size=1000)
    return changes


KIND = ImportKind(
    name="branches",
    label=gettext_lazy("Branches and party groups"),
    capability=IMPORT_STRUCTURE,
    levels=DEFAULT_LEVELS,
    headers=HEADERS,
    required=("code", "name"),
    template=template,
    check=check,
    write=write,
    description=gettext_lazy(
        "Import the organisation tree first: each branch names its community or street by code."
    ),
)
