"""Two people saving the same meeting at once (issue 13, item 25).

A meeting's edit and recording forms carry the version they were loaded at and a signed
snapshot of what they showed. When the service finds the meeting at another version it
refuses the save (services.errors.MeetingConflict); the page then lists, in the user's
language, what the other save changed (loaded snapshot against the meeting now), with
the user's own input still in the form, now at the current version: saving again is a
deliberate choice to overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext as _

from .models import Meeting

SALT = "activities.meeting-loaded"
ATTENDANCE = "attendance"


def snapshot(meeting: Meeting, fields) -> dict[str, str]:
    """What a form shows of the meeting: these fields, and its attendance."""
    shown = {name: _shown(meeting, name) for name in fields}
    shown[ATTENDANCE] = {
        str(member_id): status
        for member_id, status in meeting.attendances.values_list("member_id", "status")
    }
    return shown


def sign(meeting: Meeting, fields) -> str:
    return signing.dumps(snapshot(meeting, fields), salt=SALT, compress=True)


@dataclass(frozen=True)
class Change:
    label: str
    now: str


def changes(loaded: str, meeting: Meeting, fields) -> list[Change]:
    """What differs between the signed snapshot a form was loaded with and the meeting
    as saved now (every field the form shows, if the snapshot cannot be read)."""
    try:
        before = signing.loads(loaded, salt=SALT)
    except signing.BadSignature:
        before = {}
    now = snapshot(meeting, fields)
    found = [
        Change(str(Meeting._meta.get_field(name).verbose_name), now[name] or "—")
        for name in fields
        if before.get(name) != now[name]
    ]
    if before.get(ATTENDANCE, {}) != now[ATTENDANCE]:
        names = dict(meeting.attendances.values_list("member_id", "member__name"))
        moved = sorted(
            names[int(pk)]
            for pk in now[ATTENDANCE]
            if before.get(ATTENDANCE, {}).get(pk) != now[ATTENDANCE][pk]
        )
        moved_names = _("changed for %(names)s") % {"names": "、".join(moved)}
        found.append(Change(_("Attendance"), moved_names))
    return found


def _shown(meeting: Meeting, name: str) -> str:
    field = Meeting._meta.get_field(name)
    value = getattr(meeting, name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(meeting, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if hasattr(value, "strftime"):
        return value.strftime("%H:%M" if not hasattr(value, "year") else "%Y-%m-%d")
    return str(value)
