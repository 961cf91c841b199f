"""The number pad: what the customer's digits are, by the rules in CONTRIBUTING.md ("Number pad rules")."""

import datetime as dt

import pytest

from counter_core.identity import classify_typed_input

TODAY = dt.date(2026, 11, 24)


def read(text, complete=True):
    return classify_typed_input(text, complete=complete, today=TODAY)


# -- one table per rule: typed -> (kind, normalised value) -----------------------------------------------------


@pytest.mark.parametrize("typed", ["1", "7", "100234", "1234567", "12345678", "100 234"])
def test_one_to_eight_digits_are_a_customer_number(typed):
    result = read(typed)
    assert (result.kind, result.value, result.message_code) == (
        "customer_number",
        typed.replace(" ", ""),
        "customer_number",
    )


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("191212121212", "191212121212"),
        ("196408233234", "196408233234"),
        ("200001011238", "200001011238"),
        ("19121212-1212", "191212121212"),
        ("1912 1212 1212", "191212121212"),
    ],
)
def test_twelve_digits_starting_19_or_20_are_a_personal_id(typed, canonical):
    assert (read(typed).kind, read(typed).value) == ("personal_id", canonical)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("1212121212", "201212121212"),  # 2012: the latest century that puts the birth in the past
        ("6408233234", "196408233234"),
        ("7010632391", "197010632391"),  # samordningsnummer
        ("121212-1212", "201212121212"),
        ("121212+1212", "191212121212"),  # + : aged 100 or more
        ("701063-2391", "197010632391"),
    ],
)
def test_ten_digits_not_starting_with_zero_are_a_personal_id(typed, canonical):
    assert (read(typed).kind, read(typed).value) == ("personal_id", canonical)


def test_the_century_of_a_ten_digit_personal_id_depends_on_today():
    assert classify_typed_input("1212121212", today=dt.date(2010, 1, 1)).value == "191212121212"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+46701234567", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("+47 912 34 567", "+4791234567"),
        ("+358401234567", "+358401234567"),
        ("0046701234567", "+46701234567"),  # 00 is the international prefix
        ("0047 91234567", "+4791234567"),
    ],
)
def test_plus_or_double_zero_is_an_international_phone_number(typed, e164):
    assert (read(typed).kind, read(typed).value) == ("phone", e164)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("0701234567", "+46701234567"), ("070-123 45 67", "+46701234567"), ("08-123 456 78", "+46812345678")],
)
def test_a_leading_zero_is_a_swedish_phone_number(typed, e164):
    assert (read(typed).kind, read(typed).value) == ("phone", e164)


def test_ten_digits_with_a_leading_zero_that_are_also_a_personnummer_are_ambiguous():
    result = read("0701011231")  # +46 70 101 12 31, or born 2007-01-01
    assert result.kind == "ambiguous"
    assert result.value is None
    assert [(c.kind, c.value) for c in result.candidates] == [
        ("phone", "+46701011231"),
        ("personal_id", "200701011231"),
    ]
    assert [c.display for c in result.candidates] == ["070-101 12 31", "20070101-••••"]
    assert result.message_code == "phone_or_personal_id"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("0305011231", "200305011231"),  # 030-501 12 31 is no Swedish number: only the personal ID is left
        ("0001011238", "200001011238"),  # born 2000: starts with 00, but +01011238 is no phone number
    ],
)
def test_a_leading_zero_personnummer_that_is_no_phone_number_is_a_personal_id(typed, canonical):
    assert (read(typed).kind, read(typed).value) == ("personal_id", canonical)


@pytest.mark.parametrize(("typed", "e164"), [("701234567", "+46701234567"), ("736123456", "+46736123456")])
def test_nine_digits_that_make_a_swedish_mobile_are_a_phone_number(typed, e164):
    assert (read(typed).kind, read(typed).value) == ("phone", e164)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("46701234567", "+46701234567"), ("358401234567", "+358401234567"), ("4915112345678", "+4915112345678")],
)
def test_eleven_and_more_digits_are_a_phone_number_with_its_country_code_first(typed, e164):
    assert (read(typed).kind, read(typed).value) == ("phone", e164)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("12a4", "not_digits"),
        ("850412/1234", "not_digits"),
        ("1+2", "not_digits"),
        ("1234567890123456", "too_long"),
        ("+1234567890123456", "too_long"),
        ("812345678", "unknown_number"),  # nine digits, but 0812345678 is no mobile
        ("1212121213", "invalid_personal_id"),  # wrong check digit
        ("191212121213", "invalid_personal_id"),
        ("19851332-1234", "invalid_personal_id"),  # no 32nd of the 13th month
        ("+4612", "invalid_phone"),
        ("0701", "invalid_phone"),
        ("99999999999", "invalid_phone"),
    ],
)
def test_ok_on_input_that_fits_no_rule_gives_invalid_with_a_reason_code(typed, reason):
    result = read(typed)
    assert (result.kind, result.value, result.message_code) == ("invalid", None, reason)
    assert result.message  # a sentence the screen can show


