"""Pending: the cashier has the registration; the screen follows it until confirmed or aborted."""

from __future__ import annotations

from .base import KioskScreen


class PendingScreen(KioskScreen):
    pass
