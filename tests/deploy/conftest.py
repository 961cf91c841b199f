"""Fixtures for the deployment tests."""

from __future__ import annotations

import pytest

from tests.deploy.service_manager import ServiceManager, Unavailable


@pytest.fixture(scope="session")
def manager():
    """A real systemd service manager (see service_manager.py), or the test is skipped with the reason."""
    try:
        started = ServiceManager().start()
    except Unavailable as exc:
        pytest.skip(f"no real systemd service manager here: {exc}")
    yield started
    started.stop()
