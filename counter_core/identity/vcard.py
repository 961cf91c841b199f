"""vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350) to an :class:`Identity`.

``vobject`` reads the card first.  It is strict and refuses much of what QR
encoders really produce (junk lines, a missing ``END:VCARD``, bad
parameters), so when it throws, a tolerant line parser reads the same
properties.  Both feed one list of :class:`Property`, so which parser ran
never changes what the kiosk sees.

Before either runs, line endings become LF and quoted-printable soft line
breaks (a line ending in ``=``, vCard 2.1) are joined: vobject does not know
them.  Only the first card of a payload is read, and a card of more than
:data:`MAX_VOBJECT_LINES` lines goes straight to the line parser, which
reads valid cards exactly as vobject does (tested) in a fraction of the time.

Fields used: N (else FN), TEL (mobile first, then preferred, never fax or
pager; ``tel:`` URIs), EMAIL (preferred first), BDAY (a date without a year,
``--0415``, is dropped), ADR, and a personnummer in NOTE or an ``X-`` field
when it validates.
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, replace

import vobject

from .escapes import split_escaped
from .fields import RawFields, build_identity, find_personal_ids
from .model import Identity

# Structured properties: their components, and how a component's list (``Ann,Marie``) is joined back.
MAX_VOBJECT_LINES = 100
_STRUCTURED = {
    "N": ("family", "given", "additional", "prefix", "suffix"),
    "ADR": ("box", "extended", "street", "city", "region", "code", "country"),
}
_LIST_JOINER = {"N": " ", "ADR": ", "}
_SKIPPED_PHONE_TYPES = {"fax", "pager"}
_FREE_TEXT = {"FN", "NOTE"}
_PID_X_NAME_RE = re.compile(r"PNR|PERSON|SSN|PERSONAL|SAMORDNING|PID", re.IGNORECASE)
_QP_PARAM_RE = re.compile(r"QUOTED-PRINTABLE", re.IGNORECASE)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
# Words in an X-ABLabel (Apple's built-in labels, and what people type in Swedish or English).
_LABEL_TYPES = {
    "cell": ("mobile", "mobil", "cell", "iphone", "handy"),
    "fax": ("fax",),
    "pager": ("pager", "personsök"),
}


@dataclass(frozen=True, slots=True)
class Property:
    """One content line: name without group, lower-case types, other parameters, and its value."""

    name: str
    types: frozenset[str]
    params: dict[str, str]
    value: str
    parts: tuple[str, ...] = ()  # the components of N and ADR
    group: str | None = None  # "item1" of Apple's "item1.TEL" (lower-case)


def parse_vcard(text: str, symbology: str | None = None) -> Identity:
    """Read the first vCard of ``text`` (which starts with ``BEGIN:VCARD``)."""
    card = prepare(text)
    if card.count("\n") > MAX_VOBJECT_LINES:
        properties = read_lines(card)  # vobject costs ~30 µs a line; a person's card is never this long
    else:
        try:
            properties = read_with_vobject(card)
        except Exception:  # vobject raises many types (ParseError, ValueError, ...) on real-world cards
            properties = read_lines(card)
    return build_identity("vcard", identity_fields(properties), symbology)


def prepare(text: str) -> str:
    """The first card, one property per line, ready for either reader.

    Line endings become LF; quoted-printable soft line breaks (vCard 2.1) and
    RFC folding are joined.  Commas in free-text values (FN, NOTE, X-) are
    escaped: encoders rarely escape them, and vobject reads an unescaped comma
    as a list separator and keeps only the first item ("Perreault, Simon"
    would become "Perreault").
    """
    out: list[str] = []
    depth = 0
    joining_qp = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if joining_qp and line.strip().upper() != "END:VCARD":
            out[-1] = out[-1][:-1] + line
        elif line[:1] in (" ", "\t") and out:
            out[-1] += line[1:]
        elif line.strip():
            out.append(line)
            upper = line.strip().upper()
            depth += upper == "BEGIN:VCARD"
            if upper == "END:VCARD":
                depth -= 1
                if depth <= 0:
                    break
        last = out[-1] if out else ""
        joining_qp = last.endswith("=") and bool(_QP_PARAM_RE.search(last.split(":", 1)[0]))
    return "\n".join(_escape_free_text_commas(line) for line in out) + "\n"


def read_with_vobject(card: str) -> list[Property]:
    """Properties as vobject reads them; raises whatever vobject raises."""
    component = vobject.readOne(card, ignoreUnreadable=False)
    properties = []
    for line in component.getChildren():
        if not isinstance(line, vobject.base.ContentLine):
            continue  # a nested component (AGENT) is another person
        params = {key.upper(): ",".join(values) for key, values in line.params.items()}
        types = _types(params.pop("TYPE", ""), line.singletonparams)
        value = line.value
        parts: tuple[str, ...] = ()
        name = line.name.upper()
        if name in _STRUCTURED:
            parts = tuple(_join(getattr(value, part, ""), _LIST_JOINER[name]) for part in _STRUCTURED[name])
            value = ""
        group = (getattr(line, "group", None) or "").lower() or None
        properties.append(Property(name, types, params, _join(value), parts, group))
    return properties


def read_lines(card: str) -> list[Property]:
    """A tolerant reader: unknown or broken lines are skipped, never fatal."""
    properties = []
    depth = 0
    for line in card.split("\n"):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            depth += 1
            continue
        if upper == "END:VCARD":
            depth -= 1
            continue
        if depth > 1:
            continue  # inside a nested card
        prop = _read_line(line)
        if prop is not None:
            properties.append(prop)
    return properties


def identity_fields(properties: list[Property]) -> RawFields:
    """Pick the fields the kiosk uses from a card's properties."""
    raw = RawFields()
    phones: list[tuple[int, str]] = []
    emails: list[tuple[int, str]] = []
    labels = _group_labels(properties)
    for prop in properties:
        if prop.group in labels:
            prop = replace(prop, types=prop.types | labels[prop.group])
        if prop.name == "N" and not (raw.first_name or raw.last_name):
            family, given = (prop.parts + ("", ""))[:2]  # a broken N may have a single part
            raw.last_name, raw.first_name = family or None, given or None
        elif prop.name == "FN" and not raw.full_name:
            raw.full_name = prop.value
        elif prop.name == "TEL" and not prop.types & _SKIPPED_PHONE_TYPES:
            phones.append((_phone_rank(prop), prop.value))
        elif prop.name == "EMAIL":
            emails.append((0 if _preferred(prop) else 1, prop.value))
        elif prop.name == "BDAY" and not raw.birth_date:
            raw.birth_date = prop.value
        elif prop.name == "ADR" and not (raw.street or raw.city):
            box, extended, street, city, region, code, country = (prop.parts + ("",) * 7)[:7]
            raw.street = ", ".join(p for p in (street, extended, box) if p)
            raw.city, raw.region, raw.postal_code, raw.country = city, region, code, country
        elif prop.name == "NOTE":
            raw.personal_ids += find_personal_ids(prop.value)
        elif prop.name.startswith("X-"):
            raw.personal_ids += find_personal_ids(prop.value, keyed=bool(_PID_X_NAME_RE.search(prop.name)))
    raw.phones = [value for _, value in sorted(phones, key=lambda ranked: ranked[0])]
    raw.emails = [value for _, value in sorted(emails, key=lambda ranked: ranked[0])]
    return raw


