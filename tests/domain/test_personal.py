"""Personal data: validation, masking everywhere, and reveal only on request.

Every ID number here is synthetic: built in the test from area 110101 (or a generated one), a
birth date and a sequence, with the check digit computed by :func:`check_digit` below.
"""

from __future__ import annotations

import logging
import pickle
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.domain.personal import (
    IdNumber,
    InvalidPersonalData,
    PersonName,
    PhoneNumber,
    Sex,
    id_check_digit,
    mask_text,
)
from civicgrid.errors import CivicGridError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2, written out again so the module is checked against the standard."""
    remainder = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11
    return ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"][remainder]


def synthetic_id(area: str = "110101", born: str = "19900101", sequence: str = "001") -> str:
    """A made-up ID number with a correct check digit."""
    first17 = area + born + sequence
    return first17 + check_digit(first17)


ID = synthetic_id()
"""110101 19900101 001 + check digit: the sequence 001 is odd, so male."""


def _error(call: object, *args: str) -> InvalidPersonalData:
    assert callable(call)
    with pytest.raises(InvalidPersonalData) as info:
        call(*args)
    return info.value


# --------------------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    ("text", "revealed", "masked"),
    [
        ("13812345678", "13812345678", "138****5678"),
        ("138 1234 5678", "13812345678", "138****5678"),
        ("138-1234-5678", "13812345678", "138****5678"),
        ("+86 138 1234 5678", "13812345678", "138****5678"),
        ("+8619912345678", "19912345678", "199****5678"),
        ("0086 13312345678", "13312345678", "133****5678"),
        ("028-12345678", "028-12345678", "028-******78"),
        ("02812345678", "028-12345678", "028-******78"),
        ("0551-1234567", "0551-1234567", "0551-*****67"),
        ("(010) 8765 4321", "010-87654321", "010-******21"),
    ],
)
def test_a_valid_phone_number_is_normalised_and_masked(
    text: str, revealed: str, masked: str
) -> None:
    """Spaces, dashes and +86 are removed; the masked form keeps only the ends."""
    phone = PhoneNumber.parse(text)
    assert phone.reveal() == revealed
    assert phone.masked == masked
    assert PhoneNumber(text) == phone


def test_a_phone_number_knows_whether_it_is_a_mobile() -> None:
    """Mobiles and landlines are told apart."""
    assert PhoneNumber("13812345678").is_mobile
    assert not PhoneNumber("028-12345678").is_mobile


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("  - ", "empty"),
        ("1381234567", "length"),
        ("138123456789", "length"),
        ("12812345678", "prefix"),
        ("138-1234-567a", "characters"),
        ("138１２３４5678", "characters"),
        ("+86 028 12345678", "format"),
        ("028-1234567", "format"),
        ("0551-123456", "format"),
        ("011-12345678", "format"),
        ("028-02345678", "format"),
        ("4001234567", "format"),
        ("12345", "length"),
    ],
)
def test_an_invalid_phone_number_is_refused_with_the_field_and_the_reason(
    text: str, reason: str
) -> None:
    """The error names the field and the reason, in English and Chinese."""
    error = _error(PhoneNumber, text)
    assert error.field == "phone"
    assert error.reason == reason
    assert isinstance(error, CivicGridError)
    assert isinstance(error, ValueError)
    assert str(error).startswith("phone: ")
    assert "\nphone：" in str(error)


def test_a_phone_error_does_not_contain_the_number() -> None:
    """The refused value is personal too: the message never quotes it."""
    error = _error(PhoneNumber.parse, "13812345678999")
    assert "13812345678" not in str(error)
    assert "13812345678" not in repr(error)


def test_a_phone_number_of_the_wrong_type_is_refused() -> None:
    """An int is not accepted: a landline's leading 0 would be lost."""
    with pytest.raises(InvalidPersonalData, match="must be text") as info:
        PhoneNumber(13812345678)  # type: ignore[arg-type]
    assert info.value.reason == "type"


# --------------------------------------------------------------------------- ID numbers


def test_the_module_check_digit_matches_the_standard() -> None:
    """The exported helper gives the same check digit as the test's own computation."""
    for sequence in range(0, 1000, 37):
        first17 = f"11010119900101{sequence:03d}"
        assert id_check_digit(first17) == check_digit(first17)


