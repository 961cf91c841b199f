"""Request-scoped pieces the routers share: the unit of work and the objects a path names.

A route that writes takes ``db: Session = Depends(unit_of_work)`` and never
commits by hand: the session is committed once the route has returned (before
the answer is sent, so a failed commit is still answered as an error), rolled
back if anything raised, and only after a successful commit are the live views
(console event streams, kiosk long-polls) woken.  They re-read the database
when woken, so a wake-up that brings nothing new costs one cheap read.

Reads take ``Depends(read_session)``: on SQLite its transactions start
DEFERRED and never queue behind writers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from .auth import runtime
from .models import Kiosk
from .params import RowId
from .runtime import Runtime
from .services import devices


@contextlib.contextmanager
def transaction(rt: Runtime, *, notify: bool = True) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back when it raises, then wake the live views.

    The request dependency below is this around a whole route; a route that
    runs several short transactions (a long-poll's rounds, which must not wake
    the very views that poll) uses it directly, with ``notify=False``.
    """
    with rt.sessions() as db:
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()
    if notify:
        rt.notifier.notify()


def _unit_of_work(rt: Runtime = Depends(runtime)) -> Iterator[Session]:
    with transaction(rt) as db:
        yield db


def _read_session(rt: Runtime = Depends(runtime)) -> Iterator[Session]:
    with rt.read_sessions() as db:
        yield db


# scope="function": the code after ``yield`` runs before the response is sent.
unit_of_work = Depends(_unit_of_work, scope="function")
read_session = Depends(_read_session, scope="function")
WriteSession = Annotated[Session, unit_of_work]
ReadSession = Annotated[Session, read_session]


def kiosk_from_path(db: WriteSession, kiosk_id: RowId) -> Kiosk:
    """The kiosk the path names (paired or not), else 404 ``kiosk_not_found``."""
    return devices.get_kiosk(db, kiosk_id)


def paired_kiosk_from_path(db: WriteSession, kiosk_id: RowId) -> Kiosk:
    """The still-paired kiosk the path names, else 404 ``kiosk_not_found``."""
    return devices.get_kiosk(db, kiosk_id, paired=True)


PathKiosk = Annotated[Kiosk, Depends(kiosk_from_path)]
PairedPathKiosk = Annotated[Kiosk, Depends(paired_kiosk_from_path)]
