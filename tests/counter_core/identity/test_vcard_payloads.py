"""Contact cards (vCard 2.1, 3.0, 4.0) shown as a QR code at the kiosk."""

import datetime as dt

import pytest

from counter_core.identity import Address, parse_payload
from counter_core.identity import vcard as vcard_module

# RFC 6350 section 8, the author's card, byte for byte (CRLF, folded lines).
RFC6350_AUTHOR = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Simon Perreault\r\n"
    "N:Perreault;Simon;;;ing. jr,M.Sc.\r\n"
    "BDAY:--0203\r\n"
    "ANNIVERSARY:20090808T1430-0500\r\n"
    "GENDER:M\r\n"
    "LANG;PREF=1:fr\r\n"
    "LANG;PREF=2:en\r\n"
    "ORG;TYPE=work:Viagenie\r\n"
    "ADR;TYPE=work:;Suite D2-630;2875 Laurier;\r\n"
    " Quebec;QC;G1V 2M2;Canada\r\n"
    'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102\r\n'
    'TEL;VALUE=uri;TYPE="work,cell,voice,video,text":tel:+1-418-262-6501\r\n'
    "EMAIL;TYPE=work:simon.perreault@viagenie.ca\r\n"
    "GEO;TYPE=work:geo:46.772673,-71.282945\r\n"
    "KEY;TYPE=work;VALUE=uri:\r\n"
    " http://www.viagenie.ca/simon.perreault/simon.asc\r\n"
    "TZ:-0500\r\n"
    "URL;TYPE=home:http://nomis80.org\r\n"
    "END:VCARD\r\n"
)

# RFC 2426 section 7, both example cards.
RFC2426_DAWSON = (
    "BEGIN:vCard\r\n"
    "VERSION:3.0\r\n"
    "FN:Frank Dawson\r\n"
    "ORG:Lotus Development Corporation\r\n"
    "ADR;TYPE=WORK,POSTAL,PARCEL:;;6544 Battleford Drive\r\n"
    " ;Raleigh;NC;27613-3502;U.S.A.\r\n"
    "TEL;TYPE=VOICE,MSG,WORK:+1-919-676-9515\r\n"
    "TEL;TYPE=FAX,WORK:+1-919-676-9564\r\n"
    "EMAIL;TYPE=INTERNET,PREF:Frank_Dawson@Lotus.com\r\n"
    "EMAIL;TYPE=INTERNET:fdawson@earthlink.net\r\n"
    "URL:http://home.earthlink.net/~fdawson\r\n"
    "END:vCard\r\n"
)
RFC2426_HOWES = (
    "BEGIN:vCard\r\n"
    "VERSION:3.0\r\n"
    "FN:Tim Howes\r\n"
    "ORG:Netscape Communications Corp.\r\n"
    "ADR;TYPE=WORK:;;501 E. Middlefield Rd.;Mountain View;\r\n"
    " CA; 94043;U.S.A.\r\n"
    "TEL;TYPE=VOICE,MSG,WORK:+1-415-937-3419\r\n"
    "TEL;TYPE=FAX,WORK:+1-415-528-4164\r\n"
    "EMAIL;TYPE=INTERNET:howes@netscape.com\r\n"
    "END:vCard\r\n"
)

# A vCard 2.1 as phones export it: QUOTED-PRINTABLE with CHARSET=UTF-8, bare
# TYPE parameters, and a soft line break (=) in the middle of the NOTE.
ANDROID_21 = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=85str=C3=B6m;Bj=C3=B6rn;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Bj=C3=B6rn =C3=85str=C3=B6m\r\n"
    "TEL;HOME;VOICE:08-123 456 78\r\n"
    "TEL;CELL:070-123 45 67\r\n"
    "EMAIL;PREF;INTERNET:bjorn@example.se\r\n"
    "ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Storgatan 1;G=C3=B6teborg;;411 01;Sverige\r\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:F=C3=B6dd i G=C3=B6teborg, personnummer 19121212-=\r\n"
    "1212, kund sedan 2019\r\n"
    "END:VCARD\r\n"
)


def test_the_rfc6350_author_card_gives_name_mobile_email_and_address():
    identity = parse_payload(RFC6350_AUTHOR, "QRCode")
    assert identity.kind == "vcard"
    assert (identity.first_name, identity.last_name) == ("Simon", "Perreault")
    assert identity.phone == "+14182626501"  # the cell, not the PREF=1 work line with an extension
    assert identity.email == "simon.perreault@viagenie.ca"
    assert identity.birth_date is None  # --0203 has no year
    assert identity.address == Address(
        street="2875 Laurier, Suite D2-630", postal_code="G1V 2M2", city="Quebec", region="QC", country="CA"
    )
    assert identity.symbology == "QRCode"