def test_the_check_digit_helper_wants_17_digits() -> None:
    """Anything other than 17 digits is refused."""
    assert _error(id_check_digit, "1101011990").reason == "characters"
    assert _error(id_check_digit, "1101011990010100X").reason == "characters"


def test_a_valid_id_number_parses_with_its_birth_date_and_sex() -> None:
    """A synthetic number parses; birth date and sex are read from it."""
    number = IdNumber.parse(ID)
    assert number.reveal() == ID
    assert number.birth_date == date(1990, 1, 1)
    assert number.sex is Sex.MALE
    assert number.sex.label_zh == "男"
    assert number.masked == f"110{'*' * 11}{ID[-4:]}"


def test_an_even_17th_digit_is_female() -> None:
    """Sequence 002 ends in an even digit."""
    number = IdNumber(synthetic_id(sequence="002"))
    assert number.sex is Sex.FEMALE
    assert number.sex.label_zh == "女"


def test_a_lower_case_x_check_digit_is_normalised() -> None:
    """A check digit x is stored as X."""
    candidates = (f"11010119900101{s:03d}" for s in range(1000))
    first17 = next(c for c in candidates if check_digit(c) == "X")
    number = IdNumber.parse(first17 + "x")
    assert number.reveal() == first17 + "X"
    assert number == IdNumber(first17 + "X")
    assert number.masked.endswith("X")


def test_surrounding_spaces_around_an_id_number_are_ignored() -> None:
    """Whitespace is dropped before the checks."""
    assert IdNumber(f"  {ID[:6]} {ID[6:14]} {ID[14:]} ").reveal() == ID


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (ID[:17], "length"),
        (ID + "1", "length"),
        ("", "length"),
        (ID[:5] + "A" + ID[6:], "characters"),
        ("X" + ID[1:], "characters"),
        (synthetic_id(born="19900230"), "birth_date"),
        (synthetic_id(born="19901301"), "birth_date"),
        (synthetic_id(born="18991231"), "birth_date"),
    ],
)
def test_an_invalid_id_number_is_refused_with_the_reason(text: str, reason: str) -> None:
    """Length, characters and birth date are each reported by name."""
    error = _error(IdNumber, text)
    assert error.field == "id_number"
    assert error.reason == reason
    assert "\nid_number：" in str(error)


def test_a_wrong_check_digit_says_which_digit_was_expected() -> None:
    """The message names the expected check digit, not the number."""
    expected = ID[-1]
    wrong = "0" if expected != "0" else "1"
    error = _error(IdNumber.parse, ID[:17] + wrong)
    assert error.reason == "check_digit"
    assert f"require {expected}" in str(error)
    assert f"应为 {expected}" in str(error)
    assert ID[:17] not in str(error)


def test_a_birth_date_after_today_is_refused_when_today_is_given() -> None:
    """``parse(today=…)`` refuses a number born later; without it only the calendar counts."""
    number = synthetic_id(born="20301231")
    assert IdNumber.parse(number).birth_date == date(2030, 12, 31)
    error = _error(lambda text: IdNumber.parse(text, today=date(2026, 11, 23)), number)
    assert error.reason == "birth_date"
    assert "2026-11-23" in str(error)
    assert IdNumber.parse(ID, today=date(1990, 1, 1)).reveal() == ID


birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
areas = st.text(alphabet="0123456789", min_size=6, max_size=6)
sequences = st.text(alphabet="0123456789", min_size=3, max_size=3)


@given(area=areas, born=birth_dates, sequence=sequences)
def test_any_17_digits_with_a_real_birth_date_and_their_check_digit_parse(
    area: str, born: date, sequence: str
) -> None:
    """The computed number parses, keeps its birth date, and masks to first 3 + 11 * + last 4."""
    text = synthetic_id(area, born.strftime("%Y%m%d"), sequence)
    number = IdNumber.parse(text)
    assert number.reveal() == text
    assert number.birth_date == born
    assert number.masked == text[:3] + "*" * 11 + text[-4:]
    assert str(number) == repr(number)[len("IdNumber('") : -2]


