"""What the kiosk and the backoffice share, importing neither.

- :mod:`counter_core.identity`: what a scanned code or typed number means, and the normalisers
  both sides validate with (pure Python: no Kivy, no HTTP, no database);
- :mod:`counter_core.offline_list`: the venue scanner's signed offline list on the wire;
- :mod:`counter_core.kiosk_api`: the kiosk API's answers and reason codes, as both ends read them;
- :mod:`counter_core.config`: the one settings loader (defaults, INI file, environment);
- :mod:`counter_core.extras`: a clear message when a command's optional libraries are missing.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "counter-kiosk"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
