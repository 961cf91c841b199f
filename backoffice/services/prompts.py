"""What a cashier console's prompt card shows: what was presented, masked identifiers, first name, times.

A card is built here once and rendered by one Jinja macro (console/_macros.html), both when the page
loads and when a live event asks the page to fetch it, so that a prompt reads the same either way.
Identifiers are masked (phone ``+46 •••• ••67``, personal ID ``19850412-****``, e-mail ``kl•••@…``): enough
for the cashier to ask "is this you?", not enough to read someone's number off the screen.

``presented`` is what the customer held up or did: Enter ID (what was typed), a vCard or other contact
card, a driving licence, the phone form, or a card.  A scanned registration names its kind; one stored
before kinds were kept is told by its fields (a licence has a birth date and neither phone nor e-mail).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from counter_core.identity.normalize import mask_email

from .. import shop_time
from ..models import Kiosk, PendingRegistration
from ..security import Vault
from . import registrations

# presented kind: (label, icon in the page's SVG sprite)
PRESENTED = {
    "enter": ("Enter ID", "keypad"),
    "vcard": ("vCard", "contact"),
    "mecard": ("MeCard", "contact"),
    "bizcard": ("Business card", "contact"),
    "aamva": ("Driving licence", "licence"),
    "se_licence": ("Driving licence", "licence"),
    "mobile": ("Phone form", "phone"),
    "card": ("Card", "card"),
}
TYPED = {"phone": "phone number", "personal_id": "personal ID", "email": "e-mail"}
# the masked identifiers a card lists, by field (pages translate these labels)
IDENTIFIER_LABELS = {"phone": "Phone", "personal_id": "Personal ID", "email": "E-mail", "birth_date": "Born"}
PHONE_FORM = "Phone form"


def presented_of(source: str, payload: dict) -> str:
    """The PRESENTED key of a registration: its source, or for a scan the kind of code scanned."""
    if source != "scan":
        return source if source in PRESENTED else "enter"
    kind = payload.get("presented")
    if kind in PRESENTED:
        return kind
    return "se_licence" if payload.get("birth_date") and not (payload.get("phone") or payload.get("email")) else "vcard"


def _iso(value: dt.datetime, timespec: str = "seconds") -> str:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat(timespec=timespec)


def registration_card(db: Session, vault: Vault, registration: PendingRegistration, *,
                      open_sale_id: int | None = None) -> dict:
    """Everything the registration's prompt card shows, identifiers masked."""
    view = registrations.staff_view(registration, vault)  # phone and personal ID masked there
    payload = vault.decrypt_json(registration.payload_enc) if registration.payload_enc else {}
    fields = view["fields"]
    presented = presented_of(registration.source, payload)
    label, icon = PRESENTED[presented]
    typed = ""
    if presented == "enter":
        typed = next((TYPED[k] for k in ("personal_id", "phone") if fields.get(k)), "")
    identifiers = [(IDENTIFIER_LABELS[key], fields[key]) for key in ("phone", "personal_id") if fields.get(key)]
    if fields.get("email"):
        identifiers.append((IDENTIFIER_LABELS["email"], mask_email(fields["email"])))
    if fields.get("birth_date"):
        identifiers.append((IDENTIFIER_LABELS["birth_date"], fields["birth_date"][:4]))
    kiosk = db.get(Kiosk, registration.kiosk_id) if registration.kiosk_id else None
    first, last = (payload.get("first_name") or "").strip(), (payload.get("last_name") or "").strip()
    return {
        "reference": registration.reference,
        "presented": presented,
        "presented_label": label,
        "typed": typed,  # Enter ID: what the number typed was taken for
        "icon": icon,
        "first_name": first,
        "last_initial": f"{last[0]}." if last else "",
        "needs_completion": view["needs_completion"],
        "identifiers": identifiers,
        "kiosk_name": kiosk.name if kiosk else (PHONE_FORM if registration.source == "mobile" else ""),
        "at_till": open_sale_id is not None and registration.sale_id == open_sale_id,
        "created_at": _iso(registration.created_at, "milliseconds"),  # orders the cards, newest first
        "created_local": shop_time.clock(registration.created_at),
        "expires_at": _iso(registration.expires_at),
        "expires_local": shop_time.clock(registration.expires_at),
    }


def pending_cards(db: Session, vault: Vault, register_id: int, *, open_sale_id: int | None) -> list[dict]:
    """The register's pending registrations as prompt cards, newest first (as live ones are added)."""
    pending = registrations.list_pending(db, register_id)
    return [registration_card(db, vault, r, open_sale_id=open_sale_id) for r in reversed(pending)]


def lockout_card(lock: dict) -> dict:
    """A lockout prompt from ``lockout.active_lockouts`` (or the live event's data)."""
    until = lock["until"]
    if isinstance(until, str):
        until = dt.datetime.fromisoformat(until)
    return {"kiosk": lock["kiosk"], "kiosk_name": lock["kiosk_name"], "until": _iso(until),
            "until_local": shop_time.clock(until)}

