"""Masks for sensitive member fields, the same on pages, prints and exports.

ID number: first 3 and last 4 characters kept (110***********1234); phone: first 3 and
last 4 digits kept (138****5678); address: the first few characters kept; health: hidden.
"""

MASK = "*"
HIDDEN = "***"


def mask_id(value) -> str:
    value = str(value or "")
    if len(value) <= 7:
        return MASK * len(value)
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def mask_phone(value) -> str:
    value = str(value or "")
    if len(value) <= 7:
        return MASK * len(value)
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def mask_address(value) -> str:
    """Keep the residential area (the first 6 characters at most, never more than half)."""
    value = str(value or "")
    if not value:
        return ""
    keep = min(6, len(value) // 2)
    return value[:keep] + MASK * 4


# Field name -> mask, for the fields that are masked unless the user may see them.
MASKS = {
    "id_number": mask_id,
    "phone": mask_phone,
    "address": mask_address,
}


def masked(field: str, value) -> str:
    mask = MASKS.get(field)
    if mask is None:
        return HIDDEN if value else ""
    return mask(value)