@given(
    area=areas,
    born=birth_dates,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=17),
    shift=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_digit_is_caught(
    area: str, born: date, sequence: str, position: int, shift: int
) -> None:
    """MOD 11-2 catches every single-digit change; outside the birth date it is the check digit."""
    text = synthetic_id(area, born.strftime("%Y%m%d"), sequence)
    old = text[position]
    new = "0" if old == "X" else str((int(old) + shift) % 10)
    mutated = text[:position] + new + text[position + 1 :]
    error = _error(IdNumber.parse, mutated)
    if not 6 <= position < 14:
        assert error.reason == "check_digit"
    else:
        assert error.reason in {"check_digit", "birth_date"}


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "revealed", "masked"),
    [
        ("张三", "张三", "张*"),
        ("欧阳娜娜", "欧阳娜娜", "欧阳**"),
        ("欧阳锋", "欧阳锋", "欧阳*"),
        ("欧阳", "欧阳", "欧*"),
        ("诸葛亮", "诸葛亮", "诸葛*"),
        ("王小明", "王小明", "王**"),
        ("  李四 ", "李四", "李*"),
        ("阿依古丽·买买提", "阿依古丽·买买提", "阿*******"),
        ("John  Smith", "John Smith", "J***"),
        ("Ann", "Ann", "A***"),
        ("Mary-Jane O'Neil", "Mary-Jane O'Neil", "M***"),
    ],
)
def test_a_name_is_masked_after_its_first_character(text: str, revealed: str, masked: str) -> None:
    """Chinese names keep the surname and one ``*`` per further character; Latin ones ``X***``."""
    name = PersonName.parse(text)
    assert name.reveal() == revealed
    assert name.masked == masked
    assert str(name) == masked


def test_a_compound_surname_is_kept_only_in_names_of_three_or_more_characters() -> None:
    """``欧阳`` alone is surname 欧 and given name 阳; in ``欧阳娜娜`` it is the surname."""
    assert PersonName("欧阳娜娜").masked == "欧阳**"
    assert PersonName("欧阳").masked == "欧*"
    assert PersonName("欧小明").masked == "欧**"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("张3", "characters"),
        ("·张三", "characters"),
        ("Bob <script>", "characters"),
        ("张" * 65, "length"),
    ],
)
def test_an_invalid_name_is_refused_with_the_reason(text: str, reason: str) -> None:
    """Empty names, digits, symbols and very long names are refused."""
    error = _error(PersonName, text)
    assert error.field == "name"
    assert error.reason == reason


# --------------------------------------------------------------------------- masking everywhere


def _samples() -> list[tuple[PhoneNumber | IdNumber | PersonName, str]]:
    return [
        (PhoneNumber("13812345678"), "13812345678"),
        (PhoneNumber("028-12345678"), "12345678"),
        (IdNumber(ID), ID),
        (PersonName("张三丰"), "张三丰"),
    ]


@pytest.mark.parametrize(("value", "raw"), _samples())
def test_repr_str_and_format_never_show_the_raw_value(
    value: PhoneNumber | IdNumber | PersonName, raw: str
) -> None:
    """Every textual form is the masked one."""
    shown = [
        repr(value),
        str(value),
        f"{value}",
        f"{value!r}",
        f"{value:>30}",
        "%s %r" % (value, value),  # noqa: UP031
        "{}".format(value),  # noqa: UP032
        repr([value]),
        repr({"resident": value}),
    ]
    for text in shown:
        assert raw not in text
        assert value.masked in text
    assert str(value) == value.masked
    assert repr(value) == f"{type(value).__name__}({value.masked!r})"
    assert value.reveal() == raw or raw in value.reveal()


