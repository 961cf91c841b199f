#!/usr/bin/env bash
# The Raspberry Pi install, proven on arm64 under emulation (qemu-user + proot, no binfmt_misc):
#
#  1. an arm64 Debian 12 root (debootstrap, minbase) in var/arm64/root, reused when it is there;
#  2. systemd/install-pi.sh run inside it exactly as on Raspberry Pi OS Lite 64-bit: its apt
#     packages, its pip command (aarch64 wheels only), the kiosk user, kiosk.ini, the unit;
#  3. inside the root: kiosk-decode reads a QR code, a DataMatrix and a PDF417; the real kiosk app
#     starts against a real backoffice (running natively on the host, seeded, on a free loopback
#     port), reaches its home screen and writes a screenshot that must not be blank;
#     systemd-analyze verify passes for the installed unit; a second install changes nothing.
#
# Every step prints its time; the summary at the end lists them. Run by ./test.sh (CI) after the
# tests; alone: scripts/arm64-check.sh. Needs root (apt-get installs qemu-user-static, debootstrap,
# proot and gcc on the host) and the network to Debian's mirror and PyPI. It skips, saying why,
# only where this host cannot emulate arm64 (not Linux, no ptrace, the tools cannot be installed).
#
#   ARM64_FRESH=1   build the root anew (default: reuse var/arm64/root from an earlier run)
#   ARM64_KEEP=1    keep the backoffice's data and logs in var/arm64/ after success
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=$REPO/var/arm64
ROOT=$WORK/root
NOSYS=$WORK/nosys
SRC_IN_ROOT=/root/counter-kiosk       # where the checkout lies in the root, as in docs/deployment.md
OUT_IN_ROOT=/root/arm64-check         # what the checks inside write, read back by the host
SHOT_COPY=${ARM64_SHOT:-$REPO/test-artifacts/arm64-home.png}
HOST_TOOLS=(qemu-user-static debootstrap proot gcc libc6-dev)
# What Raspberry Pi OS Lite has and a minbase Debian root lacks, that install-pi.sh relies on:
# systemd itself (systemctl, systemd-analyze). Everything the kiosk needs beyond the image is in
# install-pi.sh's own package list, so that a gap found here is fixed there.
PI_IMAGE_BASE=(systemd)
BACKOFFICE_PID=""
declare -a TIMES=()

say() { printf '%s\n' "$*"; }
stamp() { local line; while IFS= read -r line; do printf '%s %s\n' "$(date +%T)" "$line"; done; }
die() { printf 'arm64-check: %s\n' "$*" >&2; exit 1; }
skip() { say "== arm64 check SKIPPED: $*"; exit 0; }

step() {
  local name=$1 start end
  shift
  say "== arm64: $name"
  start=$(date +%s)
  "$@"
  end=$(date +%s)
  TIMES+=("$(printf '%5d s  %s' $((end - start)) "$name")")
  say "   ($name: $((end - start)) s)"
}

cleanup() {
  if [ -n "$BACKOFFICE_PID" ] && kill -0 "$BACKOFFICE_PID" 2>/dev/null; then
    kill "$BACKOFFICE_PID" 2>/dev/null || true
    wait "$BACKOFFICE_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

HOST_ARCH=$(uname -m)
QEMU=()
[ "$HOST_ARCH" != x86_64 ] || QEMU=(-q qemu-aarch64-static)

# A command inside the root, as (fake) root, with a clean environment: the host's variables
# (its pip configuration, PYTHONDONTWRITEBYTECODE...) are not the Pi's.
in_root() {
  local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb)
  [ ! -f "$ROOT/etc/arm64-check/host-ca.crt" ] || envs+=(PIP_CERT=/etc/arm64-check/host-ca.crt)
  local var
  for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_INDEX_URL; do
    [ -z "${!var:-}" ] || envs+=("$var=${!var}")
  done
  "$NOSYS" proot "${QEMU[@]}" -r "$ROOT" -0 -w /root -b /proc -b /dev -b /sys \
    /usr/bin/env -i "${envs[@]}" "$@"
}

# --- can this host emulate? ---------------------------------------------------------------------

preflight() {
  [ "$(uname -s)" = Linux ] || skip "not Linux: proot and qemu-user need a Linux kernel"
  case $HOST_ARCH in
    x86_64|aarch64) ;;
    *) skip "host is $HOST_ARCH: only x86-64 (qemu-user) and arm64 (native) hosts are set up" ;;
  esac
  local tool missing=()
  for tool in "${HOST_TOOLS[@]}"; do
    dpkg-query -W -f='${Status}' "$tool" 2>/dev/null | grep -q "install ok installed" || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
      skip "needs ${missing[*]} and cannot install them here (not root, or no apt-get)"
    fi
    say "Installing on the host: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  [ ! -x "$REPO/.venv/bin/backoffice" ] || [ ! -x "$REPO/.venv/bin/python" ] || return 0
  scripts/setup-env.sh test
}

