"""CSV export of the customer list, for an e-mail client or a spreadsheet.

Rows are read in keyset batches by id, each batch in its own short
transaction, and written out as they come: memory stays flat at a million
customers and no transaction is held open for the whole download.  Cells that
a spreadsheet would run as a formula are prefixed with a quote.

The file opens as it is in the staff member's Excel: a UTF-8 byte-order mark,
semicolons where the decimal separator is a comma (Swedish, French), commas
in English; column titles, yes/no and times in their language and the shop's
time zone.  Phone numbers are written the way a spreadsheet keeps as text
without a visible quote: national at home ("070-123 45 67"), "00" and the
international form abroad ("00 47 412 34 567"), never a leading "+".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import phonenumbers
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from ..models import ConsentRecord, Customer, CustomerLabel, Label
from ..security import Vault
from ..shop_time import local_time

BATCH = 1000
HEADER = (  # the column titles (msgids of the staff pages' catalogue)
    "Customer number", "First name", "Last name", "E-mail", "Mobile phone", "Street address", "Postal code", "City",
    "Country", "Labels", "Marketing consent", "Created",
)
SEMICOLON_LANGUAGES = ("sv", "fr")  # their Excel takes the comma for decimals and splits on semicolons
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARKETING = "marketing"


def safe_cell(value: object) -> str:
    """The cell as text; one starting like a formula gets a leading quote so that it stays text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _english(message: str, **values: object) -> str:
    return message.format(**values) if values else message


def spreadsheet_phone(e164: str, region: str) -> str:
    """A stored phone number as a spreadsheet keeps it, as text and readable (see the module's docstring)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return safe_cell(e164)
    if phonenumbers.region_code_for_number(parsed) == region:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return "00 " + international.removeprefix("+")


def delimiter_for(language: str) -> str:
    return ";" if language in SEMICOLON_LANGUAGES else ","


def _marketing_consent():
    return exists().where(
        ConsentRecord.customer_id == Customer.id,
        ConsentRecord.purpose == MARKETING,
        ConsentRecord.withdrawn_at.is_(None),
    )


def _batch(db: Session, after_id: int, marketing_only: bool) -> list:
    stmt = (
        select(
            Customer.id, Customer.customer_number, Customer.first_name, Customer.last_name, Customer.email,
            Customer.phone_enc, Customer.street, Customer.postal_code, Customer.city, Customer.country,
            Customer.created_at, _marketing_consent().label("marketing"),
        )
        .where(Customer.id > after_id)
        .order_by(Customer.id)
        .limit(BATCH)
    )
    if marketing_only:
        stmt = stmt.where(_marketing_consent())
    return list(db.execute(stmt))


def _labels(db: Session, ids: list[int]) -> dict[int, list[str]]:
    stmt = (
        select(CustomerLabel.customer_id, Label.name)
        .join(Label, Label.id == CustomerLabel.label_id)
        .where(CustomerLabel.customer_id.in_(ids))
        .order_by(Label.name)
    )
    out: dict[int, list[str]] = {}
    for customer_id, name in db.execute(stmt):
        out.setdefault(customer_id, []).append(name)
    return out


def csv_chunks(
    sessions: sessionmaker[Session], vault: Vault, *, marketing_only: bool, language: str = "en",
    _: Callable[..., str] = _english, region: str = "SE", timezone: str = "UTC",
) -> Iterator[bytes]:
    """The export, chunk by chunk: a header, then one chunk per batch of customers (``_``: the language's gettext)."""
    delimiter = delimiter_for(language)
    yes, no = _("yes"), _("no")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([_(title) for title in HEADER])
    yield ("\ufeff" + buffer.getvalue()).encode()  # the BOM makes spreadsheet programs read UTF-8
    after_id = 0
    while True:
        with sessions() as db:
            rows = _batch(db, after_id, marketing_only)
            labels = _labels(db, [r.id for r in rows]) if rows else {}
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter)
        for row in rows:
            phone = spreadsheet_phone(vault.decrypt(row.phone_enc), region) if row.phone_enc else ""
            cells = [safe_cell(v) for v in (
                row.customer_number, row.first_name, row.last_name, row.email or "", None, row.street,
                row.postal_code, row.city, row.country, ", ".join(labels.get(row.id, [])),
                yes if row.marketing else no, local_time(row.created_at, timezone),
            )]
            cells[4] = phone  # already text a spreadsheet keeps: no quote in front
            writer.writerow(cells)
        yield buffer.getvalue().encode()
        after_id = rows[-1].id
