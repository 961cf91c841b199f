"""Long-polling: answer as soon as something changed, or after the wait runs out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from ..runtime import Runtime

T = TypeVar("T")
RECHECK_SECONDS = 1.0  # other server processes are noticed through the database this often


async def wait_for_change(rt: Runtime, wait: float, read: Callable[[], T], changed: Callable[[T], bool]) -> T:
    """Call ``read`` (in a worker thread) until ``changed`` says yes or ``wait`` seconds pass."""
    deadline = time.monotonic() + max(0.0, min(wait, rt.settings.long_poll_seconds))
    while True:
        value = await run_in_threadpool(read)
        remaining = deadline - time.monotonic()
        if changed(value) or remaining <= 0:
            return value
        await rt.notifier.wait(min(remaining, RECHECK_SECONDS))
        await asyncio.sleep(0)
