"""The organisation tree import: districts, streets and communities by their official
division codes, from the statistics bureau's own list (统计用区划代码, 城乡分类代码, 名称)
or the portal's template (代码, 名称, 地址, 上级代码). The level follows from the code;
a community's code starts with its street's and a street's with its district's; the
parent must be in the file or already in the portal. Re-import updates by code (name,
address); moving a node to another parent is 区划调整, not an import."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import Change
from accounts.models import AuditAction
from branches.access import IMPORT_STRUCTURE
from branches.models import Level, Organization
from rollout.jobs import cells
from rollout.jobs.plan import Action, Plan, PlanRow
from rollout.jobs.registry import DEFAULT_LEVELS, ImportKind

from .codes import division_code, parent_code

HEADERS = {
    "code": ("代码", "区划代码", "组织代码"),
    "name": ("名称", "组织名称"),
    "address": ("地址", "办公地址"),
    "parent_code": ("上级代码", "上级区划代码"),
}
BUREAU_HEADERS = {"code": ("统计用区划代码",), "urban_rural": ("城乡分类代码",)}
URBAN_RURAL = {"111", "112", "121", "122", "123", "210", "220"}
LEVEL_ORDER = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)


def template():
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "组织架构"
    sheet.append(["代码", "名称", "地址", "上级代码"])
    sheet.append(["310101", "示例区", "", "3101"])
    sheet.append(["310101001", "示例街道", "示例路1号", "310101"])
    sheet.append(["310101001001", "示例社区", "示例路2号", "310101001"])
    for column in "ABCD":
        sheet.column_dimensions[column].width = 18
        for row in range(1, 500):
            sheet[f"{column}{row}"].number_format = "@"
    return workbook


def check(rows, *, plan: Plan, node: Organization) -> None:
    read = []
    seen: dict[str, int] = {}
    for excel_row, values in rows:
        found = division_code(values.get("code"))
        if found is None:
            plan.add_error(
                excel_row,
                "code",
                _(
                    "“%(value)s” is not a division code (6 digits for a district, 9 for a "
                    "street, 12 for a community, or all padded to 12)."
                )
                % {"value": cells.text(plan, excel_row, "code", values.get("code"), max_length=40)},
            )
            continue
        code, level = found
        if level == Level.CITY:
            continue  # the bureau's list starts with the city's own lines
        name = cells.text(plan, excel_row, "name", values.get("name"), max_length=80, required=True)
        address = cells.text(plan, excel_row, "address", values.get("address"), max_length=200)
        kind_code = cells.text(
            plan, excel_row, "urban_rural", values.get("urban_rural"), max_length=3
        )
        if kind_code and kind_code not in URBAN_RURAL:
            plan.add_error(excel_row, "urban_rural", _("is not a 城乡分类代码 (e.g. 111)."))
        parent = parent_code(code, level)
        given = values.get("parent_code")
        if given not in (None, ""):
            given_code = division_code(given)
            if given_code is None:
                plan.add_error(excel_row, "parent_code", _("is not a division code."))
            elif given_code[0] != parent:
                plan.add_error(
                    excel_row,
                    "code",
                    _(
                        "the code %(code)s does not start with its parent's code %(parent)s "
                        "(a community's code starts with its street's, a street's with its "
                        "district's)."
                    )
                    % {"code": code, "parent": given_code[0]},
                )
                continue
        if not code.startswith(node.code) or len(code) < len(node.code):
            plan.add_error(
                excel_row,
                "code",
                _("%(code)s is outside %(area)s (its code starts with %(prefix)s).")
                % {"code": code, "area": node.name, "prefix": node.code},
            )
            continue
        if code in seen:
            plan.add_error(
                excel_row,
                "code",
                _("%(code)s is also on row %(row)d.") % {"code": code, "row": seen[code]},
            )
            continue
        seen[code] = excel_row
        read.append((excel_row, code, level, parent, name, address))
    _resolve(read, plan=plan, node=node)


def _resolve(read, *, plan: Plan, node: Organization) -> None:
    wanted = {code for _row, code, *_ in read} | {p for *_, p, _n, _a in read if p}
    existing = {
        org.code: org
        for org in Organization.objects.filter(Q(code__in=wanted)).select_related("parent")
    }
    in_file = {code for _row, code, *_ in read}
    for excel_row, code, level, parent, name, address in read:
        org = existing.get(code)
        if parent not in in_file and parent not in existing:
            plan.add_error(
                excel_row,
                "code",
                _("its parent %(parent)s is neither in the file nor in the portal.")
                % {"parent": parent},
            )
            continue
        values = {"code": code, "level": level, "parent": parent, "name": name}
        if address:
            values["address"] = address
        if org is None:
            plan.rows.append(PlanRow(excel_row, code, name, Action.ADD, values))
            continue
        if org.level != level:
            plan.add_error(
                excel_row,
                "code",
                _("%(code)s is already in the portal as a %(level)s.")
                % {"code": code, "level": org.get_level_display()},
            )
            continue
        if org.parent is not None and org.parent.code != parent:
            plan.add_error(
                excel_row,
                "code",
                _(
                    "%(name)s is in the portal under %(old)s: moving it to another parent "
                    "is a 区划调整 (regions page), not an import."
                )
                % {"name": org.name, "old": org.parent.name},
            )
            continue
        changes = {
            field: [getattr(org, field), values[field]]
            for field in ("name", "address")
            if field in values and getattr(org, field) != values[field]
        }
        action = Action.CHANGE if changes else Action.LEAVE
        plan.rows.append(PlanRow(excel_row, code, name, action, values, changes, org.pk))


def write(plan: Plan, *, node: Organization, actor=None, progress=None):
    """Creates level by level (a parent before its children), with paths built from the
    parent's; updates only the changed fields."""
    changes: list[Change] = []
    by_code = {
        org.code: org
        for org in Organization.objects.filter(code__in={row.values["parent"] for row in plan.rows})
    }
    for level in LEVEL_ORDER:
        new = []
        for row in plan.rows:
            if row.action != Action.ADD or row.values["level"] != level:
                continue
            parent = by_code[row.values["parent"]]
            new.append(
                Organization(
                    code=row.key,
                    name=row.values["name"],
                    level=level,
                    parent=parent,
                    path=Organization.build_path(parent, row.key),
                    address=row.values.get("address", ""),
                )
            )
        for org in Organization.objects.bulk_create(new, batch_size=1000):
            by_code[org.code] = org
            changes.append(
                Change(
                    AuditAction.CREATE,
                    org,
                    None,
                    {
                        "code": org.code,
                        "name": org.name,
                        "level": org.level,
                        "address": org.address,
                    },
                )
            )
    updated = []
    for row in plan.rows:
        if row.action != Action.CHANGE:
            continue
        org = Organization(pk=row.target_id, code=row.key)
        before = {field: pair[0] for field, pair in row.changes.items()}
        after = {field: pair[1] for field, pair in row.changes.items()}
        for field, value in after.items():
            setattr(org, field, value)
        updated.append((org, list(after)))
        changes.append(Change(AuditAction.UPDATE, org, before, after, object_repr=row.label))
    for fields in {tuple(sorted(f)) for _o, f in updated}:
        batch = [org for org, f in updated if tuple(sorted(f)) == fields]
        Organization.objects.bulk_update(batch, list(fields), batch_size=1000)
    return changes


KIND = ImportKind(
    name="structure",
    label=gettext_lazy("Organisation tree (districts, streets, communities)"),
    capability=IMPORT_STRUCTURE,
    levels=DEFAULT_LEVELS,
    headers=HEADERS,
    also_headers=BUREAU_HEADERS,
    required=("code", "name"),
    template=template,
    check=check,
    write=write,
    description=gettext_lazy(
        "The statistics bureau's list as downloaded (统计用区划代码, 城乡分类代码, 名称) is "
        "accepted as it is."
    ),
)
