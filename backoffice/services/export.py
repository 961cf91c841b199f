"""CSV export of the customer list, for an e-mail client or a spreadsheet.

Rows are read in keyset batches by id, each batch in its own short
transaction, and written out as they come: memory stays flat at a million
customers and no transaction is held open for the whole download.  Cells that
a spreadsheet would run as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from ..models import ConsentRecord, Customer, CustomerLabel, Label
from ..security import Vault

BATCH = 1000
HEADER = (
    "customer_number", "first_name", "last_name", "email", "phone", "street", "postal_code", "city", "country",
    "labels", "marketing_consent", "created_at",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARKETING = "marketing"


def safe_cell(value: object) -> str:
    """The cell as text; one starting like a formula gets a leading quote so that it stays text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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


def csv_chunks(sessions: sessionmaker[Session], vault: Vault, *, marketing_only: bool) -> Iterator[bytes]:
    """The export, chunk by chunk: a header, then one chunk per batch of customers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield ("\ufeff" + buffer.getvalue()).encode()  # the BOM makes spreadsheet programs read UTF-8
    after_id = 0
    while True:
        with sessions() as db:
            rows = _batch(db, after_id, marketing_only)
            labels = _labels(db, [r.id for r in rows]) if rows else {}
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        row.customer_number, row.first_name, row.last_name, row.email or "",
                        vault.decrypt(row.phone_enc) if row.phone_enc else "", row.street, row.postal_code,
                        row.city, row.country, ", ".join(labels.get(row.id, [])), "yes" if row.marketing else "no",
                        row.created_at.isoformat(timespec="seconds"),
                    )
                ]
            )
        yield buffer.getvalue().encode()
        after_id = rows[-1].id
