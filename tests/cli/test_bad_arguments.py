"""Every command with a corpus of bad arguments: one line on stderr, exit code 2, never a traceback.

Arguments are checked before a command does any work (Typer ranges and the callbacks in
``placeimpact.cli._validate``); what the library refuses (an unknown area) is one line too.
Most cases run in-process through :func:`placeimpact.cli.main` (fast); a few run as real
subprocesses, as a user would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from placeimpact.cli import main

ROOT = Path(__file__).resolve().parents[2]
FW = str(ROOT / "frameworks" / "wigan-deal.yaml")
CVD = "ons-els:preventable-cardiovascular-mortality-england"
BIG = "x" * 200_000          # a huge argument (5 MB does not fit in one argv entry; the file case does)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("bad-args")
    (d / "a-file.txt").write_text("not a folder\n")
    cell = d / "cell5mb.csv"
    cell.write_text("indicator_id,area_code,period,value\nx,E08000010,2011," + "9" * 5_000_000 + "\n")
    bomb = d / "bomb.yaml"
    bomb.write_text("".join(f"{a}: &{a} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
                            for p, a in zip([""] + list("abcdefgh"), "abcdefghi")))
    return {"file": str(d / "a-file.txt"), "dir": str(d), "cell": str(cell), "bomb": str(bomb),
            "missing": str(d / "missing"), "new": str(d / "new-store.duckdb")}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: (arguments, words the one line must contain); {file} {dir} {cell} {bomb} {missing} {new} {store} are filled in
CASES: list[tuple[list[str], str]] = [
    # data
    (["data", "load", "--from", "{missing}", "--store", "{new}"], "does not exist"),
    (["data", "load", "--file", "{dir}", "--source", "local-csv", "--store", "{new}"], "not a file"),
    (["data", "load", "--file", "{cell}", "--source", "local-csv", "--store", "{new}"], "field larger than"),
    (["data", "load", "--file", "{file}", "--source", "nonsense", "--store", "{new}"], "nonsense"),
    (["data", "load", "--store", "{dir}"], "is a folder"),
    (["data", "fetch", "--retries", "-1", "--no-load", "--cache", "{missing}"], "--retries"),
    (["data", "fetch", "--timeout", "0", "--no-load", "--cache", "{missing}"], "--timeout"),
    (["data", "fetch", "--timeout", "nan", "--no-load", "--cache", "{missing}"], "--timeout"),
    (["data", "fetch", "--backoff", "-1", "--no-load", "--cache", "{missing}"], "--backoff"),
    (["data", "fetch", "--indicator", "0", "--no-load", "--cache", "{missing}"], "--indicator"),
    (["data", "fetch", "--area-type", "-5", "--no-load", "--cache", "{missing}"], "--area-type"),
    (["data", "fetch", "--ons-base", "ftp://example.org", "--no-load", "--cache", "{missing}"], "not a web address"),
    (["data", "fetch", "--no-load", "--cache", "{file}"], "is a file, not a folder"),
    (["data", "fetch", "--no-load", "--cache", "{missing}", "--mirror", "{missing}/m"], "does not exist"),
    (["data", "status", "--by", "planet", "--store", "{store}"], "planet"),
    (["data", "status", "--format", "xml", "--store", "{store}"], "xml"),
    (["data", "status", "--store", "/nonexistent-placeimpact-folder/s.duckdb"], "does not exist"),
    # look-ups
    (["areas", "search", BIG, "--store", "{store}"], "200,000 characters"),
    (["areas", "search", "Wig\x07an", "--store", "{store}"], "control character"),
    (["indicators", "list", "--search", BIG, "--store", "{store}"], "200,000 characters"),
    (["series", "--area", BIG, "--indicator", CVD, "--store", "{store}"], "unknown area"),
    (["series", "--area", "Wigan", "--indicator", CVD, "--format", "xml", "--store", "{store}"], "xml"),
    (["series", "--area", "Atlantis", "--indicator", CVD, "--store", "{store}"], "unknown area 'Atlantis'"),
    (["benchmark", "--area", "Wigan", "--vs", "world", "--store", "{store}"], "world"),
    (["benchmark", "--area", "Wigan", "--period", BIG, "--store", "{store}"], "characters long"),
    # neighbours
    (["neighbours", "--area", "Wigan", "--method", "computed", "--year", "-5", "--store", "{store}"], "--year"),
    (["neighbours", "--area", "Wigan", "--method", "computed", "--year", "0", "--store", "{store}"], "--year"),
    (["neighbours", "--area", "Wigan", "--method", "computed", "--year", "99999", "--store", "{store}"], "--year"),
    (["neighbours", "--area", "Wigan", "--method", "computed", "--year", "2010", "--k", "0", "--store", "{store}"],
     "--k"),
    (["neighbours", "--area", "Wigan", "--method", "computed", "--year", "2010", "--stability-year", "5",
      "--store", "{store}"], "--stability-year"),
    (["neighbours", "--area", "Wigan", "--method", "magic", "--store", "{store}"], "magic"),
    (["neighbours", "--area", "Wigan", "--method", "computed", "--year", "2010", "--weight", "a=b",
      "--store", "{store}"], "FEATURE=NUMBER"),
    # evaluate
    (["evaluate", "{dir}", "--out", "{missing}/o"], "is a directory"),
    (["evaluate", "{missing}.yaml", "--out", "{missing}/o"], "does not exist"),
    (["evaluate", FW, "--out", "{file}", "--store", "{store}"], "is a file, not a folder"),
    (["evaluate", FW, "--out", "/proc/placeimpact-out", "--store", "{store}"], "cannot write"),
    (["evaluate", FW, "--out", "{missing}/o", "--reform-start", "2016-02-30", "--store", "{store}"], "not a real date"),
    (["evaluate", FW, "--out", "{missing}/o", "--cutoff", "2011-13-01", "--store", "{store}"], "not a real date"),
    (["evaluate", FW, "--out", "{missing}/o", "--allow-data", "{missing}/d", "--store", "{store}"], "does not exist"),
    (["evaluate", "{bomb}", "--out", "{missing}/o", "--store", "{store}"], "too many values"),
    (["evaluate", FW, "--out", "{missing}/o", "--area", "Atlantis", "--store", "{store}"], "unknown area"),
    (["evaluate-indicator", "--area", "Wigan", "--indicator", CVD, "--start", "2016-02-30", "--store", "{store}"],
     "not a real date"),
    (["evaluate-indicator", "--area", "Wigan", "--indicator", CVD, "--start", "2011", "--until", "2020-02-30",
      "--store", "{store}"], "not a real date"),
    (["evaluate-indicator", "--area", "Wigan", "--indicator", CVD, "--store", "{store}"], "Missing option"),
    (["evaluate-indicator", "--area", "Wigan", "--indicator", CVD, "--start", "2011", "--methods", "magic",
      "--store", "{store}"], "magic"),
    # screen
    (["screen", "--start", "2011", "--workers", "-1", "--store", "{store}"], "--workers"),
    (["screen", "--start", "2011", "--workers", "0", "--store", "{store}"], "--workers"),
    (["screen", "--start", "2011", "--dask-local", "-3", "--store", "{store}"], "--dask-local"),
    (["screen", "--start", "2011", "--dask-local", "0", "--store", "{store}"], "--dask-local"),
    (["screen", "--start", "2011", "--scheduler", "tcp://127.0.0.1:{closed}", "--store", "{store}"],
     "no Dask scheduler answers"),
    (["screen", "--start", "2011", "--scheduler", "no address at all", "--store", "{store}"], "not a scheduler address"),
    (["screen", "--start", "2011", "--alpha", "2", "--store", "{store}"], "--alpha"),
    (["screen", "--start", "2016-02-30", "--store", "{store}"], "not a real date"),
    (["screen", "--start", "2011", "--out", "{file}", "--store", "{store}"], "is a file, not a folder"),
    # serve
    (["serve", "--port", "99999", "--store", "{store}"], "--port"),
    (["serve", "--port", "-1", "--store", "{store}"], "--port"),
    (["serve", "--host", "999.1.1.1", "--store", "{store}"], "--host"),
    (["serve", "--store", "{missing}.duckdb"], "no store at"),
    # the app itself
    (["--bogus"], "No such option"),
    (["frobnicate"], "No such command"),
]


def _fill(args: list[str], files: dict[str, str], store: str) -> list[str]:
    values = {**files, "store": store, "closed": str(_closed_port())}
    return [a.format(**values) if "{" in a and a is not BIG else a for a in args]


@pytest.mark.parametrize(("args", "words"), CASES, ids=[" ".join(a[:3])[:40] + f"-{i}" for i, (a, _) in
                                                        enumerate(CASES)])
def test_bad_arguments_give_one_line_and_exit_code_2(monkeypatch, capsys, loaded_store, files, args, words):
    monkeypatch.setattr(sys, "argv", ["placeimpact", *_fill(args, files, str(loaded_store.path))])
    with pytest.raises(SystemExit) as ei:
        main()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert ei.value.code == 2, err
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert "Traceback" not in err[0] and words in err[0], err[0][:500]
    assert len(err[0]) < 700          # a huge argument is not echoed back whole


def test_a_port_in_use_is_one_line(monkeypatch, capsys, loaded_store):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr(sys, "argv", ["placeimpact", "serve", "--port", str(port), "--store",
                                          str(loaded_store.path)])
        with pytest.raises(SystemExit) as ei:
            main()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert ei.value.code == 2 and len(err) == 1 and "cannot listen on 127.0.0.1" in err[0], err


def test_an_unexpected_error_is_one_line_with_exit_code_1(monkeypatch, capsys, loaded_store):
    """The backstop: a bug is one line naming it (the traceback only with PLACEIMPACT_DEBUG=1)."""
    import placeimpact.stats as stats

    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(stats, "benchmark_area", boom)
    monkeypatch.setattr(sys, "argv", ["placeimpact", "benchmark", "--area", "Wigan", "--store",
                                      str(loaded_store.path)])
    monkeypatch.delenv("PLACEIMPACT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as ei:
        main()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert ei.value.code == 1 and len(err) == 1
    assert "unexpected RuntimeError: simulated bug" in err[0] and "PLACEIMPACT_DEBUG" in err[0]
    monkeypatch.setenv("PLACEIMPACT_DEBUG", "1")
    with pytest.raises(RuntimeError, match="simulated bug"):
        main()


@pytest.mark.parametrize("args", [
    ["screen", "--start", "2011", "--dask-local", "-3"],        # used to hang
    ["neighbours", "--area", "Wigan", "--method", "computed", "--year", "-5"],
    ["data", "fetch", "--retries", "-1", "--no-load"],
    ["serve", "--port", "99999"],
])
def test_as_a_subprocess_no_traceback_and_no_hang(loaded_store, tmp_path, args):
    r = subprocess.run([sys.executable, "-m", "placeimpact", *args, "--store", str(loaded_store.path)]
                       if args[0] != "data" else [sys.executable, "-m", "placeimpact", *args, "--cache",
                                                  str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=60)
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(err) == 1 and "Traceback" not in r.stderr, r.stderr


def test_every_command_still_has_help(monkeypatch, capsys):
    from placeimpact.cli import build_app

    app = build_app()
    names = [c.name for c in app.registered_commands] + [f"{g.name} {c.name}" for g in app.registered_groups
                                                          for c in g.typer_instance.registered_commands]
    assert len(names) >= 12
    for name in names:
        monkeypatch.setattr(sys, "argv", ["placeimpact", *name.split(), "--help"])
        try:
            main()
        except SystemExit as exc:
            assert exc.code in (0, None), name
        assert "Usage" in capsys.readouterr().out, name
