"""The Via-mobile phone form and the membership card page: plain HTML for any phone browser."""

from __future__ import annotations

import secrets

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..auth import runtime
from ..dependencies import unit_of_work
from ..domain_errors import DomainError, Invalid, RateLimited
from ..runtime import Runtime
from ..security import hash_token, tokens_equal
from ..services import cards, mobile
from .i18n import pick_language, translator
from .templates import templates

router = APIRouter(include_in_schema=False)
BROWSER_COOKIE = "m_browser"
CARD_COOKIE = "m_card"  # the phone that typed the customer's own names may see their membership code
FIELD_MESSAGES = {
    "required": "This field is required.",
    "invalid_phone": "Enter a mobile number, e.g. 070 123 45 67 or +46 70 123 45 67.",
    "invalid_personal_id": "Check your personal ID number (YYYYMMDD-NNNN).",
    "invalid_email": "This does not look like an e-mail address.",
    "name_too_long": "This is too long.",
}


def qr_svg(text: str, scale: int = 6) -> str:
    """An inline SVG QR that scales with its box: a viewBox and no fixed size, so that it fills (and is
    centred in) the card instead of sitting at its left at its drawn size."""
    return segno.make(text, error="m").svg_inline(scale=scale, border=2, dark="#111827", omitsize=True)


def _page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    language = context.get("lang") or pick_language(request.query_params.get("lang"), request.headers.get("accept-language", ""))
    context.setdefault("lang", language)
    context.setdefault("_", translator(language))
    context.setdefault("shop_name", request.app.state.runtime.settings.shop_name)
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(request: Request, status: int, title: str, text: str, lang: str | None = None) -> HTMLResponse:
    return _page(request, "mobile/message.html", status=status, title=title, text=text, **({"lang": lang} if lang else {}))


def _language(request: Request, session) -> str:
    return pick_language(request.query_params.get("lang") or session.language, request.headers.get("accept-language", ""))


@router.get("/m/{token}", response_class=HTMLResponse)
def phone_form(token: str, request: Request, db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    session = mobile.get_by_token(db, token)
    if session is None:
        return _message(request, 404, "This code is not valid", "Scan the QR code on the screen at the counter again.")
    lang = _language(request, session)
    browser = request.cookies.get(BROWSER_COOKIE, "")
    if session.status in ("matched", "pending", "checking") or (session.status == "expired" and session.submitted_at):
        if browser and session.browser_hash and tokens_equal(session.browser_hash, hash_token(browser)):
            proof = request.cookies.get(CARD_COOKIE, "")
            result = mobile.result_for_phone(db, rt, session, proof=proof)
            return _result_page(request, lang, result)
        return _message(request, 410, "This code has been used", "Press Via mobile on the screen to get a new code.", lang)
    if session.status == "expired":
        return _message(request, 410, "This code has expired", "Press Via mobile on the screen to get a new code.", lang)
    mobile.mark_opened(db, session)
    response = _page(request, "mobile/form.html", lang=lang, token=token, values={}, errors={})
    if not browser:
        response.set_cookie(BROWSER_COOKIE, secrets.token_urlsafe(24), httponly=True, samesite="lax", path="/m")
    return response


@router.post("/m/{token}", response_class=HTMLResponse)
async def submit_phone_form(token: str, request: Request, db: Session = unit_of_work,
                            rt: Runtime = Depends(runtime)) -> Response:
    form = {k: str(v)[:300] for k, v in (await request.form()).items()}
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)

    def work():
        session = mobile.get_by_token(db, token)
        if session is None:
            return "invalid", None, None
        lang = pick_language(form.get("lang") or session.language)
        try:
            proof = mobile.submit(db, rt, session, form, browser_hash=hash_token(browser))
        except DomainError as exc:
            db.rollback()
            if isinstance(exc, RateLimited):
                return "limited", lang, exc
            return ("errors", lang, exc) if isinstance(exc, Invalid) else ("gone", lang, exc)
        return "done", lang, proof

    outcome, lang, detail = await run_in_threadpool(work)
    if outcome == "invalid":
        return _message(request, 404, "This code is not valid", "Scan the QR code on the screen at the counter again.")
    if outcome == "limited":
        return _message(request, 429, "Please ask at the counter",
                        "There have been too many attempts at this kiosk. The cashier can help you.", lang)
    if outcome == "gone":
        return _message(request, 410, "This code has been used", "Press Via mobile on the screen to get a new code.", lang)
    if outcome == "errors":
        gettext = translator(lang)
        errors = {
            f["field"]: gettext(FIELD_MESSAGES.get(f["code"], FIELD_MESSAGES["required"]))
            for f in detail.extra.get("fields", [])
        }
        values = {k: form.get(k, "") for k in ("first_name", "last_name", "phone", "personal_id")}
        values["marketing_consent"] = bool(form.get("marketing_consent"))
        return _page(request, "mobile/form.html", status=422, lang=lang, token=token, values=values, errors=errors)
    response = RedirectResponse(f"/m/{token}?lang={lang}", status_code=303)
    response.set_cookie(BROWSER_COOKIE, browser, httponly=True, samesite="lax", path="/m")
    if detail:  # the proof that the names typed are the customer's own
        response.set_cookie(CARD_COOKIE, detail, httponly=True, samesite="lax", path="/m", max_age=mobile.FORM_SECONDS)
    return response


def _result_page(request: Request, lang: str, result: dict) -> HTMLResponse:
    qr = qr_svg(result["card_url"]) if result.get("card_url") else ""
    return _page(request, "mobile/result.html", lang=lang, result=result, qr=qr)


@router.get("/c/{code}", response_class=HTMLResponse)
def card_page(code: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """The page a card's QR and an e-mailed card link open: the code to show at the kiosk."""
    with rt.read_sessions() as db:
        card = cards.find_card(db, code)
    if card is None:
        return _message(request, 404, "Unknown card", "This card is not known here. Ask at the counter.")
    url = f"{rt.settings.base_url}/c/{card.code}"
    return _page(request, "mobile/card.html", code=card.code, qr=qr_svg(url, scale=8))
