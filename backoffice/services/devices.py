"""Registers, kiosk pairing, API keys and staff accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ApiError
from ..models import ApiKey, Kiosk, Register, StaffUser, utcnow
from ..security import hash_password, new_token, password_problem
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
    db: Session, username: str, password: str, role: str, *, display_name: str = "", register: Register | None = None,
    check_strength: bool = True,
) -> StaffUser:
    username = username.strip().lower()
    if role not in ROLES:
        raise ApiError(422, "invalid_role", "A role is cashier or manager.")
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ApiError(422, "invalid_username", "A username has letters, digits, dots, dashes or underscores.")
    if check_strength:
        check_password_strength(password, user_inputs=(username, display_name))
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


def check_password_strength(password: str, *, user_inputs=()) -> None:
    """Refuse (422) a staff password that security.password_problem finds too weak."""
    problem = password_problem(password, user_inputs=user_inputs)
    if problem:
        raise ApiError(422, "weak_password", problem)


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
