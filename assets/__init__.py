"""The kiosk's assets (sounds, the demo camera video), installed as the package ``kiosk.assets``.

They stay in the checkout's top-level ``assets/`` folder, where the layout puts them;
``pyproject.toml`` maps this folder to ``kiosk.assets`` and ships its files as package
data, so code finds them with :mod:`importlib.resources` wherever the kiosk is installed
(a checkout, a virtual environment on the Pi), never by a path relative to a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def asset_path(*parts: str) -> Path:
    """The file of an asset, e.g. ``asset_path("sounds", "read.wav")``.

    pip installs packages as plain files, so the resource is a real path that
    OpenCV and SDL can open (a zipped install would need importlib.resources.as_file).
    """
    resource = files(__name__).joinpath(*parts)
    if not isinstance(resource, Path):
        raise RuntimeError(f"The kiosk's assets are not installed as files ({resource!r}); install with pip.")
    return resource
