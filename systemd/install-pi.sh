#!/usr/bin/env bash
# Install the counter kiosk on Raspberry Pi OS Lite (Debian 12 bookworm, arm64):
# the Debian packages it needs at run time, the project in /opt/kiosk/venv, a
# "kiosk" system user, /etc/kiosk/kiosk.ini and kiosk.service on tty1.
# Running it again with the same arguments changes nothing. See docs/deployment.md.
#
#   sudo systemd/install-pi.sh --backoffice-url https://backoffice.example.com --token TOKEN
#   sudo systemd/install-pi.sh --rotation 180           # change one setting, keep the rest
#   sudo systemd/install-pi.sh --uninstall [--purge]
#
# --dry-run prints what would be done and changes nothing. --root DIR works on
# the system tree at DIR instead of /: files are written under DIR and every
# command runs as "chroot DIR command" (the tests put a stand-in chroot first
# in PATH; a real chroot needs the image's own binaries).
set -euo pipefail

CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=/opt/kiosk/venv
CONFIG_DIR=/etc/kiosk
CONFIG=$CONFIG_DIR/kiosk.ini
UNIT_NAME=kiosk.service
UNIT=/etc/systemd/system/$UNIT_NAME
KIOSK_USER=kiosk
KIOSK_HOME=/var/lib/kiosk
KIOSK_GROUPS=(video render input)
SOURCE_STAMP=$VENV/.kiosk-source
# What the kiosk loads at run time: Mesa (EGL/GLES, the V3D/VC4 DRI drivers and
# GBM) and libdrm for SDL's KMS/DRM driver, libGL.so.1 (libgl1: Kivy's GL
# backend links it, without it Kivy finds no window provider), libudev and
# libmtdev for input, libasound2 for sounds, libzbar0 for pyzbar, fonts,
# v4l2-ctl to find cameras. scripts/arm64-check.sh proves this list on arm64.
PACKAGES=(python3 python3-venv libgbm1 libdrm2 libegl1 libegl-mesa0 libgles2 libgl1 libgl1-mesa-dri
          libudev1 libmtdev1 libasound2 libzbar0 fonts-dejavu-core v4l-utils ca-certificates)
CSI_PACKAGES=(python3-picamera2)
# The keys kiosk/config.py reads, in the order they are written.
KEYS=(backoffice_url device_token camera camera_width camera_height camera_fps language languages
      shop_name logo idle_timeout_seconds fullscreen rotation touch_device text_scale)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SYSROOT=""
DRY_RUN=0
ACTION=install
PURGE=0
CSI_CAMERA=0
START=1
CHANGES=0
declare -A SETTINGS=()

