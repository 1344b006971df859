"""Checks and normalisation for the roster's identity fields.

Chinese resident ID numbers (GB 11643-1999): 17 digits and a MOD 11-2 check character
(0-9 or X); digits 7-14 are the birth date, digit 17 is odd for men and even for women.
Phone numbers: a mainland mobile (11 digits starting 13-19) or a landline with its area
code. Both accept what people type in spreadsheets: full-width digits, stray spaces,
a lower-case x, +86 in front of a mobile.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_SPACES = re.compile(r"\s+")
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def nfkc(value) -> str:
    """Full-width digits, letters and spaces to their ordinary forms, trimmed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalize_id_number(value) -> str:
    """'１１０１０１ 19500305 123x' -> '11010119500305123X' (no check is made here)."""
    return _SPACES.sub("", nfkc(value)).upper()


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_birth_date(id_number: str) -> datetime.date | None:
    try:
        return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def id_gender(id_number: str) -> str:
    """'male' or 'female' (the values of members.models.Gender)."""
    return "male" if int(id_number[16]) % 2 else "female"


def validate_id_number(value) -> str:
    """The normalised ID number, or ValidationError naming what is wrong with it."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d."),
            code="id_length",
            params={"n": len(number)},
        )
    if not _ID_SHAPE.match(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="id_shape"
        )
    born = id_birth_date(number)
    if born is None or born > datetime.date.today() or born.year < 1880:
        raise ValidationError(
            _("The birth date inside the ID number (%(digits)s) is not a real date."),
            code="id_birth_date",
            params={"digits": number[6:14]},
        )
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("The check digit of the ID number is wrong: please check the number."),
            code="id_check_digit",
        )
    return number


def id_consistency_errors(id_number: str, birth_date, gender) -> dict[str, str]:
    """Disagreements between a valid ID number and the stated birth date and gender."""
    errors = {}
    if birth_date and id_birth_date(id_number) != birth_date:
        errors["birth_date"] = _("The birth date does not match the ID number.")
    if gender and id_gender(id_number) != gender:
        errors["gender"] = _("The gender does not match the ID number.")
    return errors


def normalize_phone(value) -> str:
    """Keep digits and one dash; drop spaces, brackets and a +86 / 86 mobile prefix."""
    text = _SPACES.sub("", nfkc(value))
    text = re.sub(r"[()（）]", "", text).replace("—", "-").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    text = text.lstrip("-")
    if re.fullmatch(r"1\d{2}-?\d{4}-?\d{4}", text):
        text = text.replace("-", "")  # 138-1234-5678 -> 13812345678
    return text


def validate_phone(value) -> str:
    """The normalised phone number ('' stays ''), or ValidationError."""
    phone = normalize_phone(value)
    if not phone:
        return ""
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return phone
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("1") and len(digits) != 11:
        raise ValidationError(
            _("A mobile number has 11 digits; this one has %(n)d."),
            code="phone_length",
            params={"n": len(digits)},
        )
    raise ValidationError(
        _("Not a phone number: use an 11-digit mobile or a landline with its area code."),
        code="phone_shape",
    )


def make_id_number(area: str, born: datetime.date, sequence: int, *, male: bool) -> str:
    """A well-formed ID number (demo data and tests): area (6 digits), birth date, a
    3-digit sequence whose last digit carries the gender, and the check character."""
    seq = sequence % 1000
    if (seq % 2 == 1) != male:
        seq = seq + 1 if seq < 999 else seq - 1
    first17 = f"{area[:6]:0>6}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)
