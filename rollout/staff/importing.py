"""The staff accounts import kind: one row per role asked for one account.

Columns: 姓名, 用户名 (left empty: the account found by its mobile number, or a name made
from the pinyin), 手机号, 电子邮箱 (one of the two, for the activation link), 角色 (its
Chinese name or code) and 节点编码 (an organisation code, a branch number for a branch
secretary, the 统一社会信用代码 of the unit for a unit liaison). Every node must lie in the
job's area. The writer creates the new accounts inactive and without a usable password,
and one GrantBatch of pending grants for the security administrator (services).
"""

from __future__ import annotations

import re
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from branches.access import Role
from branches.models import (
    BRANCH_ROLES,
    UNIT_ROLES,
    Branch,
    Level,
    Organization,
    OriginalUnit,
    StaffRole,
)
from members.validators import validate_phone
from rollout.jobs import cells
from rollout.jobs.plan import Action, Plan, PlanRow

from .models import IMPORTABLE_ROLES, GrantState, PendingGrant

USERNAME = re.compile(r"^[\w.@+-]{1,150}\Z")
MOBILE = re.compile(r"1[3-9]\d{9}")

HEADERS = {
    "full_name": ("姓名",),
    "username": ("用户名", "账号"),
    "phone": ("手机号", "手机", "手机号码"),
    "email": ("电子邮箱", "邮箱", "电子邮件"),
    "role": ("角色",),
    "node": ("节点编码", "节点", "编码"),
}
REQUIRED = ("full_name", "role", "node")
# Which level of organisation each organisation role covers.
ROLE_LEVEL = {
    Role.CITY_ADMIN: Level.CITY,
    Role.DISTRICT_STAFF: Level.DISTRICT,
    Role.STREET_STAFF: Level.STREET,
    Role.COMMUNITY_SECRETARY: Level.COMMUNITY,
}
# The names people write in their own sheets, besides each role's own name and code.
ROLE_ALIASES = {
    "书记": Role.BRANCH_SECRETARY,
    "支部书记": Role.BRANCH_SECRETARY,
    "社区书记": Role.COMMUNITY_SECRETARY,
    "社区党组织书记": Role.COMMUNITY_SECRETARY,
    "街镇工作人员": Role.STREET_STAFF,
    "区老干部局工作人员": Role.DISTRICT_STAFF,
    "原单位联络员": Role.UNIT_LIAISON,
    "联络员": Role.UNIT_LIAISON,
}


def _role_lookup() -> dict[str, str]:
    names = {}
    for role in IMPORTABLE_ROLES:
        names[role.value] = role.value
        with translation.override("zh-hans"):
            names[str(role.label)] = role.value
    names.update({alias: role.value for alias, role in ROLE_ALIASES.items()})
    return names


def template():
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "工作人员账号"
    sheet.append([names[0] for names in HEADERS.values()])
    sheet.append(["张丽", "", "13800138000", "", "支部书记", "12"])
    sheet.append(["王强", "wangqiang", "", "wq@example.cn", "街镇工作人员", "310101001"])
    for column in "ABCDEF":
        sheet.column_dimensions[column].width = 18
        for row in range(1, 500):
            sheet[f"{column}{row}"].number_format = "@"
    return workbook


def node_ids(node) -> tuple:
    """(organization id, branch id, unit id) of a node, as a StaffRole stores them."""
    if isinstance(node, Branch):
        return (None, node.pk, None)
    if isinstance(node, OriginalUnit):
        return (None, None, node.pk)
    return (node.pk, None, None)


def _pinyin_name(name: str) -> str:
    text = "".join(lazy_pinyin(name)).lower()
    return re.sub(r"[^a-z0-9]", "", text) or "staff"


