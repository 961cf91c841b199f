"""Back office: ID card batches, the cards in them, print sheets with QR codes, link, unlink, e-mail a card link."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..auth import runtime
from ..errors import ApiError
from ..models import CardBatch, Customer, IdCard
from ..params import MAX_ROW_ID, RowId, is_number
from ..runtime import Runtime
from ..services import cards, customers, mail
from .i18n import tr, translator
from .render import page, qr
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
PRINT_SHEET = 60  # cards per printed page run; a batch of 10,000 prints in sheets


def _batches(db) -> list[dict]:
    linked = func.sum(case((IdCard.customer_id.is_not(None), 1), else_=0))
    stmt = (
        select(CardBatch, func.count(IdCard.id), linked)
        .outerjoin(IdCard, IdCard.batch_id == CardBatch.id)
        .group_by(CardBatch.id)
        .order_by(CardBatch.id.desc())
    )
    return [{"batch": b, "cards": n or 0, "linked": int(k or 0)} for b, n, k in db.execute(stmt)]


def _find_customer(db, rt: Runtime, who: str) -> Customer:
    """A customer by number, e-mail, phone or reference, as a manager types it into a card form."""
    who = who.strip()
    if who.startswith("cus_"):
        return customers.get_by_reference(db, who)
    found = customers.search(db, rt.vault, who, limit=2) if who else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise ApiError(404, "customer_not_found", f"No customer matches {who!r}. Use the customer number or e-mail.")
    raise ApiError(409, "customer_ambiguous", f"Several customers match {who!r}. Use the customer number.")


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
        batches = _batches(db)
    return page(request, "admin/cards.html", section="cards", batches=batches, values={}, message="")


@router.post("/admin/cards/batches")
def create_batch(
    request: Request,
    prefix: Annotated[str, Form(max_length=40)] = "",
    size: Annotated[str, Form(max_length=10)] = "",
    name: Annotated[str, Form(max_length=80)] = "",
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.sessions() as db:
        try:
            if not is_number(size.strip()) or len(size.strip()) > 6:
                raise ApiError(422, "invalid_batch_size", "Enter how many cards the batch has (1 to 10,000).")
            batch = cards.create_batch(db, prefix, int(size), name=name.strip())
        except ApiError as exc:
            db.rollback()
            return page(request, "admin/cards.html", status=exc.status, section="cards", batches=_batches(db),
                        values={"prefix": prefix, "size": size, "name": name}, message=exc.message)
        db.commit()
    return RedirectResponse(f"/admin/cards/batches/{batch.id}?created=1", status_code=303)


def _batch_or_404(db, batch_id: int) -> CardBatch:
    batch = db.get(CardBatch, batch_id)
    if batch is None:
        raise ApiError(404, "batch_not_found", "This card batch does not exist.")
    return batch


def _cards_stmt(batch_id: int, state: str):
    stmt = select(IdCard).where(IdCard.batch_id == batch_id)
    if state == "linked":
        stmt = stmt.where(IdCard.customer_id.is_not(None))
    elif state == "unlinked":
        stmt = stmt.where(IdCard.customer_id.is_(None))
    return stmt


def _page_of_cards(db, batch_id: int, state: str, after: int, size: int, *options) -> tuple[list[IdCard], int | None]:
    """One keyset page of a batch's cards (id order) and the ``after`` of the next page, or None on the last."""
    stmt = _cards_stmt(batch_id, state).options(*options).where(IdCard.id > after).order_by(IdCard.id).limit(size + 1)
    rows = list(db.execute(stmt).scalars())
    more = len(rows) > size
    rows = rows[:size]
    return rows, rows[-1].id if more else None


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
        batch = _batch_or_404(db, batch_id)
        rows, next_after = _page_of_cards(db, batch_id, state, after, PAGE_SIZE, selectinload(IdCard.customer))
        summary = next((b for b in _batches(db) if b["batch"].id == batch_id), None)
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
        batch = _batch_or_404(db, batch_id)
        rows, next_after = _page_of_cards(db, batch_id, state, after, PRINT_SHEET)
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


def _card_error(request: Request, rt: Runtime, code: str, exc: ApiError) -> Response:
    with rt.read_sessions() as db:
        card = cards.get_card(db, code)
        owner = customers.staff_view(card.customer, rt.vault) if card.customer else None
        url = cards.card_url(rt.settings.base_url, card.code)
        return page(request, "admin/card.html", status=exc.status, section="cards", card=card, owner=owner, url=url,
                    qr=qr(url), message="", error=exc.message)


@router.post("/admin/cards/code/{code}/link")
def link_card(
    code: str,
    request: Request,
    customer: Annotated[str, Form(max_length=254)] = "",
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.sessions() as db:
        try:
            card = cards.get_card(db, code)
            cards.link(db, card, _find_customer(db, rt, customer), actor=staff.actor)
        except ApiError as exc:
            db.rollback()
            if exc.code == "card_not_found":
                raise
            return _card_error(request, rt, code, exc)
        db.commit()
        code = card.code
    text = tr(request, "Card linked.")
    return RedirectResponse(f"/admin/cards/code/{code}?message={quote_plus(text)}", status_code=303)


@router.post("/admin/cards/code/{code}/unlink")
def unlink_card(code: str, request: Request, staff: Staff = Depends(current_manager),
                rt: Runtime = Depends(runtime)) -> Response:
    with rt.sessions() as db:
        card = cards.get_card(db, code)
        cards.unlink(db, card, actor=staff.actor)
        db.commit()
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
    rt: Runtime = Depends(runtime),
) -> Response:
    """E-mail the card's link; an unlinked card is linked to the customer with that address first."""
    with rt.sessions() as db:
        try:
            card = cards.get_card(db, code)
            address = email.strip() or (card.customer.email if card.customer else "") or ""
            if not address:
                raise ApiError(422, "invalid_email", "Enter the customer's e-mail address.")
            owner = card.customer
            if owner is None:
                owner = customers.find_by_identifier(db, rt.vault, "email", address.lower())
                if owner is None:
                    raise ApiError(404, "customer_not_found",
                                   f"No customer has the e-mail address {address}. Link the card to a customer first.")
                cards.link(db, card, owner, actor=staff.actor)
            subject, body = mail.card_link_message(rt.settings.shop_name, owner.first_name,
                                                   cards.card_url(rt.settings.base_url, card.code), card.code,
                                                   translator(rt.settings.shop_language))
            mail.queue(db, to=address, subject=subject, body=body, actor=staff.actor, customer_id=owner.id)
        except ApiError as exc:
            db.rollback()
            if exc.code == "card_not_found":
                raise
            return _card_error(request, rt, code, exc)
        db.commit()
        code = card.code
    background.add_task(mail.deliver_due, rt.sessions, rt.settings)
    text = tr(request, "The card link is on its way to {address}.", address=address)
    return RedirectResponse(f"/admin/cards/code/{code}?message={quote_plus(text)}", status_code=303)
