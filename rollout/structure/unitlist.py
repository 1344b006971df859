"""The original units import (原单位): name, 统一社会信用代码 (the key; its check character
verified, GB 32100-2015), the district it belongs to, a contact person, the contact
phone (encrypted at rest) and the unit's e-mail (its contact channel, units.messages).
Re-import updates by the credit code; an empty cell leaves the value as it is."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import Change
from accounts.models import AuditAction
from branches.access import IMPORT_STRUCTURE
from branches.models import Level, Organization, OriginalUnit
from members.validators import validate_phone
from rollout.jobs import cells
from rollout.jobs.plan import Action, Plan, PlanRow
from rollout.jobs.registry import DEFAULT_LEVELS, ImportKind
from units.messages.models import UnitContact

from .codes import division_code, uscc_check_char, uscc_problem

HEADERS = {
    "name": ("单位名称", "原单位名称", "原单位"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "district": ("所属区代码", "所在区代码", "区代码"),
    "contact_name": ("联系人",),
    "contact_phone": ("联系电话", "电话", "手机"),
    "email": ("电子邮箱", "邮箱", "电子邮件"),
}
UNIT_FIELDS = ("name", "contact_name", "contact_phone")


def template():
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "原单位"
    sheet.append([names[0] for names in HEADERS.values()])
    sheet.append(["示例区教育局", "11310101MB0000000W", "310101", "王老师", "021-63210000", ""])
    for index, width in enumerate((28, 22, 12, 10, 16, 24)):
        letter = openpyxl.utils.get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = width
        for row in range(1, 500):
            sheet[f"{letter}{row}"].number_format = "@"
    return workbook


USCC_MESSAGES = {
    "length": gettext_lazy("has %(n)d characters; a 统一社会信用代码 has 18."),
    "chars": gettext_lazy(
        "has characters a 统一社会信用代码 does not use (no I, O, S, V, Z; digits 3-8 are "
        "the division code)."
    ),
    "check": gettext_lazy(
        "the check character (the 18th) is wrong: %(given)s is written, the code asks for "
        "%(wanted)s. Compare it with the unit's licence."
    ),
}


def check(rows, *, plan: Plan, node: Organization) -> None:
    read = []
    seen: dict[str, int] = {}
    for excel_row, values in rows:
        errors = plan.error_count
        name = cells.text(
            plan, excel_row, "name", values.get("name"), max_length=120, required=True
        )
        uscc = cells.text(plan, excel_row, "uscc", values.get("uscc"), max_length=40, required=True)
        uscc = uscc.upper().replace(" ", "")
        if uscc and (problem := uscc_problem(uscc)):
            wanted = uscc_check_char(uscc[:17]) if problem == "check" else ""
            params = {"n": len(uscc), "given": uscc[-1:], "wanted": wanted}
            plan.add_error(excel_row, "uscc", USCC_MESSAGES[problem] % params)
        district = None
        if values.get("district") not in (None, ""):
            found = division_code(values.get("district"))
            if found is None or found[1] != Level.DISTRICT:
                plan.add_error(excel_row, "district", _("is not the code of a district."))
            else:
                district = found[0]
        contact = cells.text(
            plan, excel_row, "contact_name", values.get("contact_name"), max_length=40
        )
        phone = cells.text(
            plan, excel_row, "contact_phone", values.get("contact_phone"), max_length=20
        )
        if phone:
            try:
                phone = validate_phone(phone)
            except ValidationError as error:
                plan.add_error(excel_row, "contact_phone", error.messages[0])
        email = cells.text(plan, excel_row, "email", values.get("email"), max_length=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                plan.add_error(excel_row, "email", _("is not an e-mail address."))
        if uscc and uscc in seen:
            plan.add_error(
                excel_row,
                "uscc",
                _("%(code)s is also on row %(row)d.") % {"code": uscc, "row": seen[uscc]},
            )
            continue
        if uscc:
            seen[uscc] = excel_row
        if plan.error_count > errors:
            continue
        given = {"name": name, "contact_name": contact, "contact_phone": phone, "email": email}
        read.append((excel_row, uscc, district, {k: v for k, v in given.items() if v}))
    _resolve(read, plan=plan, node=node)


def _resolve(read, *, plan: Plan, node: Organization) -> None:
    existing = {
        u.code: u
        for u in OriginalUnit.objects.filter(code__in=[c for _r, c, *_ in read]).select_related(
            "district", "channels"
        )
    }
    districts = {
        o.code: o
        for o in Organization.objects.filter(
            code__in={d for _r, _c, d, _v in read if d}, level=Level.DISTRICT
        )
    }
    for excel_row, uscc, district_code, values in read:
        district = districts.get(district_code) if district_code else None
        if district_code and district is None:
            plan.add_error(
                excel_row,
                "district",
                _("no district with the code %(code)s is in the portal.") % {"code": district_code},
            )
            continue
        if district is None and node.level == Level.DISTRICT:
            district = node
        if district is not None and not district.path.startswith(node.path):
            plan.add_error(
                excel_row,
                "district",
                _("%(code)s is outside %(area)s.") % {"code": district_code, "area": node.name},
            )
            continue
        unit = existing.get(uscc)
        if unit is not None and (
            unit.district is None or not unit.district.path.startswith(node.path)
        ):
            plan.add_error(
                excel_row, "uscc", _("this unit is already in the portal, in another district.")
            )
            continue
        if unit is None and district is None:
            plan.add_error(
                excel_row, "district", _("is empty: say which district the unit belongs to.")
            )
            continue
        if unit is not None and district is not None and unit.district_id != district.pk:
            plan.add_error(
                excel_row, "district", _("this unit is already in the portal, in another district.")
            )
            continue
        values["district"] = district.pk if district else unit.district_id
        if unit is None:
            plan.rows.append(PlanRow(excel_row, uscc, values["name"], Action.ADD, values))
            continue
        current = {field: getattr(unit, field) for field in UNIT_FIELDS}
        contact = getattr(unit, "channels", None)
        current["email"] = contact.email if contact else ""
        changes = {
            field: [current[field], value]
            for field, value in values.items()
            if field in current and current[field] != value
        }
        action = Action.CHANGE if changes else Action.LEAVE
        plan.rows.append(PlanRow(excel_row, uscc, values["name"], action, values, changes, unit.pk))


def write(plan: Plan, *, node: Organization, actor=None, progress=None):
    changes: list[Change] = []
    new = [
        OriginalUnit(
            code=row.key,
            name=row.values["name"],
            district_id=row.values["district"],
            contact_name=row.values.get("contact_name", ""),
            contact_phone=row.values.get("contact_phone", ""),
        )
        for row in plan.rows
        if row.action == Action.ADD
    ]
    created = {u.code: u for u in OriginalUnit.objects.bulk_create(new, batch_size=1000)}
    contacts = []
    for row in plan.rows:
        if row.action == Action.ADD:
            unit = created[row.key]
            after = {k: v for k, v in row.values.items() if k != "district"}
            changes.append(Change(AuditAction.CREATE, unit, None, {"code": unit.code, **after}))
            if row.values.get("email"):
                contacts.append(UnitContact(unit=unit, email=row.values["email"]))
    updated: dict[tuple, list[OriginalUnit]] = {}
    emails = {}
    for row in plan.rows:
        if row.action != Action.CHANGE:
            continue
        fields = tuple(sorted(f for f in row.changes if f in UNIT_FIELDS))
        if fields:
            unit = OriginalUnit(pk=row.target_id, code=row.key)
            for field in fields:
                setattr(unit, field, row.changes[field][1])
            updated.setdefault(fields, []).append(unit)
        if "email" in row.changes:
            emails[row.target_id] = row.changes["email"][1]
        before = {f: pair[0] for f, pair in row.changes.items()}
        after = {f: pair[1] for f, pair in row.changes.items()}
        changes.append(
            Change(
                AuditAction.UPDATE,
                OriginalUnit(pk=row.target_id),
                before,
                after,
                object_repr=row.label,
            )
        )
    for fields, batch in updated.items():
        OriginalUnit.objects.bulk_update(batch, list(fields), batch_size=1000)
    UnitContact.objects.bulk_create(contacts, batch_size=1000)
    held = {c.unit_id: c for c in UnitContact.objects.filter(unit_id__in=emails)}
    for unit_id, email in emails.items():
        if unit_id in held:
            held[unit_id].email = email
    missing = [UnitContact(unit_id=i, email=e) for i, e in emails.items() if i not in held]
    UnitContact.objects.bulk_create(missing, batch_size=1000)
    UnitContact.objects.bulk_update(list(held.values()), ["email"], batch_size=1000)
    return changes


KIND = ImportKind(
    name="units",
    label=gettext_lazy("Original units"),
    capability=IMPORT_STRUCTURE,
    levels=DEFAULT_LEVELS,
    headers=HEADERS,
    required=("name", "uscc"),
    template=template,
    check=check,
    write=write,
)
