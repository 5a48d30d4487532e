#!/usr/bin/env bash
# Create .venv and install pinned dependencies (torch CPU first). Re-runs skip what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(cat requirements.txt requirements-dev.txt constraints.txt pyproject.toml | sha256sum | cut -c1-16)
stamp=.venv/.installed-$want
if [[ -f $stamp ]]; then exit 0; fi
[[ -x .venv/bin/python ]] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
pip() { .venv/bin/python -m pip install -q "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
pip torch==2.13.0
pip -r requirements-dev.txt -c constraints.txt  # every package, transitive ones too, at a pinned version
log=$(mktemp)
.venv/bin/python -m pip install -q --no-deps -e . >"$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"
rm -f .venv/.installed-*
touch "$stamp"
echo "set-up done: .venv"