build_wrapper() {
  mkdir -p "$WORK"
  gcc -static -O2 -Wall -Wextra -Werror -o "$NOSYS" scripts/arm64/nosys.c
  # proot traces with ptrace: some sandboxes forbid it, and then nothing here can work.
  "$NOSYS" proot -r / /bin/true 2>"$WORK/proot-probe.log" \
    || skip "proot cannot trace processes here (ptrace not permitted): $(head -c 300 "$WORK/proot-probe.log")"
}

# --- the root -----------------------------------------------------------------------------------

debian_mirror() {
  # The mirror apt already uses for bookworm on this host.
  # shellcheck disable=SC2016  # $(...) are apt's format fields
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(ORIGIN)' 2>/dev/null \
    | awk '$2 == "bookworm" && $3 == "Debian" { print $1; exit }'
}

build_root() {
  if [ "${ARM64_FRESH:-0}" = 1 ] && [ -e "$ROOT" ]; then
    say "ARM64_FRESH=1: removing the old root"
    rm -rf "$ROOT"
  fi
  if [ -f "$ROOT/.arm64-check-base" ]; then
    say "Reusing the root in $ROOT (ARM64_FRESH=1 builds it anew)"
    return 0
  fi
  local mirror
  mirror=$(debian_mirror)
  mirror=${mirror:-http://deb.debian.org/debian/}
  mirror=${mirror%/}
  rm -rf "$ROOT"
  say "debootstrap (first stage) from $mirror"
  debootstrap --arch=arm64 --foreign --variant=minbase bookworm "$ROOT" "$mirror" >"$WORK/debootstrap-1.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap-1.log"; die "debootstrap's first stage failed (log: $WORK/debootstrap-1.log)"; }
  say "debootstrap (second stage, emulated)"
  in_root /debootstrap/debootstrap --second-stage >"$WORK/debootstrap-2.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap-2.log"; die "debootstrap's second stage failed (log: $WORK/debootstrap-2.log)"; }
  # Raspberry Pi OS has the point releases and the security updates too.
  local security=${mirror%/debian}/debian-security
  cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
  # shellcheck disable=SC2016  # expanded inside the root
  in_root sh -c '[ -x /bin/sh ] && [ "$(uname -m)" = aarch64 ]' || die "the root does not run as arm64 (see $WORK)"
  touch "$ROOT/.arm64-check-base"
}

prepare_root() {
  # Name resolution and the CA certificates the host trusts (pip reaches PyPI over HTTPS).
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  grep -q '^127.0.0.1' "$ROOT/etc/hosts" 2>/dev/null || printf '127.0.0.1 localhost\n::1 localhost\n' >>"$ROOT/etc/hosts"
  local bundle=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
  if [ -f "$bundle" ]; then
    mkdir -p "$ROOT/etc/arm64-check"
    cp "$bundle" "$ROOT/etc/arm64-check/host-ca.crt"
  fi
  # The checkout, as "git clone ... ~/counter-kiosk" leaves it: tracked and new files, no build output.
  rm -rf "${ROOT:?}$SRC_IN_ROOT" "${ROOT:?}$OUT_IN_ROOT"
  mkdir -p "$ROOT$SRC_IN_ROOT" "$ROOT$OUT_IN_ROOT"
  if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
    # (--ignore-failed-read: a tracked file deleted in the work tree is left out)
    git -C "$REPO" ls-files -z --cached --others --exclude-standard \
      | tar -C "$REPO" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$ROOT$SRC_IN_ROOT" -xf -
  else
    tar -C "$REPO" --exclude=./var --exclude=./.venv --exclude=./test-artifacts -cf - . | tar -C "$ROOT$SRC_IN_ROOT" -xf -
  fi
  # proot 5.1 aborts (path.c compare_paths2 assertion) on readlinkat(fd, "") as systemd-tmpfiles
  # calls it for its "L" lines, killing every process in the root. Maintainer scripts run it only
  # when it is there, so it is diverted away; a Pi that boots runs it at every boot anyway.
  in_root dpkg-divert --quiet --local --rename --divert /bin/systemd-tmpfiles.arm64-check --add /bin/systemd-tmpfiles
  local missing=() pkg
  for pkg in "${PI_IMAGE_BASE[@]}"; do
    # shellcheck disable=SC2016  # dpkg-query's field
    in_root dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "What Raspberry Pi OS Lite has already: ${missing[*]}"
  in_root apt-get update -qq
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$WORK/image-base.log" 2>&1 || { tail -20 "$WORK/image-base.log"; die "installing ${missing[*]} failed"; }
}

