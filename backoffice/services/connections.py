"""Who is the customer of a sale: the connection rule, the sale's history, and the cashier's prompts.

The rule (CONTRIBUTING.md, "Connecting a customer to a sale"):

- The first connection of a sale stands.  A later match for another customer
  (a confirmed registration, the phone form, a card or code scanned at the
  kiosk or at the till, Enter ID) never replaces it: it becomes a prompt
  "Replace Sara Nyberg with Elsa Ek?" that a staff member accepts or refuses.
- A match that only partly agreed (a phone number alone, a phone number with
  another name) connects nobody either: it becomes a prompt that says what did
  and did not agree.
- A kiosk never changes a closed sale.  A kiosk naming a sale that has closed
  since (its offline outbox) makes a prompt; staff track the receipt.
- Every connect, replace, disconnect and refused replace is written to the
  sale's history (``sale_connections``): who, when and how.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from counter_core.identity.normalize import mask_personal_id, mask_phone

from ..domain_errors import Conflict, NotFound
from ..models import ConnectionPrompt, Customer, MobileSession, Sale, SaleConnection, StaffUser, utcnow
from ..security import Vault
from ..shop_time import local_time
from . import audit, events

PROMPT_SECONDS = 600
REASONS = ("replace", "verify", "closed_sale")
# What was presented, as the prompt names it for the cashier.
PRESENTED = ("enter", "scan", "card", "vcard", "mecard", "bizcard", "aamva", "se_licence", "phone_form",
             "registration", "cashier")


@dataclass
class Outcome:
    """What became of a match: connected, already (the same customer), replaced, or prompted."""

    status: str
    prompt: ConnectionPrompt | None = None

    @property
    def connected(self) -> bool:
        return self.status in ("connected", "already", "replaced")


def _sale_state(db: Session, sale_id: int) -> tuple[int | None, str]:
    row = db.execute(select(Sale.customer_id, Sale.status).where(Sale.id == sale_id)).one()
    return row.customer_id, row.status


def record(db: Session, sale_id: int, action: str, *, customer_id: int | None, previous_id: int | None, via: str,
           actor: str) -> None:
    db.add(SaleConnection(sale_id=sale_id, action=action, customer_id=customer_id, previous_customer_id=previous_id,
                          via=via[:20], actor=actor[:100]))
    db.flush()


def _write(db: Session, sale, customer_id: int | None, via: str | None, *, expected: int | None) -> bool:
    """Set the sale's customer if it is still ``expected`` (compare-and-set: two matches at once cannot both win)."""
    values = {"customer_id": customer_id, "connected_via": via, "connected_at": utcnow() if customer_id else None}
    still = Sale.customer_id.is_(None) if expected is None else Sale.customer_id == expected
    done = db.execute(update(Sale).where(Sale.id == sale.id, still).values(**values)
                      .execution_options(synchronize_session=False)).rowcount == 1
    if isinstance(sale, Sale):
        db.expire(sale, ["customer_id", "connected_via", "connected_at", "customer"])
    return done


def _name(customer) -> str:
    return f"{customer.first_name} {customer.last_name}".strip()


def connect(
    db: Session,
    sale,
    customer,
    *,
    via: str,
    actor: str,
    staff: bool,
    presented: str = "",
    replace: bool = False,
    evidence: dict | None = None,
    mobile_session_id: int | None = None,
) -> Outcome:
    """Apply the connection rule to one match.

    ``sale`` needs id, reference and register_id; ``customer`` id, reference
    and names (ORM objects or plain rows).  ``staff`` says a staff member (or
    the POS integration) acts; only staff change a closed sale, and only
    ``replace=True`` (the cashier's explicit choice) replaces a customer.
    """
    current_id, status = _sale_state(db, sale.id)
    if current_id == customer.id:
        return Outcome("already")
    if status != "open" and not staff:
        return Outcome("prompted", propose(db, sale.register_id, sale.id, customer, reason="closed_sale", via=via,
                                           presented=presented, evidence=evidence, current_id=current_id,
                                           mobile_session_id=mobile_session_id))
    if current_id is not None and not replace:
        return Outcome("prompted", propose(db, sale.register_id, sale.id, customer, reason="replace", via=via,
                                           presented=presented, evidence=evidence, current_id=current_id,
                                           mobile_session_id=mobile_session_id))
    if not _write(db, sale, customer.id, via[:20], expected=current_id):
        # Another match connected somebody in between: decide again against what is there now.
        return connect(db, sale, customer, via=via, actor=actor, staff=staff, presented=presented, replace=False,
                       evidence=evidence, mobile_session_id=mobile_session_id)
    action = "replaced" if current_id is not None else "connected"
    record(db, sale.id, action, customer_id=customer.id, previous_id=current_id, via=via, actor=actor)
    if current_id is not None:
        audit.record(db, actor, "customer_replaced", customer.id, sale=sale.reference, via=via)
    events.publish(db, sale.register_id, "customer_connected", sale=sale.reference, customer=customer.reference,
                   name=_name(customer), via=via, replaced=current_id is not None)
    return Outcome(action)


