"""The venue scanner's offline list on the wire (version 2): written by the backoffice, read by the kiosk.

Both ends import this module, so the format lives in one place.  Newline-delimited JSON, so that
neither end ever holds the whole list in memory:

  {"expires_at": ISO, "generated_at": ISO, "groups": {"<id>": {"blink", "colour", "name"}},
   "selected_group_ids": [ids] | null, "version": 2}
  ["c:<CARD CODE>" | "n:<customer number>", first name, [group ids in priority order], reference]
  ... one line per code, in key order ...
  {"signature": hex}

``signature`` is HMAC-SHA256 over every byte before its line, keyed with the SHA-256 of the kiosk's
device token (the server stores that hash; the kiosk computes it from its token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring  # the exact escaping json.dumps(ensure_ascii=False) uses


class ListRefused(ValueError):
    """The list is unsigned, altered, cut short, for another kiosk, or of an unknown version."""


VERSION = 2
HEADER_FIELDS = ("expires_at", "generated_at", "groups", "selected_group_ids")
_COMPACT = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
MAX_LINE = 64 * 1024  # an entry is a code, a first name, a few group ids and a reference
_DECODE = json.JSONDecoder().decode  # on str: json.loads on bytes guesses their encoding first, each time


def canonical(document: object) -> bytes:
    return json.dumps(document, **_COMPACT).encode()


def signature_key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def header_line(header: dict) -> bytes:
    return canonical({**{k: header[k] for k in HEADER_FIELDS}, "version": VERSION}) + b"\n"


def entry_text(code: str, first_name: str, group_ids: Iterable[int], reference: str) -> str:
    """One entry as text without its newline: the bytes ``canonical`` gives, written out for speed.

    The server writes a million of these per list; json.dumps would cost seconds there.
    """
    ids = ",".join(map(str, group_ids))
    return f"[{encode_basestring(code)},{encode_basestring(first_name)},[{ids}],{encode_basestring(reference)}]"


def entry_line(code: str, first_name: str, group_ids: Iterable[int], reference: str) -> bytes:
    return entry_text(code, first_name, group_ids, reference).encode() + b"\n"


def customer_number_key(number: int | str) -> str:
    return f"n:{number}"


def card_code_key(code: str) -> str:
    return f"c:{code.upper()}"


def signature_line(signer: hmac.HMAC) -> bytes:
    return canonical({"signature": signer.hexdigest()}) + b"\n"


def encode_list(header: dict, entries: Iterable[tuple[str, str, Iterable[int], str]], key: bytes) -> bytes:
    """A whole signed list in one piece (tests, benchmarks); the server streams the same bytes."""
    lines = [header_line(header), *(entry_line(*entry) for entry in entries)]
    signer = hmac.new(key, b"".join(lines), hashlib.sha256)
    return b"".join(lines) + signature_line(signer)


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines (without their newline) from chunks cut anywhere; a line longer than MAX_LINE is refused."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from lines
        if len(pending) > MAX_LINE:
            raise ListRefused("the offline list has a line far longer than any entry")
    if pending:
        yield pending


def read_list(source: bytes | Iterable[bytes], token: str) -> tuple[dict, Iterator[tuple[str, str, list, str]]]:
    """Check a list as it streams in: its header now, then its entries one at a time.

    The entries iterator raises ListRefused when the list turns out cut short, malformed or not signed
    for this kiosk; only an iterator run to its end has been checked, so write its entries somewhere
    that is thrown away unless it finishes.
    """
    lines = split_lines([source] if isinstance(source, bytes | bytearray) else source)
    signer = hmac.new(signature_key(token), digestmod=hashlib.sha256)
    try:
        first = next(lines)
        header = json.loads(first)
    except (StopIteration, ValueError):
        raise ListRefused("the offline list is empty or not JSON") from None
    if not isinstance(header, dict) or header.get("version") != VERSION:
        raise ListRefused(f"unknown offline list version {header.get('version') if isinstance(header, dict) else None!r}")
    if any(k not in header for k in HEADER_FIELDS) or not isinstance(header["groups"], dict):
        raise ListRefused("the offline list's header is incomplete")
    signer.update(first + b"\n")

    def entries() -> Iterator[tuple[str, str, list, str]]:
        for line in lines:
            if line.startswith(b'{"signature":'):
                try:
                    signature = str(json.loads(line)["signature"])
                except (ValueError, KeyError, TypeError):
                    raise ListRefused("the offline list's signature line is malformed") from None
                if any(rest.strip() for rest in lines):
                    raise ListRefused("the offline list goes on after its signature")
                if not hmac.compare_digest(signer.hexdigest(), signature):
                    raise ListRefused("the offline list's signature does not match this kiosk")
                return
            signer.update(line + b"\n")
            try:
                code, first_name, groups, reference = _DECODE(line.decode())
                valid = (isinstance(code, str) and isinstance(first_name, str) and isinstance(reference, str)
                         and isinstance(groups, list) and all(isinstance(g, int) for g in groups))
            except (ValueError, TypeError):
                valid = False
            if not valid:
                raise ListRefused("the offline list has a malformed entry")
            yield code, first_name, groups, reference
        raise ListRefused("the offline list was cut short (no signature)")

    return header, entries()


def lookup_key(identity) -> str | None:
    """The list's key for a scanned customer number or card code (a URL carrying one included)."""
    if identity.kind == "customer_number" and identity.customer_number:
        return customer_number_key(identity.customer_number)
    if identity.kind == "card_code" and identity.card_code:
        return card_code_key(identity.card_code)
    return None
