"""``placeimpact serve`` is registered, starts light, and fails clearly without a store."""

from __future__ import annotations

import subprocess
import sys


def test_serve_is_registered_without_importing_fastapi():
    code = ("import sys; from placeimpact.cli import build_app; app = build_app(); "
            "print(sorted(c.name for c in app.registered_commands if c.name)); "
            "print('fastapi' in sys.modules, 'uvicorn' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    names, imported = r.stdout.strip().splitlines()
    assert "'serve'" in names and imported == "False False"


def test_serve_help_and_missing_store(monkeypatch, capsys, tmp_path):
    import pytest

    from placeimpact.cli import main

    monkeypatch.setattr(sys, "argv", ["placeimpact", "serve", "--help"])
    main()
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out and "8765" in out
    monkeypatch.setattr(sys, "argv", ["placeimpact", "serve", "--store", str(tmp_path / "none.duckdb")])
    with pytest.raises(SystemExit) as ei:
        main()
    assert ei.value.code == 2 and "no store at" in capsys.readouterr().err