def disconnect(db: Session, sale: Sale, *, actor: str) -> bool:
    """Take the customer off a sale (staff only); recorded in the sale's history."""
    current_id = sale.customer_id
    if current_id is None:
        return False
    if not _write(db, sale, None, None, expected=current_id):
        return False
    record(db, sale.id, "disconnected", customer_id=None, previous_id=current_id, via="cashier", actor=actor)
    audit.record(db, actor, "customer_disconnected", current_id, sale=sale.reference)
    events.publish(db, sale.register_id, "customer_disconnected", sale=sale.reference)
    return True


def propose(
    db: Session,
    register_id: int,
    sale_id: int | None,
    customer,
    *,
    reason: str,
    via: str,
    presented: str,
    evidence: dict | None = None,
    current_id: int | None = None,
    mobile_session_id: int | None = None,
) -> ConnectionPrompt:
    """Ask the register's cashier; the same pending question is asked once.

    ``current_id`` defaults to the sale's customer now: accepting replaces them.
    """
    if current_id is None and sale_id is not None:
        current_id = _sale_state(db, sale_id)[0]
    existing = db.execute(
        select(ConnectionPrompt).where(
            ConnectionPrompt.register_id == register_id,
            ConnectionPrompt.status == "pending",
            ConnectionPrompt.customer_id == customer.id,
            ConnectionPrompt.sale_id == sale_id if sale_id is not None else ConnectionPrompt.sale_id.is_(None),
            ConnectionPrompt.expires_at > utcnow(),
        )
    ).scalars().first()
    if existing is not None and mobile_session_id is None:
        return existing
    prompt = ConnectionPrompt(
        register_id=register_id,
        sale_id=sale_id,
        customer_id=customer.id,
        current_customer_id=current_id,
        reason=reason,
        via=via[:20],
        presented=presented[:20],
        evidence=evidence,
        mobile_session_id=mobile_session_id,
        expires_at=utcnow() + dt.timedelta(seconds=PROMPT_SECONDS),
    )
    db.add(prompt)
    db.flush()
    events.publish(db, register_id, "connection_prompt", prompt=prompt.reference, reason=reason)
    return prompt


def get(db: Session, reference: str, *, register_id: int | None = None) -> ConnectionPrompt:
    stmt = select(ConnectionPrompt).where(ConnectionPrompt.reference == reference)
    if register_id is not None:
        stmt = stmt.where(ConnectionPrompt.register_id == register_id)
    prompt = db.execute(stmt).scalar_one_or_none()
    if prompt is None:
        raise NotFound("prompt_not_found", "This prompt does not exist or has been removed.")
    if prompt.status == "pending" and prompt.expires_at <= utcnow():
        _finish(db, prompt, "expired", None)
    return prompt


def list_pending(db: Session, register_id: int) -> list[ConnectionPrompt]:
    stmt = (
        select(ConnectionPrompt)
        .where(ConnectionPrompt.register_id == register_id, ConnectionPrompt.status == "pending",
               ConnectionPrompt.expires_at > utcnow())
        .order_by(ConnectionPrompt.id)
    )
    return list(db.execute(stmt).scalars())


def _require_pending(db: Session, prompt: ConnectionPrompt) -> None:
    if prompt.status == "pending" and prompt.expires_at <= utcnow():
        _finish(db, prompt, "expired", None)
    if prompt.status != "pending":
        raise Conflict(f"prompt_{prompt.status}", f"This prompt is already {prompt.status}.")


def accept(db: Session, prompt: ConnectionPrompt, *, staff_id: int | None, actor: str) -> Outcome:
    """The cashier says yes: connect (or replace) as the prompt said.

    A consent ticked on a phone form that did not prove who filled it in is
    not recorded, not even now: the cashier vouches for who is at the till,
    not for who held the phone.
    """
    _require_pending(db, prompt)
    customer = db.get(Customer, prompt.customer_id)
    sale = db.get(Sale, prompt.sale_id) if prompt.sale_id else None
    if sale is None:
        from .sales import open_sale_of

        sale = open_sale_of(db, prompt.register_id)
    outcome = Outcome("no_sale")
    if sale is not None:
        if sale.customer_id not in (None, prompt.customer_id, prompt.current_customer_id):
            raise Conflict("prompt_outdated", "The sale's customer has changed since; this prompt is outdated.")
        outcome = connect(db, sale, customer, via=prompt.via, actor=actor, staff=True, replace=True)
    session = db.get(MobileSession, prompt.mobile_session_id) if prompt.mobile_session_id else None
    if session is not None and session.status == "checking":
        session.status = "matched"
        session.customer_id = customer.id
        events.publish(db, session.register_id, "mobile_session_updated", session=session.reference, status="matched")
    audit.record(db, actor, "connection_prompt_accepted", customer.id, sale=sale.reference if sale else "",
                 via=prompt.via)
    _finish(db, prompt, "accepted", staff_id)
    return outcome


