"""The Swedish driving licence's DataMatrix, read for the holder's personnummer (format assumed: see se_licence)."""

import datetime as dt

import pytest

from counter_core.identity import parse_payload


@pytest.mark.parametrize(
    ("payload", "personal_id"),
    [
        ("19121212-1212", "191212121212"),
        ("121212+1212", "191212121212"),
        ("701063-2391", "197010632391"),  # samordningsnummer
        ("PNR:191212121212", "191212121212"),
        ("personnummer=7010632391", "197010632391"),
        ("4d. 19121212-1212", "191212121212"),
        ("SE;KORKORT;19121212-1212;2030-01-01", "191212121212"),
        ("Innehavare: Tolvan Tolvansson, 19121212-1212", "191212121212"),
    ],
)
def test_a_valid_personnummer_in_licence_form_makes_a_swedish_licence(payload, personal_id):
    identity = parse_payload(payload, "DataMatrix")
    assert identity.kind == "se_licence"
    assert identity.personal_id == personal_id
    assert identity.birth_date == dt.date(int(personal_id[:4]), int(personal_id[4:6]), int(personal_id[6:8]) % 60)


def test_names_and_licence_number_are_read_from_key_value_fields_and_lose_their_capitals():
    payload = "1. TOLVANSSON\n2. TOLVAN, KARL\n3. 1912-12-12\n4d. 19121212-1212\n5. 12345678"
    identity = parse_payload(payload, "DataMatrix")
    assert (identity.first_name, identity.last_name) == ("Tolvan", "Tolvansson")
    assert identity.licence_number == "12345678"


def test_swedish_key_names_are_understood():
    identity = parse_payload("Efternamn: SVENSSON|Förnamn: ANNA|Personnummer: 701063-2391|Körkortsnummer: K123")
    assert (identity.first_name, identity.last_name, identity.licence_number) == ("Anna", "Svensson", "K123")


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ("19121212-1213", "card_code"),  # wrong check digit: it is just a code with a hyphen
        ("191212121212", "card_code"),  # bare digits are a card number, not a licence
        ("MEMBER-121212-1212", "card_code"),  # a personnummer-like tail inside a card code
        ("19121212-1212 and 701063-2391", "unrecognised"),  # two people: not one licence
        ("Ring 0701011231", "unrecognised"),  # a bare 10-digit number in text is a phone
    ],
)
def test_text_without_exactly_one_valid_personnummer_in_licence_form_is_not_a_licence(payload, kind):
    assert parse_payload(payload, "DataMatrix").kind == kind


@pytest.mark.parametrize(
    ("payload", "first", "last"),
    [
        ("SE;19701063-2391;ANDERSSON;ANNA;20300115;B", "Anna", "Andersson"),
        ("19121212-1212|TOLVANSSON|TOLVAN KARL", "Tolvan Karl", "Tolvansson"),
        ("SE;KORKORT;19121212-1212;2030-01-01;B", None, None),  # no names after the number
        ("SE;19121212-1212;ANNA", None, None),  # one field is not both names
    ],
)
def test_a_delimited_record_without_keys_takes_the_two_names_after_the_personnummer(payload, first, last):
    identity = parse_payload(payload, "DataMatrix")
    assert (identity.kind, identity.first_name, identity.last_name) == ("se_licence", first, last)
