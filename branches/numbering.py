"""The ordinal a party group's name spells: 第一党小组 -> 1, 第十二党小组 -> 12, 第3组 -> 3."""

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100}
ORDINAL = re.compile(r"第([0-9]+|[零〇一二两三四五六七八九十百]+)")


def chinese_number(text: str) -> int:
    """一 -> 1, 十二 -> 12, 二十 -> 20, 一百零五 -> 105 (the numerals of group ordinals)."""
    total = digit = 0
    for char in text:
        if char in UNITS:
            total += (digit or 1) * UNITS[char]
            digit = 0
        else:
            digit = DIGITS[char]
    return total + digit


def ordinal_in(name: str) -> int | None:
    """The positive ordinal after the first 第 in the name, or None."""
    found = ORDINAL.search(name)
    if not found:
        return None
    text = found.group(1)
    number = int(text) if text.isascii() else chinese_number(text)
    return number or None
