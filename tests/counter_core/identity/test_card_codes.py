"""Customer cards and ID cards: customer numbers, card codes, card links and retail barcodes."""

import pytest

from counter_core.identity import parse_payload


@pytest.mark.parametrize(
    ("payload", "symbology"), [("100234", "QRCode"), ("100234", "Code128"), ("7", None), ("12345678", None)]
)
def test_one_to_eight_digits_without_leading_zero_are_a_customer_number(payload, symbology):
    identity = parse_payload(payload, symbology)
    assert (identity.kind, identity.customer_number) == ("customer_number", payload)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("MEMBER-7KQ2M9XD", "MEMBER-7KQ2M9XD"),
        ("member-7kq2m9xd", "MEMBER-7KQ2M9XD"),  # codes are not case-sensitive
        ("  MEMBER-7KQ2M9XD\r\n", "MEMBER-7KQ2M9XD"),
        ("0012345", "0012345"),  # a leading zero: not a customer number, but a printed code
        ("123456789", "123456789"),  # nine digits: too long for a customer number
        ("7350012345678", "7350012345678"),  # a numeric EAN read from a QR code
        ("ABCD", "ABCD"),
        ("A" * 64, "A" * 64),
    ],
)
def test_card_codes_are_read_and_upper_cased(payload, code):
    identity = parse_payload(payload, "QRCode")
    assert (identity.kind, identity.card_code) == ("card_code", code)


@pytest.mark.parametrize("payload", ["ABC", "012", "A" * 65, "MEMBER 7KQ2M9XD", "MEMBER_7KQ2M9XD", "kort#1"])
def test_text_outside_the_card_code_alphabet_or_length_is_an_unknown_format(payload):
    identity = parse_payload(payload)
    assert (identity.kind, identity.reason) == ("unrecognised", "unknown_format")


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("https://shop.example/c/MEMBER-7KQ2M9XD", "card_code", "MEMBER-7KQ2M9XD"),
        ("https://shop.example/kiosk/c/member-7kq2m9xd?utm_source=mail", "card_code", "MEMBER-7KQ2M9XD"),
        ("HTTP://SHOP.EXAMPLE/C/MEMBER-7KQ2M9XD", "card_code", "MEMBER-7KQ2M9XD"),
        ("https://shop.example/member?card=MEMBER-7KQ2M9XD", "card_code", "MEMBER-7KQ2M9XD"),
        ("https://shop.example/?code=7350012345678", "card_code", "7350012345678"),
        ("https://shop.example/?customer=100234", "customer_number", "100234"),
        ("https://shop.example/c/MEMBER%2D7KQ2M9XD", "card_code", "MEMBER-7KQ2M9XD"),
    ],
)
def test_a_card_link_gives_its_card_code_or_customer_number(url, field, value):
    identity = parse_payload(url, "QRCode")
    assert identity.kind == field
    assert getattr(identity, field) == value


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "https://shop.example/about",
        "https://shop.example/?customer=0123",
        "https://shop.example/c/not a code!",
        "https://shop.example/?customer=123456789",
        "http://[broken",
    ],
)
def test_a_link_that_is_not_a_card_link_is_refused_as_url_not_a_card(url):
    identity = parse_payload(url, "QRCode")
    assert (identity.kind, identity.reason) == ("unrecognised", "url_not_a_card")


@pytest.mark.parametrize(
    ("digits", "symbology"),
    [
        ("7350012345679", "EAN13"),
        ("73513537", "EAN8"),
        ("036000291452", "UPCA"),
        ("0036000291452", "UPCA"),  # UPC-A as the 13-digit EAN some decoders return
        ("04252614", "UPCE"),
        ("7350012345679", "EAN-13"),  # symbology names are compared without punctuation or case
    ],
)
def test_a_retail_barcode_with_a_right_check_digit_is_a_card_code(digits, symbology):
    identity = parse_payload(digits, symbology)
    assert (identity.kind, identity.card_code, identity.symbology) == ("card_code", digits, symbology)


@pytest.mark.parametrize(
    ("digits", "symbology"),
    [("7350012345678", "EAN13"), ("73513538", "EAN8"), ("036000291453", "UPCA"), ("04252615", "UPCE")],
)
def test_a_retail_barcode_with_a_wrong_check_digit_asks_for_a_rescan(digits, symbology):
    identity = parse_payload(digits, symbology)
    assert (identity.kind, identity.reason) == ("unrecognised", "bad_check_digit")


def test_an_ean13_symbology_wins_over_what_the_digits_look_like():
    # Eight digits would be a customer number from a QR code; as an EAN-8 they are a card code.
    assert parse_payload("73513537", "EAN8").kind == "card_code"
    assert parse_payload("73513537", "QRCode").kind == "customer_number"


def test_a_code128_number_carries_no_check_digit_and_is_taken_as_printed():
    # CONTRIBUTING's example EAN 7350012345678 fails the EAN check; printed in Code 128 it is still a code.
    assert parse_payload("7350012345678", "Code128").card_code == "7350012345678"


@pytest.mark.parametrize(("text", "symbology"), [("12345", "EAN13"), ("ABCDEFGH", "EAN8")])
def test_a_retail_barcode_of_the_wrong_shape_is_an_unknown_format(text, symbology):
    assert parse_payload(text, symbology).reason == "unknown_format"
