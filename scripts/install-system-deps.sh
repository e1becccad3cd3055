#!/usr/bin/env bash
# Installs the system tools sentra's tests use, on Debian/Ubuntu, only where missing.
# Used by `npm test` (via pretest) and by .ci/run, so a fresh machine needs nothing else.
#   git             - every test drives real repositories
#   age             - interop tests: sentra encrypts, the real age CLI decrypts, and the reverse
#   pre-commit      - end-to-end test of .pre-commit-hooks.yaml
#   gnome-keyring, dbus-x11, libsecret-tools - a real headless Secret Service for the keyring tests
set -euo pipefail

need=()
command -v git >/dev/null 2>&1 || need+=(git)
command -v age >/dev/null 2>&1 || need+=(age)
command -v pre-commit >/dev/null 2>&1 || need+=(pre-commit)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v dbus-launch >/dev/null 2>&1 || need+=(dbus-x11)
command -v secret-tool >/dev/null 2>&1 || need+=(libsecret-tools)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=""
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd="sudo"
  else
    echo "sentra tests need these Debian/Ubuntu packages: ${need[*]}" >&2
    echo "Install them as root:  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
else
  sudo_cmd=""
fi

echo "Installing system packages for the tests: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq >/dev/null
$sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
