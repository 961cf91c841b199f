"""The venue scanner's offline list: every customer number and linked card, with first name and groups, signed.

The format (version 2, newline-delimited JSON) is defined in ``counter_core.offline_list``:
a header line, one line per code ``[key, first name, [group ids], reference]``
(keys ``n:<customer number>`` and ``c:<CARD CODE>``, in key order), and a last
line ``{"signature": hex}``: HMAC-SHA256 over every byte before it, keyed with
the kiosk's stored token hash (the kiosk computes the same from its token).
Line by line, neither end ever holds more than one entry of it as objects.

The entry lines are the same for every kiosk: they are built once per data
version (one pass over customers, one over linked cards, one over group
members) and kept by each server process as bytes, along with their gzip.
A cheap *data stamp* (customer count, highest id, latest update, linked
cards, the group-members counter, the groups themselves) tells whether they
are still current and makes the ETag, so that an unchanged list costs a few
indexed aggregates.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_core.offline_list import card_code_key, customer_number_key, entry_text, header_line, signature_line

from ..models import Customer, CustomerGroup, GroupMember, IdCard, utcnow
from . import counters
from .group_members import MEMBERS_VERSION
from .verify import VerifyKiosk

VALID_FOR = dt.timedelta(hours=24)
# Entries are rebuilt in each new 12-hour window even when nothing changed, so a kiosk that
# revalidates always holds a list good for 12 hours more; the window (not the build time) goes
# into the ETag, so that every server process answers the same ETag for the same data.
WINDOW_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Entries:
    stamp: str
    generated_at: dt.datetime
    body: bytes  # one line per entry
    body_gzip: bytes  # the same as one gzip member
    groups: dict
    count: int


@dataclass(frozen=True)
class CacheDocument:
    etag: str
    body: bytes | None  # None: the kiosk already has it (304)
    gzipped: bool


_built: dict[str, Entries] = {}
_lock = threading.Lock()


def _visible_groups(db: Session) -> list:
    stmt = (select(CustomerGroup.id, CustomerGroup.name, CustomerGroup.colour, CustomerGroup.blink,
                   CustomerGroup.priority)
            .where(CustomerGroup.visible_in_scanners.is_(True)).order_by(CustomerGroup.priority, CustomerGroup.id))
    return db.execute(stmt).all()


def data_stamp(db: Session) -> str:
    """A fingerprint of everything the entries show; it changes whenever they would."""
    # One aggregate per statement, each an index lookup or count: combined, SQLite scans the table
    # (and count(*), unlike count(id), has SQLite's fast path over its smallest index).
    statements = (select(func.count()).select_from(Customer), select(func.max(Customer.id)),
                  select(func.max(Customer.updated_at)), select(func.count(IdCard.customer_id)),
                  select(func.max(IdCard.linked_at)))
    facts = [db.execute(statement).scalar() for statement in statements]
    groups = db.execute(select(CustomerGroup.id, CustomerGroup.name, CustomerGroup.colour, CustomerGroup.blink,
                               CustomerGroup.visible_in_scanners, CustomerGroup.priority)
                        .order_by(CustomerGroup.id)).all()
    facts += [counters.peek(db, MEMBERS_VERSION), [list(g) for g in groups]]
    return hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()


def build_entries(db: Session, stamp: str) -> Entries:
    """Every customer number and linked card code with first name, reference and visible groups."""
    visible = _visible_groups(db)
    rank = {g.id: index for index, g in enumerate(visible)}
    conn = db.connection()  # Core rows: the ORM's row processing would double the time at a million rows
    groups_of: dict[int, list[int]] = {}
    member_rows = conn.execute(select(GroupMember.customer_id, GroupMember.group_id)
                               .where(GroupMember.group_id.in_(list(rank)) if rank else GroupMember.group_id.is_(None)))
    for customer_id, group_id in member_rows:
        groups_of.setdefault(customer_id, []).append(group_id)
    cards: dict[int, list[str]] = {}
    for code, customer_id in conn.execute(select(IdCard.code, IdCard.customer_id).where(IdCard.customer_id.is_not(None))):
        cards.setdefault(customer_id, []).append(code)
    items: list[str] = []
    stream = conn.execution_options(stream_results=True, yield_per=20_000).execute(
        select(Customer.id, Customer.customer_number, Customer.reference, Customer.first_name))
    for customer_id, number, reference, first_name in stream:
        ids = groups_of.get(customer_id)
        if ids:
            ids = sorted(set(ids), key=rank.__getitem__)
        items.append(entry_text(customer_number_key(number), first_name, ids or (), reference))
        for code in cards.get(customer_id, ()):
            items.append(entry_text(card_code_key(code), first_name, ids or (), reference))
    items.sort()  # by key: a key's closing quote sorts before any character a key holds
    body = ("\n".join(items) + "\n").encode() if items else b""
    groups = {str(g.id): {"blink": g.blink, "colour": g.colour, "name": g.name} for g in visible}
    return Entries(stamp, utcnow(), body, gzip.compress(body, compresslevel=6), groups, len(items))


def _window(moment: dt.datetime) -> int:
    return int(moment.timestamp() // WINDOW_SECONDS)


def current_entries(db: Session) -> Entries:
    """The entries for the database's current data, built again only when the data changed (or a new window began)."""
    key = str(db.get_bind().url)
    stamp = data_stamp(db)
    window = _window(utcnow())

    def current(built: Entries | None) -> bool:
        return built is not None and built.stamp == stamp and _window(built.generated_at) == window

    if current(_built.get(key)):
        return _built[key]
    with _lock:  # one build at a time: a second kiosk asking meanwhile waits and reuses it
        if not current(_built.get(key)):
            _built[key] = build_entries(db, stamp)
        return _built[key]


def _etag(entries: Entries, kiosk: VerifyKiosk) -> str:
    facts = [entries.stamp, _window(entries.generated_at), kiosk.id, kiosk.token_hash, kiosk.selection]
    return '"' + hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return etag in tags or "*" in tags


def cache_document(db: Session, kiosk: VerifyKiosk, *, if_none_match: str | None = None,
                   gzip_ok: bool = False) -> CacheDocument:
    """The signed offline list for one kiosk, or only its ETag when the kiosk's copy is current."""
    entries = current_entries(db)
    etag = _etag(entries, kiosk)
    if _matches(if_none_match, etag):
        return CacheDocument(etag, None, False)
    # The selection as configured, even a group since hidden from scanners: no entry lists a hidden
    # group, so it matches nobody, as online; filtered, the list could become [], which reads as "all".
    selected = list(kiosk.selection) if kiosk.selection is not None else None
    head = header_line({
        "expires_at": (entries.generated_at + VALID_FOR).isoformat(),
        "generated_at": entries.generated_at.isoformat(),
        "groups": entries.groups,
        "selected_group_ids": selected,
    })
    signer = hmac.new(bytes.fromhex(kiosk.token_hash), head, hashlib.sha256)
    signer.update(entries.body)
    tail = signature_line(signer)
    if gzip_ok:  # gzip members may follow each other: the entries' gzip is made once
        return CacheDocument(etag, gzip.compress(head) + entries.body_gzip + gzip.compress(tail), True)
    return CacheDocument(etag, head + entries.body + tail, False)
