#!/usr/bin/env bash
# Makes .venv with Python 3.10 and installs the locked dependencies; does nothing when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
LOCK=requirements.lock
STAMP="$VENV/.installed-$(cat requirements.in "$LOCK" | sha256sum | cut -c1-16)"

find_python() {
  local candidate version
  for candidate in "${PYTHON:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python \
      /usr/local/bin/python3.10 /usr/bin/python3.10 python3 python; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    version=$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) \
      || continue
    if [ "$version" = "3.10" ]; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# The console's front-end libraries (ECharts for the supervisors' dashboard) come from the npm
# registry as package-lock.json pins them, into node_modules/ (never committed); skipped when
# node_modules already matches the lock.
install_node_modules() {
  local stamp
  stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    cat >&2 <<'MSG'
npm was not found. The agent console's dashboard needs ECharts from the npm registry.
Install Node.js 18 or newer with npm (e.g. sudo apt install nodejs npm) and run this again,
or set CLAIMS_SKIP_NPM=1 to go on without the dashboard's charts.
MSG
    return 1
  fi
  echo "Installing the console's front-end libraries (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  rm -f node_modules/.installed-*
  touch "$stamp"
}
if [ "${CLAIMS_SKIP_NPM:-}" != "1" ]; then
  install_node_modules
fi

if [ -f "$STAMP" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(find_python); then
    cat >&2 <<'MSG'
Python 3.10 was not found. Rasa Open Source 3.6 runs on Python 3.8-3.10 only.
Install Python 3.10 and run this command again, for example:
  pyenv install 3.10.13            (with pyenv)
  sudo apt install python3.10 python3.10-venv   (Debian/Ubuntu with 3.10 packages)
or point to one you have:  PYTHON=/path/to/python3.10 make run
MSG
    exit 1
  fi
  echo "Creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi

echo "Installing locked dependencies into $VENV (first run takes a few minutes)"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip<25" wheel
"$VENV/bin/python" -m pip install --quiet -r "$LOCK"
rm -f "$VENV"/.installed-*
touch "$STAMP"
