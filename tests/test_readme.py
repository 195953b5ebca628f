"""The README's examples run as written (the documentation cannot drift from the code)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEIMPACT = Path(sys.executable).with_name("placeimpact")


def _block(heading: str, lang: str) -> str:
    section = README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    m = re.search(rf"```{lang}\n(.*?)```", section, re.S)
    assert m, f"no {lang} block under {heading!r}"
    return m.group(1)


def _cli_lines() -> list[str]:
    lines = []
    for raw in _block("Use from the command line", "bash").splitlines():
        cmd = raw.split("  #", 1)[0].strip()
        # loading and fetching are tested in tests/sources and tests/test_bad_input.py (they write);
        # starting a Dask cluster is tested in tests/screen
        if cmd.startswith("placeimpact") and not re.search(r"data (load|fetch)|--dask-local", cmd):
            lines.append(cmd)
    return lines


def test_readme_lists_the_two_setup_commands_used_by_ci():
    setup = _block("Set-up: two commands", "bash")
    cmds = [line.split("#")[0].strip() for line in setup.splitlines() if line.strip()]
    assert cmds == ["bash scripts/main.sh", "bash scripts/test.sh"]
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("cmd", _cli_lines())
def test_readme_command_runs(cmd, loaded_store, tmp_path):
    args = cmd.split()[1:]
    args = [str(tmp_path / a) if a.startswith("out/") else a for a in args]
    env = {**os.environ, "PLACEIMPACT_STORE": str(loaded_store.path), "COLUMNS": "200"}
    proc = subprocess.run([str(PLACEIMPACT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd}\n{proc.stderr[-2000:]}"
    assert proc.stdout.strip() or any(tmp_path.iterdir()), f"{cmd} printed and wrote nothing"


def test_readme_python_example_runs(loaded_store, tmp_path, data_dir):
    store_copy = tmp_path / "copy.duckdb"
    shutil.copy(loaded_store.path, store_copy)
    code = _block("Use from Python", "python")
    code = code.replace('"../shared/data"', repr(str(data_dir))).replace('"out/wigan-deal"', repr(str(tmp_path / "wd")))
    env = {**os.environ, "PLACEIMPACT_STORE": str(store_copy)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[synthetic_control]" in proc.stdout
    assert (tmp_path / "wd" / "report.html").exists() and (tmp_path / "wd" / "findings.json").exists()
