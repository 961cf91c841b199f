"""Endpoints a paired kiosk may call: its register's state, identify, registrations, mobile sessions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from counter_core.kiosk_api import ErrorBody, PairingAnswer

from ..auth import Principal, kiosk_only, runtime
from ..dependencies import WriteSession, transaction
from ..domain_errors import DomainError, Invalid
from ..models import Kiosk, utcnow
from ..runtime import Runtime
from ..services import devices, events, idempotency, lockout, matching, mobile, registrations
from ..services.groups import group_badge, selected_groups
from ..services.sales import open_sale_of, sale_for_request
from .answers import IdentifyAnswer, KioskRegistrationAnswer, MobileSessionAnswer, RegisterStateAnswer
from .waiting import wait_for_change

router = APIRouter(prefix="/api/v1", tags=["kiosk"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)]


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)


class IdentifyIn(BaseModel):
    """What the kiosk read or was typed, as parsed by counter_core.identity."""

    model_config = ConfigDict(extra="ignore")
    method: Literal["scan", "enter", "mobile"]
    kind: Literal[
        "customer_number", "card_code", "personal_id", "phone", "vcard", "mecard", "bizcard", "aamva", "se_licence"
    ]
    customer_number: str | int | None = None
    card_code: str | None = Field(None, max_length=200)
    personal_id: str | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    birth_date: dt.date | None = None
    licence_number: str | None = Field(None, max_length=40)
    address: AddressIn | None = None
    symbology: str | None = Field(None, max_length=40)
    sale: str | None = Field(None, max_length=40, description="The sale that was open when the customer asked "
                             "(a kiosk sending from its offline outbox connects the customer to that sale)")


class RegistrationIn(BaseModel):
    """The customer chose to become a member after 'not found'."""

    model_config = ConfigDict(extra="ignore")
    source: Literal["enter", "scan"]
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    personal_id: str | None = Field(None, max_length=20)
    birth_date: dt.date | None = None
    address: AddressIn | None = None
    marketing_consent: bool = False
    language: str = Field("", max_length=5)
    sale: str | None = Field(None, max_length=40)


class MobileSessionIn(BaseModel):
    language: Literal["sv", "en", "fr"] = "sv"


class PairIn(BaseModel):
    code: str = Field(max_length=40, description="The pairing code the back office shows (QR or text)")


class KioskStatusIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    screen: str = Field("", max_length=40)
    camera: str = Field("", max_length=40)
    camera_detail: str = Field("", max_length=200)
    outbox: int = Field(0, ge=0)
    version: str = Field("", max_length=40)


def _kiosk(db, principal: Principal) -> Kiosk:
    return devices.caller_kiosk(db, principal.id)


def kiosk_state(rt: Runtime, principal: Principal) -> dict:
    with rt.read_sessions() as db:
        kiosk = _kiosk(db, principal)
        sale = open_sale_of(db, kiosk.register_id)
        groups = []
        if kiosk.mode == "verify":
            groups = [group_badge(g) for g in selected_groups(db, kiosk)]
        return {
            "kiosk": {"name": kiosk.name, "mode": kiosk.mode, "verify_groups": groups,
                      "verify_rescan_seconds": rt.settings.verify_rescan_seconds},
            "register": {"name": kiosk.register.name},
            "shop_name": rt.settings.shop_name,
            "sale": (
                {"reference": sale.reference, "status": sale.status, "customer_connected": sale.customer_id is not None}
                if sale
                else None
            ),
            "version": events.latest_id(db, kiosk.register_id),
            "server_time": utcnow().isoformat(),
        }


@router.get("/kiosk/state",
            response_model=RegisterStateAnswer, response_model_exclude_unset=True,
            summary="The paired register's state (long-poll with wait and after)")
async def get_kiosk_state(
    wait: float = Query(0, ge=0, le=60, description="Seconds to wait for a change"),
    after: int = Query(0, ge=0, description="The version the kiosk already has"),
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    return await wait_for_change(rt, wait, lambda: kiosk_state(rt, principal), lambda s: s["version"] > after)


@router.post("/kiosk/status", status_code=204, summary="The kiosk reports its screen and camera state")
def post_kiosk_status(
    body: KioskStatusIn, db: WriteSession, principal: Principal = Depends(kiosk_only)
) -> Response:
    kiosk = _kiosk(db, principal)
    kiosk.last_status = body.model_dump()
    kiosk.last_seen_at = utcnow()
    return Response(status_code=204)


@router.post("/identify",
             response_model=IdentifyAnswer, response_model_exclude_unset=True,
             summary="Match a scanned or typed identifier; connect the customer to the open sale")
def post_identify(
    body: IdentifyIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    request = body.model_dump(mode="json", exclude_none=True)
    who = {"kiosk_id": principal.id, "kiosk_name": principal.name, "register_id": principal.register_id}

    def work(db):
        lockout.admit(db, rt.settings, kiosk_id=principal.id, register_id=principal.register_id)
        answer = matching.identify(db, rt, kiosk_id=principal.id, register_id=principal.register_id, request=request,
                                   actor=principal.actor)
        # a known number the cashier checks is no miss
        lockout.record(db, rt.settings, **who, missed=answer["result"] == "not_found" and answer.get("reason") !=
                       "ask_cashier")
        return 200, answer

    try:
        status, answer = idempotency.run_once(rt.sessions, f"identify:{principal.id}", idempotency_key, request, work,
                                              after_commit=rt.notifier.notify)
    except Invalid as exc:
        if matching.is_invalid_identifier(exc):  # a typed number that cannot exist is a miss too
            with transaction(rt) as db:  # apart: the lookup's transaction was rolled back
                lockout.record(db, rt.settings, **who, missed=True)
        raise
    response.status_code = status
    return answer


@router.post("/kiosk/registrations",
             response_model=KioskRegistrationAnswer, response_model_exclude_unset=True, status_code=201,
             summary="The customer asks to become a member")
def post_registration(
    body: RegistrationIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    request = body.model_dump(mode="json", exclude_none=True)

    # Not limited: a registration looks nothing up (its answer is the same for anybody), and a kiosk back
    # online sends what its outbox kept, however many, in one go.
    def work(db):
        kiosk = _kiosk(db, principal)
        sale = sale_for_request(db, kiosk.register_id, body.sale)
        registration = registrations.create(
            db,
            rt.vault,
            register_id=kiosk.register_id,
            kiosk_id=kiosk.id,
            sale_id=sale.id if sale else None,
            source=body.source,
            fields=matching.card_fields(request),
            ttl_seconds=rt.settings.registration_ttl_seconds,
            marketing_consent=body.marketing_consent,
            language=body.language,
        )
        return 201, registrations.kiosk_view(db, registration)

    status, answer = idempotency.run_once(rt.sessions, f"registration:{principal.id}", idempotency_key, request, work,
                                          after_commit=rt.notifier.notify)
    response.status_code = status
    return answer


@router.get("/kiosk/registrations/{reference}",
            response_model=KioskRegistrationAnswer, response_model_exclude_unset=True,
            summary="Follow a pending registration (long-poll)")
async def get_registration(
    reference: str,
    wait: float = Query(0, ge=0, le=60),
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    def read() -> dict:
        with transaction(rt, notify=False) as db:  # get() expires an overdue one; waking the pollers is not needed
            return registrations.kiosk_view(db, registrations.get(db, reference, register_id=principal.register_id))

    return await wait_for_change(rt, wait, read, lambda v: v["status"] != "pending")


@router.post("/mobile-sessions",
             response_model=MobileSessionAnswer, response_model_exclude_unset=True, status_code=201,
             summary="Start a Via-mobile session: a QR URL for the phone")
def post_mobile_session(
    response: Response,
    body: MobileSessionIn | None = None,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    language = body.language if body else "sv"

    def work(db):
        kiosk = _kiosk(db, principal)
        lockout.admit(db, rt.settings, kiosk_id=kiosk.id, register_id=kiosk.register_id)
        lockout.record(db, rt.settings, kiosk_id=kiosk.id, kiosk_name=kiosk.name, register_id=kiosk.register_id,
                       missed=False)
        return 201, mobile.start(db, rt, kiosk, language=language)

    status, answer = idempotency.run_once(
        rt.sessions, f"mobile:{principal.id}", idempotency_key, {"language": language}, work
    )
    response.status_code = status
    return answer


@router.get("/mobile-sessions/{reference}",
            response_model=MobileSessionAnswer, response_model_exclude_unset=True,
            summary="Follow a Via-mobile session (long-poll with wait and after)")
async def get_mobile_session(
    reference: str,
    wait: float = Query(0, ge=0, le=60),
    after: str = Query("", max_length=20, description="The status the kiosk already shows"),
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    def read() -> dict:
        with transaction(rt, notify=False) as db:
            return mobile.kiosk_view(db, rt, mobile.get_for_kiosk(db, reference, principal.id))

    return await wait_for_change(rt, wait, read, lambda v: v["status"] != after)


@router.post(
    "/kiosk/pair",
    summary="An unpaired kiosk trades a pairing code for its device token (once; no token needed)",
    response_model=PairingAnswer, response_model_exclude_unset=True,
    response_model_by_alias=True,
    responses={status: {"model": ErrorBody} for status in (404, 409, 410, 422, 429)},
)
def post_pair(body: PairIn, request: Request, rt: Runtime = Depends(runtime)) -> dict:
    """Refused with ``pairing_code_invalid``, ``_unknown``, ``_expired``, ``_used`` or ``pairing_rate_limited``."""
    address = request.client.host if request.client else "unknown"
    refusal = None
    with transaction(rt, notify=False) as db:
        try:
            kiosk, token = devices.exchange_pairing_code(db, body.code, address=address)
        except DomainError as exc:  # the attempt counts against the limits, and its refusal stays in the audit trail
            refusal = exc  # so it is committed, then refused
        else:
            answer = {"device_token": token, "kiosk": {"name": kiosk.name, "mode": kiosk.mode},
                      "register": {"name": kiosk.register.name}, "shop_name": rt.settings.shop_name}
    if refusal is not None:
        raise refusal
    return answer
