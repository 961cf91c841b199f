"""Keys, tokens and passwords.

One server secret derives three independent keys (HKDF): the Fernet key that
encrypts personal identifiers, the HMAC key for their lookup hashes, and the
key that signs offline caches.  Device tokens, API keys, session cookies and
mobile-session tokens are random; only their SHA-256 is stored, so a stolen
database does not let anybody act as a kiosk.  Each kind has its own prefix
(``kd_``, ``pk_``, ``m_``) and is looked up only where that kind is accepted.
A token is found by an index lookup of its hash, which tells a timing
attacker nothing about the token; anything compared in Python (CSRF tokens,
browser cookies, signatures) goes through ``tokens_equal``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_password_hasher = PasswordHasher()


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"counter-kiosk", info=purpose).derive(secret.encode())


class Vault:
    """Encrypts personal identifiers and computes their lookup keys."""

    def __init__(self, secret_key: str):
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"fernet-personal-data")))
        self._lookup_key = _derive(secret_key, b"hmac-lookup")
        self._signing_key = _derive(secret_key, b"cache-signing")

    def lookup(self, kind: str, canonical_value: str) -> str:
        """HMAC-SHA256 of a canonical identifier, namespaced by kind."""
        message = f"{kind}:{canonical_value}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes | None) -> str:
        if not token:
            return ""
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            # Wrong secret for this database: say so instead of showing garbage.
            raise RuntimeError("Encrypted data cannot be read with this server's secret key.") from None

    def encrypt_json(self, value: dict) -> bytes:
        return self.encrypt(json.dumps(value, separators=(",", ":"), default=str))

    def decrypt_json(self, token: bytes | None) -> dict:
        return json.loads(self.decrypt(token)) if token else {}

    def sign(self, payload: bytes) -> str:
        return hmac.new(self._signing_key, payload, hashlib.sha256).hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str, nbytes: int = 32) -> tuple[str, str, str]:
    """A new random token: (token shown once, its stored hash, a short hint for lists)."""
    token = f"{prefix}_{secrets.token_urlsafe(nbytes)}"
    return token, hash_token(token), token[: len(prefix) + 5]


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- Staff password policy -----------------------------------------------------------------------
#
# At least 8 characters; not one of the passwords people pick first (the list
# shipped in common_passwords.txt, also with digits or signs around it or
# digits written for letters); not built on the user's own name or the shop's;
# and hard enough to guess by zxcvbn's estimate (score 3 of 4: some 10^8
# guesses and more, which an online attacker held back by the sign-in lockout
# never reaches).

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
MIN_PASSWORD_SCORE = 3
ESTIMATED_LENGTH = 64  # zxcvbn refuses more than 72 characters and slows down long before: the start is judged
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
SHOP_WORDS = ("kiosk", "kassa", "backoffice", "console", "counter", "cafe", "café")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _is_common(password: str) -> bool:
    common = common_passwords()
    lowered = password.strip().lower()
    stripped = _AROUND.sub("", lowered)
    candidates = {lowered, stripped, stripped.replace(" ", ""), stripped.translate(_LEET),
                  _AROUND.sub("", lowered.translate(_LEET))}
    return bool(candidates & common) or any(c in common for c in {_folded(c) for c in candidates})


def _personal_words(user_inputs) -> list[str]:
    words = []
    for item in user_inputs:
        for word in re.split(r"[\W_]+", str(item or "").lower()):
            if len(word) >= 4:
                words.append(word)
    return words


# What each refusal says (services/devices.py raises them with these texts, which the catalogues translate).
PASSWORD_PROBLEMS = {
    "too_short": "A password has at least 8 characters.",
    "too_long": "A password has at most 200 characters.",
    "common": "This is one of the passwords people choose most often. Choose a less common one.",
    "personal": "A password cannot be your own name or the shop's with a few digits added.",
    "guessable": "This password is too easy to guess. Use three or four words that do not belong together, "
                 "or a longer mix.",
}


def password_problem(password: str, *, user_inputs=()) -> str | None:
    """Why a new staff password is refused (a key of PASSWORD_PROBLEMS), or None when it is good enough.

    ``user_inputs`` are the words a guesser would try first for this account:
    the username, the person's name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    if _is_common(password):
        return "common"
    personal = _personal_words(user_inputs)
    core = _folded(_AROUND.sub("", password.lower()).translate(_LEET))
    if any(core == _folded(word) for word in personal):
        return "personal"
    if _strength(password[:ESTIMATED_LENGTH], personal + list(SHOP_WORDS)) < MIN_PASSWORD_SCORE:
        return "guessable"
    return None


def _strength(password: str, words: list[str]) -> int:
    """zxcvbn's score (0-4); an estimate from length and kinds of characters without it."""
    try:
        from zxcvbn import zxcvbn
    except ImportError:  # pragma: no cover - zxcvbn is a dependency; kept for a trimmed install
        return _fallback_score(password)
    return int(zxcvbn(password, user_inputs=words)["score"])


def _fallback_score(password: str) -> int:
    """log10 of the guesses a brute force needs, from the kinds of characters and the distinct ones, as a score."""
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^\w]"))
    alphabet = {1: 26, 2: 52, 3: 62, 4: 94}.get(kinds, 26)
    effective = min(len(password), 2 * len(set(password)))  # "aaaaaaaaaa" is not ten characters of choice
    guesses = effective * math.log10(alphabet)
    return 4 if guesses >= 12 else 3 if guesses >= 10 else 2 if guesses >= 8 else 1 if guesses >= 6 else 0
