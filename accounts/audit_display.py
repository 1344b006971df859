"""How the audit trail reads to the auditor: Chinese names for what an entry touched, for
its fields and for their values, on the pages and in the Excel export.

Entries are hash-chained and never edited, so they keep the technical names they were
written with ("members.member", "unmasked"); the names are translated when shown.
"""

import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .audit import BATCH
from .models import AuditAction

# Object types that name no model: what an export or a sweep was about.
OTHER_TYPES = {
    "members.roster": _("Member roster"),
    "activities.careregister": _("Care register"),
    "activities.signinsheet": _("Sign-in sheet"),
    "activities.attendancerecord": _("Attendance record"),
    "activities.attendancereport": _("Attendance report"),
    "activities.ledger": _("Yearly ledger"),
    "reports.organizationdashboard": _("Area statistics"),
    "funds.branchusage": _("Use of funds of a branch"),
    "funds.areausage": _("Use of funds of an area"),
    "reports.branchdashboard": _("Branch statistics"),
    "reports.bulletin": _("Periodic bulletin"),
    "notices.receipts": _("Receipts of a notice"),
    "units.unitoverview": _("Where a unit's retirees live"),
    "units.feedbackhalf": _("Feedback reports of a unit's half-year"),
    "reports.printresult": _("Batch print file"),
    "rollout.regionchange": _("Reorganisation of the tree"),
}

# Keys of before/after that are no model field (or belong to an entry without a model).
KEY_LABELS = {
    "format": _("Format"),
    "query": _("Filters"),
    "filters": _("Filters"),
    "rows": _("Rows"),
    "unmasked": _("Shown unmasked"),
    "checked": _("Entries checked"),
    "ok": _("Chain intact"),
    "broken": _("Broken entries"),
    "deleted": _("Entries deleted"),
    "through": _("Up to entry"),
    "anchor": _("Anchor hash"),
    "cutoff": _("Older than"),
    "created_before": _("Created before"),
    "items": _("Inbox items"),
    "outbound": _("Outgoing messages"),
    "deliveries": _("Deliveries"),
    "attempts": _("Attempts"),
    "sessions_ended": _("Sessions ended"),
    "devices_removed": _("Devices removed"),
    "fields": _("Fields"),
    "file": _("File"),
    "receipts": _("Receipts"),
    "file_size": _("File size"),
    "size": _("Size"),
    "created": _("Created"),
    "updated": _("Updated"),
    "unchanged": _("Unchanged"),
    "registrations": _("Registrations"),
    "units_created": _("Original units created"),
    "erased": _("Erased"),
    "replaced_by": _("Replaced by"),
    "state": _("State"),
    "comment": _("Comment"),
    "via": _("Via"),
    "backend": _("Log-in method"),
    "q": _("Search"),
    "status": _("Status"),
    "community": _("Community"),
    "branch": _("Branch"),
    "group": _("Party group"),
    "kind": _("Kind"),
    "year": _("Year"),
    "period": _("Period"),
    "organization": _("Area"),
    "meetings": _("Meetings"),
    "branches": _("Branches reached"),
    "quarter": _("Quarter"),
    "member": _("Member"),
    "reason": _("Reason"),
    "name": _("Name"),
    "role": _("Role"),
    "node": _("Area"),
    "title": _("Title"),
    "meeting": _("Meeting"),
    "is_active": _("Enabled"),
    "starts_on": _("Starts on"),
    "ends_on": _("Ends on"),
    "full": _("Full view"),
    "page": _("Page"),
    "user": _("User"),
    "action": _("Action"),
    "object_type": _("Object type"),
    "object_id": _("Object id"),
    "ip": _("Address"),
    "date_from": _("From"),
    "date_to": _("To"),
    "files": _("Number of files"),
    "pages": pgettext_lazy("page count", "Pages"),
    # 区划调整 (rollout.regions)
    "operation": _("Change"),
    "from_area": _("Previously"),
    "to_area": _("Now"),
    "from_path": _("Previous place in the tree"),
    "to_path": _("New place in the tree"),
    "closed_on": _("Closed on"),
    "new_code": _("Code of the new community"),
    "old_name": _("Previous name"),
    "members": _("Members"),
    "groups": _("Party groups"),
    "care_visits": _("Care visits"),
    "memberships": _("Functional branch memberships"),
    "venues": _("Venues"),
    "staff_roles": _("Staff roles"),
}

