#!/usr/bin/env bash
# Install everything the tests need and run the whole suite: every test on
# SQLite, then the backoffice suite again on PostgreSQL, then the Raspberry Pi
# install proven on arm64 under emulation (scripts/arm64-check.sh, ~15 min).
# Exits non-zero when a test fails. Extra arguments go to pytest (e.g. ./test.sh -k identify).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-env.sh test

echo "== Lint and layer contracts"
.venv/bin/ruff check --quiet .
.venv/bin/lint-imports --no-cache

echo "== Tests on SQLite"
.venv/bin/python -m pytest -q "$@"

echo "== Backoffice tests on PostgreSQL"
scripts/start-postgres.sh
TEST_DATABASE_URL=postgresql://kiosk:kiosk@127.0.0.1:5432/postgres \
  .venv/bin/python -m pytest -q tests/backoffice "$@"

echo "== Raspberry Pi install on arm64, emulated: scripts/arm64-check.sh"
scripts/arm64-check.sh
