#!/usr/bin/env bash
# Creates .venv with Python 3.11+ and installs Swath with its test tools, once per change
# of pyproject.toml, and puts .venv/bin on PATH. Sourced by scripts/demo and scripts/test,
# and by people (`source scripts/bootstrap.sh`): so it leaves the caller's shell options
# and variables as they were. The strict work runs in a subshell; only PATH changes.

_swath_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_swath_venv="${SWATH_VENV:-$_swath_root/.venv}"

(
  set -euo pipefail
  ROOT="$_swath_root"
  VENV="$_swath_venv"

  pick_python() {
    for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
      [ -n "$py" ] || continue
      if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "$py"; return 0
      fi
    done
    echo "swath: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
    return 1
  }

  if [ ! -x "$VENV/bin/python" ]; then
    PY="$(pick_python)"
    echo "swath: creating $VENV with $PY" >&2
    "$PY" -m venv "$VENV"
  fi
  STAMP="$VENV/.swath-installed"
  WANT="$(sha256sum < "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "swath: installing dependencies into $VENV (once)" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[test]" >&2
    echo "$WANT" > "$STAMP"
  fi
)
_swath_status=$?
if [ "$_swath_status" -eq 0 ]; then
  case ":$PATH:" in
    *":$_swath_venv/bin:"*) ;;
    *) export PATH="$_swath_venv/bin:$PATH" ;;
  esac
fi
unset _swath_root _swath_venv
# `return` when sourced, `exit` when run as a script.
if [ "$_swath_status" -ne 0 ]; then
  unset _swath_status
  return 1 2>/dev/null || exit 1
fi
unset _swath_status