def refuse(db: Session, prompt: ConnectionPrompt, *, staff_id: int | None, actor: str) -> None:
    """The cashier says no: nothing changes on the sale; the refusal is in its history."""
    _require_pending(db, prompt)
    if prompt.sale_id:
        record(db, prompt.sale_id, "refused", customer_id=prompt.customer_id, previous_id=prompt.current_customer_id,
               via=prompt.via, actor=actor)
    session = db.get(MobileSession, prompt.mobile_session_id) if prompt.mobile_session_id else None
    if session is not None and session.status == "checking":
        session.status = "expired"
        events.publish(db, session.register_id, "mobile_session_updated", session=session.reference, status="expired")
    audit.record(db, actor, "connection_prompt_refused", prompt.customer_id, via=prompt.via)
    _finish(db, prompt, "refused", staff_id)


def _finish(db: Session, prompt: ConnectionPrompt, status: str, staff_id: int | None) -> None:
    prompt.status = status
    prompt.resolved_at = utcnow()
    prompt.resolved_by = staff_id
    if status == "expired" and prompt.mobile_session_id:
        session = db.get(MobileSession, prompt.mobile_session_id)
        if session is not None and session.status == "checking":
            session.status = "expired"
    db.flush()
    events.publish(db, prompt.register_id, "connection_prompt_resolved", prompt=prompt.reference, status=status)


def staff_view(db: Session, vault: Vault, prompt: ConnectionPrompt, *, timezone: str = "UTC") -> dict:
    """What the cashier sees: who would be connected, who is now, what was presented and what agreed."""
    customer = db.get(Customer, prompt.customer_id)
    current = db.get(Customer, prompt.current_customer_id) if prompt.current_customer_id else None
    sale = db.get(Sale, prompt.sale_id) if prompt.sale_id else None
    evidence = prompt.evidence or {}
    identifiers = {}
    if customer is not None:
        phone = vault.decrypt(customer.phone_enc) if customer.phone_enc else ""
        pid = vault.decrypt(customer.personal_id_enc) if customer.personal_id_enc else ""
        identifiers = {"phone": mask_phone(phone) if phone else "",
                       "personal_id": mask_personal_id(pid) if pid else ""}
    return {
        "reference": prompt.reference,
        "reason": prompt.reason,
        "status": prompt.status,
        "presented": prompt.presented,
        "via": prompt.via,
        "customer": {"reference": customer.reference, "name": customer.display_name,
                     "first_name": customer.first_name, "customer_number": customer.customer_number,
                     **identifiers} if customer else None,
        "current": {"reference": current.reference, "name": current.display_name} if current else None,
        "sale": {"reference": sale.reference, "status": sale.status, "receipt_number": sale.receipt_number}
        if sale else None,
        "agreed": list(evidence.get("agreed", [])),
        "differed": list(evidence.get("differed", [])),
        "created_at": prompt.created_at.isoformat(),
        "expires_at": prompt.expires_at.isoformat(),
        "created_time": local_time(prompt.created_at, timezone, "%H:%M"),  # the shop's clock (settings.shop_timezone)
        "expires_time": local_time(prompt.expires_at, timezone, "%H:%M"),
    }


def history(db: Session, sale_id: int) -> list[dict]:
    """The sale's connections, oldest first: action, customer, the one before, how, who, when."""
    rows = db.execute(
        select(SaleConnection).where(SaleConnection.sale_id == sale_id).order_by(SaleConnection.id)
    ).scalars()
    out = []
    names: dict[int, str] = {}

    def name(customer_id: int | None) -> str:
        if customer_id is None:
            return ""
        if customer_id not in names:
            customer = db.get(Customer, customer_id)
            names[customer_id] = customer.display_name if customer else ""
        return names[customer_id]

    for row in rows:
        out.append({"action": row.action, "customer": name(row.customer_id), "previous": name(row.previous_customer_id),
                    "via": row.via, "actor": _actor_name(db, row.actor), "at": row.at})
    return out


def _actor_name(db: Session, actor: str) -> str:
    """Who acted, for the console: a staff member's name, the kiosk's or API key's name, "phone form"."""
    kind, _, ident = actor.partition(":")
    if kind == "staff" and ident:
        member = db.execute(select(StaffUser).where(StaffUser.username == ident)).scalar_one_or_none()
        if member is not None:
            return member.display_name or member.username
    if kind == "mobile":
        return ""  # the phone form: the history's "how" says so
    return ident or actor


def purge(db: Session) -> int:
    """Expire overdue prompts (the console drops them) and delete answered ones after a day.

    What was decided stays in the sale's history and the audit trail.
    """
    now = utcnow()
    overdue = list(db.execute(select(ConnectionPrompt).where(ConnectionPrompt.status == "pending",
                                                             ConnectionPrompt.expires_at <= now)).scalars())
    for prompt in overdue:
        _finish(db, prompt, "expired", None)
    old = select(ConnectionPrompt).where(ConnectionPrompt.status != "pending",
                                         ConnectionPrompt.resolved_at < now - dt.timedelta(days=1))
    for prompt in db.execute(old).scalars():
        db.delete(prompt)
    return len(overdue)
