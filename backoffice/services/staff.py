"""Staff accounts at work: signing in (with a growing lockout), changing passwords, managing users.

Failed sign-ins are counted in the database (``login_failures``, see
``login_lockout``) so that every server process sees them: per username, and
per client address with a higher ceiling because several cashiers of one shop
share an address.  A wrong name, a wrong password and a disabled account get
the same answer, in the same time.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..domain_errors import Conflict, Invalid, NotFound, NotSignedIn
from ..models import Register, StaffSession, StaffUser, utcnow
from ..security import hash_password, verify_password
from ..settings import SHOP_LANGUAGES, Settings
from . import audit, login_lockout
from .devices import ROLES, check_password_strength

# Verified against when the username is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")


def sign_in(db: Session, username: str, password: str, *, address: str, settings: Settings) -> StaffUser:
    """Check a username and password; count a failure, raise 401 or 429, or return the user.

    The attempt is counted (and a lock it earns is set) and committed before
    the password is checked, so that a burst of guesses sent at once meets the
    lock like guesses one after the other; no transaction is open during the
    slow hash check.  A success then clears the count.
    """
    username = username.strip().lower()[:80]
    login_lockout.reserve(db, settings, username, address)
    user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    db.commit()
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password[:200])
    if user is None or not valid or user.disabled_at is not None:
        audit.record(db, f"staff:{username}", "sign_in_failed", address=address,
                     **({"disabled": True} if user is not None and user.disabled_at is not None else {}))
        # A disabled account answers like a wrong password, whatever the password: the answer never
        # confirms a password, nor that the account exists.
        raise NotSignedIn("invalid_login", "Wrong username or password.")
    login_lockout.clear(db, username, address)
    audit.record(db, f"staff:{username}", "signed_in", address=address)
    return user


def change_password(db: Session, user: StaffUser, current: str, new: str, repeat: str, *, keep_session: str) -> None:
    """Change one's own password; every other session of the user ends."""
    if not verify_password(user.password_hash, current[:200]):
        raise Invalid("wrong_password", "The current password is not right.")
    if new != repeat:
        raise Invalid("passwords_differ", "The two new passwords are not the same.")
    if new == current:
        raise Invalid("password_unchanged", "Choose a password different from the current one.")
    check_password_strength(new, user_inputs=(user.username, user.display_name))
    user.password_hash = hash_password(new)
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id, StaffSession.id != keep_session))
    audit.record(db, f"staff:{user.username}", "password_changed")


def set_password(db: Session, user: StaffUser, new: str, *, actor: str) -> None:
    """A manager sets a new password for someone; their sessions end and any sign-in lock is lifted."""
    check_password_strength(new, user_inputs=(user.username, user.display_name))
    user.password_hash = hash_password(new)
    end_sessions(db, user)
    login_lockout.clear(db, user.username)
    audit.record(db, actor, "password_reset", user=user.username)


def update_user(
    db: Session, user: StaffUser, *, role: str, register_id: int | None, display_name: str, actor_id: int, actor: str
) -> None:
    if role not in ROLES:
        raise Invalid("invalid_role", "A role is cashier or manager.")
    if user.id == actor_id and role != user.role:
        raise Conflict("own_role", "You cannot change your own role; ask another manager.")
    if register_id is not None and db.get(Register, register_id) is None:
        raise NotFound("register_not_found", "There is no such register.")
    user.role = role
    user.register_id = register_id
    user.display_name = " ".join(display_name.split())[:120] or user.username
    audit.record(db, actor, "staff_updated", user=user.username, role=role)


def set_language(db: Session, user: StaffUser, language: str, *, actor: str) -> None:
    """A staff member's page language; empty follows the shop's default."""
    if language and language not in SHOP_LANGUAGES:
        raise Invalid("invalid_language", "Choose one of the languages in the list.")
    user.language = language
    audit.record(db, actor, "staff_language_set", user=user.username, language=language or "shop default")


def set_disabled(db: Session, user: StaffUser, disabled: bool, *, actor_id: int, actor: str) -> None:
    if user.id == actor_id and disabled:
        raise Conflict("own_account", "You cannot disable your own account.")
    user.disabled_at = utcnow() if disabled else None
    if disabled:
        end_sessions(db, user)
    audit.record(db, actor, "staff_disabled" if disabled else "staff_enabled", user=user.username)


def end_sessions(db: Session, user: StaffUser) -> None:
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def get_user(db: Session, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise NotFound("staff_not_found", "There is no such staff account.")
    return user


def list_users(db: Session) -> list[StaffUser]:
    return list(db.execute(select(StaffUser).order_by(StaffUser.disabled_at.is_not(None), StaffUser.username)).scalars())


def find_user(db: Session, user_id: int) -> StaffUser | None:
    """The staff account, or None when it is gone."""
    return db.get(StaffUser, user_id)