def test_an_rfc2426_card_without_n_takes_the_name_from_fn_skips_the_fax_and_prefers_the_pref_email():
    identity = parse_payload(RFC2426_DAWSON)
    assert (identity.first_name, identity.last_name) == ("Frank", "Dawson")
    assert identity.phone == "+19196769515"
    assert identity.email == "Frank_Dawson@lotus.com"  # the domain is lower-cased, the local part kept
    assert identity.address == Address(
        street="6544 Battleford Drive", postal_code="27613-3502", city="Raleigh", region="NC", country="US"
    )


def test_the_second_rfc2426_card_has_its_folded_address_line_joined():
    identity = parse_payload(RFC2426_HOWES)
    assert (identity.first_name, identity.last_name, identity.phone) == ("Tim", "Howes", "+14159373419")
    assert identity.address.city == "Mountain View"
    assert identity.address.postal_code == "94043"


def test_a_vcard_21_with_quoted_printable_utf8_and_soft_line_breaks_is_decoded():
    identity = parse_payload(ANDROID_21)
    assert (identity.first_name, identity.last_name) == ("Björn", "Åström")
    assert identity.phone == "+46701234567"  # TEL;CELL wins over the home number listed first
    assert identity.email == "bjorn@example.se"
    assert identity.address == Address(street="Storgatan 1", postal_code="411 01", city="Göteborg", country="SE")
    assert identity.personal_id == "191212121212"  # split by the soft line break, joined again
    assert identity.birth_date == dt.date(1912, 12, 12)


def test_a_vcard_21_in_latin1_quoted_printable_is_decoded_with_its_charset():
    card = "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:=C5str=F6m;Bj=F6rn\nEND:VCARD\n"
    identity = parse_payload(card)
    assert (identity.first_name, identity.last_name) == ("Björn", "Åström")


@pytest.mark.parametrize(
    "tel_line",
    [
        "TEL;CELL:+46 70 123 45 67",
        "TEL;TYPE=cell,voice:070-123 45 67",
        "TEL;TYPE=CELL:0701234567",
        'TEL;TYPE="cell":0046701234567',
        "TEL;VALUE=uri:tel:+46-70-123-45-67",
        "TEL;VALUE=uri;TYPE=cell:tel:+46701234567;ext=12",
        "item1.TEL;type=CELL:+46701234567",
        "TEL:46701234567",
    ],
)
def test_phone_lines_in_every_real_world_dialect_give_the_same_e164_number(tel_line):
    card = f"BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\n{tel_line}\nEND:VCARD\n"
    assert parse_payload(card).phone == "+46701234567"


def test_a_mobile_is_preferred_over_earlier_home_work_and_fax_numbers():
    card = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\n"
        "TEL;TYPE=fax:+46 8 123 456 00\nTEL;TYPE=home:+46 8 123 456 78\nTEL;TYPE=cell:+46 70 123 45 67\nEND:VCARD\n"
    )
    assert parse_payload(card).phone == "+46701234567"


def test_a_fictional_555_tel_uri_is_dropped_and_the_rest_of_the_card_still_parses():
    card = "BEGIN:VCARD\nVERSION:4.0\nN:Svensson;Anna\nTEL;VALUE=uri:tel:+1-555-555-5555\nEMAIL:anna@example.se\nEND:VCARD\n"
    identity = parse_payload(card)
    assert identity.phone is None
    assert (identity.first_name, identity.email) == ("Anna", "anna@example.se")


def test_an_invalid_email_and_phone_are_dropped_not_fatal():
    card = "BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\nTEL:12\nEMAIL:not an address\nEND:VCARD\n"
    identity = parse_payload(card)
    assert identity.kind == "vcard"
    assert (identity.first_name, identity.phone, identity.email) == ("Anna", None, None)


@pytest.mark.parametrize(
    ("bday", "born"),
    [
        ("19850412", dt.date(1985, 4, 12)),
        ("1985-04-12", dt.date(1985, 4, 12)),
        ("1953-10-15T23:10:00Z", dt.date(1953, 10, 15)),
        ("--0415", None),
        ("--04-15", None),
        ("circa 1800", None),
    ],
)
def test_birthdays_are_read_in_basic_and_extended_forms_and_dropped_without_a_year(bday, born):
    card = f"BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\nBDAY:{bday}\nEND:VCARD\n"
    assert parse_payload(card).birth_date == born


