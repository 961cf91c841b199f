"""Registers, kiosk pairing, API keys and staff accounts.

Pairing by camera: a manager creates a pairing code for a register (:func:`create_pairing_code`); the
back office shows it as a QR and as text for ten minutes.  The unpaired kiosk trades it, once, for a
new device token (:func:`exchange_pairing_code`), which creates the kiosk.  Only the code's SHA-256 is
stored; exchanges are limited per client address and in all, and every outcome is audited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from counter_core.pairing import InvalidPairingCode, new_code, normalize_code

from ..errors import ApiError
from ..models import ApiKey, Kiosk, PairingCode, RateLimitHit, Register, StaffUser, utcnow
from ..security import hash_password, hash_token, new_token
from . import audit

ROLES = ("cashier", "manager")
KIOSK_NAME_LENGTH = Kiosk.__table__.c.name.type.length


def create_register(db: Session, name: str) -> Register:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise ApiError(422, "invalid_register_name", "A register name has 1 to 80 characters.")
    if db.execute(select(Register.id).where(Register.name == name)).first():
        raise ApiError(409, "register_exists", f"A register called {name!r} already exists.")
    register = Register(name=name)
    db.add(register)
    db.flush()
    return register


def pair_kiosk(db: Session, register: Register, name: str, *, actor: str, **detail: object) -> tuple[Kiosk, str]:
    """Create a kiosk for a register; return it and its device token (shown once, stored hashed)."""
    token, digest, hint = new_token("kd")
    name = " ".join((name or f"Kiosk at {register.name}").split())[:KIOSK_NAME_LENGTH]  # a long register name too
    kiosk = Kiosk(name=name, register_id=register.id, token_hash=digest, token_hint=hint)
    db.add(kiosk)
    db.flush()
    audit.record(db, actor, "kiosk_paired", kiosk=kiosk.id, register=register.name, **detail)
    return kiosk, token


PAIRING_CODE_TTL = dt.timedelta(minutes=10)
PAIRING_CODES_KEPT = dt.timedelta(days=30)  # spent codes are shown for a day and deleted after a month
PAIRING_WINDOW = dt.timedelta(minutes=1)
PAIRING_TRIES_PER_ADDRESS = 10  # per minute: a kiosk needs one, a mistyped code a few
PAIRING_TRIES_IN_ALL = 60  # per minute from everywhere: 50-bit codes stay out of reach of guessing


def create_pairing_code(db: Session, register: Register, kiosk_name: str, *, actor: str,
                        ttl: dt.timedelta = PAIRING_CODE_TTL) -> tuple[PairingCode, str]:
    """A new single-use pairing code for ``register``; return it and the code itself (shown, never stored)."""
    code = new_code()
    name = " ".join((kiosk_name or f"Kiosk at {register.name}").split())[:KIOSK_NAME_LENGTH]
    now = utcnow()
    db.execute(delete(PairingCode).where(PairingCode.expires_at < now - PAIRING_CODES_KEPT))  # the audit log stays
    pairing = PairingCode(code_hash=hash_token(code), register_id=register.id, kiosk_name=name,
                          created_by=actor[:120], created_at=now, expires_at=now + ttl)
    db.add(pairing)
    db.flush()
    audit.record(db, actor, "pairing_code_created", register=register.name, pairing=pairing.id,
                 expires=pairing.expires_at.isoformat(timespec="seconds"))
    return pairing, code


def pairing_status(pairing: PairingCode, now: dt.datetime | None = None) -> str:
    """waiting | used | expired."""
    if pairing.used_at is not None:
        return "used"
    return "expired" if (now or utcnow()) >= pairing.expires_at else "waiting"


def _pairing_throttle(db: Session, address: str) -> None:
    now = utcnow()
    db.execute(delete(RateLimitHit).where(RateLimitHit.bucket.like("pair:%"), RateLimitHit.at < now - PAIRING_WINDOW))
    since = now - PAIRING_WINDOW
    mine = "pair:a:" + address[:50]
    tries = dict(db.execute(
        select(RateLimitHit.bucket, func.count(RateLimitHit.id))
        .where(RateLimitHit.bucket.in_([mine, "pair:all"]), RateLimitHit.at > since)
        .group_by(RateLimitHit.bucket)
    ).all())
    if tries.get(mine, 0) >= PAIRING_TRIES_PER_ADDRESS or tries.get("pair:all", 0) >= PAIRING_TRIES_IN_ALL:
        raise ApiError(429, "pairing_rate_limited", "Too many pairing attempts. Wait a minute and try again.",
                       retry_after=60)
    db.add_all([RateLimitHit(bucket=mine, at=now, failed=True), RateLimitHit(bucket="pair:all", at=now, failed=True)])


def exchange_pairing_code(db: Session, code: str, *, address: str) -> tuple[Kiosk, str]:
    """Trade a valid pairing code for a new kiosk and its device token, once.

    Refusals (each audited, the attempt counted against the limits first): ``pairing_rate_limited`` (429),
    ``pairing_code_invalid`` (422), ``pairing_code_unknown`` (404), ``pairing_code_expired`` (410),
    ``pairing_code_used`` (409).  The caller commits, also after a refusal (the count and the audit stay).
    """
    _pairing_throttle(db, address)
    try:
        canonical = normalize_code(code)
    except InvalidPairingCode:
        audit.record(db, f"address:{address}"[:80], "pairing_refused", reason="invalid")
        raise ApiError(422, "pairing_code_invalid", "This is not a pairing code: it has 10 letters and digits.",
                       field="code") from None
    # FOR UPDATE: two kiosks with the same code (a photo of the screen) cannot both get a token
    pairing = db.execute(
        select(PairingCode).where(PairingCode.code_hash == hash_token(canonical)).with_for_update()
    ).scalar_one_or_none()
    if pairing is None:
        audit.record(db, f"address:{address}"[:80], "pairing_refused", reason="unknown")
        raise ApiError(404, "pairing_code_unknown", "This pairing code is not known. Make a new one in the back office.")
    status = pairing_status(pairing)
    if status == "used":
        audit.record(db, f"address:{address}"[:80], "pairing_refused", reason="used", pairing=pairing.id)
        raise ApiError(409, "pairing_code_used", "This pairing code has been used already. Make a new one in the "
                       "back office.")
    if status == "expired":
        audit.record(db, f"address:{address}"[:80], "pairing_refused", reason="expired", pairing=pairing.id)
        raise ApiError(410, "pairing_code_expired", "This pairing code has expired. Make a new one in the back office.")
    kiosk, token = pair_kiosk(db, pairing.register, pairing.kiosk_name, actor=pairing.created_by, via="pairing_code",
                              pairing=pairing.id, address=address)
    pairing.used_at = utcnow()
    pairing.used_from = address[:64]
    pairing.kiosk_id = kiosk.id
    return kiosk, token


def recent_pairing_codes(db: Session, register_id: int, *, limit: int = 3) -> list[PairingCode]:
    """The register's latest pairing codes (of the last day), newest first, for the devices page."""
    since = utcnow() - dt.timedelta(days=1)
    stmt = (select(PairingCode).where(PairingCode.register_id == register_id, PairingCode.created_at > since)
            .order_by(PairingCode.id.desc()).limit(limit))
    return list(db.execute(stmt).scalars())


