"""Division codes (统计用区划代码) and the unified social credit code (GB 32100-2015)."""

import pytest

from branches.models import Level
from rollout.structure.codes import division_code, parent_code, uscc_check_char, uscc_problem

# Published codes of real organisations (their check characters are right).
VALID_USCC = ["91350100M000100Y43", "91110000802100433B", "91310000MA1FL4B24G"]


@pytest.mark.parametrize("code", VALID_USCC)
def test_a_real_credit_code_passes(code):
    assert uscc_problem(code) is None


@pytest.mark.parametrize("code", VALID_USCC)
def test_a_wrong_check_character_is_found(code):
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert uscc_problem(wrong) == "check"


def test_lengths_and_letters_outside_the_alphabet_are_named():
    assert uscc_problem("91350100M000100Y4") == "length"
    assert uscc_problem("91350100I000100Y43") == "chars"  # no I in the alphabet


def test_the_check_character_is_computed_from_the_first_17():
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("310101", ("310101", Level.DISTRICT)),
        ("310101000000", ("310101", Level.DISTRICT)),
        (310101001, ("310101001", Level.STREET)),
        ("310101001000", ("310101001", Level.STREET)),
        ("310101001002", ("310101001002", Level.COMMUNITY)),
        ("310100000000", ("3101", Level.CITY)),
        ("310101000001", None),  # a community needs a street
        ("310100", None),  # the city's 市辖区 line
        ("31010a", None),
        ("3101011", None),
        (None, None),
    ],
)
def test_the_level_follows_from_the_code(value, expected):
    assert division_code(value) == expected


def test_the_parent_is_the_codes_prefix():
    assert parent_code("310101001002", Level.COMMUNITY) == "310101001"
    assert parent_code("310101", Level.DISTRICT) == "3101"
