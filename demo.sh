#!/usr/bin/env bash
# Install everything (Debian packages, a virtual environment in .venv) and run
# the demo: the backoffice on its embedded SQLite database with demo data, the
# kiosk window, and the cashier console's URL printed in the terminal.
# Extra arguments go to `counter-demo` (e.g. ./demo.sh --no-window, --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-env.sh demo
exec .venv/bin/counter-demo "$@"
