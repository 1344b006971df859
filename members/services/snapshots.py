"""What audit records hold of a member or registration: field values, sensitive ones
masked and the name masked too (accounts.audit.masked_name).
"""

from __future__ import annotations

from accounts import audit

from ..masking import MASKS
from ..models import Member

# The member fields an audit snapshot covers
# (all stored fields but the timestamps; not the ID number's lookup hash).
MEMBER_FIELDS = [
    f.name
    for f in Member._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at", "id_number_hash"}
]
REGISTRATION_FIELDS = [
    "status",
    "community",
    "branch",
    "party_group",
    "reported_on",
    "accepted_on",
    "notified_on",
    "withdrawn_on",
    "note",
]


def _value(obj, name):
    field = obj._meta.get_field(name)
    value = getattr(obj, field.attname)
    if name == "name" and isinstance(obj, Member):
        return audit.masked_name(value)
    mask = MASKS.get(name)
    return mask(value) if mask and value else value


def snapshot(obj, fields) -> dict:
    """Field values for an audit record (foreign keys as ids, sensitive ones masked)."""
    return {name: _value(obj, name) for name in fields}
