"""Official codes: the statistics bureau's division codes (统计用区划代码) and the
unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import re

from branches.models import Level

# The division code: 2 digits province, 2 city, 2 district (county), 3 street (town),
# 3 community (village). The portal keeps each level at its own length, so a node's
# code starts with every ancestor's code.
LENGTHS = {Level.CITY: 4, Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12}
PARENT_LEVEL = {
    Level.DISTRICT: Level.CITY,
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
}
SEGMENTS = ((0, 2), (2, 4), (4, 6), (6, 9), (9, 12))
_DIGITS = re.compile(r"^[0-9]+$")


def division_code(value) -> tuple[str, str] | None:
    """(the code at its level's length, the level), or None for something that is not a
    division code. Districts may come as 6 digits, streets as 9, or all padded to 12."""
    text = str(value).strip() if value is not None else ""
    if not _DIGITS.match(text):
        return None
    if len(text) == 12:
        if text[4:] == "00000000":
            text = text[:4]
        elif text[6:] == "000000":
            text = text[:6]
        elif text[9:] == "000":
            text = text[:9]
    for level, length in LENGTHS.items():
        if len(text) == length:
            # No level's part is all zeros (310100 is the city's 市辖区 line).
            if any(set(text[a:b]) == {"0"} for a, b in SEGMENTS if b <= length):
                return None
            return text, level
    return None


def parent_code(code: str, level: str) -> str | None:
    parent = PARENT_LEVEL.get(level)
    return code[: LENGTHS[parent]] if parent else None


# --- 统一社会信用代码 (GB 32100-2015) ---------------------------------------------------------

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(body: str) -> str:
    """The 18th character for the first 17: 31 − (Σ value × 3^i mod 31) mod 31."""
    pairs = zip(body, USCC_WEIGHTS, strict=True)
    total = sum(USCC_CHARS.index(char) * weight for char, weight in pairs)
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """None for a valid code; otherwise which rule it breaks: 'length', 'chars' or
    'check'."""
    if len(value) != 18:
        return "length"
    if not _USCC.match(value):
        return "chars"
    if uscc_check_char(value[:17]) != value[17]:
        return "check"
    return None
