"""The shared normalisers: what the kiosk and the backoffice both accept as a personal ID or a birth date."""

import datetime as dt

import pytest

from counter_core.identity import InvalidIdentifier, normalize_birth_date, normalize_personal_id
from counter_core.identity.normalize import normalize_country

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("19121212-1212", "191212121212"),  # Skatteverket's "Tolvan Tolvansson"
        ("191212121212", "191212121212"),
        ("121212+1212", "191212121212"),  # + means aged 100 or more
        ("121212-1212", "201212121212"),
        ("18121212-1212", "181212121212"),  # a valid date and check digit, even if very old
        ("196408233234", "196408233234"),
        ("701063-2391", "197010632391"),  # samordningsnummer: day of month + 60
        ("0001011238", "200001011238"),
    ],
)
def test_published_test_personnummer_are_accepted_in_every_written_form(typed, canonical):
    assert normalize_personal_id(typed, today=TODAY) == canonical


@pytest.mark.parametrize("typed", ["19121212-1213", "701063-2392", "19851332-1234", "1212121212121", "abc"])
def test_a_wrong_check_digit_date_or_length_is_refused_with_a_reason_code(typed):
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_personal_id(typed, today=TODAY)
    assert refused.value.code == "invalid_personal_id"


def test_a_ten_digit_number_born_later_this_year_belongs_to_the_previous_century():
    # 261231-0017 cannot be 2026-12-31 on 2026-11-24: that birthday is still in the future.
    assert normalize_personal_id("2612310017", today=TODAY) == "192612310017"
    assert normalize_personal_id("2611230018", today=TODAY) == "202611230018"


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("1985-04-12", dt.date(1985, 4, 12)),
        ("19850412", dt.date(1985, 4, 12)),
        ("1953-10-15T23:10:00Z", dt.date(1953, 10, 15)),
        (dt.date(1985, 4, 12), dt.date(1985, 4, 12)),
    ],
)
def test_birth_dates_are_read_from_iso_and_basic_forms(text, born):
    assert normalize_birth_date(text, today=TODAY) == born


@pytest.mark.parametrize(
    "text", ["--0415", "--04-15", "1985-04", "1985-0412", "1985-02-30", "2030-01-01", "1850-01-01", ""]
)
def test_birth_dates_without_a_year_impossible_or_implausible_are_refused(text):
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_birth_date(text, today=TODAY)
    assert refused.value.code == "invalid_birth_date"


@pytest.mark.parametrize(
    ("written", "code"),
    [("SE", "SE"), ("se", "SE"), ("Sverige", "SE"), ("Sweden", "SE"), ("U.S.A.", "US"), ("USA", "US"), ("CAN", "CA")],
)
def test_countries_become_the_two_letter_codes_the_backoffice_stores(written, code):
    assert normalize_country(written) == code


@pytest.mark.parametrize("written", ["Atlantis", "XX", "", "S"])
def test_a_country_that_is_not_understood_is_refused(written):
    with pytest.raises(InvalidIdentifier) as refused:
        normalize_country(written)
    assert refused.value.code == "invalid_country"
