"""parse_payload as the camera sees it: any text or bytes in, one typed result out, never an exception."""

import dataclasses
import datetime as dt
import logging

import pytest

from counter_core.identity import MAX_PAYLOAD, UNRECOGNISED_REASONS, Address, Identity, parse_payload
from counter_core.identity import vcard as vcard_module


@pytest.mark.parametrize("payload", ["", "   \r\n", b"", "\x00\x00", None])
def test_an_empty_code_is_refused_as_empty(payload):
    assert parse_payload(payload).reason == "empty"


@pytest.mark.parametrize(
    "payload",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        bytes(range(256)),
        "abc\x01\x02\x03\x04\x05def",
        b"\x00MECARD:N:Owen,Sean;;",
    ],
)
def test_binary_data_is_refused_as_binary(payload):
    assert parse_payload(payload).reason == "binary"


def test_a_stray_control_character_from_a_scanner_is_dropped_not_refused():
    assert parse_payload("100234\x04").customer_number == "100234"


@pytest.mark.parametrize(
    "payload", ["1" * (MAX_PAYLOAD + 1), b"1" * (MAX_PAYLOAD + 1), "BEGIN:VCARD\n" + "N:x\n" * 5000]
)
def test_a_payload_over_the_size_cap_is_refused_before_parsing(payload):
    assert parse_payload(payload).reason == "too_long"


def test_a_payload_at_the_size_cap_is_still_read():
    note = "x" * (MAX_PAYLOAD - 60)
    payload = f"BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\nNOTE:{note}\nEND:VCARD\n"
    assert len(payload) <= MAX_PAYLOAD and parse_payload(payload).first_name == "Anna"


@pytest.mark.parametrize(
    "payload",
    [
        "MECARD:N:Åström,Björn;;".encode(),
        "MECARD:N:Åström,Björn;;".encode("latin-1"),
        "MECARD:N:Åström,Björn;;".encode("cp1252"),
        "\ufeffMECARD:N:Åström,Björn;;".encode(),
        "\ufeffMECARD:N:Åström,Björn;;",
    ],
)
def test_bytes_are_decoded_as_utf8_else_windows_1252_else_latin1(payload):
    identity = parse_payload(payload)
    assert (identity.kind, identity.first_name, identity.last_name) == ("mecard", "Björn", "Åström")


@pytest.mark.parametrize(
    "payload", ["WIFI:T:WPA;S:guest;P:secret;;", "tel:+46701234567", "Hello, world!", "BEGIN:VCALENDAR"]
)
def test_other_codes_are_refused_as_unknown_format(payload):
    identity = parse_payload(payload, "QRCode")
    assert (identity.kind, identity.reason, identity.symbology) == ("unrecognised", "unknown_format", "QRCode")


def test_every_refusal_carries_a_reason_code_and_a_message_for_a_person():
    identity = parse_payload("")
    assert identity.message == UNRECOGNISED_REASONS["empty"]
    assert not identity.recognised


def test_to_dict_gives_only_known_fields_in_json_form():
    identity = Identity(
        kind="vcard",
        first_name="Anna",
        birth_date=dt.date(1985, 4, 12),
        address=Address(city="Göteborg", country="SE"),
        symbology="QRCode",
    )
    assert identity.to_dict() == {
        "kind": "vcard",
        "first_name": "Anna",
        "birth_date": "1985-04-12",
        "address": {"city": "Göteborg", "country": "SE"},
        "symbology": "QRCode",
    }


def test_to_dict_of_a_refusal_includes_its_reason_and_message():
    assert parse_payload("https://example.com/").to_dict() == {
        "kind": "unrecognised",
        "reason": "url_not_a_card",
        "message": UNRECOGNISED_REASONS["url_not_a_card"],
    }


def test_an_identity_cannot_be_changed_after_parsing():
    identity = parse_payload("100234")
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.customer_number = "1"  # type: ignore[misc]
    assert not hasattr(identity, "__dict__")  # slots


def test_a_bug_in_a_parser_is_logged_and_refused_not_raised(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(vcard_module, "parse_vcard", broken)
    with caplog.at_level(logging.ERROR, logger="counter_core.identity.payloads"):
        identity = parse_payload("BEGIN:VCARD\nN:x\nEND:VCARD", "QRCode")
    assert (identity.reason, identity.symbology) == ("internal_error", "QRCode")
    assert "parse_payload failed" in caplog.text


def test_a_value_that_is_not_text_is_refused_not_raised():
    assert parse_payload(12345).reason == "unknown_format"  # type: ignore[arg-type]
