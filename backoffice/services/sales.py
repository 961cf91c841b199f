"""Sales on a register: open, add lines, connect a customer, close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from ..domain_errors import Conflict, NotFound
from ..models import Register, Sale, SaleLine
from ..numbers import fits_row_id, is_number
from . import connections, events
from .counters import next_value


def get_register(db: Session, name_or_id: str | int) -> Register:
    stmt = select(Register)
    if (isinstance(name_or_id, int) or is_number(str(name_or_id))) and fits_row_id(int(name_or_id)):
        stmt = stmt.where((Register.id == int(name_or_id)) | (Register.name == str(name_or_id)))
    else:
        stmt = stmt.where(Register.name == str(name_or_id))
    register = db.execute(stmt).scalars().first()
    if register is None:
        raise NotFound("register_not_found", f"There is no register called {name_or_id!r}.")
    return register


def _open_sale_filter(register_id: int):
    return (Sale.register_id == register_id, Sale.status == "open")


def open_sale_of(db: Session, register_id: int) -> Sale | None:
    stmt = select(Sale).where(*_open_sale_filter(register_id)).order_by(Sale.id.desc())
    return db.execute(stmt.limit(1)).scalar_one_or_none()


_OPEN_SALE_ROW = (
    select(Sale.id, Sale.reference, Sale.register_id)
    .where(Sale.register_id == bindparam("register"), Sale.status == "open")
    .order_by(Sale.id.desc())
    .limit(1)
)


def open_sale_row(db: Session, register_id: int):
    """The open sale's id, reference and register as a plain row (identify's hot path)."""
    return db.connection().execute(_OPEN_SALE_ROW, {"register": register_id}).first()


_SALE_ROW_BY_REFERENCE = select(Sale.id, Sale.reference, Sale.register_id).where(
    Sale.reference == bindparam("reference"), Sale.register_id == bindparam("register")
)


def sale_for_request(db: Session, register_id: int, reference: str | None):
    """The sale a kiosk request is about: the one it names (even if closed since), else the open one."""
    if reference:
        row = db.connection().execute(_SALE_ROW_BY_REFERENCE, {"reference": reference, "register": register_id}).first()
        if row is not None:
            return row
    return open_sale_row(db, register_id)


def get_sale(db: Session, reference: str) -> Sale:
    sale = db.execute(select(Sale).where(Sale.reference == reference)).scalar_one_or_none()
    if sale is None:
        raise NotFound("sale_not_found", "No sale has this reference.")
    return sale


def open_sale(db: Session, register: Register, *, external_ref: str | None = None, lines: list[dict] = ()) -> Sale:
    """Open a sale; a register has at most one open sale at a time."""
    if open_sale_of(db, register.id) is not None:
        raise Conflict("sale_already_open", f"Register {register.name} already has an open sale; close it first.")
    sale = Sale(register_id=register.id, external_ref=external_ref)
    db.add(sale)
    db.flush()
    if lines:
        add_lines(db, sale, lines)
    events.publish(db, register.id, "sale_opened", sale=sale.reference)
    return sale


def add_lines(db: Session, sale: Sale, lines: list[dict]) -> None:
    if sale.status != "open":
        raise Conflict("sale_closed", "This sale is closed; its lines cannot change.")
    position = len(sale.lines)
    for line in lines:
        position += 1
        sale.lines.append(
            SaleLine(
                position=position,
                product=line["product"],
                brand=line.get("brand") or "",
                variant=line.get("variant") or "",
                quantity=Decimal(str(line.get("quantity", 1))),
                unit_price=Decimal(str(line.get("unit_price", 0))),
            )
        )
    sale.total = sum((ln.quantity * ln.unit_price for ln in sale.lines), Decimal(0)).quantize(Decimal("0.01"))
    db.flush()
    events.publish(db, sale.register_id, "sale_updated", sale=sale.reference)


def connect_customer(db: Session, sale, customer, *, via: str, actor: str = "system") -> None:
    """A staff member's deliberate choice of customer for a sale (back office, demo data): see ``connections``.

    ``sale`` needs id, reference and register_id; ``customer`` needs id,
    reference, first_name and last_name: ORM objects or plain rows both do.
    Recorded in the sale's history like every other connection.
    """
    connections.connect(db, sale, customer, via=via, actor=actor, staff=True, replace=True)


def disconnect_customer(db: Session, sale: Sale, *, actor: str = "system") -> None:
    connections.disconnect(db, sale, actor=actor)


def close_sale(db: Session, sale: Sale) -> Sale:
    if sale.status != "open":
        raise Conflict("sale_closed", "This sale is already closed.")
    sale.status = "closed"
    sale.closed_at = dt.datetime.now(dt.UTC)
    sale.receipt_number = next_value(db, "receipt_number")
    db.flush()
    events.publish(db, sale.register_id, "sale_closed", sale=sale.reference)
    return sale


def sale_view(sale: Sale) -> dict:
    customer = sale.customer
    return {
        "reference": sale.reference,
        "register": sale.register.name,
        "status": sale.status,
        "receipt_number": sale.receipt_number,
        "external_ref": sale.external_ref,
        "total": str(sale.total),
        "currency": sale.currency,
        "opened_at": sale.opened_at.isoformat(),
        "closed_at": sale.closed_at.isoformat() if sale.closed_at else None,
        "customer": (
            {"reference": customer.reference, "customer_number": customer.customer_number, "name": customer.display_name}
            if customer
            else None
        ),
        "connected_via": sale.connected_via,
        "lines": [
            {
                "product": ln.product,
                "brand": ln.brand,
                "variant": ln.variant,
                "quantity": str(ln.quantity.normalize()),
                "unit_price": str(ln.unit_price),
            }
            for ln in sale.lines
        ],
    }


def list_sales(db: Session, *, register_id: int | None = None, status: str | None = None,
               without_customer: bool = False, customer_id: int | None = None, limit: int = 50) -> list[Sale]:
    """Sales newest first, narrowed by register, status, customer or the lack of one."""
    stmt = select(Sale).order_by(Sale.id.desc()).limit(limit)
    if register_id is not None:
        stmt = stmt.where(Sale.register_id == register_id)
    if status:
        stmt = stmt.where(Sale.status == status)
    if without_customer:
        stmt = stmt.where(Sale.customer_id.is_(None))
    if customer_id is not None:
        stmt = stmt.where(Sale.customer_id == customer_id)
    return list(db.execute(stmt).scalars())


def sales_page(db: Session, *, register_id: int | None, untracked: bool, before: int | None,
               size: int) -> tuple[list[Sale], int | None]:
    """One keyset page of sales for the back office (lines, customer and register loaded) and the next ``before``."""
    stmt = (
        select(Sale)
        .options(selectinload(Sale.lines), selectinload(Sale.customer), selectinload(Sale.register))
        .order_by(Sale.id.desc())
        .limit(size + 1)
    )
    if register_id:
        stmt = stmt.where(Sale.register_id == register_id)
    if untracked:
        stmt = stmt.where(Sale.customer_id.is_(None), Sale.status == "closed")
    if before:
        stmt = stmt.where(Sale.id < before)
    rows = list(db.execute(stmt).scalars())
    more = len(rows) > size
    rows = rows[:size]
    return rows, rows[-1].id if more and rows else None
