"""ID cards: codes, batches, linking a card to a customer, and the card URL a QR carries."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..domain_errors import Conflict, Failed, Invalid, NotFound
from ..models import CardBatch, Customer, IdCard, utcnow
from . import audit

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DIGITAL_PREFIX = "DIGI"
PREFIX_RE = re.compile(r"^[A-Z0-9]{1,12}$")


def new_code(prefix: str) -> str:
    """``PREFIX-XXXXXXXX``: 40 random bits in Crockford base32 (no I, L, O, U to misread)."""
    return f"{prefix}-" + "".join(secrets.choice(CROCKFORD) for _ in range(8))


def card_url(base_url: str, code: str) -> str:
    return f"{base_url}/c/{code}"


def create_batch(db: Session, prefix: str, size: int, *, name: str = "", digital: bool = False) -> CardBatch:
    prefix = prefix.strip().upper()
    if not PREFIX_RE.match(prefix):
        raise Invalid("invalid_prefix", "A card prefix has 1 to 12 letters or digits.")
    if not 1 <= size <= 10000:
        raise Invalid("invalid_batch_size", "A batch has 1 to 10,000 cards.")
    batch = CardBatch(prefix=prefix, size=size, name=name or prefix, digital=digital)
    db.add(batch)
    db.flush()
    for _ in range(size):
        _insert_unique_card(db, batch)
    return batch


def _insert_unique_card(db: Session, batch: CardBatch, customer: Customer | None = None) -> IdCard:
    for _ in range(5):
        card = IdCard(code=new_code(batch.prefix), batch_id=batch.id)
        if customer is not None:
            card.customer_id = customer.id
            card.linked_at = utcnow()
        try:
            with db.begin_nested():
                db.add(card)
                db.flush()
            return card
        except IntegrityError:
            continue  # a collision in 40 bits is rare; draw again
    raise Failed("card_code_exhausted", "Could not draw a unique card code; try again.")


def digital_card_for(db: Session, customer: Customer) -> IdCard:
    """The customer's card for a phone's membership QR: an existing card, or a new digital one."""
    existing = db.execute(
        select(IdCard).where(IdCard.customer_id == customer.id).order_by(IdCard.id.desc()).limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    batch = db.execute(select(CardBatch).where(CardBatch.digital.is_(True)).limit(1)).scalar_one_or_none()
    if batch is None:
        batch = CardBatch(prefix=DIGITAL_PREFIX, size=0, name="Digital membership cards", digital=True)
        db.add(batch)
        db.flush()
    card = _insert_unique_card(db, batch, customer)
    batch.size += 1
    return card


def get_card(db: Session, code: str) -> IdCard:
    card = db.execute(select(IdCard).where(IdCard.code == code.strip().upper())).scalar_one_or_none()
    if card is None:
        raise NotFound("card_not_found", "No card has this code.")
    return card


def link(db: Session, card: IdCard, customer: Customer, *, actor: str) -> None:
    if card.customer_id is not None and card.customer_id != customer.id:
        raise Conflict("card_already_linked", "This card belongs to another customer; unlink it first.")
    card.customer_id = customer.id
    card.linked_at = utcnow()
    audit.record(db, actor, "card_linked", customer.id, card=card.code)


def unlink(db: Session, card: IdCard, *, actor: str) -> None:
    audit.record(db, actor, "card_unlinked", card.customer_id, card=card.code)
    card.customer_id = None
    card.linked_at = None


def batches_with_counts(db: Session) -> list[dict]:
    """Every batch, newest first, with how many cards it has and how many are linked."""
    linked = func.sum(case((IdCard.customer_id.is_not(None), 1), else_=0))
    stmt = (
        select(CardBatch, func.count(IdCard.id), linked)
        .outerjoin(IdCard, IdCard.batch_id == CardBatch.id)
        .group_by(CardBatch.id)
        .order_by(CardBatch.id.desc())
    )
    return [{"batch": b, "cards": n or 0, "linked": int(k or 0)} for b, n, k in db.execute(stmt)]


def get_batch(db: Session, batch_id: int) -> CardBatch:
    batch = db.get(CardBatch, batch_id)
    if batch is None:
        raise NotFound("batch_not_found", "This card batch does not exist.")
    return batch


def _cards_of_batch(batch_id: int, state: str):
    stmt = select(IdCard).where(IdCard.batch_id == batch_id)
    if state == "linked":
        stmt = stmt.where(IdCard.customer_id.is_not(None))
    elif state == "unlinked":
        stmt = stmt.where(IdCard.customer_id.is_(None))
    return stmt


def page_of_cards(db: Session, batch_id: int, state: str, after: int, size: int, *,
                  with_customers: bool = False) -> tuple[list[IdCard], int | None]:
    """One keyset page of a batch's cards (id order) and the ``after`` of the next page, or None on the last."""
    stmt = _cards_of_batch(batch_id, state).where(IdCard.id > after).order_by(IdCard.id).limit(size + 1)
    if with_customers:
        stmt = stmt.options(selectinload(IdCard.customer))
    rows = list(db.execute(stmt).scalars())
    more = len(rows) > size
    rows = rows[:size]
    return rows, rows[-1].id if more else None


def find_card(db: Session, code: str) -> IdCard | None:
    """The card with this code (as typed or in a link: trimmed, upper-cased), or None."""
    return db.execute(select(IdCard).where(IdCard.code == code.strip().upper()[:64])).scalar_one_or_none()
