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

from ..domain_errors import Conflict, Gone, Invalid, NotFound, NotSignedIn, RateLimited
from ..models import ApiKey, Kiosk, PairingCode, RateLimitHit, Register, StaffUser, utcnow
from ..security import hash_password, hash_token, new_token, password_problem
from . import audit

ROLES = ("cashier", "manager")
KIOSK_NAME_LENGTH = Kiosk.__table__.c.name.type.length


def create_register(db: Session, name: str) -> Register:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise Invalid("invalid_register_name", "A register name has 1 to 80 characters.")
    if db.execute(select(Register.id).where(Register.name == name)).first():
        raise Conflict("register_exists", f"A register called {name!r} already exists.")
    register = Register(name=name)
    db.add(register)
    db.flush()
    return register


def get_kiosk(db: Session, kiosk_id: int, *, paired: bool = False) -> Kiosk:
    """The kiosk with this id (``paired``: only while it is still paired), else NotFound ``kiosk_not_found``."""
    kiosk = db.get(Kiosk, kiosk_id)
    if kiosk is None:
        raise NotFound("kiosk_not_found", "There is no such kiosk.")
    if paired and kiosk.revoked_at is not None:
        raise NotFound("kiosk_not_found", "There is no such kiosk (or it has been unpaired).")
    return kiosk


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
        raise RateLimited("pairing_rate_limited", "Too many pairing attempts. Wait a minute and try again.",
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
        raise Invalid("pairing_code_invalid", "This is not a pairing code: it has 10 letters and digits.",
                       field="code") from None
    # FOR UPDATE: two kiosks with the same code (a photo of the screen) cannot both get a token
    pairing = db.execute(
        select(PairingCode).where(PairingCode.code_hash == hash_token(canonical)).with_for_update()
    ).scalar_one_or_none()
    if pairing is None:
        audit.record(db, f"address:{address}"[:80], "pairing_refused", reason="unknown")
        raise NotFound("pairing_code_unknown", "This pairing code is not known. Make a new one in the back office.")
    status = pairing_status(pairing)
    if status == "used":
        audit.record(db, f"address:{address}"[:80], "pairing_refused", reason="used", pairing=pairing.id)
        raise Conflict("pairing_code_used", "This pairing code has been used already. Make a new one in the "
                       "back office.")
    if status == "expired":
        audit.record(db, f"address:{address}"[:80], "pairing_refused", reason="expired", pairing=pairing.id)
        raise Gone("pairing_code_expired", "This pairing code has expired. Make a new one in the back office.")
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
    db: Session, username: str, password: str, role: str, *, display_name: str = "", register: Register | None = None,
    check_strength: bool = True,
) -> StaffUser:
    username = username.strip().lower()
    if role not in ROLES:
        raise Invalid("invalid_role", "A role is cashier or manager.")
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise Invalid("invalid_username", "A username has letters, digits, dots, dashes or underscores.")
    if check_strength:
        check_password_strength(password, user_inputs=(username, display_name))
    if db.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise Conflict("username_taken", f"There is already a user called {username!r}.")
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


def check_password_strength(password: str, *, user_inputs=()) -> None:
    """Refuse (422) a staff password that security.password_problem finds too weak, saying why."""
    problem = password_problem(password, user_inputs=user_inputs)
    if problem == "too_short":
        raise Invalid("weak_password", "A password has at least 8 characters.")
    if problem == "too_long":
        raise Invalid("weak_password", "A password has at most 200 characters.")
    if problem == "common":
        raise Invalid("weak_password",
                       "This is one of the passwords people choose most often. Choose a less common one.")
    if problem == "personal":
        raise Invalid("weak_password", "A password cannot be your own name or the shop's with a few digits added.")
    if problem:
        raise Invalid("weak_password", "This password is too easy to guess. Use three or four words that do not "
                                             "belong together, or a longer mix.")


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


def list_registers(db: Session) -> list[Register]:
    return list(db.execute(select(Register).order_by(Register.name)).scalars())


def find_register(db: Session, register_id: int | None) -> Register | None:
    return db.get(Register, register_id) if register_id else None


def list_kiosks(db: Session, *, register_id: int | None = None) -> list[Kiosk]:
    """Kiosks in id order, all of them or one register's."""
    stmt = select(Kiosk).order_by(Kiosk.id)
    if register_id is not None:
        stmt = stmt.where(Kiosk.register_id == register_id)
    return list(db.execute(stmt).scalars())


def kiosk_names(db: Session) -> list:
    """(id, name, mode, revoked_at) of every kiosk by name, for filters."""
    return list(db.execute(select(Kiosk.id, Kiosk.name, Kiosk.mode, Kiosk.revoked_at).order_by(Kiosk.name)))


def caller_kiosk(db: Session, kiosk_id: int) -> Kiosk:
    """The calling kiosk's own row; one unpaired since its token was checked is told to pair again."""
    kiosk = db.get(Kiosk, kiosk_id)
    if kiosk is None or kiosk.revoked_at is not None:
        raise NotSignedIn("token_revoked", "This kiosk has been unpaired; pair it again.")
    return kiosk


def get_pairing_code(db: Session, pairing_id: int) -> PairingCode:
    pairing = db.get(PairingCode, pairing_id)
    if pairing is None:
        raise NotFound("pairing_not_found", "There is no such pairing code.")
    return pairing
