"""Evidence: what a presented identity (phone form, contact card, licence) has in common with a customer.

Which identifiers are enough on their own to connect a customer is written
in CONTRIBUTING.md ("Connecting a customer to a sale").  This module only
says what agreed and what did not; the callers apply the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from counter_core.identity.normalize import InvalidIdentifier, normalize_name

from ..models import Customer
from ..security import Vault
from .customers import find_by_identifier


@dataclass
class Evidence:
    """What a presented identity has in common with the customer it points to.

    ``agreed`` and ``differed`` name fields: personal_id, phone, email,
    first_name, last_name.  A field not presented, or that the customer has
    not stored, is in neither list.
    """

    customer: Customer
    agreed: list[str] = field(default_factory=list)
    differed: list[str] = field(default_factory=list)

    @property
    def names_agree(self) -> bool:
        return "first_name" in self.agreed and "last_name" in self.agreed

    @property
    def proven(self) -> bool:
        """Both names and at least one identifier agree, and no identifier points elsewhere."""
        identifiers = ("personal_id", "phone", "email")
        return (self.names_agree and any(k in self.agreed for k in identifiers)
                and not any(k in self.differed for k in identifiers))

    def as_dict(self) -> dict:
        return {"agreed": list(self.agreed), "differed": list(self.differed)}


def same_name(typed: object, stored: str | None) -> bool:
    """Names agree when they are the same letters, ignoring case and spacing (Å is not A)."""
    try:
        return normalize_name(str(typed or "")).casefold() == normalize_name(stored or "").casefold()
    except InvalidIdentifier:
        return False


def weigh(db: Session, vault: Vault, fields: dict) -> Evidence | None:
    """The customer that presented identifiers point to (personal ID first), and what agreed with them.

    None when no identifier is anyone's.  An identifier that belongs to
    another customer than the one chosen counts as differing.
    """
    found: dict[str, Customer] = {}
    for kind in ("personal_id", "phone", "email"):
        if fields.get(kind):
            customer = find_by_identifier(db, vault, kind, fields[kind])
            if customer is not None:
                found[kind] = customer
    if not found:
        return None
    customer = next(iter(found.values()))
    evidence = Evidence(customer)
    for kind in ("personal_id", "phone", "email"):
        if not fields.get(kind):
            continue
        if found.get(kind) is customer:
            evidence.agreed.append(kind)
        elif kind in found or _stored(customer, kind):
            evidence.differed.append(kind)
    for kind in ("first_name", "last_name"):
        if fields.get(kind):
            (evidence.agreed if same_name(fields[kind], getattr(customer, kind)) else evidence.differed).append(kind)
    return evidence


def _stored(customer: Customer, kind: str) -> bool:
    return bool({"personal_id": customer.personal_id_lookup, "phone": customer.phone_lookup,
                 "email": customer.email}[kind])
