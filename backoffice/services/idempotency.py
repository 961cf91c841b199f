"""Idempotency keys: a retried request gets the first answer, and its work is never done twice."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..domain_errors import Conflict, Invalid, MalformedRequest
from ..models import IdempotencyRecord, utcnow

MAX_KEY_LENGTH = 100


def fingerprint(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


_STORED = select(IdempotencyRecord.fingerprint, IdempotencyRecord.status_code, IdempotencyRecord.response).where(
    IdempotencyRecord.scope == bindparam("scope"), IdempotencyRecord.key == bindparam("key")
)
_STORE = insert(IdempotencyRecord.__table__)


def _stored(db: Session, scope: str, key: str):
    """The stored answer (fingerprint, status_code, response) as a plain row, or None."""
    return db.connection().execute(_STORED, {"scope": scope, "key": key}).first()


def _replay(record, print_: str) -> tuple[int, dict]:
    if record.fingerprint != print_:
        raise Invalid(
            "idempotency_key_reused", "This Idempotency-Key was already used for a different request."
        )
    return record.status_code, record.response


def run_once(
    sessions: sessionmaker[Session],
    scope: str,
    key: str | None,
    body: object,
    work: Callable[[Session], tuple[int, dict]],
    *,
    after_commit: Callable[[], None] | None = None,
) -> tuple[int, dict]:
    """Run ``work`` in a new transaction and store its answer under (scope, key).

    A request with a key that was already answered returns the stored answer.
    Two concurrent requests with the same key race on a unique constraint: the
    loser's transaction (including everything its work wrote) is rolled back,
    and it returns the winner's answer.  Refusals (domain errors) are not stored.
    ``after_commit`` runs once the work's transaction has committed (not for a replayed answer).
    """
    if key is not None and (not key or len(key) > MAX_KEY_LENGTH or not key.isprintable()):
        raise MalformedRequest("invalid_idempotency_key", f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters.")
    print_ = fingerprint(body)
    for attempt in range(3):
        with sessions() as db:
            if key is not None:
                record = _stored(db, scope, key)
                if record is not None:
                    return _replay(record, print_)
            status, response = work(db)
            try:
                if key is not None:  # the unique (scope, key) decides a race between two retries
                    values = {"scope": scope, "key": key, "fingerprint": print_, "status_code": status,
                              "response": response, "created_at": utcnow()}
                    db.connection().execute(_STORE, values)
                db.commit()
                if after_commit is not None:
                    after_commit()
                return status, response
            except IntegrityError:
                db.rollback()
                if key is None:
                    raise
        time.sleep(0.05 * (attempt + 1))
    with sessions() as db:
        record = _stored(db, scope, key)
        if record is not None:
            return _replay(record, print_)
    raise Conflict("request_in_progress", "The same request is still being processed; try again shortly.")