def _read(plan: Plan, excel_row: int, values: dict, roles: dict) -> dict | None:
    """One row's checked values, or None (its errors are in the plan)."""
    before = plan.error_count
    text = {
        name: cells.text(
            plan, excel_row, name, values.get(name), max_length=limit, required=name in REQUIRED
        )
        for name, limit in (
            ("full_name", 60),
            ("username", 150),
            ("phone", 30),
            ("email", 254),
            ("role", 30),
            ("node", 40),
        )
    }
    if text["username"] and not USERNAME.match(text["username"]):
        plan.add_error(excel_row, "username", _("Letters, digits and @ . + - _ only."))
    phone = ""
    try:
        phone = validate_phone(text["phone"])
    except ValidationError as error:
        plan.add_error(excel_row, "phone", " ".join(error.messages))
    else:
        if phone and not MOBILE.fullmatch(phone):
            plan.add_error(excel_row, "phone", _("The activation SMS needs a mobile number."))
    if text["email"]:
        try:
            validate_email(text["email"])
        except ValidationError:
            plan.add_error(excel_row, "email", _("Not an e-mail address."))
    if not phone and not text["email"] and plan.error_count == before:
        plan.add_error(
            excel_row, "phone", _("Give a mobile number or an e-mail for the activation link.")
        )
    role = roles.get(text["role"]) or roles.get(text["role"].lower())
    if text["role"] and role is None:
        plan.add_error(
            excel_row,
            "role",
            _("Unknown role “%(role)s”. Administrator roles are granted one by one.")
            % {"role": text["role"]},
        )
    if plan.error_count != before:
        return None
    return {**text, "phone": phone, "role": role}


def _resolve_nodes(plan: Plan, checked: list, area: Organization) -> dict[int, object]:
    """Each row's node inside the area (three queries for the whole file)."""
    org_codes, branch_numbers, unit_codes = set(), set(), set()
    for _row, data in checked:
        code = data["node"]
        if data["role"] in BRANCH_ROLES:
            if code.isdigit() and len(code) < 19:
                branch_numbers.add(int(code))
        elif data["role"] in UNIT_ROLES:
            unit_codes.add(code.upper())
        else:
            org_codes.add(code)
    orgs = {
        o.code: o
        for o in Organization.objects.filter(path__startswith=area.path, code__in=org_codes)
    }
    branches = {
        b.pk: b
        for b in Branch.objects.active()
        .select_related("organization")
        .filter(organization__path__startswith=area.path, pk__in=branch_numbers)
    }
    units = {
        u.code.upper(): u
        for u in OriginalUnit.objects.select_related("district").filter(
            district__path__startswith=area.path, code__in=unit_codes
        )
    }
    nodes = {}
    for excel_row, data in checked:
        role, code = data["role"], data["node"]
        if role in BRANCH_ROLES:
            node = branches.get(int(code)) if code.isdigit() and len(code) < 19 else None
            missing = _("No branch in this area has the number “%(code)s”.")
        elif role in UNIT_ROLES:
            node = units.get(code.upper())
            missing = _("No original unit in this area has the code “%(code)s”.")
        else:
            node = orgs.get(code)
            missing = _("No organisation in this area has the code “%(code)s”.")
            if node is not None and node.level != ROLE_LEVEL[role]:
                plan.add_error(
                    excel_row,
                    "node",
                    _("A %(role)s covers a %(level)s; “%(code)s” is a %(actual)s.")
                    % {
                        "role": Role(role).label,
                        "level": Level(ROLE_LEVEL[role]).label,
                        "code": code,
                        "actual": node.get_level_display(),
                    },
                )
                continue
        if node is None:
            plan.add_error(excel_row, "node", missing % {"code": code})
            continue
        nodes[excel_row] = node
    return nodes


def check(rows, *, plan: Plan, node: Organization) -> None:
    """Check every row; the plan gets one row per role: ADD (a new account and its role),
    CHANGE (a role for an existing account), LEAVE (held or asked for already)."""
    roles = _role_lookup()
    checked = [(n, d) for n, values in rows if (d := _read(plan, n, values, roles)) is not None]
    nodes = _resolve_nodes(plan, checked, node)
    checked = [(n, d) for n, d in checked if n in nodes]
    _match_accounts(plan, checked, nodes)


