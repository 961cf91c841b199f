"""The venue scanner's endpoints (verify mode): check a scan, the signed offline list, scans answered offline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..auth import Principal, kiosk_only, runtime
from ..domain_errors import MalformedRequest
from ..runtime import Runtime
from ..services import idempotency, verify, verify_cache
from .answers import VerifyAnswer, VerifyLogAnswer

router = APIRouter(prefix="/api/v1/kiosk", tags=["kiosk"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)]


Presented = Literal["customer_number", "card_code", "vcard", "mecard", "bizcard", "aamva", "se_licence", "unrecognised"]


class VerifyIn(BaseModel):
    """What the door's camera read, as the kiosk parsed it (a card link's code is sent as a card code).

    A code that names no customer (a vCard, a licence, unknown text) is sent as kind ``other`` with
    ``presented`` saying what it was, never its content: it is answered ``unknown`` and logged.
    """

    model_config = ConfigDict(extra="ignore")
    kind: Literal["customer_number", "card_code", "other"]
    customer_number: str | int | None = Field(None, description="With kind customer_number")
    card_code: str | None = Field(None, max_length=300, description="With kind card_code: a code or a card link")
    presented: Presented | None = Field(None, description="With kind other: what kind of code was held up")


class OfflineScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: dt.datetime
    result: Literal["success", "warning", "unknown"]
    customer_reference: str | None = Field(None, pattern=r"^cus_[0-9a-f]{1,28}$")
    presented: Presented | None = None
    repeat: bool = Field(False, description="The kiosk saw the same customer pass within the re-scan window")


class VerifyLogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scans: list[OfflineScanIn] = Field(..., max_length=1000)


@router.post("/verify",
             response_model=VerifyAnswer, response_model_exclude_unset=True,
             summary="Verify mode: is the scanned customer in the groups this kiosk checks?")
def post_verify(
    body: VerifyIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    """``success`` (in a selected group), ``warning`` (known, in none) or ``unknown``; logged once per key.

    A success for a customer who passed this door within ``verify_rescan_seconds`` also carries
    ``already_scanned_at`` and ``already_scanned_time`` (the shop's 24-hour clock).
    """
    request = body.model_dump(mode="json", exclude_none=True)

    def work(db):
        raw = body.customer_number if body.kind == "customer_number" else body.card_code
        return 200, verify.verify(db, rt.vault, principal.id, body.kind, raw, region=rt.settings.default_region,
                                  rescan_seconds=rt.settings.verify_rescan_seconds, presented=body.presented)

    status, answer = idempotency.run_once(rt.sessions, f"verify:{principal.id}", idempotency_key, request, work)
    response.status_code = status
    return answer


@router.get(
    "/verify-cache", summary="Verify mode: the signed offline list of customers and their groups (ETag)",
    response_class=Response,
    responses={200: {"description": "The signed list, one JSON line per customer (counter_core.offline_list)",
                     "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
               304: {"description": "The list the kiosk has (If-None-Match) is still current"}},
)
def get_verify_cache(
    request: Request,
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.read_sessions() as db:
        kiosk = verify.verify_kiosk(db, principal.id)
        document = verify_cache.cache_document(
            db, kiosk, if_none_match=request.headers.get("if-none-match"),
            gzip_ok="gzip" in request.headers.get("accept-encoding", ""),
        )
    headers = {"ETag": document.etag, "Cache-Control": "no-cache, private", "Vary": "Accept-Encoding"}
    if document.body is None:
        return Response(status_code=304, headers=headers)
    if document.gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(document.body, media_type="application/x-ndjson", headers=headers)


@router.post("/verify-log",
             response_model=VerifyLogAnswer, response_model_exclude_unset=True, status_code=201,
             summary="Verify mode: scans the kiosk answered offline, stored once per key")
def post_verify_log(
    body: VerifyLogIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = Depends(kiosk_only),
    rt: Runtime = Depends(runtime),
) -> dict:
    if not idempotency_key:
        raise MalformedRequest("idempotency_key_required", "Send an Idempotency-Key so that an upload is stored once.")
    request = body.model_dump(mode="json")

    def work(db):
        stored = verify.log_offline_scans(db, principal.id, [s.model_dump() for s in body.scans])
        return 201, {"stored": stored}

    status, answer = idempotency.run_once(rt.sessions, f"verify-log:{principal.id}", idempotency_key, request, work)
    response.status_code = status
    return answer
