#!/usr/bin/env bash
# Set up a virtual environment with placeimpact and (with --test) its test tools.
# Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
stamp=".venv/.installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
  touch "$stamp"
fi
if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  # Debian's chromium for the browser tests (Playwright drives it; it cannot download browsers here)
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ "${1:-}" = "--test" ] && [ ! -f .venv/axe/node_modules/axe-core/axe.min.js ]; then
  # axe-core (accessibility rules) for the browser tests, from the npm registry; skipped offline or without npm
  if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix .venv/axe axe-core@4 >/dev/null 2>&1 \
      || echo "setup: could not install axe-core from npm; the accessibility tests will fail until it is installed" >&2
  else
    echo "setup: npm not found; install it (apt-get install npm) for the accessibility tests" >&2
  fi
fi
