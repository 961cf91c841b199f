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
import secrets

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
