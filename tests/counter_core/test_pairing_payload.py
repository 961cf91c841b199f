"""The pairing code and the pairing QR's text, as both the back office and the kiosk read them."""

from __future__ import annotations

import pytest

from counter_core.pairing import (
    CODE_LENGTH,
    InvalidPairingCode,
    display_code,
    new_code,
    normalize_code,
    pairing_payload,
    parse_pairing_payload,
)


def test_a_new_code_is_ten_characters_of_crockford_base32_and_reads_back_as_itself():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH and normalize_code(display_code(code)) == code


def test_a_typed_code_ignores_case_spaces_dashes_and_reads_letters_mistaken_for_digits_as_digits():
    assert normalize_code(" 7k2m9-xd4qp ") == "7K2M9XD4QP"
    assert normalize_code("O1IL2 34567") == "0111234567"


@pytest.mark.parametrize("text", ["", "7K2M9", "7K2M9-XD4QP-1", "7K2M9-XD4QU", "kd_abcdefghij"])
def test_anything_else_is_not_a_code(text):
    with pytest.raises(InvalidPairingCode):
        normalize_code(text)


def test_the_qr_holds_the_backoffice_address_and_the_code_and_reads_back():
    text = pairing_payload("https://shop.example:8443/", "7K2M9XD4QP")
    assert text == "KIOSKPAIR:https://shop.example:8443:7K2M9-XD4QP"
    read = parse_pairing_payload(text.encode())
    assert (read.backoffice_url, read.code) == ("https://shop.example:8443", "7K2M9XD4QP")


def test_other_codes_are_no_pairing_qr_and_a_damaged_one_is_told_apart():
    assert parse_pairing_payload("https://shop.example/c/MEMBER-7KQ2M9XD") is None
    assert parse_pairing_payload('{"backoffice_url": "x", "device_token": "kd_x"}') is None
    for damaged in ("KIOSKPAIR:", "KIOSKPAIR:7K2M9-XD4QP", "KIOSKPAIR:ftp://shop:7K2M9-XD4QP",
                    "KIOSKPAIR:https://shop.example:7K2M9"):
        with pytest.raises(InvalidPairingCode):
            parse_pairing_payload(damaged)