usage() {
  cat <<EOF
Usage: $0 [options]
  --backoffice-url URL     the backoffice the kiosk talks to (first install: required)
  --token TOKEN|-          the device token from 'backoffice pair-kiosk' ('-': read it from standard input)
  --camera SPEC            0, /dev/video0, picamera2 or file:/path/video.avi
  --csi-camera             a Raspberry Pi camera on the CSI connector: installs python3-picamera2
  --language CODE          the first language shown (sv, en, ...)
  --languages LIST         the languages offered, comma separated
  --shop-name NAME         the name on the home screen
  --rotation 0|90|180|270  rotate the picture (Kivy's Window.rotation)
  --touch-device PATH      the touch screen's /dev/input/eventN when Kivy picks the wrong one
  --set KEY=VALUE          any other kiosk.ini key (camera_width, idle_timeout_seconds, ...)
  --no-start               install and enable, but do not (re)start the kiosk now
  --uninstall              remove the unit, the virtual environment and the user (keeps /etc/kiosk)
  --purge                  with --uninstall: also remove /etc/kiosk and /var/lib/kiosk (outbox, token)
  --dry-run                print what would be done, change nothing
  --root DIR               work on the system tree at DIR (tests, image builds)
EOF
}

die() { printf 'install-pi.sh: %s\n' "$*" >&2; exit 2; }
say() { printf '%s\n' "$*"; }

# Commands that change the system. Counted, so a second run can say "no changes".
run() {
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then
    say "would run: $*"
    return 0
  fi
  say "+ $*"
  if [ -n "$SYSROOT" ]; then chroot "$SYSROOT" "$@"; else "$@"; fi
}

# Commands that only look (also in a dry run).
query() {
  if [ -n "$SYSROOT" ]; then chroot "$SYSROOT" "$@"; else "$@"; fi
}

# True when a live systemd manages this system (not in a chroot, image or test tree).
manager_is_live() { [ -z "$SYSROOT" ] && [ -d /run/systemd/system ]; }

set_key() {
  local key=$1 value=$2
  case $value in *$'\n'*) die "$key must be one line" ;; esac
  SETTINGS[$key]=$value
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --backoffice-url) set_key backoffice_url "${2:?--backoffice-url needs a URL}"; shift ;;
      --token)
        local token=${2:?--token needs a token or -}
        if [ "$token" = - ] && [ -t 0 ]; then
          printf 'Device token (not shown): ' >&2; IFS= read -rs token || true; printf '\n' >&2
        elif [ "$token" = - ]; then
          IFS= read -r token || true
        fi
        set_key device_token "$token"; shift ;;
      --camera) set_key camera "${2:?--camera needs a source}"; shift ;;
      --csi-camera) CSI_CAMERA=1 ;;
      --language) set_key language "${2:?--language needs a code}"; shift ;;
      --languages) set_key languages "${2:?--languages needs a list}"; shift ;;
      --shop-name) set_key shop_name "${2:?--shop-name needs a name}"; shift ;;
      --rotation) set_key rotation "${2:?--rotation needs 0, 90, 180 or 270}"; shift ;;
      --touch-device) set_key touch_device "${2:?--touch-device needs a path}"; shift ;;
      --set)
        local pair=${2:?--set needs KEY=VALUE}
        [[ $pair == *=* ]] || die "--set needs KEY=VALUE, got '$pair'"
        set_key "${pair%%=*}" "${pair#*=}"; shift ;;
      --no-start) START=0 ;;
      --uninstall) ACTION=uninstall ;;
      --purge) PURGE=1 ;;
      --dry-run) DRY_RUN=1 ;;
      --root) SYSROOT=$(cd "${2:?--root needs a directory}" && pwd); shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
  done
  [ "$SYSROOT" != / ] || SYSROOT=""
  [ "$PURGE" = 0 ] || [ "$ACTION" = uninstall ] || die "--purge goes with --uninstall"
  local key known k
  for key in "${!SETTINGS[@]}"; do
    known=0
    for k in "${KEYS[@]}"; do [ "$k" = "$key" ] && known=1; done
    [ "$known" = 1 ] || die "unknown kiosk.ini key '$key' (known: ${KEYS[*]})"
  done
  if [ -n "${SETTINGS[backoffice_url]+x}" ]; then
    [[ ${SETTINGS[backoffice_url]} =~ ^https?://[^[:space:]]+$ ]] || die "--backoffice-url must start with http:// or https://"
  fi
  if [ -n "${SETTINGS[device_token]+x}" ]; then
    [[ ${SETTINGS[device_token]} =~ ^[[:graph:]]+$ ]] || die "--token is empty or has spaces"
  fi
  if [ -n "${SETTINGS[rotation]+x}" ]; then
    [[ ${SETTINGS[rotation]} =~ ^(0|90|180|270)$ ]] || die "--rotation must be 0, 90, 180 or 270"
  fi
  if [ -n "${SETTINGS[touch_device]+x}" ]; then
    [[ ${SETTINGS[touch_device]} =~ ^/dev/input/[[:alnum:]/_:.-]+$ ]] || die "--touch-device must be a /dev/input/ path"
  fi
  if [ "$CSI_CAMERA" = 1 ] && [ -z "${SETTINGS[camera]+x}" ]; then
    SETTINGS[camera]=picamera2
  fi
  if [ "$DRY_RUN" = 0 ] && [ -z "$SYSROOT" ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (sudo), or with --dry-run"
  fi
}

# --- files -----------------------------------------------------------------------------------------------------

owner_of() { query stat -c '%U:%G' "$1"; }
mode_of() { stat -c '%a' "$SYSROOT$1"; }

# install_file SOURCE DEST MODE OWNER [LABEL]: put SOURCE's content at DEST unless it is there already.
install_file() {
  local source=$1 dest=$2 mode=$3 owner=$4 label=${5:-$2}
  if [ -f "$SYSROOT$dest" ] && cmp -s "$source" "$SYSROOT$dest"; then
    [ "$(mode_of "$dest")" = "${mode#0}" ] || set_mode "$mode" "$dest"
    [ "$(owner_of "$dest")" = "$owner" ] || run chown "$owner" "$dest"
    return 1
  fi
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then
    say "would write $label (mode $mode, $owner)"
  else
    say "+ write $label (mode $mode, $owner)"
    mkdir -p "$(dirname "$SYSROOT$dest")"
    install -m "$mode" "$source" "$SYSROOT$dest"
    [ "$(owner_of "$dest")" = "$owner" ] || run chown "$owner" "$dest"
  fi
  return 0
}

set_mode() {
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then say "would chmod $1 $2"; return 0; fi
  say "+ chmod $1 $2"
  chmod "$1" "$SYSROOT$2"
}

make_dir() {
  local dir=$1 mode=$2
  [ -d "$SYSROOT$dir" ] && return 0
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then say "would create $dir"; return 0; fi
  say "+ mkdir $dir"
  mkdir -p "$SYSROOT$dir"
  chmod "$mode" "$SYSROOT$dir"
}

remove_path() {
  local path=$1
  [ -e "$SYSROOT$path" ] || [ -L "$SYSROOT$path" ] || return 0
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then say "would remove $path"; return 0; fi
  say "+ rm -rf $path"
  rm -rf -- "${SYSROOT}${path:?}"
}

# --- users -----------------------------------------------------------------------------------------------------

has_user() { grep -q "^$1:" "$SYSROOT/etc/passwd"; }
has_group() { grep -q "^$1:" "$SYSROOT/etc/group"; }
in_group() { awk -F: -v g="$2" -v u="$1" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 } END { exit !found }' "$SYSROOT/etc/group"; }

ensure_user() {
  local group missing=()
  for group in "${KIOSK_GROUPS[@]}"; do
    has_group "$group" || run groupadd --system "$group"
  done
  if ! has_user "$KIOSK_USER"; then
    run useradd --system --user-group --home-dir "$KIOSK_HOME" --no-create-home --shell /usr/sbin/nologin \
      --comment "Counter kiosk" --groups "$(IFS=,; echo "${KIOSK_GROUPS[*]}")" "$KIOSK_USER"
    return
  fi
  for group in "${KIOSK_GROUPS[@]}"; do
    in_group "$KIOSK_USER" "$group" || missing+=("$group")
  done
  [ ${#missing[@]} -eq 0 ] || run usermod --append --groups "$(IFS=,; echo "${missing[*]}")" "$KIOSK_USER"
}

# --- packages and the virtual environment ----------------------------------------------------------------------

ensure_packages() {
  local pkg installed missing=() wanted=("${PACKAGES[@]}")
  [ "$CSI_CAMERA" = 0 ] || wanted+=("${CSI_PACKAGES[@]}")
  # shellcheck disable=SC2016  # ${Package} and ${Status} are dpkg-query's fields, not shell variables
  installed=$(query dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null | awk '/ install ok installed$/ { print $1 }' || true)
  for pkg in "${wanted[@]}"; do
    grep -qx "$pkg" <<<"$installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# A digest of what pip installs from the checkout: pip reinstalls a local
# directory every time, so this is what makes a second run a no-op.
source_digest() {
  (cd "$CHECKOUT" && find setup.py pyproject.toml README.md counter_core kiosk assets backoffice counter_demo -name __pycache__ -prune -o -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

ensure_venv() {
  local cfg=$VENV/pyvenv.cfg want_system=false digest
  [ "$CSI_CAMERA" = 0 ] || want_system=true  # picamera2 and libcamera come from Debian, not PyPI
  if [ ! -x "$SYSROOT$VENV/bin/python" ]; then
    if [ "$want_system" = true ]; then run python3 -m venv --system-site-packages "$VENV"; else run python3 -m venv "$VENV"; fi
  elif [ "$want_system" = true ] && ! grep -q "^include-system-site-packages = true" "$SYSROOT$cfg"; then
    sed 's/^include-system-site-packages = .*/include-system-site-packages = true/' "$SYSROOT$cfg" >"$WORK/pyvenv.cfg"
    install_file "$WORK/pyvenv.cfg" "$cfg" 0644 root:root || true
  fi
  digest=$(source_digest)
  if [ -f "$SYSROOT$SOURCE_STAMP" ] && [ "$(cat "$SYSROOT$SOURCE_STAMP")" = "$digest" ]; then
    return 0
  fi
  # One OpenCV only (they share cv2/): any opencv-* other than the kiosk extra's contrib build goes, with it.
  if [ -x "$SYSROOT$VENV/bin/python" ] && query "$VENV/bin/python" -m pip list --format=freeze 2>/dev/null | grep -i '^opencv-' | grep -qvi '^opencv-contrib-python-headless=='; then
    query "$VENV/bin/python" -m pip list --format=freeze 2>/dev/null | grep -i '^opencv-' | cut -d= -f1 \
      | while read -r pkg; do run "$VENV/bin/python" -m pip uninstall -y --quiet "$pkg"; done
  fi
  # Wheels only: a Pi never compiles anything (every [kiosk] dependency has an aarch64 wheel).
  run "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: "${CHECKOUT}[kiosk]"
  if [ "$DRY_RUN" = 0 ]; then printf '%s\n' "$digest" >"$SYSROOT$SOURCE_STAMP"; fi
}

# --- kiosk.ini -------------------------------------------------------------------------------------------------

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }

# Settings from the arguments replace those in the file; every other key stays.
render_config() {
  local -A values=()
  local line section="" key value
  if [ -f "$SYSROOT$CONFIG" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      line=${line%$'\r'}
      case $line in
        \[*\]) section=${line#[}; section=${section%]} ;;
        ''|\#*|\;*) ;;
        *=*)
          if [ "$section" = kiosk ]; then
            key=$(trim "${line%%=*}"); value=$(trim "${line#*=}"); values[$key]=$value
          fi ;;
      esac
    done <"$SYSROOT$CONFIG"
  fi
  for key in "${!SETTINGS[@]}"; do values[$key]=${SETTINGS[$key]}; done
  [ -n "${values[backoffice_url]:-}" ] || die "no backoffice URL yet: give --backoffice-url"
  [ -n "${values[device_token]:-}" ] || die "no device token yet: pair the kiosk ('backoffice pair-kiosk') and give --token"
  printf '# Counter kiosk settings, read by kiosk.service (KIOSK_CONFIG). Written by\n'
  printf '# systemd/install-pi.sh, which keeps keys it was not asked to change. Holds the\n'
  printf '# device token: mode 0640, root:kiosk. Every key: KIOSK_<KEY> overrides it.\n'
  printf '[kiosk]\n'
  for key in "${KEYS[@]}"; do
    if [ -n "${values[$key]+x}" ]; then printf '%s = %s\n' "$key" "${values[$key]}"; unset 'values[$key]'; fi
  done
  while IFS= read -r key; do
    if [ -n "$key" ]; then printf '%s = %s\n' "$key" "${values[$key]}"; fi
  done < <(printf '%s\n' "${!values[@]}" | LC_ALL=C sort)
}

ensure_config() {
  render_config >"$WORK/kiosk.ini"
  make_dir "$CONFIG_DIR" 0755
  install_file "$WORK/kiosk.ini" "$CONFIG" 0640 "root:$KIOSK_USER" "$CONFIG (device token not shown)" || true
}

# The app's own loader is the judge of the file: a typo is found now, not at boot.
check_config() {
  [ "$DRY_RUN" = 0 ] && [ -f "$CHECKOUT/kiosk/config.py" ] || return 0
  query env KIOSK_CONFIG="$CONFIG" "$VENV/bin/python" -c 'from kiosk.config import load_config; load_config()' \
    || die "$CONFIG is not accepted by the kiosk (see above); fix the arguments and run again"
}

# --- the unit --------------------------------------------------------------------------------------------------

is_enabled() { [ "$(query systemctl is-enabled "$1" 2>/dev/null || true)" = enabled ]; }

ensure_unit() {
  if install_file "$CHECKOUT/systemd/kiosk.service" "$UNIT" 0644 root:root; then
    ! manager_is_live || run systemctl daemon-reload
  fi
  is_enabled "$UNIT_NAME" || run systemctl enable "$UNIT_NAME"
  # The kiosk owns tty1 (Conflicts=getty@tty1.service); no login prompt there at boot.
  ! is_enabled getty@tty1.service || run systemctl disable getty@tty1.service
}

install_kiosk() {
  local before
  ensure_packages
  ensure_user
  ensure_venv
  ensure_config
  check_config
  ensure_unit
  before=$CHANGES
  if [ "$CHANGES" -gt 0 ] && [ "$START" = 1 ] && manager_is_live; then
    # Type=notify: this waits until the kiosk says its home screen is up, or fails.
    run systemctl restart "$UNIT_NAME" || die "the kiosk did not start; see: journalctl -u kiosk -b"
  fi
  CHANGES=$before
  report "the kiosk is installed" "journalctl -u kiosk -f shows its log."
}

uninstall_kiosk() {
  if [ -f "$SYSROOT$UNIT" ]; then
    ! manager_is_live || run systemctl stop "$UNIT_NAME"
    ! is_enabled "$UNIT_NAME" || run systemctl disable "$UNIT_NAME"
    remove_path "$UNIT"
    ! manager_is_live || run systemctl daemon-reload
  fi
  if ! is_enabled getty@tty1.service; then
    run systemctl enable getty@tty1.service
    ! manager_is_live || run systemctl start getty@tty1.service
  fi
  remove_path "$VENV"
  if [ -d "$SYSROOT/opt/kiosk" ] && [ -z "$(ls -A "$SYSROOT/opt/kiosk")" ]; then remove_path /opt/kiosk; fi
  ! has_user "$KIOSK_USER" || run userdel "$KIOSK_USER"
  remove_path /var/cache/kiosk
  if [ "$PURGE" = 1 ]; then
    remove_path "$CONFIG_DIR"
    remove_path "$KIOSK_HOME"
  else
    [ ! -e "$SYSROOT$CONFIG_DIR" ] || say "kept $CONFIG_DIR (device token) and $KIOSK_HOME (outbox): --purge removes them"
  fi
  report "the kiosk is uninstalled" ""
}

report() {
  local done_text=$1 hint=$2
  if [ "$DRY_RUN" = 1 ]; then
    say "Dry run: $CHANGES change(s) would be made."
  elif [ "$CHANGES" -eq 0 ]; then
    say "No changes: $done_text already."
  else
    say "Done: $done_text ($CHANGES change(s)). $hint"
  fi
}

main() {
  parse_args "$@"
  if [ "$ACTION" = uninstall ]; then uninstall_kiosk; else install_kiosk; fi
}

main "$@"
