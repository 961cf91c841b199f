"""North American driving licences and ID cards (AAMVA PDF417)."""

import datetime as dt

import pytest

from counter_core.identity import Address, parse_payload

# AAMVA DL/ID Card Design Standard 2020, Annex D: the example of the data
# encoded in the PDF417 (version 10, Virginia's IIN 636000, a DL subfile and a
# jurisdiction subfile ZV).
AAMVA_2020_EXAMPLE = (
    "@\n\x1e\rANSI 636000100102DL00410278ZV03190008"
    "DLDAQT64235789\nDCSSAMPLE\nDDEN\nDACMICHAEL\nDDFN\nDADJOHN\nDDGN\nDCUJR\nDCAD\nDCBK\nDCDPH\n"
    "DBD06062019\nDBB06061986\nDBA12102024\nDBC1\nDAU068 in\nDAYBRO\nDAG2300 WEST BROAD STREET\n"
    "DAIRICHMOND\nDAJVA\nDAK232690000  \nDCF2424244747474786102204\nDCGUSA\nDCK123456789\nDDAF\n"
    "DDB06062018\nDDC06062020\nDDD1\rZVZVA01\r"
)
# The version 1 (2000 standard) example: one full-name element, CCYYMMDD dates.
AAMVA_V1_EXAMPLE = (
    "@\n\x1e\rANSI 6360000102DL00390187ZV02260032"
    "DLDAQ0123456789ABC\nDAAPUBLIC,JOHN,Q\nDAG123 MAIN STREET\nDAIANYTOWN\nDAJVA\nDAK123459999  \n"
    "DARDM  \nDAS          \nDAT     \nDAU509\nDAW175\nDAYBL \nDAZBR \nDBA20011201\nDBB19761123\nDBCM\n"
    "DBD19961201\rZVZVAJURISDICTIONDEFINEDELEMENT\r"
)
EXPECTED_2020 = dict(
    kind="aamva",
    first_name="Michael",
    last_name="Sample",
    birth_date=dt.date(1986, 6, 6),
    licence_number="T64235789",
    address=Address(street="2300 WEST BROAD STREET", postal_code="23269", city="RICHMOND", region="VA", country="US"),
)


def test_the_2020_example_is_reconstructed_with_the_offsets_its_header_declares():
    # DL subfile at offset 41 for 278 bytes, ZV at 319 for 8: the header and the body agree.
    assert AAMVA_2020_EXAMPLE[41:43] == "DL" and AAMVA_2020_EXAMPLE[41 + 278 - 1] == "\r"
    assert AAMVA_2020_EXAMPLE[319:321] == "ZV" and len(AAMVA_2020_EXAMPLE) == 319 + 8
    assert AAMVA_V1_EXAMPLE[39:41] == "DL" and AAMVA_V1_EXAMPLE[226:228] == "ZV" and len(AAMVA_V1_EXAMPLE) == 226 + 32


def test_the_aamva_2020_example_gives_name_birth_date_licence_number_and_address():
    identity = parse_payload(AAMVA_2020_EXAMPLE, "PDF417")
    for field, value in EXPECTED_2020.items():
        assert getattr(identity, field) == value, field
    assert identity.symbology == "PDF417"


def test_a_version_1_licence_reads_its_full_name_element_and_year_first_dates():
    identity = parse_payload(AAMVA_V1_EXAMPLE, "PDF417")
    assert (identity.first_name, identity.last_name) == ("John", "Public")
    assert identity.birth_date == dt.date(1976, 11, 23)
    assert identity.licence_number == "0123456789ABC"
    assert identity.address == Address(street="123 MAIN STREET", postal_code="12345-9999", city="ANYTOWN", region="VA")


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda t: t.replace("\x1e", ""),  # record separator dropped
        lambda t: t.replace("@\n\x1e\r", "@"),  # every header control character dropped
        lambda t: t.replace("@\n\x1e\r", ""),  # no compliance indicator either
        lambda t: t.replace("\n", "\r\n"),  # CRLF line ends
        lambda t: t.replace("\n", "\r"),  # CR only
        lambda t: t.replace("ANSI ", "AAMVA"),  # the old file type
        lambda t: t.replace("ANSI ", "ANSI"),  # the space lost
        lambda t: "]L2" + t,  # AIM symbology identifier from a keyboard-wedge scanner
        lambda t: "  " + t + "\x00",  # padding
    ],
)
def test_common_header_corruptions_from_scanners_still_read(corrupt):
    identity = parse_payload(corrupt(AAMVA_2020_EXAMPLE), "PDF417")
    for field, value in EXPECTED_2020.items():
        assert getattr(identity, field) == value, field


def test_a_subfile_without_any_header_is_still_recognised_by_its_elements():
    body = AAMVA_2020_EXAMPLE[AAMVA_2020_EXAMPLE.index("DAQ") :]
    identity = parse_payload(body)
    assert (identity.kind, identity.licence_number, identity.last_name) == ("aamva", "T64235789", "Sample")


def test_a_canadian_licence_has_year_first_dates_and_a_spaced_postal_code():
    payload = (
        "@\n\x1e\rANSI 636012080002DL00410150ZO01910020"
        "DLDAQS1234-56789-01234\nDCSSMITH\nDACJANE\nDADNONE\nDBB19850412\nDBA20300412\n"
        "DAG1 YONGE ST\nDAITORONTO\nDAJON\nDAKM5E1W7\nDCGCAN\rZOZOAx\r"
    )
    identity = parse_payload(payload, "PDF417")
    assert (identity.first_name, identity.last_name) == ("Jane", "Smith")
    assert identity.birth_date == dt.date(1985, 4, 12)
    assert identity.address == Address(
        street="1 YONGE ST", postal_code="M5E 1W7", city="TORONTO", region="ON", country="CA"
    )


def test_a_version_3_id_card_reads_given_names_from_dct():
    payload = (
        "@\n\x1e\rANSI 636015030001ID00310100"
        "IDDAQ99999999\nDCSDOE\nDCTJOHN,QUINCY\nDBB04121985\nDAG1 MAIN ST\nDAIAUSTIN\nDAJTX\nDAK787010000\nDCGUSA\r"
    )
    identity = parse_payload(payload, "PDF417")
    assert (identity.first_name, identity.last_name) == ("John", "Doe")
    assert identity.birth_date == dt.date(1985, 4, 12)
    assert identity.address.postal_code == "78701"


def test_a_us_date_written_year_first_by_mistake_is_still_read():
    payload = "@\n\x1e\rANSI 636000100001DL00310050DLDAQX1\nDCSDOE\nDACJANE\nDBB19850412\nDCGUSA\r"
    assert parse_payload(payload).birth_date == dt.date(1985, 4, 12)


def test_a_licence_with_an_impossible_birth_date_keeps_the_other_fields():
    payload = "@\n\x1e\rANSI 636000100001DL00310050DLDAQX1\nDCSDOE\nDACJANE\nDBB13451985\nDCGUSA\r"
    identity = parse_payload(payload)
    assert (identity.birth_date, identity.licence_number, identity.first_name) == (None, "X1", "Jane")