# The kinds of 区划调整 (rollout.regions.services).
OPERATION_NAMES = {
    "move": _("Community moved to another street"),
    "merge": _("Communities merged"),
    "merge_branch": _("Branches merged"),
    "split": _("Community split"),
    "split_branch": _("Branch split"),
    "rename": _("Renamed"),
}

# Values that are codes rather than words.
FORMAT_NAMES = {
    "xlsx": "Excel",
    "pdf": "PDF",
    "csv": "CSV",
    "print": _("Print"),
    "html": _("Print"),
    "zip": _("Zip file"),
}

# How a log-in was checked (the authentication backend's path).
BACKEND_NAMES = {
    "accounts.backends.LockoutModelBackend": _("User name and password"),
    "django.contrib.auth.backends.ModelBackend": _("User name and password"),
}

# Descriptions the code writes for entries about the system itself.
SYSTEM_REPRS = {
    "audit log": _("Audit log"),
    "audit chain": _("Audit chain"),
    "security policy": _("Security policy"),
}
PRUNED_REMINDERS = re.compile(r"pruned reminders older than (\d+) days")


def model_for(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def type_label(object_type: str) -> str:
    if not object_type:
        return ""
    if model := model_for(object_type):
        return str(capfirst(model._meta.verbose_name))
    return str(OTHER_TYPES.get(object_type, object_type))


def type_choices() -> list[tuple[str, str]]:
    """Every model of the project's apps and the other object types, by Chinese name."""
    project = {
        "accounts",
        "branches",
        "members",
        "notices",
        "activities",
        "places",
        "reports",
        "api",
    }
    types = {
        model._meta.label_lower: str(capfirst(model._meta.verbose_name))
        for model in apps.get_models()
        # Models without a name of their own are derived tables the trail never records.
        if model._meta.app_label in project and "verbose_name" in model._meta.original_attrs
    }
    types.update({key: str(label) for key, label in OTHER_TYPES.items()})
    return sorted(types.items(), key=lambda item: item[1])


def _field(model, key):
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def field_label(model, key: str) -> str:
    field = _field(model, key)
    if field is not None and getattr(field, "verbose_name", None):
        return str(capfirst(field.verbose_name))
    label = KEY_LABELS.get(key)
    return str(capfirst(label)) if label else key


def value_text(model, key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict):
        return "；".join(
            f"{field_label(model, k)}：{value_text(model, k, v)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return "、".join(value_text(model, key, item) for item in value)
    if key == "format":
        return str(FORMAT_NAMES.get(value, value))
    if key == "backend":
        return str(BACKEND_NAMES.get(value, value))
    if key == "operation":
        return str(OPERATION_NAMES.get(value, value))
    field = _field(model, key)
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def object_text(entry) -> str:
    """The entry's description, with the system's own descriptions in Chinese."""
    shown = entry.object_repr
    if shown in SYSTEM_REPRS:
        return str(SYSTEM_REPRS[shown])
    if match := PRUNED_REMINDERS.fullmatch(shown):
        return gettext("Reminders older than %(days)s days") % {"days": match[1]}
    return shown


def change_rows(entry, changes: dict) -> list[tuple[str, str, str]]:
    """(field, before, after) in Chinese, for the detail page and the export. A batch
    entry (audit.record_batch) then lists its changes, one line each: the action and
    the object, and every changed field before and after ("字段：值；...")."""
    model = model_for(entry.object_type)
    before, after = changes.get("before") or {}, changes.get("after") or {}
    rows = [
        (
            field_label(model, key),
            value_text(model, key, before.get(key)),
            value_text(model, key, after.get(key)),
        )
        for key in sorted({*before, *after})
    ]
    actions = dict(AuditAction.choices)
    for change in changes.get(BATCH) or []:
        row_model = model_for(change.get("type", ""))
        shown = f"{actions.get(change.get('action'), change.get('action'))}：" + " ".join(
            part for part in (type_label(change.get("type", "")), change.get("object")) if part
        )
        rows.append(
            (
                shown,
                value_text(row_model, "", change.get("before") or None),
                value_text(row_model, "", change.get("after") or None),
            )
        )
    return rows
