"""``backoffice`` / ``python -m backoffice``: checks the server's libraries before loading them."""

from __future__ import annotations

import sys

from counter_core.extras import require


def main(argv: list[str] | None = None) -> int:
    require("backoffice", "server")
    from .cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
