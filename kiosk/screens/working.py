"""Working: the backoffice is being asked; a spinner and nothing else."""

from __future__ import annotations

from .base import KioskScreen


class WorkingScreen(KioskScreen):
    pass