def _group_labels(properties: list[Property]) -> dict[str, frozenset[str]]:
    """Types said by a group's label: iPhone and Google exports type a grouped TEL only in its
    ``itemN.X-ABLabel`` (``_$!<Mobile>!$_``, ``Mobil``, ``HomeFAX``)."""
    labels: dict[str, frozenset[str]] = {}
    for prop in properties:
        if prop.group and prop.name == "X-ABLABEL":
            text = prop.value.lower()
            labels[prop.group] = frozenset(t for t, words in _LABEL_TYPES.items() if any(w in text for w in words))
    return labels


def _phone_rank(prop: Property) -> int:
    # A mobile is what the backoffice matches customers by; then the card's own preference.
    if prop.types & {"cell", "mobile", "iphone"}:
        return 0
    return 1 if _preferred(prop) else 2


def _preferred(prop: Property) -> bool:
    return "pref" in prop.types or "PREF" in prop.params


def _types(type_param: str, singletons: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    """``TYPE="work,cell"``, ``TYPE=cell,voice`` and vCard 2.1's bare ``;CELL`` all become ``{"work", "cell"}``."""
    words = [type_param, *singletons]
    return frozenset(t.strip().strip('"').lower() for word in words for t in word.split(",") if t.strip().strip('"'))


def _join(value, joiner: str = " ") -> str:
    if isinstance(value, list | tuple):
        return joiner.join(str(v) for v in value if v)
    return str(value) if value is not None else ""


def _read_line(line: str) -> Property | None:
    head, colon, value = _split_unquoted(line, ":")
    if not colon:
        return None
    name, *raw_params = _split_all_unquoted(head, ";")
    group = None
    if "." in name:  # "item1.TEL" (Apple's groups)
        group, _, name = name.rpartition(".")
        group = group.strip().lower() or None
    name = name.strip().upper()
    if not name:
        return None
    params: dict[str, str] = {}
    singletons: list[str] = []
    for param in raw_params:
        key, eq, val = param.partition("=")
        if eq:
            params[key.strip().upper()] = val.strip()
        else:
            singletons.append(param.strip())
    encoding = params.get("ENCODING", "").upper()
    if encoding in ("B", "BASE64") or "BASE64" in (s.upper() for s in singletons):
        return None  # a photo or a key: nothing for the kiosk
    if encoding == "QUOTED-PRINTABLE" or "QUOTED-PRINTABLE" in (s.upper() for s in singletons):
        value = _decode_quoted_printable(value, params.get("CHARSET", "utf-8"))
    types = _types(params.pop("TYPE", ""), singletons)
    if name in _STRUCTURED:
        components = (split_escaped(part, ",") for part in split_escaped(value, ";"))
        parts = tuple(_LIST_JOINER[name].join(_unescape(item) for item in items if item) for items in components)
        return Property(name, types, params, "", parts, group)
    return Property(name, types, params, _unescape(value), (), group)


def _escape_free_text_commas(line: str) -> str:
    name = line.split(":", 1)[0].split(";", 1)[0].rsplit(".", 1)[-1].strip().upper()
    if name not in _FREE_TEXT and not name.startswith("X-"):
        return line
    head, colon, value = _split_unquoted(line, ":")
    if not colon:
        return line
    escaped, after_backslash = [], False
    for char in value:
        escaped.append("\\," if char == "," and not after_backslash else char)
        after_backslash = char == "\\" and not after_backslash
    return head + colon + "".join(escaped)


def _decode_quoted_printable(value: str, charset: str) -> str:
    try:
        encoded = value.encode("latin-1")  # the =XX escapes are ASCII; 8-bit text was already decoded
    except UnicodeEncodeError:
        encoded = value.encode("utf-8")
    data = quopri.decodestring(encoded)
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return data.decode("latin-1")


def _split_unquoted(text: str, sep: str) -> tuple[str, str, str]:
    """Partition at the first ``sep`` outside double quotes (``TYPE="a:b"`` is legal)."""
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            return text[:i], sep, text[i + 1 :]
    return text, "", ""


def _split_all_unquoted(text: str, sep: str) -> list[str]:
    parts = []
    while True:
        head, found, text = _split_unquoted(text, sep)
        parts.append(head)
        if not found:
            return parts


def _unescape(value: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
