"""Staff accounts at work: signing in (with throttling), changing passwords, managing users.

Failed sign-ins are counted in the database (``rate_limit_hits``) so that every
server process sees them: per username, and per client address with a higher
ceiling because several cashiers of one shop share an address.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..errors import ApiError
from ..models import RateLimitHit, Register, StaffSession, StaffUser, utcnow
from ..security import hash_password, verify_password
from ..settings import SHOP_LANGUAGES
from . import audit
from .devices import ROLES, check_password_strength

WINDOW = dt.timedelta(minutes=1)
ADDRESS_FACTOR = 5  # one shop's tills share an address; a single username gets the strict limit
# Verified against when the username is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")


def _user_bucket(username: str) -> str:
    return "login:u:" + hashlib.sha256(username.encode()).hexdigest()[:40]


def _address_bucket(address: str) -> str:
    return "login:a:" + address[:50]


def _failures(db: Session, bucket: str, since: dt.datetime) -> int:
    stmt = select(func.count(RateLimitHit.id)).where(RateLimitHit.bucket == bucket, RateLimitHit.at > since)
    return db.execute(stmt).scalar_one()


def check_throttle(db: Session, username: str, address: str, per_minute: int) -> None:
    """Refuse (429) while a username or a client address has too many recent failed sign-ins."""
    since = utcnow() - WINDOW
    if _failures(db, _user_bucket(username), since) >= per_minute:
        raise ApiError(
            429, "login_rate_limited", "Too many failed sign-ins for this user. Wait a minute and try again.",
            retry_after=60,
        )
    if _failures(db, _address_bucket(address), since) >= per_minute * ADDRESS_FACTOR:
        raise ApiError(
            429, "login_rate_limited", "Too many failed sign-ins from this device. Wait a minute and try again.",
            retry_after=60,
        )


def sign_in(db: Session, username: str, password: str, *, address: str, per_minute: int) -> StaffUser:
    """Check a username and password; count a failure, raise 401 or 429, or return the user."""
    username = username.strip().lower()[:80]
    check_throttle(db, username, address, per_minute)
    user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password[:200])
    if user is None or not valid or user.disabled_at is not None:
        now = utcnow()
        db.execute(delete(RateLimitHit).where(RateLimitHit.bucket.like("login:%"), RateLimitHit.at < now - WINDOW))
        db.add(RateLimitHit(bucket=_user_bucket(username), at=now, failed=True))
        db.add(RateLimitHit(bucket=_address_bucket(address), at=now, failed=True))
        audit.record(db, f"staff:{username}", "sign_in_failed", address=address)
        if user is not None and valid:
            raise ApiError(403, "account_disabled", "This account has been disabled. Ask a manager.")
        raise ApiError(401, "invalid_login", "Wrong username or password.")
    db.execute(delete(RateLimitHit).where(RateLimitHit.bucket == _user_bucket(username)))
    audit.record(db, f"staff:{username}", "signed_in", address=address)
    return user


def change_password(db: Session, user: StaffUser, current: str, new: str, repeat: str, *, keep_session: str) -> None:
    """Change one's own password; every other session of the user ends."""
    if not verify_password(user.password_hash, current[:200]):
        raise ApiError(422, "wrong_password", "The current password is not right.")
    if new != repeat:
        raise ApiError(422, "passwords_differ", "The two new passwords are not the same.")
    if new == current:
        raise ApiError(422, "password_unchanged", "Choose a password different from the current one.")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id, StaffSession.id != keep_session))
    audit.record(db, f"staff:{user.username}", "password_changed")


def set_password(db: Session, user: StaffUser, new: str, *, actor: str) -> None:
    """A manager sets a new password for someone; their sessions end."""
    check_password_strength(new)
    user.password_hash = hash_password(new)
    end_sessions(db, user)
    audit.record(db, actor, "password_reset", user=user.username)


def update_user(
    db: Session, user: StaffUser, *, role: str, register_id: int | None, display_name: str, actor_id: int, actor: str
) -> None:
    if role not in ROLES:
        raise ApiError(422, "invalid_role", "A role is cashier or manager.")
    if user.id == actor_id and role != user.role:
        raise ApiError(409, "own_role", "You cannot change your own role; ask another manager.")
    if register_id is not None and db.get(Register, register_id) is None:
        raise ApiError(404, "register_not_found", "There is no such register.")
    user.role = role
    user.register_id = register_id
    user.display_name = " ".join(display_name.split())[:120] or user.username
    audit.record(db, actor, "staff_updated", user=user.username, role=role)


def set_language(db: Session, user: StaffUser, language: str, *, actor: str) -> None:
    """A staff member's page language; empty follows the shop's default."""
    if language and language not in SHOP_LANGUAGES:
        raise ApiError(422, "invalid_language", "Choose one of the languages in the list.")
    user.language = language
    audit.record(db, actor, "staff_language_set", user=user.username, language=language or "shop default")


def set_disabled(db: Session, user: StaffUser, disabled: bool, *, actor_id: int, actor: str) -> None:
    if user.id == actor_id and disabled:
        raise ApiError(409, "own_account", "You cannot disable your own account.")
    user.disabled_at = utcnow() if disabled else None
    if disabled:
        end_sessions(db, user)
    audit.record(db, actor, "staff_disabled" if disabled else "staff_enabled", user=user.username)


def end_sessions(db: Session, user: StaffUser) -> None:
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def get_user(db: Session, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise ApiError(404, "staff_not_found", "There is no such staff account.")
    return user


def list_users(db: Session) -> list[StaffUser]:
    return list(db.execute(select(StaffUser).order_by(StaffUser.disabled_at.is_not(None), StaffUser.username)).scalars())
