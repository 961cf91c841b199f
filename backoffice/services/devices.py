"""Registers, kiosk pairing, API keys and staff accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain_errors import Conflict, Invalid, NotFound, NotSignedIn
from ..models import ApiKey, Kiosk, Register, StaffUser, utcnow
from ..security import hash_password, new_token
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


def pair_kiosk(db: Session, register: Register, name: str, *, actor: str) -> tuple[Kiosk, str]:
    """Create a kiosk for a register; return it and its device token (shown once, stored hashed)."""
    token, digest, hint = new_token("kd")
    name = " ".join((name or f"Kiosk at {register.name}").split())[:KIOSK_NAME_LENGTH]  # a long register name too
    kiosk = Kiosk(name=name, register_id=register.id, token_hash=digest, token_hint=hint)
    db.add(kiosk)
    db.flush()
    audit.record(db, actor, "kiosk_paired", kiosk=kiosk.id, register=register.name)
    return kiosk, token


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
        raise Invalid("invalid_role", "A role is cashier or manager.")
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise Invalid("invalid_username", "A username has letters, digits, dots, dashes or underscores.")
    check_password_strength(password)
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


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise Invalid("weak_password", "A password has at least 8 characters.")
    if len(password) > 200:
        raise Invalid("weak_password", "A password has at most 200 characters.")


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
