"""What the cashier console shows and does: the register's sale, the customer panel, scans at the till.

A keyboard-wedge scanner types whatever the code holds into the console's
search field; ``scan`` turns that text into an action the page carries out:
connect a customer, link a card, open the create form pre-filled, or search.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_core.identity import parse_payload

from ..domain_errors import Invalid
from ..models import Customer, IdCard, Register, Sale, SaleLine
from ..runtime import Runtime
from . import audit, cards, connections, consent, customers
from .evidence import weigh
from .groups import groups_of
from .matching import LICENCE_KINDS, card_fields
from .sales import open_sale_of

CARD_PAYLOADS = ("vcard", "mecard", "bizcard", "aamva", "se_licence")
PREFILL_FIELDS = (
    "first_name", "last_name", "phone", "email", "personal_id", "birth_date", "street", "postal_code", "city", "country",
)


def last_closed_sale(db: Session, register_id: int) -> Sale | None:
    stmt = (
        select(Sale)
        .where(Sale.register_id == register_id, Sale.status == "closed")
        .order_by(Sale.id.desc())
        .limit(1)
    )
    return db.execute(stmt).scalar_one_or_none()


def recent_purchases(db: Session, customer_id: int, limit: int = 8) -> list[dict]:
    """The customer's last bought items, newest first, with brand and size: "same size as last time?"."""
    stmt = (
        select(SaleLine, Sale.closed_at, Sale.opened_at, Sale.receipt_number)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(Sale.customer_id == customer_id)
        .order_by(Sale.id.desc(), SaleLine.position)
        .limit(limit)
    )
    return [
        {
            "product": line.product,
            "brand": line.brand,
            "variant": line.variant,
            "quantity": line.quantity.normalize(),
            "unit_price": line.unit_price,
            "when": closed_at or opened_at,
            "receipt_number": receipt,
        }
        for line, closed_at, opened_at, receipt in db.execute(stmt)
    ]


def customer_panel(db: Session, rt: Runtime, customer: Customer) -> dict:
    """The connected customer as the cashier sees them: masked identifiers, groups, cards, last purchases."""
    view = customers.staff_view(customer, rt.vault)
    view["groups"] = groups_of(db, customer.id, scanner_only=False)
    view["cards"] = list(db.execute(select(IdCard.code).where(IdCard.customer_id == customer.id)).scalars())
    view["marketing"] = consent.active(db, customer.id, "marketing") is not None
    view["purchases"] = recent_purchases(db, customer.id)
    return view


def snapshot(db: Session, rt: Runtime, register: Register) -> dict:
    """Everything the console's sale panel renders."""
    sale = open_sale_of(db, register.id)
    closed = None if sale else last_closed_sale(db, register.id)
    shown = sale or closed
    customer = db.get(Customer, shown.customer_id) if shown is not None and shown.customer_id else None
    history = connections.history(db, shown.id) if shown is not None else []
    connected = [h for h in history if h["action"] in ("connected", "replaced")]
    return {
        "register": register,
        "sale": sale,
        "closed": closed,
        "customer": customer_panel(db, rt, customer) if customer is not None else None,
        "history": history,
        "connection": connected[-1] if customer is not None and connected else None,
    }


def _connect(db: Session, register: Register, customer: Customer, *, via: str, actor: str, presented: str = "cashier",
             evidence: dict | None = None) -> dict:
    sale = open_sale_of(db, register.id)
    summary = {"reference": customer.reference, "name": customer.display_name,
               "customer_number": customer.customer_number}
    if sale is None:
        return {"outcome": "no_open_sale", "customer": summary,
                "message": f"{customer.display_name} found. Open a sale to connect them."}
    outcome = connections.connect(db, sale, customer, via=via, actor=actor, staff=True, presented=presented,
                                  evidence=evidence)
    if outcome.status == "prompted":
        current = db.get(Customer, outcome.prompt.current_customer_id) if outcome.prompt.current_customer_id else None
        return {"outcome": "prompted", "customer": summary, "prompt": outcome.prompt.reference,
                "current": {"reference": current.reference, "name": current.display_name} if current else None,
                "message": f"{current.display_name if current else 'Another customer'} is connected to this sale. "
                           f"Replace with {customer.display_name}? Answer the prompt."}
    if outcome.status == "already":
        return {"outcome": "connected", "customer": summary, "message": f"{customer.display_name} is already connected."}
    audit.record(db, actor, "customer_connected", customer.id, sale=sale.reference, via=via)
    return {"outcome": "connected", "customer": summary, "message": f"Connected {customer.display_name}."}