def revoke_kiosk(db: Session, kiosk: Kiosk, *, actor: str) -> None:
    if kiosk.revoked_at is None:
        kiosk.revoked_at = utcnow()
        audit.record(db, actor, "kiosk_revoked", kiosk=kiosk.id)


def create_api_key(db: Session, name: str, *, actor: str) -> tuple[ApiKey, str]:
    token, digest, hint = new_token("pk")
    key = ApiKey(name=name, key_hash=digest, key_hint=hint)
    db.add(key)
    db.flush()
    audit.record(db, actor, "api_key_created", key=key.id)
    return key, token


def create_staff(
    db: Session, username: str, password: str, role: str, *, display_name: str = "", register: Register | None = None
) -> StaffUser:
    username = username.strip().lower()
    if role not in ROLES:
        raise ApiError(422, "invalid_role", "A role is cashier or manager.")
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ApiError(422, "invalid_username", "A username has letters, digits, dots, dashes or underscores.")
    check_password_strength(password)
    if db.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise ApiError(409, "username_taken", f"There is already a user called {username!r}.")
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        register_id=register.id if register else None,
    )
    db.add(user)
    db.flush()
    return user


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise ApiError(422, "weak_password", "A password has at least 8 characters.")
    if len(password) > 200:
        raise ApiError(422, "weak_password", "A password has at most 200 characters.")


def kiosk_view(kiosk: Kiosk) -> dict:
    return {
        "id": kiosk.id,
        "name": kiosk.name,
        "register": kiosk.register.name,
        "token_hint": kiosk.token_hint,
        "mode": kiosk.mode,
        "verify_group_ids": kiosk.verify_group_ids,
        "revoked": kiosk.revoked_at is not None,
        "last_seen_at": kiosk.last_seen_at.isoformat() if kiosk.last_seen_at else None,
        "last_status": kiosk.last_status,
    }
