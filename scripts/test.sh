#!/usr/bin/env bash
# Set up everything the tests need, then run the whole suite. pytest's "no tests ran" (exit 5) fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test || exit 1
mkdir -p test-artifacts
# static checks first: ruff (pyflakes, pycodestyle, docstrings of public names) and mypy
.venv/bin/python -m ruff check src tests bench || exit 1
.venv/bin/python -m mypy || exit 1
.venv/bin/python -m mypy --strict src/placeimpact/formatting.py src/placeimpact/constants.py \
  src/placeimpact/panel_rules.py src/placeimpact/stats/multiple.py src/placeimpact/evaluation/comparators.py || exit 1
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
