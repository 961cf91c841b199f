"""Writes payloads.json: real-world payload texts with the fields a person reads off them.

The payloads follow the standards' own examples and the exports of real phones and mail clients
(iPhone, Android, Outlook, Gmail, BlackBerry, Evolution), written out here by hand from their
documented and observed shapes (folding, quoted-printable, charsets, photos, groups, URI-valued
TEL); the licences follow the AAMVA DL/ID Card Design Standard's layouts of versions 01 to 10 and
the header and separator variations seen on issued cards. Conventions are the project's
(tests/counter_core/identity): licence addresses stay in the card's capitals, Swedish postal codes keep
their space, a name's middle names are not part of the first name. Run it after editing: the JSON is the
corpus the tests and bench/identity_parse.py read.

    .venv/bin/python tests/counter_core/identity/corpus/make_corpus.py
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS: list[dict] = []


def add(name: str, payload: str, expected: dict, symbology: str | None = None, source: str = "") -> None:
    CORPUS.append({"name": name, "source": source, "symbology": symbology, "payload": payload, "expected": expected})


def fold(line: str, width: int = 75, lead: str = " ") -> str:
    """RFC 2425 folding: CRLF plus one space before each continuation."""
    chunks = [line[:width]] + [line[i : i + width - 1] for i in range(width, len(line), width - 1)]
    return ("\r\n" + lead).join(chunks)


PHOTO = base64.b64encode(bytes(range(256)) * 6).decode("ascii")  # a 1.5 kB "JPEG"


def photo_21(b64: str) -> str:
    """vCard 2.1 base64: continuation lines indented, the value closed by an empty line."""
    lines = [b64[i : i + 72] for i in range(0, len(b64), 72)]
    return "PHOTO;ENCODING=BASE64;TYPE=JPEG:" + lines[0] + "\r\n" + "".join("  " + ln + "\r\n" for ln in lines[1:]) + "\r\n"


def crlf(*lines: str) -> str:
    return "\r\n".join(lines) + "\r\n"


# ----------------------------------------------------------------------------------------- vCard

add("iphone-3.0-groups", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//iPhone OS 17.4//EN", "N:Lindqvist;Maja;;;", "FN:Maja Lindqvist",
    "ORG:Lindqvist Design AB;", "item1.TEL;type=pref:+46 8 123 456 78", "item1.X-ABLabel:_$!<Work>!$_",
    "item2.TEL:+46 70 555 12 34", "item2.X-ABLabel:_$!<Mobile>!$_",
    "item3.EMAIL;type=INTERNET;type=pref:maja@lindqvist.se", "item3.X-ABLabel:_$!<Home>!$_",
    "item4.ADR;type=HOME;type=pref:;;Sveavägen 12;Stockholm;;111 57;Sverige", "item4.X-ABADR:se",
    "BDAY;value=date:1988-03-14", fold("PHOTO;ENCODING=b;TYPE=JPEG:" + PHOTO), "END:VCARD"),
    {"kind": "vcard", "first_name": "Maja", "last_name": "Lindqvist", "phone": "+46705551234", "email": "maja@lindqvist.se",
     "birth_date": "1988-03-14", "address": {"street": "Sveavägen 12", "postal_code": "111 57", "city": "Stockholm", "country": "SE"}},
    "QRCode", "iPhone Contacts share (3.0, item groups with X-ABLabel, folded PHOTO)")
add("iphone-3.0-custom-label", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//iOS 16.1//EN", "N:Ek;Johan;;;", "FN:Johan Ek",
    "item1.TEL:+46 31 700 10 00", "item1.X-ABLabel:Kontor", "TEL;type=CELL;type=VOICE;type=pref:070-987 65 43",
    "item2.EMAIL;type=INTERNET:johan.ek@example.com", "item2.X-ABLabel:_$!<Other>!$_", "END:VCARD"),
    {"kind": "vcard", "first_name": "Johan", "last_name": "Ek", "phone": "+46709876543", "email": "johan.ek@example.com"},
    "QRCode", "iPhone 3.0 with a custom label and a typed CELL")
add("iphone-3.0-mobile-only-in-label", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Nord;Sara;;;", "FN:Sara Nord", "item1.TEL:+46 8 55 55 55 55", "item1.X-ABLabel:_$!<HomeFAX>!$_",
    "item2.TEL:+46 73 111 22 33", "item2.X-ABLabel:_$!<Mobile>!$_", "END:VCARD"),
    {"kind": "vcard", "first_name": "Sara", "last_name": "Nord", "phone": "+46731112233"},
    "QRCode", "iPhone: the fax is known only by its group label")
add("android-2.1-qp", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=96berg;Bj=C3=B6rn;;;",
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Bj=C3=B6rn =C3=96berg", "TEL;CELL:+46701112233", "TEL;HOME:08-123 45 67",
    "EMAIL;HOME:bjorn.oberg@example.se", "ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Kungsgatan 3;G=C3=B6teborg;;411 19;Sverige",
    "END:VCARD"),
    {"kind": "vcard", "first_name": "Björn", "last_name": "Öberg", "phone": "+46701112233", "email": "bjorn.oberg@example.se",
     "address": {"street": "Kungsgatan 3", "postal_code": "411 19", "city": "Göteborg", "country": "SE"}},
    "QRCode", "Android Contacts export (2.1, quoted-printable UTF-8)")
add("android-2.1-photo", "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Holm;Elin;;;\r\nFN:Elin Holm\r\nTEL;CELL:+46 72 333 44 55\r\n"
    "EMAIL;WORK:elin.holm@firma.se\r\n" + photo_21(PHOTO) + "BDAY:1979-11-02\r\nEND:VCARD\r\n",
    {"kind": "vcard", "first_name": "Elin", "last_name": "Holm", "phone": "+46723334455", "email": "elin.holm@firma.se", "birth_date": "1979-11-02"},
    "QRCode", "Android 2.1 with an embedded photo (indented base64, blank line)")
add("android-2.1-qp-soft-breaks", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=85kesson;=C3=85sa;;;",
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Kund sedan 2019, personnummer 19850412-=", "3236 (kontrollerat)",
    "TEL;CELL;PREF:0701234567", "END:VCARD"),
    {"kind": "vcard", "first_name": "Åsa", "last_name": "Åkesson", "phone": "+46701234567", "personal_id": "198504123236",
     "birth_date": "1985-04-12"},
    "QRCode", "Android 2.1, quoted-printable soft line break inside a NOTE")
add("android-3.0", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Karlsson;Per;Olof;;", "FN:Per Olof Karlsson", "TEL;TYPE=CELL:+46 76 010 20 30",
    "TEL;TYPE=WORK:+46 8 700 00 00", "EMAIL;TYPE=HOME:per.karlsson@example.org", "END:VCARD"),
    {"kind": "vcard", "first_name": "Per", "last_name": "Karlsson", "phone": "+46760102030", "email": "per.karlsson@example.org"},
    "QRCode", "Android 3.0 share")
add("android-2.1-iso8859", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Str=F6m;J=F6rgen", "TEL;CELL:+46705550000", "END:VCARD"),
    {"kind": "vcard", "first_name": "Jörgen", "last_name": "Ström", "phone": "+46705550000"},
    "QRCode", "older Android / Nokia: ISO-8859-1 quoted-printable")
add("android-2.1-8bit-charset", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N;CHARSET=UTF-8:Ängström;Anders", "FN;CHARSET=UTF-8:Anders Ängström", "TEL;PREF;CELL:+46 70 444 55 66", "END:VCARD"),
    {"kind": "vcard", "first_name": "Anders", "last_name": "Ängström", "phone": "+46704445566"},
    "QRCode", "2.1 with CHARSET=UTF-8 and 8-bit text")
add("outlook-2.1", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N;LANGUAGE=en-us:Contoso;Alex", "FN:Alex Contoso", "ORG:Contoso Ltd.", "TITLE:Manager",
    "TEL;WORK;VOICE:+1 (425) 555-0100", "TEL;CELL;VOICE:+1 (425) 555-0101", "TEL;WORK;FAX:+1 (425) 555-0199",
    "ADR;WORK;PREF:;;One Microsoft Way;Redmond;WA;98052;United States of America",
    "LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE:One Microsoft Way=0D=0A=", "Redmond, WA 98052",
    "EMAIL;PREF;INTERNET:alex@contoso.com", "REV:20240115T101500Z", "END:VCARD"),
    {"kind": "vcard", "first_name": "Alex", "last_name": "Contoso", "phone": "+14255550101", "email": "alex@contoso.com",
     "address": {"street": "One Microsoft Way", "postal_code": "98052", "city": "Redmond", "region": "WA", "country": "US"}},
    "QRCode", "Outlook export (2.1, LANGUAGE parameter, LABEL with QP soft break)")
add("outlook-2.1-photo", "BEGIN:VCARD\r\nVERSION:2.1\r\nN;LANGUAGE=sv:Berg;Lina\r\nFN:Lina Berg\r\nTEL;CELL;VOICE:070-111 22 33\r\n"
    "EMAIL;PREF;INTERNET:lina.berg@example.se\r\nPHOTO;TYPE=JPEG;ENCODING=BASE64:\r\n " + PHOTO[:76] + "\r\n " + PHOTO[76:152] + "\r\n\r\n"
    "X-MS-OL-DEFAULT-POSTAL-ADDRESS:0\r\nEND:VCARD\r\n",
    {"kind": "vcard", "first_name": "Lina", "last_name": "Berg", "phone": "+46701112233", "email": "lina.berg@example.se"},
    "QRCode", "Outlook 2.1 with PHOTO starting on the next line")
add("gmail-3.0", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "FN:Jamie Doe", "N:Doe;Jamie;;;", "EMAIL;TYPE=INTERNET;TYPE=HOME:jamie.doe@gmail.com",
    "TEL;TYPE=CELL:+1 312-555-0147", "ADR;TYPE=HOME:;;742 Evergreen Terrace;Springfield;IL;62704;US", "BDAY:1990-07-04",
    "item1.URL:http\\://jamie.example.com", "item1.X-ABLabel:PROFILE", "CATEGORIES:myContacts", "END:VCARD"),
    {"kind": "vcard", "first_name": "Jamie", "last_name": "Doe", "phone": "+13125550147", "email": "jamie.doe@gmail.com", "birth_date": "1990-07-04",
     "address": {"street": "742 Evergreen Terrace", "postal_code": "62704", "city": "Springfield", "region": "IL", "country": "US"}},
    "QRCode", "Google Contacts export (3.0)")
add("gmail-3.0-no-n", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "FN:Karin Sjöberg", "EMAIL;TYPE=INTERNET:karin.sjoberg@gmail.com", "TEL;TYPE=CELL:0739 88 77 66", "END:VCARD"),
    {"kind": "vcard", "first_name": "Karin", "last_name": "Sjöberg", "phone": "+46739887766", "email": "karin.sjoberg@gmail.com"},
    "QRCode", "Google Contacts export of a contact without structured name")
add("gmail-3.0-item-email", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "FN:Ola Nilsson", "N:Nilsson;Ola;;;", "item1.EMAIL;TYPE=INTERNET:ola@nilsson.nu", "item1.X-ABLabel:Jobb",
    "item2.TEL:+46 70 246 80 24", "item2.X-ABLabel:Mobil", "END:VCARD"),
    {"kind": "vcard", "first_name": "Ola", "last_name": "Nilsson", "phone": "+46702468024", "email": "ola@nilsson.nu"},
    "QRCode", "Google export with custom labels in groups")
add("blackberry-2.1", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N:Andersson;Lars", "FN:Lars Andersson", "TEL;WORK:+46 8 765 43 21", "TEL;CELL:+46 70 765 43 21",
    "TEL;FAX:+46 8 765 43 29", "EMAIL;INTERNET:lars.andersson@example.com", "ADR;WORK:;;Drottninggatan 5;Uppsala;;753 10;Sweden", "END:VCARD"),
    {"kind": "vcard", "first_name": "Lars", "last_name": "Andersson", "phone": "+46707654321", "email": "lars.andersson@example.com",
     "address": {"street": "Drottninggatan 5", "postal_code": "753 10", "city": "Uppsala", "country": "SE"}},
    "QRCode", "BlackBerry contact export (2.1)")
add("blackberry-3.0", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Wu;Mei", "FN:Mei Wu", "TEL;TYPE=CELL:+1 416 555 0182", "EMAIL;TYPE=INTERNET;TYPE=WORK:mei.wu@example.ca",
    "ADR;TYPE=WORK:;;100 King St W;Toronto;ON;M5X 1A9;Canada", "X-BB-PIN:2A1B3C4D", "END:VCARD"),
    {"kind": "vcard", "first_name": "Mei", "last_name": "Wu", "phone": "+14165550182", "email": "mei.wu@example.ca",
     "address": {"street": "100 King St W", "postal_code": "M5X 1A9", "city": "Toronto", "region": "ON", "country": "CA"}},
    "QRCode", "BlackBerry 10 share (3.0)")
add("evolution-3.0", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "UID:pas-id-65A1B2C300000001", "X-EVOLUTION-FILE-AS:Lund\\, Emma", "FN:Emma Lund", "N:Lund;Emma;;;",
    "EMAIL;TYPE=HOME;X-EVOLUTION-UI-SLOT=1:emma.lund@example.org", "TEL;TYPE=CELL;X-EVOLUTION-UI-SLOT=1:+46 70 321 54 76",
    "TEL;TYPE=HOME;X-EVOLUTION-UI-SLOT=2:+46 46 12 34 56", "ADR;TYPE=HOME:;;Storgatan 7;Lund;;222 21;Sweden",
    "LABEL;TYPE=HOME:Storgatan 7\\nLund\\n222 21\\nSweden", "BDAY:1992-12-24", "REV:2024-02-01T09:30:12Z", "END:VCARD"),
    {"kind": "vcard", "first_name": "Emma", "last_name": "Lund", "phone": "+46703215476", "email": "emma.lund@example.org", "birth_date": "1992-12-24",
     "address": {"street": "Storgatan 7", "postal_code": "222 21", "city": "Lund", "country": "SE"}},
    "QRCode", "GNOME Evolution export (3.0, X-EVOLUTION-UI-SLOT)")
add("evolution-photo", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "FN:Oskar Falk", "N:Falk;Oskar;;;", fold("PHOTO;ENCODING=b;TYPE=\"X-EVOLUTION-UNKNOWN\":" + PHOTO),
    "TEL;TYPE=CELL:0708 12 34 56", "END:VCARD"),
    {"kind": "vcard", "first_name": "Oskar", "last_name": "Falk", "phone": "+46708123456"},
    "QRCode", "Evolution 3.0 with a folded photo of quoted type")
add("vcard-4.0-uri-tel", crlf(
    "BEGIN:VCARD", "VERSION:4.0", "FN:Simon Perreault", "N:Perreault;Simon;;;ing. jr,M.Sc.", "BDAY:--0203",
    "TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102", "TEL;VALUE=uri;TYPE=\"work,cell,voice,video,text\":tel:+1-418-262-6501",
    "EMAIL;TYPE=work:simon.perreault@viagenie.ca", "ADR;TYPE=work:;Suite D2-630;2875 Laurier;Quebec;QC;G1V 2M2;Canada", "END:VCARD"),
    {"kind": "vcard", "first_name": "Simon", "last_name": "Perreault", "phone": "+14182626501", "email": "simon.perreault@viagenie.ca",
     "address": {"street": "2875 Laurier, Suite D2-630", "postal_code": "G1V 2M2", "city": "Quebec", "region": "QC", "country": "CA"}},
    "QRCode", "RFC 6350 section 8 example")
add("vcard-4.0-uri-tel-only", crlf(
    "BEGIN:VCARD", "VERSION:4.0", "FN:Anna Berg", "N:Berg;Anna;;;", "TEL;VALUE=uri:tel:+46-70-123-45-67", "END:VCARD"),
    {"kind": "vcard", "first_name": "Anna", "last_name": "Berg", "phone": "+46701234567"},
    "QRCode", "4.0 TEL;VALUE=uri without a type")
add("vcard-4.0-uri-tel-type-first", crlf(
    "BEGIN:VCARD", "VERSION:4.0", "FN:Nils Dahl", "TEL;TYPE=cell;VALUE=uri:tel:+46733445566", "EMAIL:nils@dahl.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Nils", "last_name": "Dahl", "phone": "+46733445566", "email": "nils@dahl.se"},
    "QRCode", "4.0 TEL with TYPE before VALUE")
add("vcard-4.0-tel-uri-ext", crlf(
    "BEGIN:VCARD", "VERSION:4.0", "N:Ahmed;Omar;;;", "FN:Omar Ahmed", "TEL;VALUE=uri;PREF=1:tel:+46-8-123-456-78;ext=55", "END:VCARD"),
    {"kind": "vcard", "first_name": "Omar", "last_name": "Ahmed", "phone": "+46812345678"},
    "QRCode", "4.0 tel: URI with an extension")
add("vcard-4.0-photo-data-uri", crlf(
    "BEGIN:VCARD", "VERSION:4.0", "FN:Ida Moberg", "N:Moberg;Ida;;;", fold("PHOTO:data:image/jpeg;base64," + PHOTO),
    "TEL;TYPE=cell:+46 70 999 00 11", "BDAY:19951010", "END:VCARD"),
    {"kind": "vcard", "first_name": "Ida", "last_name": "Moberg", "phone": "+46709990011", "birth_date": "1995-10-10"},
    "QRCode", "4.0 with a data: URI photo")
add("vcard-4.0-bday-date-value", crlf(
    "BEGIN:VCARD", "VERSION:4.0", "FN:Tove Lind", "N:Lind;Tove;;;", "BDAY;VALUE=date:1983-05-30", "EMAIL;PREF=1:tove@lind.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Tove", "last_name": "Lind", "email": "tove@lind.se", "birth_date": "1983-05-30"},
    "QRCode", "4.0 BDAY with VALUE=date")
add("vcard-3.0-folded-email", "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Gustafsson;Henrik;;;\r\nFN:Henrik Gustafsson\r\n"
    "EMAIL;TYPE=INTERNET:henrik.gustafsson.long.address@exam\r\n ple-company.se\r\nTEL;TYPE=CELL:+46701231231\r\nEND:VCARD\r\n",
    {"kind": "vcard", "first_name": "Henrik", "last_name": "Gustafsson", "phone": "+46701231231", "email": "henrik.gustafsson.long.address@example-company.se"},
    "QRCode", "3.0 folded in the middle of a value")
add("vcard-3.0-folded-tab", "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Sund;Eva;;;\r\nFN:Eva Sund\r\nNOTE:pnr 19121212\r\n\t-1212\r\nEND:VCARD\r\n",
    {"kind": "vcard", "first_name": "Eva", "last_name": "Sund", "personal_id": "191212121212", "birth_date": "1912-12-12"},
    "QRCode", "3.0 folded with a tab")
add("vcard-3.0-lf-only", "BEGIN:VCARD\nVERSION:3.0\nN:Björk;Alva;;;\nFN:Alva Björk\nTEL;TYPE=cell:+46 70 808 08 08\nEND:VCARD\n",
    {"kind": "vcard", "first_name": "Alva", "last_name": "Björk", "phone": "+46708080808"},
    "QRCode", "QR generator using LF line ends")
add("vcard-3.0-no-end", "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Hall;Rut;;;\r\nTEL:+46702223344\r\n",
    {"kind": "vcard", "first_name": "Rut", "last_name": "Hall", "phone": "+46702223344"},
    "QRCode", "truncated code without END:VCARD")
add("vcard-3.0-lowercase", crlf("begin:vcard", "version:3.0", "n:Ros;Klara;;;", "tel;type=cell:0702020202", "email:klara@ros.se", "end:vcard"),
    {"kind": "vcard", "first_name": "Klara", "last_name": "Ros", "phone": "+46702020202", "email": "klara@ros.se"},
    "QRCode", "lower-case property names")
add("vcard-3.0-pref-email", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Ny;Leo;;;", "EMAIL;TYPE=WORK:leo@work.se", "EMAIL;TYPE=HOME,PREF:leo@home.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Leo", "last_name": "Ny", "email": "leo@home.se"},
    "QRCode", "3.0 with a preferred e-mail second")
add("vcard-3.0-escaped", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:O'Brien;Seán;;;", "FN:Seán O'Brien", "ADR;TYPE=HOME:;;Main Street 1\\, Apt 4;Dublin;;D02 X285;Ireland",
    "TEL;TYPE=CELL:+353 85 123 4567", "END:VCARD"),
    {"kind": "vcard", "first_name": "Seán", "last_name": "O'Brien", "phone": "+353851234567",
     "address": {"street": "Main Street 1, Apt 4", "postal_code": "D02 X285", "city": "Dublin", "country": "IE"}},
    "QRCode", "escaped comma in an address")
add("vcard-2.1-type-params", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N:Ström;Kim", "TEL;TYPE=CELL:+46 70 010 10 10", "TEL;TYPE=HOME:+46 8 10 10 10", "END:VCARD"),
    {"kind": "vcard", "first_name": "Kim", "last_name": "Ström", "phone": "+46700101010"},
    "QRCode", "2.1 written with TYPE= parameters")
add("vcard-3.0-item-adr", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Berglund;Tor;;;", "FN:Tor Berglund", "item1.ADR;type=HOME:;;Parkvägen 2;Umeå;;903 30;Sverige",
    "item1.X-ABADR:se", "item2.TEL;type=CELL:+46703030303", "END:VCARD"),
    {"kind": "vcard", "first_name": "Tor", "last_name": "Berglund", "phone": "+46703030303",
     "address": {"street": "Parkvägen 2", "postal_code": "903 30", "city": "Umeå", "country": "SE"}},
    "QRCode", "address and phone in groups")
add("vcard-3.0-x-personnummer", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Wik;Hugo;;;", "X-PERSONNUMMER:197002022023", "TEL;TYPE=cell:+46701010101", "END:VCARD"),
    {"kind": "vcard", "first_name": "Hugo", "last_name": "Wik", "phone": "+46701010101", "personal_id": "197002022023", "birth_date": "1970-02-02"},
    "QRCode", "Swedish personnummer in an X- property")
add("vcard-3.0-two-cards", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Först;Alice;;;", "TEL:+46701111111", "END:VCARD", "BEGIN:VCARD", "VERSION:3.0", "N:Andra;Bob;;;",
    "TEL:+46702222222", "END:VCARD"),
    {"kind": "vcard", "first_name": "Alice", "last_name": "Först", "phone": "+46701111111"},
    "QRCode", "a payload holding two cards: the first counts")
add("vcard-3.0-fax-first", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Fax;Felix;;;", "TEL;TYPE=FAX:+46 8 111 111 11", "TEL;TYPE=VOICE:+46 8 222 222 22", "END:VCARD"),
    {"kind": "vcard", "first_name": "Felix", "last_name": "Fax", "phone": "+46822222222"},
    "QRCode", "a fax listed first")
add("vcard-3.0-charset-param-3", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N;CHARSET=utf-8:Åberg;Signe;;;", "TEL;TYPE=CELL;CHARSET=utf-8:+46 70 121 21 21", "END:VCARD"),
    {"kind": "vcard", "first_name": "Signe", "last_name": "Åberg", "phone": "+46701212121"},
    "QRCode", "3.0 card with a stray CHARSET parameter")
add("vcard-3.0-junk-lines", "BEGIN:VCARD\nVERSION:3.0\nN:Svensson;Anna\njunk line\nTEL;TYPE=cell:+46701234567\nEMAIL:anna@example.se\n",
    {"kind": "vcard", "first_name": "Anna", "last_name": "Svensson", "phone": "+46701234567", "email": "anna@example.se"},
    "QRCode", "QR generator output with a junk line and no END")
add("vcard-2.1-qp-email-adr", crlf(
    "BEGIN:VCARD", "VERSION:2.1", "N:Ek;Vera", "ADR;HOME;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:;;Gr=C3=B6na gatan 9;Malm=C3=B6;;211 20;Sverige",
    "EMAIL;INTERNET;PREF:vera.ek@example.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Vera", "last_name": "Ek", "email": "vera.ek@example.se",
     "address": {"street": "Gröna gatan 9", "postal_code": "211 20", "city": "Malmö", "country": "SE"}},
    "QRCode", "2.1 with ENCODING before CHARSET")
add("vcard-3.0-bday-basic", crlf("BEGIN:VCARD", "VERSION:3.0", "N:Alm;Ines;;;", "BDAY:19871121", "EMAIL:ines@alm.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Ines", "last_name": "Alm", "email": "ines@alm.se", "birth_date": "1987-11-21"},
    "QRCode", "BDAY in basic format")
add("vcard-3.0-bday-no-year", crlf("BEGIN:VCARD", "VERSION:3.0", "N:Frid;Ebba;;;", "BDAY:--0415", "EMAIL:ebba@frid.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Ebba", "last_name": "Frid", "email": "ebba@frid.se", "birth_date": None},
    "QRCode", "a birthday without a year is no birth date")
add("vcard-3.0-iphone-fax-pref", crlf(
    "BEGIN:VCARD", "VERSION:3.0", "N:Holmberg;Axel;;;", "TEL;type=WORK;type=FAX;type=pref:+46 8 400 400 40", "TEL;type=HOME;type=VOICE:+46 8 500 500 50",
    "END:VCARD"),
    {"kind": "vcard", "first_name": "Axel", "last_name": "Holmberg", "phone": "+46850050050"},
    "QRCode", "iPhone: a preferred fax is still a fax")

# ----------------------------------------------------------------------------------------- MECARD / BIZCARD

add("mecard-docomo", "MECARD:N:Owen,Sean;SOUND:owen,sean;TEL:+12125551212;EMAIL:sean@example.com;BDAY:19850412;ADR:,,76 9th Avenue,New York,NY,10011,US;;",
    {"kind": "mecard", "first_name": "Sean", "last_name": "Owen", "phone": "+12125551212", "email": "sean@example.com", "birth_date": "1985-04-12",
     "address": {"street": "76 9th Avenue", "postal_code": "10011", "city": "New York", "region": "NY", "country": "US"}},
    "QRCode", "docomo specification shape (seven ADR parts)")
add("mecard-zxing", "MECARD:N:Owen,Sean;ADR:76 9th Avenue, 4th Floor, New York, NY 10011;TEL:12125551212;EMAIL:srowen@example.com;;",
    {"kind": "mecard", "first_name": "Sean", "last_name": "Owen", "phone": "+12125551212", "email": "srowen@example.com",
     "address": {"street": "76 9th Avenue, 4th Floor, New York, NY 10011"}},
    "QRCode", "ZXing's own example")
add("mecard-one-name", "MECARD:N:Maria Larsson;TEL:0701234567;;",
    {"kind": "mecard", "first_name": "Maria", "last_name": "Larsson", "phone": "+46701234567"}, "QRCode", "N without a comma")
add("mecard-no-terminator", "MECARD:N:Lind,Erik;TEL:+46705551122;EMAIL:erik@lind.se",
    {"kind": "mecard", "first_name": "Erik", "last_name": "Lind", "phone": "+46705551122", "email": "erik@lind.se"}, "QRCode", "no final ;;")
add("mecard-escapes", "MECARD:N:Nilsson\\, Jr,Karl;NOTE:pnr\\: 19121212-1212;TEL:+46701212121;;",
    {"kind": "mecard", "first_name": "Karl", "last_name": "Nilsson, Jr", "phone": "+46701212121", "personal_id": "191212121212", "birth_date": "1912-12-12"},
    "QRCode", "escaped comma and colon")
add("mecard-newlines", "MECARD:\nN:Berg,Anna;\nTEL:+46709998877;\nEMAIL:anna@berg.se;\n;",
    {"kind": "mecard", "first_name": "Anna", "last_name": "Berg", "phone": "+46709998877", "email": "anna@berg.se"}, "QRCode", "a generator putting line breaks between fields")
add("mecard-lowercase", "mecard:n:Holm,Lisa;tel:+46703334455;;",
    {"kind": "mecard", "first_name": "Lisa", "last_name": "Holm", "phone": "+46703334455"}, "QRCode", "lower-case")
add("mecard-tel-av-first", "MECARD:N:Sjö,Tina;TEL-AV:+46701110000;TEL:+46702220000;EMAIL:tina@sjo.se;;",
    {"kind": "mecard", "first_name": "Tina", "last_name": "Sjö", "phone": "+46702220000", "email": "tina@sjo.se"},
    "QRCode", "TEL-AV (videophone) is not TEL")
add("mecard-nickname-url", "MECARD:N:Ahlström,Petra;NICKNAME:Pella;URL:https://petra.example.se;TEL:070-666 77 88;MEMO:kund;;",
    {"kind": "mecard", "first_name": "Petra", "last_name": "Ahlström", "phone": "+46706667788"}, "QRCode", "extra docomo fields")
add("mecard-spaces", "MECARD: N: Dahl , Olle ; TEL: +46 70 432 10 98 ; ;",
    {"kind": "mecard", "first_name": "Olle", "last_name": "Dahl", "phone": "+46704321098"}, "QRCode", "spaces around keys and values")
add("mecard-bday-dashes", "MECARD:N:Mattsson,Agnes;BDAY:1975-08-09;TEL:+46707778899;;",
    {"kind": "mecard", "first_name": "Agnes", "last_name": "Mattsson", "phone": "+46707778899", "birth_date": "1975-08-09"}, "QRCode", "BDAY with dashes")
add("bizcard-zxing", "BIZCARD:N:Sean;X:Owen;T:Software Engineer;C:Google;A:76 9th Avenue, New York, NY 10011;B:+12125551212;E:srowen@google.com;;",
    {"kind": "bizcard", "first_name": "Sean", "last_name": "Owen", "phone": "+12125551212", "email": "srowen@google.com",
     "address": {"street": "76 9th Avenue, New York, NY 10011"}}, "QRCode", "ZXing's BIZCARD example")
add("bizcard-mobile", "BIZCARD:N:Eva;X:Ek;B:+46812345678;M:+46701234567;F:+46812345679;E:eva@ek.se;;",
    {"kind": "bizcard", "first_name": "Eva", "last_name": "Ek", "phone": "+46701234567", "email": "eva@ek.se"}, "QRCode", "mobile preferred over business")
add("bizcard-no-terminator", "BIZCARD:N:Ali;X:Hassan;M:0735556677",
    {"kind": "bizcard", "first_name": "Ali", "last_name": "Hassan", "phone": "+46735556677"}, "QRCode", "no final ;;")
add("bizcard-lowercase-escaped", "bizcard:n:Jon;x:Bergström\\, Sr;e:jon@example.se;;",
    {"kind": "bizcard", "first_name": "Jon", "last_name": "Bergström, Sr", "email": "jon@example.se"}, "QRCode", "lower-case keys, escaped comma")

# ----------------------------------------------------------------------------------------- AAMVA


def aamva(version: int, iin: str, elements: list[str], *, sub: str = "DL", header: str = "@\n\x1e\r", jver: str = "00",
          sep: str = "\n", term: str = "\r", prefix: str = "ANSI ") -> str:
    """An AAMVA file: header, one subfile designator with a correct offset and length, the subfile."""
    body = sub + sep.join(elements) + term
    entries = "01"
    head = header + prefix + iin + f"{version:02d}" + ("" if version == 1 else jver) + entries
    offset = len(head) + 10
    return head + sub + f"{offset:04d}{len(body):04d}" + body


add("aamva-v01-daa", aamva(1, "636026", ["DAQ123456789", "DAAJOHNSON,JOHN,ALAN", "DAG123 MAIN ST", "DAIPHOENIX", "DAJAZ", "DAK850070000",
                                          "DBB19700105", "DBA20261231", "DBD20181231", "DBCM", "DAU510"]),
    {"kind": "aamva", "first_name": "John", "last_name": "Johnson", "licence_number": "123456789", "birth_date": "1970-01-05",
     "address": {"street": "123 MAIN ST", "postal_code": "85007", "city": "PHOENIX", "region": "AZ"}},
    "PDF417", "version 01 (2000): combined DAA name LAST,FIRST,MIDDLE, dates CCYYMMDD")
add("aamva-v01-daa-spaces", aamva(1, "636020", ["DAQ0123456", "DAAJANE Q PUBLIC", "DAG45 ELM AVE", "DAIDENVER", "DAJCO", "DAK80202",
                                                 "DBB19811123", "DBA20250101"]),
    {"kind": "aamva", "first_name": "Jane", "last_name": "Public", "licence_number": "0123456", "birth_date": "1981-11-23",
     "address": {"street": "45 ELM AVE", "postal_code": "80202", "city": "DENVER", "region": "CO"}},
    "PDF417", "version 01: DAA written FIRST MIDDLE LAST with spaces")
add("aamva-v01-daa-dollar", aamva(1, "636015", ["DAQA1234567", "DAASMITH$MARY$K", "DBB19650430", "DAJTX", "DAIAUSTIN"]),
    {"kind": "aamva", "first_name": "Mary", "last_name": "Smith", "licence_number": "A1234567", "birth_date": "1965-04-30",
     "address": {"city": "AUSTIN", "region": "TX"}},
    "PDF417", "version 01 with $ as the name separator")
add("aamva-v01-aamva-prefix", aamva(1, "636000", ["DAQ999888777", "DAADOE,JOHN", "DBB19751215"], prefix="AAMVA"),
    {"kind": "aamva", "first_name": "John", "last_name": "Doe", "licence_number": "999888777", "birth_date": "1975-12-15"},
    "PDF417", "version 01 with the old AAMVA file type")
add("aamva-v01-daa-first-last-comma", aamva(1, "636031", ["DAQ55544433", "DAAPUBLIC,JOHN,Q,JR", "DBB19600202"]),
    {"kind": "aamva", "first_name": "John", "last_name": "Public", "licence_number": "55544433", "birth_date": "1960-02-02"},
    "PDF417", "version 01 with a suffix in DAA")
add("aamva-v02", aamva(2, "636014", ["DAQD1234562", "DCSSAMPLE", "DCTJOHN,QUINCY", "DBB01151970", "DBA01152030", "DBC1", "DAG2570 24TH STREET",
                                      "DAIANYTOWN", "DAJCA", "DAK958240000  ", "DCGUSA"], jver="01"),
    {"kind": "aamva", "first_name": "John", "last_name": "Sample", "licence_number": "D1234562", "birth_date": "1970-01-15",
     "address": {"street": "2570 24TH STREET", "postal_code": "95824", "city": "ANYTOWN", "region": "CA", "country": "US"}},
    "PDF417", "version 02 (2003): DCS and DCT given names with a comma")
add("aamva-v03", aamva(3, "636001", ["DAQ123456789", "DCSDOE", "DCTJANE ANN", "DBB07041976", "DBA07042028", "DBC2", "DAG1 STATE ST",
                                      "DAIALBANY", "DAJNY", "DAK122070000", "DCGUSA"], jver="00"),
    {"kind": "aamva", "first_name": "Jane", "last_name": "Doe", "licence_number": "123456789", "birth_date": "1976-07-04",
     "address": {"street": "1 STATE ST", "postal_code": "12207", "city": "ALBANY", "region": "NY", "country": "US"}},
    "PDF417", "version 03 (2005): DCT given names with a space")
for version, iin, state, city, zipc in ((4, "636045", "WA", "OLYMPIA", "985010000"), (5, "636023", "OH", "COLUMBUS", "432150000"),
                                        (6, "636035", "IL", "SPRINGFIELD", "627010000"), (7, "636034", "ND", "BISMARCK", "585010000"),
                                        (8, "636049", "NH", "CONCORD", "033010000"), (9, "636012", "DC", "WASHINGTON", "200010000"),
                                        (10, "636008", "DE", "DOVER", "199010000")):
    add(f"aamva-v{version:02d}", aamva(version, iin, ["DCAD", "DCBNONE", "DCDNONE", "DBA08312029", "DCSMUSTERMANN", "DACERIKA", "DADMARIA",
                                                       "DBD08312021", "DBB08121985", "DBC2", "DAYBRO", "DAU065 IN", "DAG100 CAPITOL AVE",
                                                       f"DAI{city}", f"DAJ{state}", f"DAK{zipc}  ", f"DAQ{state}{version:02d}-555-123",
                                                       "DCF2424244747474786102204", "DCGUSA", "DDEN", "DDFN", "DDGN"], jver="00"),
        {"kind": "aamva", "first_name": "Erika", "last_name": "Mustermann", "licence_number": f"{state}{version:02d}-555-123", "birth_date": "1985-08-12",
         "address": {"street": "100 CAPITOL AVE", "postal_code": zipc[:5], "city": city, "region": state, "country": "US"}},
        "PDF417", f"version {version:02d}: DCS/DAC/DAD, dates MMDDCCYY")
add("aamva-v08-canada", aamva(8, "636012", ["DCAG", "DCSTREMBLAY", "DACMARIE", "DADJOSEE", "DBB19900315", "DBA20300315", "DBC2",
                                             "DAG1234 RUE SAINTE-CATHERINE", "DAIMONTREAL", "DAJQC", "DAKH3B 1A7   ", "DAQT6543-150390-08", "DCGCAN"]),
    {"kind": "aamva", "first_name": "Marie", "last_name": "Tremblay", "licence_number": "T6543-150390-08", "birth_date": "1990-03-15",
     "address": {"street": "1234 RUE SAINTE-CATHERINE", "postal_code": "H3B 1A7", "city": "MONTREAL", "region": "QC", "country": "CA"}},
    "PDF417", "Canadian card: CCYYMMDD dates, Canadian postal code")
add("aamva-v09-id-subfile", aamva(9, "636020", ["DAQ987654321", "DCSROE", "DACRICHARD", "DADNONE", "DBB02281964", "DAJCO", "DAIBOULDER", "DCGUSA"], sub="ID"),
    {"kind": "aamva", "first_name": "Richard", "last_name": "Roe", "licence_number": "987654321", "birth_date": "1964-02-28",
     "address": {"city": "BOULDER", "region": "CO", "country": "US"}},
    "PDF417", "an ID card (ID subfile) rather than a licence")
add("aamva-header-lf-only", aamva(8, "636014", ["DAQF1112223", "DCSGARCIA", "DACLUIS", "DBB11111980", "DCGUSA"], header="@\n\n\r"),
    {"kind": "aamva", "first_name": "Luis", "last_name": "Garcia", "licence_number": "F1112223", "birth_date": "1980-11-11"},
    "PDF417", "header with LF instead of RS (seen on Californian cards)")
add("aamva-header-fs", aamva(6, "636026", ["DAQ000111222", "DCSLEE", "DACKIM", "DBB06061966"], header="@\n\x1c\r"),
    {"kind": "aamva", "first_name": "Kim", "last_name": "Lee", "licence_number": "000111222", "birth_date": "1966-06-06"},
    "PDF417", "header with FS (0x1C) instead of RS")
add("aamva-header-no-at", aamva(8, "636039", ["DAQ1234-5678", "DCSBROWN", "DACAMY", "DBB03031973"], header=""),
    {"kind": "aamva", "first_name": "Amy", "last_name": "Brown", "licence_number": "1234-5678", "birth_date": "1973-03-03"},
    "PDF417", "a keyboard-wedge scanner that dropped the compliance indicator")
add("aamva-crlf-separators", aamva(7, "636031", ["DAQW123-456-78-901", "DCSWILSON", "DACTOM", "DBB12251955", "DAGONE WAY", "DAIMADISON", "DAJWI"], sep="\r\n", term="\r\n"),
    {"kind": "aamva", "first_name": "Tom", "last_name": "Wilson", "licence_number": "W123-456-78-901", "birth_date": "1955-12-25",
     "address": {"street": "ONE WAY", "city": "MADISON", "region": "WI"}},
    "PDF417", "CR LF between elements (scanner translated line ends)")
add("aamva-aim-prefix", "]L2" + aamva(9, "636010", ["DAQS123456789012", "DCSCRUZ", "DACANA", "DBB10101999", "DAJFL"]),
    {"kind": "aamva", "first_name": "Ana", "last_name": "Cruz", "licence_number": "S123456789012", "birth_date": "1999-10-10",
     "address": {"region": "FL"}},
    "PDF417", "AIM symbology identifier ]L2 before the text")
add("aamva-space-after-ansi-missing", aamva(10, "636055", ["DAQ00000001", "DCSKING", "DACLEE", "DBB05051950", "DCGUSA"], prefix="ANSI"),
    {"kind": "aamva", "first_name": "Lee", "last_name": "King", "licence_number": "00000001", "birth_date": "1950-05-05"},
    "PDF417", "no space after ANSI")
add("aamva-v03-dct-comma-middle", aamva(3, "636032", ["DAQ12345", "DCSO'CONNOR", "DCTMARY,ELLEN", "DBB09091991", "DAJMI"]),
    {"kind": "aamva", "first_name": "Mary", "last_name": "O'Connor", "licence_number": "12345", "birth_date": "1991-09-09", "address": {"region": "MI"}},
    "PDF417", "apostrophe in a family name")
add("aamva-v04-truncation-flags", aamva(4, "636004", ["DAQ4444", "DCSVANDERBILT-MONTGOMERY", "DDET", "DACALEXANDRA", "DDFN", "DBB01021984"]),
    {"kind": "aamva", "first_name": "Alexandra", "last_name": "Vanderbilt-Montgomery", "licence_number": "4444", "birth_date": "1984-01-02"},
    "PDF417", "truncation flags beside the names")
add("aamva-v08-record-separator", aamva(8, "636000", ["DAQ777", "DCSHILL", "DACJO", "DBB07071977"], sep="\x1e"),
    {"kind": "aamva", "first_name": "Jo", "last_name": "Hill", "licence_number": "777", "birth_date": "1977-07-07"},
    "PDF417", "RS between elements")
add("aamva-v02-dct-only", aamva(2, "636028", ["DAQ8675309", "DCSJENNY", "DCTTUTONE", "DBB19810815", "DCGUSA"], jver="02"),
    {"kind": "aamva", "first_name": "Tutone", "last_name": "Jenny", "licence_number": "8675309", "birth_date": "1981-08-15"},
    "PDF417", "version 02 card whose date is CCYYMMDD despite the US country")
add("aamva-headerless", "DAQ12345678\nDCSPARKER\nDACPETER\nDBB08101962\nDAJNY\nDAINEW YORK\n",
    {"kind": "aamva", "first_name": "Peter", "last_name": "Parker", "licence_number": "12345678", "birth_date": "1962-08-10",
     "address": {"city": "NEW YORK", "region": "NY"}},
    "PDF417", "elements only, the header lost by a scanner")

add("aamva-v01-dab-dac", "@\n\x1e\rANSI 6360100101DL00290100DLDAQ1234\nDABSMITH\nDACJOHN\nDBB19700105\r",
    {"kind": "aamva", "first_name": "John", "last_name": "Smith", "licence_number": "1234", "birth_date": "1970-01-05"},
    "PDF417", "version 01 card with separate DAB/DAC names")
add("aamva-v01-daa-last-comma-first-middle", "@\n\x1e\rANSI 6360100101DL00290100DLDAQ1234\nDAASMITH, JOHN A\nDBB19700105\r",
    {"kind": "aamva", "first_name": "John", "last_name": "Smith", "licence_number": "1234", "birth_date": "1970-01-05"},
    "PDF417", "version 01 DAA 'LAST, FIRST MIDDLE' with one comma")
add("aamva-crlf-header", "@\r\n\x1e\r\nANSI 636010080102DL00410100ZF01410020DLDAQ1234\r\nDCSSMITH\r\nDACJOHN\r\nDBB01051970\r\n",
    {"kind": "aamva", "first_name": "John", "last_name": "Smith", "licence_number": "1234", "birth_date": "1970-01-05"},
    "PDF417", "header and elements with CR LF (a scanner translating line ends)")
PHOTO_LINES = [PHOTO[i : i + 76] for i in range(0, len(PHOTO), 76)]
add("android-2.1-photo-unindented", "BEGIN:VCARD\r\nVERSION:2.1\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:" + "\r\n".join(PHOTO_LINES)
    + "\r\n\r\nN:Holm;Elin\r\nTEL;CELL:+46723334455\r\nEND:VCARD\r\n",
    {"kind": "vcard", "first_name": "Elin", "last_name": "Holm", "phone": "+46723334455"},
    "QRCode", "2.1 photo whose base64 lines are not indented, before the name")
add("vcard-4.0-uri-tel-national", crlf("BEGIN:VCARD", "VERSION:4.0", "FN:Rut Ek", "TEL;VALUE=uri:tel:070-123 45 67", "END:VCARD"),
    {"kind": "vcard", "first_name": "Rut", "last_name": "Ek", "phone": "+46701234567"}, "QRCode", "tel: URI with a national number")
add("vcard-3.0-tel-uri-without-value", crlf("BEGIN:VCARD", "VERSION:3.0", "N:Ek;Bo;;;", "TEL;TYPE=CELL:tel:+46701234567", "END:VCARD"),
    {"kind": "vcard", "first_name": "Bo", "last_name": "Ek", "phone": "+46701234567"}, "QRCode", "tel: URI without VALUE=uri")
add("vcard-2.1-bare-qp", crlf("BEGIN:VCARD", "VERSION:2.1", "N;QUOTED-PRINTABLE;CHARSET=UTF-8:=C3=85kesson;=C3=85sa", "EMAIL:asa@example.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Åsa", "last_name": "Åkesson", "email": "asa@example.se"}, "QRCode", "2.1 bare QUOTED-PRINTABLE parameter")
add("vcard-3.0-empty-n", crlf("BEGIN:VCARD", "VERSION:3.0", "N:;;;;", "FN:Lisa Ek", "EMAIL:lisa@ek.se", "END:VCARD"),
    {"kind": "vcard", "first_name": "Lisa", "last_name": "Ek", "email": "lisa@ek.se"}, "QRCode", "an empty N beside FN")


def main() -> None:
    names = [c["name"] for c in CORPUS]
    assert len(names) == len(set(names)), "duplicate names"
    (HERE / "payloads.json").write_text(json.dumps(CORPUS, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(CORPUS)} payloads, {sum(len(c['expected']) for c in CORPUS)} expected fields")


if __name__ == "__main__":
    main()