def scan(db: Session, rt: Runtime, register: Register, text: str, *, actor: str) -> dict:
    """Act on what a scanner typed (or the cashier entered and sent with Enter)."""
    text = text.strip()
    if not text:
        raise Invalid("empty_scan", "Type a name or number, or scan a code.")
    identity = parse_payload(text)
    if identity.kind == "card_code":
        card = db.execute(select(IdCard).where(IdCard.code == identity.to_dict()["card_code"])).scalar_one_or_none()
        if card is not None:
            return _card_scanned(db, rt, register, card, actor=actor)
    elif identity.kind == "customer_number":
        found = customers.find_by_identifier(db, rt.vault, "customer_number", identity.to_dict()["customer_number"])
        if found is not None:
            return _connect(db, register, found, via="cashier_scan", actor=actor)
    elif identity.kind in CARD_PAYLOADS:
        return _contact_scanned(db, rt, register, identity.to_dict(), actor=actor)
    return {"outcome": "search", "query": text[:100]}


def _card_scanned(db: Session, rt: Runtime, register: Register, card: IdCard, *, actor: str) -> dict:
    if card.customer_id is not None:
        return _connect(db, register, db.get(Customer, card.customer_id), via="cashier_card", actor=actor)
    sale = open_sale_of(db, register.id)
    if sale is not None and sale.customer_id is not None:
        # A new card handed out during a sale belongs to that sale's customer (as on Lightspeed).
        owner = db.get(Customer, sale.customer_id)
        cards.link(db, card, owner, actor=actor)
        return {"outcome": "card_linked", "card": card.code,
                "customer": {"reference": owner.reference, "name": owner.display_name},
                "message": f"Card {card.code} is now linked to {owner.display_name}."}
    return {"outcome": "link_card", "card": card.code,
            "message": f"Card {card.code} is not linked yet. Find the customer and press Link card."}


def _contact_scanned(db: Session, rt: Runtime, register: Register, parsed: dict, *, actor: str) -> dict:
    try:
        fields = card_fields(parsed)
    except Invalid:
        fields = {}  # a field the card got wrong: the cashier corrects it in the form
    evidence = weigh(db, rt.vault, fields)
    if evidence is not None:
        customer = evidence.customer
        kind = parsed.get("kind", "")
        if evidence.proven or (kind in LICENCE_KINDS and "personal_id" in evidence.agreed):
            return _connect(db, register, customer, via="cashier_scan", actor=actor, presented=kind,
                            evidence=evidence.as_dict())
        # Partly agreed (a phone or e-mail alone, another name): the cashier checks before anything connects.
        sale = open_sale_of(db, register.id)
        prompt = connections.propose(db, register.id, sale.id if sale else None, customer, reason="verify",
                                     via="cashier_scan", presented=kind, evidence=evidence.as_dict(),
                                     current_id=sale.customer_id if sale else None)
        return {"outcome": "prompted", "prompt": prompt.reference, "current": None,
                "message": "This code only partly matches a customer. Check the prompt before connecting anyone."}
    prefill = {k: str(fields.get(k) or parsed.get(k) or "") for k in PREFILL_FIELDS}
    address = parsed.get("address") or {}
    for key in ("street", "postal_code", "city", "country"):
        prefill[key] = prefill[key] or str(address.get(key) or "")
    return {"outcome": "create", "prefill": prefill, "kind": parsed.get("kind", ""),
            "message": "Not a customer yet. Check the details and press Create customer."}


def create_and_connect(
    db: Session, rt: Runtime, register: Register, data: dict, *, marketing: bool, actor: str
) -> tuple[Customer, dict]:
    """Create a customer at the register and connect them to the open sale, if there is one."""
    fields = customers.clean_fields(data, region=rt.settings.default_region)
    customer = customers.create_customer(db, rt.vault, fields, created_by="cashier", actor=actor)
    if marketing:
        consent.give(db, customer, purpose="marketing", channel="cashier", source=actor)
    return customer, _connect(db, register, customer, via="cashier", actor=actor)


def link_card(db: Session, rt: Runtime, register: Register, code: str, customer: Customer, *, actor: str) -> dict:
    """Link a scanned card to the chosen customer and connect them to the open sale."""
    card = cards.get_card(db, code)
    cards.link(db, card, customer, actor=actor)
    outcome = _connect(db, register, customer, via="cashier_card", actor=actor)
    outcome["card"] = card.code
    tail = {"connected": "", "prompted": " Another customer is on the sale: answer the prompt to replace them."}
    outcome["message"] = f"Card {card.code} is now linked to {customer.display_name}." + tail.get(
        outcome["outcome"], " No sale is open."
    )
    return outcome
