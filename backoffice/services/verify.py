"""The venue scanner (verify mode): is this customer in the groups this door checks?

A kiosk in verify mode answers a scanned customer number or card code with
*success* (the customer is in at least one selected group), *warning* (a
known customer in none of them) or *unknown*.  It shows the first name and
the scanner-visible groups only, never anything else.  Every scan is logged
(time, kiosk, result, customer reference, what kind of code was presented),
including those a kiosk answered offline from its cached list and uploads
later, and codes that carry no customer at all (a vCard, a driving licence,
unknown text), which the kiosk reports as ``presented`` without their content.

A success for a customer who already passed the same door within the re-scan
window (``verify_rescan_seconds``, 10 minutes by default, 0 turns it off)
carries ``already_scanned_at`` and the shop's 24-hour ``already_scanned_time``:
the door shows "Already scanned at 14:02", as ticket scanners do, and the log
marks the row as a repeat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, insert, select
from sqlalchemy.orm import Session

from counter_core.identity.cards import is_url, parse_card_url
from counter_core.identity.model import KINDS as PRESENTED_KINDS

from .. import shop_time
from ..domain_errors import Conflict, Invalid, NotSignedIn
from ..models import Customer, CustomerGroup, Kiosk, VerifyScan, utcnow
from ..security import Vault
from . import audit, events
from .customers import find_summary_by_identifier
from .groups import groups_of
from .matching import canonical_identifier

MODES = ("connect", "verify")
RESULTS = ("success", "warning", "unknown")
_KIOSK = select(Kiosk.id, Kiosk.mode, Kiosk.verify_group_ids, Kiosk.revoked_at, Kiosk.token_hash).where(
    Kiosk.id == bindparam("kiosk")
)
_INSERT_SCAN = insert(VerifyScan.__table__)
# The same customer's last pass at this door since a moment: one probe of (kiosk_id, customer_reference, at).
_LAST_PASS = (
    select(VerifyScan.at)
    .where(VerifyScan.kiosk_id == bindparam("kiosk"), VerifyScan.customer_reference == bindparam("reference"),
           VerifyScan.at >= bindparam("since"), VerifyScan.result == "success")
    .order_by(VerifyScan.at.desc())
    .limit(1)
)
# What a "not recognised" row says was presented, for people (kinds from counter_core.identity).
PRESENTED_LABELS = {
    "customer_number": "Customer number",
    "card_code": "Card",
    "vcard": "vCard (contact card)",
    "mecard": "MeCard (contact card)",
    "bizcard": "Business card code",
    "aamva": "Driving licence (AAMVA)",
    "se_licence": "Swedish driving licence",
    "unrecognised": "Unknown text",
}


@dataclass(frozen=True)
class VerifyKiosk:
    id: int
    selection: tuple[int, ...] | None  # None: every scanner-visible group
    token_hash: str

    def checks(self, group_id: int) -> bool:
        return self.selection is None or group_id in self.selection


def verify_kiosk(db: Session, kiosk_id: int, *, require_verify_mode: bool = True) -> VerifyKiosk:
    """The calling kiosk, refused when unpaired (401) or, unless told otherwise, not in verify mode (409)."""
    row = db.connection().execute(_KIOSK, {"kiosk": kiosk_id}).first()
    if row is None or row.revoked_at is not None:
        raise NotSignedIn("token_revoked", "This kiosk has been unpaired; pair it again.")
    if require_verify_mode and row.mode != "verify":
        raise Conflict("not_in_verify_mode", "This kiosk is not set up as a venue scanner (verify mode).")
    selection = tuple(int(i) for i in row.verify_group_ids) if row.verify_group_ids is not None else None
    return VerifyKiosk(row.id, selection, row.token_hash)


def scanned_identifier(kind: str, raw: object, region: str) -> tuple[str, str]:
    """What the kiosk read, validated again: (customer_number | card_code, canonical value).

    A card link (``https://.../c/CODE`` or ``?customer=123``) sent as a card
    code is read the way the kiosk's own parser reads it.
    """
    text = str(raw or "").strip()
    if kind == "card_code" and is_url(text):
        identity = parse_card_url(text)
        if identity.kind not in ("card_code", "customer_number"):
            raise Invalid("invalid_card_code", "This link carries no card code or customer number.",
                           field="card_code")
        kind, text = identity.kind, identity.card_code or identity.customer_number or ""
    return kind, canonical_identifier(kind, text, region)


def answer_scan(db: Session, vault: Vault, kiosk: VerifyKiosk, kind: str, value: str) -> dict:
    """The door's answer for one identifier (no logging)."""
    customer = find_summary_by_identifier(db, vault, kind, value)
    if customer is None:
        return {"result": "unknown", "matched_groups": []}
    groups = groups_of(db, customer.id)
    matched = [g["id"] for g in groups if kiosk.checks(g["id"])]
    return {
        "result": "success" if matched else "warning",
        "customer": {"reference": customer.reference, "first_name": customer.first_name, "groups": groups},
        "matched_groups": matched,
    }


def last_pass(db: Session, kiosk_id: int, reference: str, window_seconds: int) -> dt.datetime | None:
    """When this customer last passed this door (a success) within the window, or None."""
    if window_seconds <= 0:
        return None
    since = utcnow() - dt.timedelta(seconds=window_seconds)
    at = db.connection().execute(_LAST_PASS, {"kiosk": kiosk_id, "reference": reference, "since": since}).scalar()
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at


def log_scan(db: Session, kiosk_id: int, result: str, customer_reference: str | None, *,
             at: dt.datetime | None = None, offline: bool = False, presented: str | None = None,
             repeat: bool = False) -> None:
    db.connection().execute(_INSERT_SCAN, {"at": at or utcnow(), "kiosk_id": kiosk_id, "result": result,
                                           "customer_reference": customer_reference, "offline": offline,
                                           "presented": presented, "repeat": repeat})


def verify(db: Session, vault: Vault, kiosk_id: int, kind: str, raw: object, *, region: str,
           rescan_seconds: int = 0, presented: str | None = None) -> dict:
    """Answer a scan at a verify-mode kiosk and log it, in the caller's transaction.

    ``kind`` ``other`` is a code that names no customer (``presented`` says what it was): it is
    answered ``unknown`` and logged without a look-up.
    """
    kiosk = verify_kiosk(db, kiosk_id)
    if kind == "other":
        shown = presented if presented in PRESENTED_KINDS else "unrecognised"
        log_scan(db, kiosk.id, "unknown", None, presented=shown)
        return {"result": "unknown", "matched_groups": []}
    kind, value = scanned_identifier(kind, raw, region)
    answer = answer_scan(db, vault, kiosk, kind, value)
    reference = (answer.get("customer") or {}).get("reference")
    repeat = False
    if answer["result"] == "success" and reference:
        before = last_pass(db, kiosk.id, reference, rescan_seconds)
        if before is not None:
            repeat = True
            answer["already_scanned_at"] = before.isoformat(timespec="seconds")
            answer["already_scanned_time"] = shop_time.clock(before)
    log_scan(db, kiosk.id, answer["result"], reference, presented=kind, repeat=repeat)
    return answer


def log_offline_scans(db: Session, kiosk_id: int, scans: list[dict]) -> int:
    """Store scans a kiosk answered from its offline list; the caller makes this happen once per upload."""
    verify_kiosk(db, kiosk_id, require_verify_mode=False)  # a kiosk switched back to connect still uploads
    for scan in scans:
        at = scan["at"] if scan["at"].tzinfo else scan["at"].replace(tzinfo=dt.UTC)
        log_scan(db, kiosk_id, scan["result"], scan.get("customer_reference"), at=at, offline=True,
                 presented=scan.get("presented"), repeat=bool(scan.get("repeat")))
    return len(scans)


# ---------------------------------------------------------------- configuring a kiosk


def configure_kiosk(db: Session, kiosk: Kiosk, *, mode: str, group_ids: list[int] | None, actor: str) -> None:
    """Set a kiosk's mode and the groups it verifies; its long-polled state answers at once."""
    if mode not in MODES:
        raise Invalid("invalid_mode", "A kiosk's mode is connect or verify.",
                       fields=[{"field": "mode", "code": "invalid_mode", "message": "Use connect or verify."}])
    if group_ids is not None:
        wanted = list(dict.fromkeys(int(i) for i in group_ids))
        visible = dict(db.execute(select(CustomerGroup.id, CustomerGroup.priority)
                                  .where(CustomerGroup.visible_in_scanners.is_(True))).all())
        unknown = [i for i in wanted if i not in visible]
        if unknown or not wanted:
            message = ("Choose at least one group, or All." if not wanted
                       else "Only groups visible in scanners can be verified.")
            raise Invalid("invalid_verify_groups", message,
                           fields=[{"field": "verify_group_ids", "code": "invalid_verify_groups", "message": message}])
        group_ids = sorted(wanted, key=lambda i: (visible[i], i))
    kiosk.mode = mode
    kiosk.verify_group_ids = group_ids
    audit.record(db, actor, "kiosk_configured", kiosk=kiosk.id, mode=mode, verify_group_ids=group_ids)
    events.publish(db, kiosk.register_id, "kiosk_changed", kiosk=kiosk.id)


# ---------------------------------------------------------------- the scan log, for managers


def scan_counts(db: Session, since: dt.datetime) -> dict[str, int]:
    """Scans per result since a moment: ``{"success": n, "warning": n, "unknown": n, "total": n}``."""
    rows = db.execute(select(VerifyScan.result, func.count()).where(VerifyScan.at >= since)
                      .group_by(VerifyScan.result)).all()
    counts = {result: 0 for result in RESULTS}
    counts.update({result: n for result, n in rows})
    counts["total"] = sum(n for _, n in rows)
    return counts


def scan_counts_per_kiosk(db: Session, since: dt.datetime) -> list[dict]:
    """Per kiosk since a moment: its name and scans per result, busiest first."""
    per_result = {r: func.sum(case((VerifyScan.result == r, 1), else_=0)) for r in RESULTS}
    stmt = (
        select(VerifyScan.kiosk_id, Kiosk.name, func.count(), *per_result.values())
        .outerjoin(Kiosk, Kiosk.id == VerifyScan.kiosk_id)
        .where(VerifyScan.at >= since)
        .group_by(VerifyScan.kiosk_id, Kiosk.name)
        .order_by(func.count().desc())
    )
    return [{"kiosk_id": kiosk_id, "kiosk": name or "Deleted kiosk", "total": total,
             **{r: int(n or 0) for r, n in zip(RESULTS, counts, strict=True)}}
            for kiosk_id, name, total, *counts in db.execute(stmt)]


def scan_page(db: Session, *, kiosk_id: int | None, result: str | None, before: int | None, limit: int = 50):
    """The newest scans (optionally of one kiosk and one result), ``before`` an id for the next page.

    Rows are (scan, kiosk name, customer's first name, last name, customer number): joined by
    reference, so a customer erased since shows none.
    """
    stmt = (
        select(VerifyScan, Kiosk.name, Customer.first_name, Customer.last_name, Customer.customer_number)
        .outerjoin(Kiosk, Kiosk.id == VerifyScan.kiosk_id)
        .outerjoin(Customer, Customer.reference == VerifyScan.customer_reference)
    )
    if kiosk_id is not None:
        stmt = stmt.where(VerifyScan.kiosk_id == kiosk_id)
    if result:
        stmt = stmt.where(VerifyScan.result == result)
    if before:
        stmt = stmt.where(VerifyScan.id < before)
    rows = db.execute(stmt.order_by(VerifyScan.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1][0].id if len(rows) > limit else None)
