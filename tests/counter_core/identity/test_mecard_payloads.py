"""MECARD and BIZCARD contact QR codes."""

import datetime as dt

import pytest

from counter_core.identity import Address, parse_payload

# The ZXing wiki's examples ("Barcode Contents").
ZXING_MECARD = (
    "MECARD:N:Owen,Sean;ADR:76 9th Avenue, 4th Floor, New York, NY 10011;TEL:12125551212;EMAIL:srowen@example.com;;"
)
ZXING_BIZCARD = (
    "BIZCARD:N:Sean;X:Owen;T:Software Engineer;C:Google;A:76 9th Avenue, New York, NY 10011;"
    "B:+12125551212;E:srowen@google.com;;"
)


def test_the_zxing_wiki_mecard_gives_name_phone_email_and_address():
    identity = parse_payload(ZXING_MECARD, "QRCode")
    assert identity.kind == "mecard"
    assert (identity.first_name, identity.last_name) == ("Sean", "Owen")
    assert identity.phone == "+12125551212"  # written with its country code but without +
    assert identity.email == "srowen@example.com"
    assert identity.address == Address(street="76 9th Avenue, 4th Floor, New York, NY 10011")


def test_the_zxing_wiki_bizcard_gives_name_phone_email_and_address():
    identity = parse_payload(ZXING_BIZCARD)
    assert identity.kind == "bizcard"
    assert (identity.first_name, identity.last_name) == ("Sean", "Owen")
    assert (identity.phone, identity.email) == ("+12125551212", "srowen@google.com")
    assert identity.address.street == "76 9th Avenue, New York, NY 10011"


def test_a_bizcard_mobile_is_preferred_over_its_business_phone():
    payload = "BIZCARD:N:Anna;X:Svensson;B:+46 8 123 456 78;M:070-123 45 67;F:+46 8 123 456 00;;"
    assert parse_payload(payload).phone == "+46701234567"


def test_a_swedish_mecard_with_birthday_docomo_address_and_note_personnummer():
    payload = (
        "MECARD:N:Svensson,Anna;TEL:070-123 45 67;EMAIL:anna@example.se;BDAY:19850412;"
        "ADR:,,Storgatan 1,Göteborg,,411 01,Sverige;NOTE:Personnummer 19121212-1212;;"
    )
    identity = parse_payload(payload)
    assert (identity.first_name, identity.last_name, identity.phone) == ("Anna", "Svensson", "+46701234567")
    assert identity.birth_date == dt.date(1985, 4, 12)
    assert identity.address == Address(street="Storgatan 1", postal_code="411 01", city="Göteborg", country="SE")
    assert identity.personal_id == "191212121212"


@pytest.mark.parametrize(
    ("payload", "first", "last", "note_pid"),
    [
        ("MECARD:N:Owen\\, Jr.,Sean;;", "Sean", "Owen, Jr.", None),
        ("MECARD:N:Ow\\;en,Sean;;", "Sean", "Ow;en", None),
        ("MECARD:N:Owen,Sean;NOTE:a\\:b\\\\c;;", "Sean", "Owen", None),
        ("MECARD:N:Owen,Sean;NOTE:pnr\\: 19121212-1212;;", "Sean", "Owen", "191212121212"),
    ],
)
def test_escaped_separators_stay_inside_mecard_values(payload, first, last, note_pid):
    identity = parse_payload(payload)
    assert (identity.first_name, identity.last_name, identity.personal_id) == (first, last, note_pid)


def test_a_mecard_with_line_breaks_and_no_final_terminator_is_still_read():
    identity = parse_payload("MECARD:\nN:Svensson,Anna;\nTEL:+46701234567;\nEMAIL:anna@example.se")
    assert (identity.first_name, identity.phone, identity.email) == ("Anna", "+46701234567", "anna@example.se")


def test_a_mecard_name_without_comma_is_split_as_first_and_last():
    assert (
        parse_payload("MECARD:N:Anna Svensson;;").first_name,
        parse_payload("MECARD:N:Anna Svensson;;").last_name,
    ) == (
        "Anna",
        "Svensson",
    )


def test_an_invalid_mecard_phone_is_dropped_and_the_rest_kept():
    identity = parse_payload("MECARD:N:Svensson,Anna;TEL:123;EMAIL:anna@example.se;;")
    assert (identity.phone, identity.email) == (None, "anna@example.se")


def test_fields_after_the_record_terminator_are_ignored():
    identity = parse_payload("MECARD:N:Svensson,Anna;;TEL:+46701234567;;")
    assert (identity.first_name, identity.phone) == ("Anna", None)


def test_an_empty_mecard_is_not_recognised():
    identity = parse_payload("MECARD:;;")
    assert (identity.kind, identity.reason) == ("unrecognised", "no_usable_fields")
