"""The back office's customer list: search, sort and keyset pages that stay fast at a million rows.

Every page is one index range scan from a cursor (the last row's sort key and
id), never OFFSET.  A name search is two sorted streams read one after the
other: customers whose last name starts with the text, then those whose first
name does (and whose last name does not, so nobody appears twice).  The total
is counted at most once a minute per process.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, not_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from ..models import Customer
from ..security import Vault
from .customers import (
    _exact_identifier,
    by_number_or_phone_ending,
    find_by_identifier,
    is_phone_ending,
    phone_ending_key,
    search_text,
)

PAGE_SIZE = 50
COUNT_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class Sort:
    label: str
    key: str  # customer_number | search_last | search_name
    descending: bool = False


SORTS = {
    "newest": Sort("Newest first", "customer_number", descending=True),
    "oldest": Sort("Oldest first", "customer_number"),
    "last_name": Sort("Last name A–Z", "search_last"),
    "last_name_desc": Sort("Last name Z–A", "search_last", descending=True),
    "first_name": Sort("First name A–Z", "search_name"),
}
DEFAULT_SORT = "newest"


@dataclass(frozen=True)
class Stream:
    """One ordered run of rows: a filter, the sort key and its direction."""

    key: str
    descending: bool = False
    where: ColumnElement[bool] | None = None

    def columns(self) -> tuple:
        column = getattr(Customer, self.key)
        # customer_number is unique on its own; names need the id to break ties
        return (column,) if self.key == "customer_number" else (column, Customer.id)

    def cursor_of(self, customer: Customer) -> list:
        return [getattr(customer, self.key)] + ([] if self.key == "customer_number" else [customer.id])


@dataclass
class Page:
    customers: list[Customer]
    next_cursor: str | None
    prev_cursor: str | None
    exact: bool = False  # an identifier (phone, number, e-mail...) was recognised


def encode_cursor(stream: int, values: list) -> str:
    raw = json.dumps([stream, *values], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, streams: list[Stream]) -> tuple[int, list] | None:
    """The stream index and key values in a cursor, or None when it is not one of ours."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(raw, list) or not raw or not isinstance(raw[0], int) or not 0 <= raw[0] < len(streams):
        return None
    stream, values = raw[0], raw[1:]
    expected = streams[stream].columns()
    if len(values) != len(expected):
        return None
    for column, value in zip(expected, values, strict=True):
        wanted = str if column.key in ("search_last", "search_name") else int
        if not isinstance(value, wanted) or isinstance(value, bool):
            return None
        if wanted is int and not -(2**63) <= value < 2**63:  # beyond any integer column: SQLite cannot bind it
            return None
    return stream, values


def _read(db: Session, stream: Stream, after: list | None, forward: bool, limit: int) -> list[Customer]:
    """Up to ``limit`` rows of a stream, after (forward) or before (backward) a cursor, in reading order."""
    columns = stream.columns()
    ascending = forward != stream.descending
    stmt = select(Customer).options(selectinload(Customer.labels), selectinload(Customer.tags))
    if stream.where is not None:
        stmt = stmt.where(stream.where)
    if after is not None:
        position = tuple_(*columns) if len(columns) > 1 else columns[0]
        value = tuple_(*after) if len(columns) > 1 else after[0]
        stmt = stmt.where(position > value if ascending else position < value)
    stmt = stmt.order_by(*(c.asc() if ascending else c.desc() for c in columns)).limit(limit)
    rows = list(db.execute(stmt).scalars())
    return rows if forward else rows[::-1]


def _page(db: Session, streams: list[Stream], cursor: str | None, forward: bool, size: int) -> Page:
    """Read a page across the concatenated streams from a cursor, one index scan per stream touched."""
    position = decode_cursor(cursor, streams) if cursor else None
    if position is None:
        forward, index, after = True, 0, None
    else:
        index, after = position
    rows: list[tuple[int, Customer]] = []
    want = size + 1  # one more tells whether there is a further page
    while 0 <= index < len(streams) and len(rows) < want:
        got = _read(db, streams[index], after, forward, want - len(rows))
        tagged = [(index, c) for c in got]
        rows = rows + tagged if forward else tagged + rows
        index, after = (index + 1, None) if forward else (index - 1, None)
    more = len(rows) > size
    rows = rows[:size] if forward else rows[-size:]
    if not rows:
        return Page([], None, None)
    first, last = rows[0], rows[-1]
    first_cursor = encode_cursor(first[0], streams[first[0]].cursor_of(first[1]))
    last_cursor = encode_cursor(last[0], streams[last[0]].cursor_of(last[1]))
    if forward:
        has_next, has_prev = more, position is not None
    else:
        has_next, has_prev = True, more
    return Page([c for _, c in rows], last_cursor if has_next else None, first_cursor if has_prev else None)


def name_streams(q: str) -> list[Stream]:
    """Last-name matches, then first-name matches that are not also last-name matches."""
    folded = q.casefold()
    upper = folded + "\U0010ffff"
    last_match = and_(Customer.search_last >= folded, Customer.search_last < upper)
    first_match = and_(Customer.search_name >= folded, Customer.search_name < upper)
    return [Stream("search_last", where=last_match), Stream("search_name", where=and_(first_match, not_(last_match)))]


def list_page(
    db: Session,
    vault: Vault,
    *,
    q: str = "",
    sort: str = DEFAULT_SORT,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the customer list: by identifier, by name prefix, or the whole list sorted."""
    q = search_text(q)
    if q and is_phone_ending(q):
        return Page(by_number_or_phone_ending(db, vault, q, limit=size), None, None, exact=True)
    if q:
        exact = _exact_identifier(q)
        if exact:
            found = find_by_identifier(db, vault, *exact)
            if found is not None or exact[0] != "customer_number":
                return Page([found] if found else [], None, None, exact=True)
        streams = name_streams(q)
    else:
        chosen = SORTS.get(sort) or SORTS[DEFAULT_SORT]
        streams = [Stream(chosen.key, chosen.descending)]
    if before:
        return _page(db, streams, before, False, size)
    return _page(db, streams, after, True, size)


def fill_phone_endings(db: Session, vault: Vault, *, batch: int = 500) -> int:
    """Compute the phone-ending lookup of customers stored before it existed; returns how many were filled.

    The housekeeping round calls this until nothing is left: once every row has
    a value ("" without a phone) the query is one look-up in the index.
    """
    rows = list(db.execute(select(Customer).where(Customer.phone_ending_lookup.is_(None)).limit(batch)).scalars())
    for customer in rows:
        phone = vault.decrypt(customer.phone_enc) if customer.phone_enc else ""
        customer.phone_ending_lookup = phone_ending_key(vault, phone) if phone else ""
    return len(rows)


class _CountCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, int]] = {}

    def get(self, db: Session) -> int:
        key = str(db.get_bind().url)
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(key)
        if cached and now - cached[0] < COUNT_TTL_SECONDS:
            return cached[1]
        total = db.execute(select(func.count(Customer.id))).scalar_one()
        with self._lock:
            self._values[key] = (now, total)
        return total

    def forget(self) -> None:
        with self._lock:
            self._values.clear()


count_cache = _CountCache()


def approximate_total(db: Session) -> int:
    """The number of customers, counted at most once a minute (a list page must not count a million rows)."""
    return count_cache.get(db)