# --- the backoffice, natively on the host -------------------------------------------------------

free_port() {
  "$REPO/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_backoffice() {
  local data=$WORK/backoffice port key
  rm -rf "$data"
  mkdir -p "$data"
  export BACKOFFICE_DATA_DIR=$data
  "$REPO/.venv/bin/backoffice" --data-dir "$data" seed-demo --customers 30 >"$WORK/seed.log" 2>&1
  port=$(free_port)
  BACKOFFICE_URL=http://127.0.0.1:$port
  "$REPO/.venv/bin/backoffice" --data-dir "$data" serve --host 127.0.0.1 --port "$port" >"$WORK/backoffice.log" 2>&1 &
  BACKOFFICE_PID=$!
  local tries=0
  until curl -fsS "$BACKOFFICE_URL/healthz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    kill -0 "$BACKOFFICE_PID" 2>/dev/null || { tail -20 "$WORK/backoffice.log"; die "the backoffice did not start"; }
    [ "$tries" -lt 300 ] || die "the backoffice did not answer on $BACKOFFICE_URL within 30 s"
    sleep 0.1
  done
  # An open sale on the demo register: the kiosk then shows its home screen (not "please wait").
  key=$(cat "$data/demo-pos.key")
  curl -fsS -X POST -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
    -d '{"register": "Kassa 1", "external_ref": "arm64-check"}' "$BACKOFFICE_URL/api/v1/sales" >"$WORK/sale.json" \
    || die "could not open a sale through the POS API"
  KIOSK_TOKEN=$(cat "$data/demo-kiosk.token")
  say "Backoffice at $BACKOFFICE_URL (pid $BACKOFFICE_PID), demo register 'Kassa 1' with an open sale"
}

# --- the install, as on the Pi ------------------------------------------------------------------

install_pi() {
  say "systemd/install-pi.sh inside the root (log: $WORK/install-pi.log)"
  if ! printf '%s\n' "$KIOSK_TOKEN" | in_root bash "$SRC_IN_ROOT/systemd/install-pi.sh" \
      --backoffice-url "$BACKOFFICE_URL" --token - --shop-name "Arm64 check" --language sv --no-start 2>&1 \
      | stamp >"$WORK/install-pi.log"; then
    tail -40 "$WORK/install-pi.log"
    die "install-pi.sh failed inside the arm64 root"
  fi
  grep -v '^ *$' "$WORK/install-pi.log" | sed 's/^/   /' | tail -25
  local packages
  mapfile -t packages < <(sed -n '/^PACKAGES=(/,/)/p' systemd/install-pi.sh | sed -e 's/^PACKAGES=//' -e 's/[()]//g' | tr -s ' ' '\n' | grep -v '^$')
  say "Debian packages of install-pi.sh (arm64):"
  # shellcheck disable=SC2016  # dpkg-query's fields
  in_root dpkg-query -W -f='${Package}=${Version}\n' "${packages[@]}" | paste -sd' ' | fold -s -w 110 | sed 's/^/   /'
  say "Wheels pip chose (aarch64):"
  in_root /opt/kiosk/venv/bin/python -m pip list --disable-pip-version-check --format=freeze 2>/dev/null \
    | paste -sd' ' | fold -s -w 110 | sed 's/^/   /'
  in_root sh -c 'uname -m; /opt/kiosk/venv/bin/python -c "import platform; print(platform.machine(), platform.python_version())"' \
    | sed 's/^/   /'
}

