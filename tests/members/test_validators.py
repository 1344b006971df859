import datetime

import pytest
from django.core.exceptions import ValidationError

from members.validators import (
    id_birth_date,
    id_check_char,
    id_consistency_errors,
    id_gender,
    make_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

# GB 11643-1999's published example: 11010519491231002X (a woman born 1949-12-31).
SAMPLE = "11010519491231002X"


def test_a_published_sample_id_number_passes_the_mod_11_2_check():
    assert id_check_char(SAMPLE[:17]) == "X"
    assert validate_id_number(SAMPLE) == SAMPLE
    assert id_birth_date(SAMPLE) == datetime.date(1949, 12, 31)
    assert id_gender(SAMPLE) == "female"


def test_a_lower_case_x_full_width_digits_and_spaces_are_accepted_and_normalised():
    typed = "１１０１０５ 19491231 002x"
    assert validate_id_number(typed) == SAMPLE


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "id_length"),
        ("11010519491231002XX", "id_length"),
        ("1101051949123100AX", "id_shape"),
        ("110105194902300021", "id_birth_date"),  # 30 February
        ("110105194912310021", "id_check_digit"),
    ],
)
def test_a_wrong_id_number_is_refused_with_the_reason(number, code):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number)
    assert caught.value.code == code


def test_an_id_number_with_a_birth_date_in_the_future_is_refused():
    future = datetime.date.today() + datetime.timedelta(days=400)
    number = make_id_number("110105", future, 1, male=True)
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number)
    assert caught.value.code == "id_birth_date"


def test_made_up_id_numbers_are_valid_and_carry_birth_date_and_gender():
    born = datetime.date(1936, 2, 29)
    for sequence in (0, 1, 998, 999):
        for male in (True, False):
            number = make_id_number("319901", born, sequence, male=male)
            assert validate_id_number(number) == number
            assert id_birth_date(number) == born
            assert id_gender(number) == ("male" if male else "female")


def test_birth_date_and_gender_must_agree_with_the_id_number():
    assert id_consistency_errors(SAMPLE, datetime.date(1949, 12, 31), "female") == {}
    errors = id_consistency_errors(SAMPLE, datetime.date(1950, 1, 1), "male")
    assert set(errors) == {"birth_date", "gender"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("１３８１２３４５６７８", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0571-88886666", "0571-88886666"),
        ("(010)12345678", "01012345678"),
        ("", ""),
    ],
)
def test_phone_numbers_are_normalised(typed, stored):
    assert normalize_phone(typed) == stored
    assert validate_phone(typed) == stored


def test_a_short_mobile_number_is_refused_saying_how_many_digits_it_has():
    with pytest.raises(ValidationError) as caught:
        validate_phone("1381234567")
    assert caught.value.code == "phone_length"
    assert caught.value.params == {"n": 10}


def test_text_that_is_no_phone_number_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_phone("家里电话")
    assert caught.value.code == "phone_shape"