def _match_accounts(plan: Plan, checked: list, nodes: dict) -> None:
    """Find existing accounts (by user name, else by mobile number), make user names for
    new ones, and leave roles held or already asked for."""
    user_model = get_user_model()
    names = {d["username"].lower() for _n, d in checked if d["username"]}
    phones = {d["phone"] for _n, d in checked if d["phone"] and not d["username"]}
    by_name = {
        u.username.lower(): u
        for u in user_model.objects.annotate(lower_name=Lower("username")).filter(
            lower_name__in=names
        )
    }
    by_phone = defaultdict(list)
    for user in user_model.objects.filter(phone__in=phones, is_service_account=False):
        by_phone[user.phone].append(user)
    seen: dict[str, tuple[int, str, str]] = {}  # user name -> (row, full name, phone)
    taken = _taken_names({_pinyin_name(d["full_name"]) for _n, d in checked}) | set(by_name)
    for excel_row, data in checked:
        account = None
        if data["username"]:
            account = by_name.get(data["username"].lower())
        elif data["phone"] and len(by_phone.get(data["phone"], [])) == 1:
            account = by_phone[data["phone"]][0]
        if account is not None and (account.is_service_account or account.is_superuser):
            plan.add_error(
                excel_row, "username", _("This account cannot take a role from an import.")
            )
            continue
        username = account.username if account else data["username"]
        if not username:
            # The same person on several rows (same name and mobile) keeps one account.
            username = next(
                (
                    name
                    for name, (_row, full, phone) in seen.items()
                    if (full, phone) == (data["full_name"], data["phone"]) and phone
                ),
                "",
            ) or _free_name(_pinyin_name(data["full_name"]), taken)
        first = seen.get(username)
        person = (data["full_name"], data["phone"])
        if first and account is None and (first[1], first[2]) != person:
            plan.add_error(
                excel_row,
                "username",
                _("Row %(row)d gives this user name to another person.") % {"row": first[0]},
            )
            continue
        seen.setdefault(username, (excel_row, *person))
        taken.add(username.lower())
        node = nodes[excel_row]
        org, branch, unit = node_ids(node)
        plan.rows.append(
            PlanRow(
                excel_row=excel_row,
                key=username,
                label=f"{data['full_name']} · {Role(data['role']).label} · {node}",
                action=Action.CHANGE if account else Action.ADD,
                values={
                    "full_name": data["full_name"],
                    "username": username,
                    "phone": data["phone"],
                    "email": data["email"],
                    "role": data["role"],
                    "organization_id": org,
                    "branch_id": branch,
                    "original_unit_id": unit,
                    "node": str(node),
                },
                changes={"role": ["", str(Role(data["role"]).label)]} if account else {},
                target_id=account.pk if account else None,
            )
        )
    _leave_held(plan)


def _taken_names(bases: set[str]) -> set[str]:
    """User names in use that a generated one could collide with: one query for every
    name shaped like a generated one (letters, then digits), filtered here (a pattern
    listing thousands of bases costs the database minutes)."""
    if not bases:
        return set()
    names = (
        get_user_model()
        .objects.filter(username__iregex=r"^[a-z]+[0-9]*$")
        .values_list("username", flat=True)
    )
    return {name.lower() for name in names if name.lower().rstrip("0123456789") in bases}


def _free_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def _leave_held(plan: Plan) -> None:
    ids = {row.target_id for row in plan.rows if row.target_id}
    columns = ("user_id", "role", "organization_id", "branch_id", "original_unit_id")
    held = set(StaffRole.objects.filter(user_id__in=ids).values_list(*columns))
    held |= set(
        PendingGrant.objects.filter(user_id__in=ids, state=GrantState.PENDING).values_list(*columns)
    )
    asked = set()
    for row in plan.rows:
        v = row.values
        key = (
            row.target_id or row.key,
            v["role"],
            v["organization_id"],
            v["branch_id"],
            v["original_unit_id"],
        )
        if key in held or key in asked:
            row.action = Action.LEAVE
            row.changes = {}
        asked.add(key)