check_installed() {
  local out
  out=$(in_root sh -c 'systemctl is-enabled kiosk.service; systemctl is-enabled getty@tty1.service || true;
    id -nG kiosk; stat -c "%a %U:%G" /etc/kiosk/kiosk.ini')
  say "$out" | sed 's/^/   /'
  [ "$(sed -n 1p <<<"$out")" = enabled ] || die "kiosk.service is not enabled"
  [ "$(sed -n 2p <<<"$out")" != enabled ] || die "getty@tty1.service is still enabled"
  for group in video render input; do
    grep -qw "$group" <<<"$(sed -n 3p <<<"$out")" || die "the kiosk user is not in group $group"
  done
  [ "$(sed -n 4p <<<"$out")" = "640 root:kiosk" ] || die "/etc/kiosk/kiosk.ini is not 0640 root:kiosk"
}

reinstall_is_noop() {
  local log=$WORK/install-pi-again.log
  printf '%s\n' "$KIOSK_TOKEN" | in_root bash "$SRC_IN_ROOT/systemd/install-pi.sh" --no-start >"$log" 2>&1 \
    || { tail -20 "$log"; die "install-pi.sh failed the second time"; }
  sed 's/^/   /' "$log"
  grep -q '^No changes' "$log" || die "a second install-pi.sh run changed something (see above)"
}

# --- the checks inside --------------------------------------------------------------------------

decode_codes() {
  "$REPO/.venv/bin/python" scripts/arm64/codes.py make "$ROOT$OUT_IN_ROOT/codes"
  in_root /opt/kiosk/venv/bin/kiosk-decode --json \
    "$OUT_IN_ROOT/codes/qr.png" "$OUT_IN_ROOT/codes/datamatrix.png" "$OUT_IN_ROOT/codes/pdf417.png" \
    >"$WORK/decoded.jsonl" || true
  sed 's/^/   /' "$WORK/decoded.jsonl" | cut -c1-200
  PYTHONPATH=$REPO "$REPO/.venv/bin/python" scripts/arm64/codes.py check "$ROOT$OUT_IN_ROOT/codes" "$WORK/decoded.jsonl" \
    || die "kiosk-decode on arm64 did not read every code"
}

# kiosk.service's Environment= lines, with %S and %C as systemd expands them for a system unit.
unit_environment() {
  sed -n 's/^Environment=//p' "$ROOT/etc/systemd/system/kiosk.service" | sed -e 's|%S|/var/lib|g' -e 's|%C|/var/cache|g'
}

kiosk_home_screen() {
  local envs=() line shot=$ROOT$OUT_IN_ROOT/home.png
  while IFS= read -r line; do envs+=("$line"); done < <(unit_environment)
  # Off screen instead of the Pi's DRM; no sound card; a window of the configured size.
  envs+=(SDL_VIDEODRIVER=offscreen SDL_AUDIODRIVER=dummy KIOSK_FULLSCREEN=0)
  rm -f "$shot"
  in_root sh -c 'mkdir -p /var/lib/kiosk /var/cache/kiosk && cd /var/lib/kiosk && exec env "$@"' _ "${envs[@]}" \
    /opt/kiosk/venv/bin/python "$SRC_IN_ROOT/scripts/arm64/home_shot.py" --out "$OUT_IN_ROOT/home.png" \
    >"$WORK/kiosk.log" 2>&1 || { tail -40 "$WORK/kiosk.log"; die "the kiosk did not reach its home screen"; }
  grep -E '^home_shot|^\{' "$WORK/kiosk.log" | sed 's/^/   /' | tail -4
  [ -f "$shot" ] || die "no screenshot at $shot"
  grep -q 'GET /api/v1/kiosk/state' "$WORK/backoffice.log" \
    || die "the backoffice never saw the kiosk's state request (log: $WORK/backoffice.log)"
  "$REPO/.venv/bin/python" - "$shot" <<'EOF' || die "the home screen screenshot is blank"
import sys

import cv2
import numpy as np

image = cv2.imread(sys.argv[1], cv2.IMREAD_COLOR)
if image is None:
    sys.exit(f"   not a PNG: {sys.argv[1]}")
grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
colours = len(np.unique(image.reshape(-1, 3), axis=0))
edges = float((cv2.Canny(grey, 50, 150) > 0).mean())
print(f"   screenshot {image.shape[1]}x{image.shape[0]}: grey std {grey.std():.1f}, {colours} colours, edges {edges:.3%}")
sys.exit(0 if grey.std() > 5 and colours > 50 and edges > 0.002 else 1)
EOF
  mkdir -p "$(dirname "$SHOT_COPY")"
  cp "$shot" "$SHOT_COPY"
  say "   copied to $SHOT_COPY"
}

verify_units() {
  in_root systemd-analyze verify /etc/systemd/system/kiosk.service >"$WORK/verify.log" 2>&1 \
    || { cat "$WORK/verify.log"; die "systemd-analyze verify failed for kiosk.service"; }
  sed 's/^/   /' "$WORK/verify.log"
  say "   systemd-analyze verify kiosk.service: ok ($(in_root systemd-analyze --version | head -1))"
}

main() {
  local started
  started=$(date +%s)
  preflight
  step "host tools and the seccomp wrapper" build_wrapper
  step "arm64 Debian 12 root" build_root
  step "image base and checkout in the root" prepare_root
  step "backoffice on the host" start_backoffice
  step "install-pi.sh in the root" install_pi
  step "installed state" check_installed
  step "kiosk-decode: QR, DataMatrix, PDF417" decode_codes
  step "kiosk home screen" kiosk_home_screen
  step "systemd-analyze verify" verify_units
  step "install-pi.sh again changes nothing" reinstall_is_noop
  say "== arm64 check passed in $(( $(date +%s) - started )) s:"
  printf '%s\n' "${TIMES[@]}"
  [ "${ARM64_KEEP:-0}" = 1 ] || rm -rf "$WORK/backoffice"
}

main "$@"
