"""Back office: ID card batches, the cards in them, print sheets with QR codes, link, unlink, e-mail a card link."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ..auth import runtime
from ..dependencies import unit_of_work
from ..domain_errors import Conflict, DomainError, Invalid, NotFound
from ..errors import http_status
from ..models import Customer
from ..params import MAX_ROW_ID, RowId, is_number
from ..runtime import Runtime
from ..services import cards, customers, mail
from .i18n import tr, translator
from .render import page, qr
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
PRINT_SHEET = 60  # cards per printed page run; a batch of 10,000 prints in sheets


def _find_customer(db, rt: Runtime, who: str) -> Customer:
    """A customer by number, e-mail, phone or reference, as a manager types it into a card form."""
    who = who.strip()
    if who.startswith("cus_"):
        return customers.get_by_reference(db, who)
    found = customers.search(db, rt.vault, who, limit=2) if who else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound("customer_not_found", f"No customer matches {who!r}. Use the customer number or e-mail.")
    raise Conflict("customer_ambiguous", f"Several customers match {who!r}. Use the customer number.")


@router.get("/admin/cards")
def cards_home(
    request: Request,
    code: str = Query("", max_length=64),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    if code.strip():
        return RedirectResponse(f"/admin/cards/code/{code.strip().upper()}", status_code=303)
    with rt.read_sessions() as db:
        batches = cards.batches_with_counts(db)
    return page(request, "admin/cards.html", section="cards", batches=batches, values={}, message="")


@router.post("/admin/cards/batches")
def create_batch(
    request: Request,
    prefix: Annotated[str, Form(max_length=40)] = "",
    size: Annotated[str, Form(max_length=10)] = "",
    name: Annotated[str, Form(max_length=80)] = "",
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    try:
        if not is_number(size.strip()) or len(size.strip()) > 6:
            raise Invalid("invalid_batch_size", "Enter how many cards the batch has (1 to 10,000).")
        batch = cards.create_batch(db, prefix, int(size), name=name.strip())
    except DomainError as exc:
        db.rollback()
        return page(request, "admin/cards.html", status=http_status(exc), section="cards", batches=cards.batches_with_counts(db),
                    values={"prefix": prefix, "size": size, "name": name}, message=exc.message)
    return RedirectResponse(f"/admin/cards/batches/{batch.id}?created=1", status_code=303)


@router.get("/admin/cards/batches/{batch_id}")
def batch_page(
    batch_id: RowId,
    request: Request,
    state: str = Query("all", pattern="^(all|linked|unlinked)$"),
    after: int = Query(0, ge=0, le=MAX_ROW_ID),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.read_sessions() as db:
        batch = cards.get_batch(db, batch_id)
        rows, next_after = cards.page_of_cards(db, batch_id, state, after, PAGE_SIZE, with_customers=True)
        summary = next((b for b in cards.batches_with_counts(db) if b["batch"].id == batch_id), None)
        return page(request, "admin/card_batch.html", section="cards", batch=batch, rows=rows, state=state,
                    next_after=next_after, summary=summary, first_page=after == 0)


@router.get("/admin/cards/batches/{batch_id}/print")
def print_sheet(
    batch_id: RowId,
    request: Request,
    state: str = Query("unlinked", pattern="^(all|linked|unlinked)$"),
    after: int = Query(0, ge=0, le=MAX_ROW_ID),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    """A print-friendly sheet: each card's code and the QR of its card URL."""
    with rt.read_sessions() as db:
        batch = cards.get_batch(db, batch_id)
        rows, next_after = cards.page_of_cards(db, batch_id, state, after, PRINT_SHEET)
    sheet = [{"code": c.code, "qr": qr(cards.card_url(rt.settings.base_url, c.code))} for c in rows]
    return page(request, "admin/card_print.html", section="cards", batch=batch, sheet=sheet, state=state,
                next_after=next_after)


@router.get("/admin/cards/code/{code}")
def card_page(code: str, request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)):
    with rt.read_sessions() as db:
        card = cards.get_card(db, code)
        owner = customers.staff_view(card.customer, rt.vault) if card.customer else None
        url = cards.card_url(rt.settings.base_url, card.code)
        return page(request, "admin/card.html", section="cards", card=card, owner=owner, url=url,
                    qr=qr(url), message=request.query_params.get("message", ""), error="")


def _card_error(request: Request, rt: Runtime, code: str, exc: DomainError) -> Response:
    with rt.read_sessions() as db:
        card = cards.get_card(db, code)
        owner = customers.staff_view(card.customer, rt.vault) if card.customer else None
        url = cards.card_url(rt.settings.base_url, card.code)
        return page(request, "admin/card.html", status=http_status(exc), section="cards", card=card, owner=owner, url=url,
                    qr=qr(url), message="", error=exc.message)


@router.post("/admin/cards/code/{code}/link")
def link_card(
    code: str,
    request: Request,
    customer: Annotated[str, Form(max_length=254)] = "",
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    try:
        card = cards.get_card(db, code)
        cards.link(db, card, _find_customer(db, rt, customer), actor=staff.actor)
    except DomainError as exc:
        db.rollback()
        if exc.code == "card_not_found":
            raise
        return _card_error(request, rt, code, exc)
    code = card.code
    text = tr(request, "Card linked.")
    return RedirectResponse(f"/admin/cards/code/{code}?message={quote_plus(text)}", status_code=303)


@router.post("/admin/cards/code/{code}/unlink")
def unlink_card(code: str, request: Request, staff: Staff = Depends(current_manager),
                db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    card = cards.get_card(db, code)
    cards.unlink(db, card, actor=staff.actor)
    code = card.code
    text = tr(request, "Card unlinked.")
    return RedirectResponse(f"/admin/cards/code/{code}?message={quote_plus(text)}", status_code=303)


@router.post("/admin/cards/code/{code}/email")
def email_card(
    code: str,
    request: Request,
    background: BackgroundTasks,
    email: Annotated[str, Form(max_length=254)] = "",
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    """E-mail the card's link; an unlinked card is linked to the customer with that address first."""
    try:
        card = cards.get_card(db, code)
        address = email.strip() or (card.customer.email if card.customer else "") or ""
        if not address:
            raise Invalid("invalid_email", "Enter the customer's e-mail address.")
        owner = card.customer
        if owner is None:
            owner = customers.find_by_identifier(db, rt.vault, "email", address.lower())
            if owner is None:
                raise NotFound("customer_not_found",
                               f"No customer has the e-mail address {address}. Link the card to a customer first.")
            cards.link(db, card, owner, actor=staff.actor)
        subject, body = mail.card_link_message(rt.settings.shop_name, owner.first_name,
                                               cards.card_url(rt.settings.base_url, card.code), card.code,
                                               translator(rt.settings.shop_language))
        mail.queue(db, to=address, subject=subject, body=body, actor=staff.actor, customer_id=owner.id)
    except DomainError as exc:
        db.rollback()
        if exc.code == "card_not_found":
            raise
        return _card_error(request, rt, code, exc)
    code = card.code
    background.add_task(mail.deliver_due, rt.sessions, rt.settings)
    text = tr(request, "The card link is on its way to {address}.", address=address)
    return RedirectResponse(f"/admin/cards/code/{code}?message={quote_plus(text)}", status_code=303)
