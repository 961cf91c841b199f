#!/usr/bin/env bash
# Start Debian's PostgreSQL on localhost and make sure the test role exists.
set -euo pipefail
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
  if [ "$(id -u)" -eq 0 ]; then pg_ctlcluster "$version" main start; else sudo pg_ctlcluster "$version" main start; fi
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 0.5; done
as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='kiosk'\" | grep -q 1 || psql -qc \"CREATE ROLE kiosk LOGIN CREATEDB PASSWORD 'kiosk'\""
as_postgres "psql -qc 'GRANT pg_signal_backend TO kiosk'"  # the tests drop their databases WITH (FORCE), autovacuum or not