def test_crlf_lf_and_folded_lines_read_the_same():
    folded = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Svens\r\n son;Anna\r\nEMAIL:anna@exa\r\n\tmple.se\r\nEND:VCARD\r\n"
    for card in (folded, folded.replace("\r\n", "\n"), folded.replace("\r\n", "\r")):
        identity = parse_payload(card)
        assert (identity.last_name, identity.email) == ("Svensson", "anna@example.se")


def test_escaped_separators_stay_inside_a_name():
    card = "BEGIN:VCARD\nVERSION:3.0\nN:Svensson\\, Berg;Anna\\;Maria;;;\nEND:VCARD\n"
    identity = parse_payload(card)
    assert (identity.first_name, identity.last_name) == ("Anna;Maria", "Svensson, Berg")


def test_a_broken_card_that_vobject_refuses_is_still_read_by_the_tolerant_parser():
    card = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\nthis line is junk from the encoder\n"
        "TEL;TYPE=cell:+46701234567\nEMAIL:anna@example.se\nBDAY:19850412"  # and no END:VCARD
    )
    with pytest.raises(Exception):  # noqa: B017 - vobject throws several types; that is why the fallback exists
        vcard_module.read_with_vobject(vcard_module.prepare(card))
    identity = parse_payload(card)
    assert (identity.first_name, identity.phone, identity.email) == ("Anna", "+46701234567", "anna@example.se")
    assert identity.birth_date == dt.date(1985, 4, 12)


@pytest.mark.parametrize("card", [RFC6350_AUTHOR, RFC2426_DAWSON, RFC2426_HOWES, ANDROID_21])
def test_the_tolerant_parser_reads_valid_cards_exactly_as_vobject_does(card):
    prepared = vcard_module.prepare(card)
    by_vobject = vcard_module.identity_fields(vcard_module.read_with_vobject(prepared))
    by_lines = vcard_module.identity_fields(vcard_module.read_lines(prepared))
    assert by_lines == by_vobject


@pytest.mark.parametrize(
    ("extra", "personal_id"),
    [
        ("X-PNR:191212121212", "191212121212"),
        ("X-SE-PERSONNUMMER:7010632391", "197010632391"),
        ("NOTE:Personnummer: 19121212-1212", "191212121212"),
        ("NOTE:pnr 701063-2391", "197010632391"),
        ("NOTE:19121212-1213", None),  # wrong check digit
        ("NOTE:Ring 0701011231 efter kl 17", None),  # a bare 10-digit number in prose is a phone, not an ID
        ("X-CUSTOM:7010632391", None),  # bare digits in a field that does not say it is an ID
    ],
)
def test_a_personnummer_in_note_or_x_fields_is_taken_only_when_it_validates(extra, personal_id):
    card = f"BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\n{extra}\nEND:VCARD\n"
    assert parse_payload(card).personal_id == personal_id


def test_only_the_first_card_of_a_payload_is_read():
    two = "BEGIN:VCARD\nVERSION:3.0\nN:First;Anna\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nN:Second;Bo\nEND:VCARD\n"
    assert parse_payload(two).last_name == "First"


def test_a_card_with_only_a_photo_and_an_org_is_not_recognised():
    card = "BEGIN:VCARD\nVERSION:2.1\nORG:Acme\nPHOTO;ENCODING=BASE64;TYPE=JPEG:\n /9j/4AAQSkZJRgABAQ\n\nEND:VCARD\n"
    identity = parse_payload(card)
    assert (identity.kind, identity.reason) == ("unrecognised", "no_usable_fields")


def test_a_lower_case_begin_line_is_still_a_vcard():
    assert parse_payload("begin:vcard\nversion:3.0\nn:Svensson;Anna\nend:vcard").first_name == "Anna"


def test_unescaped_commas_in_fn_and_note_are_kept_not_cut_at_the_first_comma():
    card = "BEGIN:VCARD\nVERSION:3.0\nFN:Perreault, Simon\nNOTE:Kund sedan 2019, pnr 19121212-1212\nEND:VCARD\n"
    identity = parse_payload(card)
    assert (identity.first_name, identity.last_name) == ("Simon", "Perreault")
    assert identity.personal_id == "191212121212"