@pytest.mark.parametrize(("value", "raw"), _samples())
def test_logging_shows_the_masked_form(
    value: PhoneNumber | IdNumber | PersonName, raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``logger.info("%s", value)`` logs the masked form."""
    caplog.set_level(logging.INFO)
    logging.getLogger().info("%s", value)
    logging.getLogger().info("resident %r", value)
    assert raw not in caplog.text
    assert value.masked in caplog.text
    assert all(raw not in record.getMessage() for record in caplog.records)


def test_an_id_number_repr_shows_neither_birth_date_nor_sex() -> None:
    """The derived personal data stays out of repr."""
    number = IdNumber(ID)
    assert "1990" not in repr(number)
    assert "male" not in repr(number).lower()


def test_an_assertion_failure_does_not_show_the_raw_value() -> None:
    """Comparing two different numbers in an assert shows only masks."""
    first, second = PhoneNumber("13812345678"), PhoneNumber("13912345678")
    with pytest.raises(AssertionError) as info:
        assert first == second
    assert "13812345678" not in str(info.value)
    assert "138****5678" in str(info.value)


# --------------------------------------------------------------------------- equality


def test_equal_values_are_equal_and_hash_alike() -> None:
    """Equality and hashing use the normalised raw value."""
    assert PhoneNumber("+86 138 1234 5678") == PhoneNumber("13812345678")
    assert hash(PhoneNumber("+86 138 1234 5678")) == hash(PhoneNumber("13812345678"))
    assert PhoneNumber("13812345678") != PhoneNumber("13912345678")
    assert len({IdNumber(ID), IdNumber(ID.lower()), IdNumber(f" {ID} ")}) == 1
    assert PersonName("张三") == PersonName(" 张三 ")


def test_values_of_different_kinds_are_never_equal() -> None:
    """A phone number is not a name, even with the same text."""
    assert PhoneNumber("13812345678") != "13812345678"
    assert PersonName("Ann") != "Ann"


def test_a_value_is_frozen() -> None:
    """The raw value cannot be replaced after validation."""
    phone = PhoneNumber("13812345678")
    with pytest.raises(AttributeError):
        phone._value = "bad"  # type: ignore[misc]


def test_a_value_survives_pickling() -> None:
    """Pickling keeps the value and its equality."""
    number = IdNumber(ID)
    assert pickle.loads(pickle.dumps(number)) == number  # noqa: S301


# --------------------------------------------------------------------------- free text


def test_mask_text_masks_numbers_inside_chinese_text() -> None:
    """Mobiles and ID numbers in a request description are masked; dates are left alone."""
    text = f"2026年11月23日居民来电13812345678反映漏水，身份证号{ID}，请回电。"
    assert mask_text(text) == (
        f"2026年11月23日居民来电138****5678反映漏水，身份证号110{'*' * 11}{ID[-4:]}，请回电。"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话：+86 138 1234 5678。", "电话：+86 138****5678。"),
        ("0086-13912345678", "0086-139****5678"),
        ("手机138-1234-5678", "手机138****5678"),
        ("Tel:13812345678, thanks", "Tel:138****5678, thanks"),
        ("固话028-12345678", "固话028-******78"),
        ("身份证11010119900101001x号", "身份证110***********001x号"),
        ("两个13812345678和13912345678", "两个138****5678和139****5678"),
    ],
)
def test_mask_text_masks_each_shape(text: str, expected: str) -> None:
    """Separators and prefixes are handled; lower-case x is kept as written."""
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026年11月23日上午9时",
        "订单号138123456789",
        "编号213812345678",
        "工单1101011990010100150",
        "流水号12345678901234567",
        "2026-11-23 到 2026-12-01",
        "12345热线，95%自动派单",
        "面积12812345678平方米",
    ],
)
def test_mask_text_leaves_other_digits_alone(text: str) -> None:
    """Longer digit runs, dates and numbers that are not shaped like a phone or ID stay."""
    assert mask_text(text) == text


def test_mask_text_masks_an_id_shaped_number_with_a_wrong_check_digit() -> None:
    """Masking does not need a valid check digit."""
    wrong = ID[:17] + ("0" if ID[-1] != "0" else "1")
    assert mask_text(f"证件{wrong}") == f"证件110{'*' * 11}{wrong[-4:]}"


@given(area=areas, born=birth_dates, sequence=sequences)
def test_mask_text_agrees_with_the_masked_form(area: str, born: date, sequence: str) -> None:
    """Inside text, a valid number is masked exactly as its ``masked`` property."""
    number = IdNumber(synthetic_id(area, born.strftime("%Y%m%d"), sequence))
    assert mask_text(f"号码{number.reveal()}。") == f"号码{number.masked}。"
