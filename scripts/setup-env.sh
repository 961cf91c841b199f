#!/usr/bin/env bash
# Install what the project needs on Debian 12: Debian packages, then a virtual
# environment in .venv with the project and its extras.
#   scripts/setup-env.sh demo   packages to run the backoffice and the kiosk window
#   scripts/setup-env.sh test   the above plus PostgreSQL, Chromium, systemd tools
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-demo}

DEMO_PACKAGES=(python3 python3-venv python3-dev gcc libzbar0 libmtdev1 libgl1 libegl1 libgles2
               libgl1-mesa-dri libegl-mesa0 libgbm1 libdrm2 libudev1 fonts-dejavu-core)
TEST_PACKAGES=(postgresql chromium xvfb ffmpeg shellcheck systemd procps)
packages=("${DEMO_PACKAGES[@]}")
[ "$purpose" = test ] && packages+=("${TEST_PACKAGES[@]}")

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# pip's own failures stop the script (set -o pipefail); only the notes this machine's pip.conf
# prints about its local wheel folders are filtered out.
quiet_pip() {
  env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m pip install -q "$@" 2>&1 \
    | { grep -v -e "^WARNING: Location" -e "^ *$" || true; }
}
quiet_pip --upgrade pip setuptools wheel
extras=kiosk,server
[ "$purpose" = test ] && extras=all
# One OpenCV only: every opencv-* wheel writes the same cv2/ folder, so another one beside the pinned
# opencv-contrib-python-headless (kiosk extra) breaks both; if one is there, all go and the pin is reinstalled.
if .venv/bin/python -m pip list --format=freeze 2>/dev/null | grep -i '^opencv-' | grep -qvi '^opencv-contrib-python-headless=='; then
  .venv/bin/python -m pip list --format=freeze 2>/dev/null | grep -i '^opencv-' | cut -d= -f1 | xargs .venv/bin/python -m pip uninstall -y -q
fi
quiet_pip -e ".[${extras}]"
.venv/bin/python -c "import kivy, cv2, zxingcpp, pyzbar.pyzbar, fastapi, sqlalchemy" >/dev/null
echo "Environment ready in .venv ($purpose)."