def test_a_norwegian_number_typed_without_plus_is_refused_with_a_hint_to_type_plus():
    result = read("4791234567")
    assert (result.kind, result.message_code) == ("invalid", "invalid_personal_id")
    assert "starts with + or 00" in result.message


# -- as the customer types ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "possible"),
    [
        ("", ("customer_number", "personal_id", "phone")),
        ("0", ("phone", "personal_id")),
        ("07012", ("phone", "personal_id")),
        ("+4670", ("phone",)),
        ("198504121", ("personal_id", "phone")),
        ("121212-12", ("personal_id",)),
        ("0701", ("phone", "personal_id")),
    ],
)
def test_while_typing_input_that_more_digits_could_make_valid_is_incomplete(typed, possible):
    result = read(typed, complete=False)
    assert (result.kind, result.possible_kinds, result.message_code) == ("incomplete", possible, "keep_typing")
    assert result.value is None


@pytest.mark.parametrize("typed", ["12a", "1234567890123456", "9999999999"])
def test_while_typing_input_no_digit_can_save_is_invalid_at_once(typed):
    assert read(typed, complete=False).kind == "invalid"


def test_while_typing_a_valid_reading_is_returned_with_what_more_digits_could_still_make():
    result = read("19850412", complete=False)
    assert (result.kind, result.value) == ("customer_number", "19850412")
    assert "personal_id" in result.possible_kinds


def test_pressing_ok_never_gives_incomplete():
    for typed in ("", "0", "07012", "+4670", "198504121", "121212-12"):
        assert read(typed, complete=True).kind == "invalid"


# -- what the field shows ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "complete", "display"),
    [
        ("191212121212", True, "19121212-••••"),
        ("1212121212", True, "121212-••••"),
        ("121212+1212", True, "121212+••••"),
        ("198504121", False, "19850412-•"),  # too long for a customer number: the rest of the ID is masked
        ("850412123", False, "850412-•••"),
        ("850412123", True, "850412-•••"),  # also when OK is pressed too early
        ("121212-12", False, "121212-••"),
        ("85041212", False, "85041212"),  # still a customer number: shown as typed
        ("1212121213", True, "121212-••••"),  # a mistyped ID is masked too
        ("0701234567", True, "070-123 45 67"),
        ("07012", False, "070-12"),
        ("+46701234567", True, "+46 70 123 45 67"),
        ("+4670", False, "+46 70"),
        ("701234567", True, "070-123 45 67"),  # shown as read, with its 0
        ("46701234567", True, "+46 70 123 45 67"),
        ("0701011231", True, "070-101 12 31"),  # ambiguous: shown as the phone it usually is
    ],
)
def test_the_field_masks_a_personal_id_and_groups_a_phone(typed, complete, display):
    assert read(typed, complete=complete).display == display


def test_a_valid_reading_lists_itself_as_its_only_candidate():
    result = read("100234")
    assert [(c.kind, c.value, c.display) for c in result.candidates] == [("customer_number", "100234", "100234")]


@pytest.mark.parametrize(
    ("typed", "as_dict"),
    [
        ("100234", {"kind": "customer_number", "customer_number": "100234"}),
        ("191212121212", {"kind": "personal_id", "personal_id": "191212121212"}),
        ("0701234567", {"kind": "phone", "phone": "+46701234567"}),
        (
            "0701011231",
            {
                "kind": "ambiguous",
                "candidates": [
                    {"kind": "phone", "phone": "+46701011231"},
                    {"kind": "personal_id", "personal_id": "200701011231"},
                ],
            },
        ),
        ("12a", {"kind": "invalid", "reason": "not_digits"}),
    ],
)
def test_to_dict_gives_the_identify_request_fields(typed, as_dict):
    assert read(typed).to_dict() == as_dict


def test_a_bug_is_logged_and_answered_as_invalid_not_raised(monkeypatch, caplog):
    from counter_core.identity import typed as typed_module

    def broken(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(typed_module, "_read", broken)
    assert read("100234").message_code == "internal_error"
    assert "classify_typed_input failed" in caplog.text


@pytest.mark.parametrize("typed", ["070123456²", "٣٣٣٣", "+46７01234567"])
def test_digits_from_other_scripts_are_not_digits_on_the_pad(typed):
    assert read(typed).message_code == "not_digits"


def test_a_mistyped_personal_id_stays_masked_while_typing():
    for typed in ("198504121239", "8504121234", "19850412123"):
        shown = classify_typed_input(typed, complete=False).display
        assert typed[-3:] not in shown.replace("-", ""), (typed, shown)
