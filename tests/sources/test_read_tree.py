"""Reading a data tree in worker processes gives what reading it in one process gives: the same
batches in the same order, and the same first error with its file, line and field."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest

from placeimpact.errors import FrameworkError, InputError
from placeimpact.sources import read_tree, read_workers

ELS = ("adult-obesity-prevalence", "cigarette-smokers", "claimant-count", "gross-median-weekly-pay",
       "male-healthy-life-expectancy", "preventable-cardiovascular-mortality-england")


def _tree(tmp_path: Path, data_dir: Path) -> Path:
    """A small tree of real folders: the register, the ONS boundaries, EYFSP, a Trafford folder (read in
    parts: comparator lists, then each theme) and six ELS datasets."""
    root = tmp_path / "data"
    root.mkdir()
    for name in ("lookups", "ons-els-app", "eyfsp-gld", "trafford-themes"):
        (root / name).symlink_to(data_dir / name)
    (root / "ons-els").mkdir()
    for ds in ELS:
        (root / "ons-els" / ds).symlink_to(data_dir / "ons-els" / ds)
    return root


def _same(a, b) -> None:
    assert (a.source, a.key, [str(p) for p in a.files], a.dropped, a.boundaries, a.version, a.validated) == \
           (b.source, b.key, [str(p) for p in b.files], b.dropped, b.boundaries, b.version, b.validated)
    for part in ("indicators", "observations", "areas", "groups"):
        pd.testing.assert_frame_equal(getattr(a, part), getattr(b, part), check_exact=True)
    assert (a.quarantine is None) == (b.quarantine is None)


def test_two_workers_read_what_one_reads(tmp_path, data_dir):
    root = _tree(tmp_path, data_dir)
    one = list(read_tree(root, workers=1))
    two = list(read_tree(root, workers=2))
    assert len(one) == len(two) >= 9
    assert one[0].source == "lookups"                 # the register first, as always
    for a, b in zip(one, two):
        _same(a, b)


def test_the_first_error_in_order_comes_back_whole(tmp_path, data_dir):
    """Two damaged datasets: the error is the first one's (however the workers finish), with its fields."""
    root = tmp_path / "data"
    for i, ds in enumerate(ELS[:2]):
        dst = root / "ons-els" / ds
        dst.mkdir(parents=True)
        lines = (data_dir / "ons-els" / ds / f"{ds}.csv").read_text(encoding="utf-8-sig").splitlines()
        k = 40 + 7 * i
        lines[k - 1] = lines[k - 1].rsplit(",", 3)[0]         # a truncated row at line k
        (dst / f"{ds}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = []
    for workers in (1, 2):
        with pytest.raises(InputError) as exc:
            list(read_tree(root, workers=workers))
        errors.append(exc.value)
    assert [(e.path, e.line, e.field, str(e)) for e in errors[:1]] == [(e.path, e.line, e.field, str(e))
                                                                     for e in errors[1:]]
    assert errors[0].path.endswith(f"{ELS[0]}.csv") and errors[0].line == 40


def test_an_input_error_survives_pickling_with_its_fields():
    e = FrameworkError("bad", path="/x/y.csv", line=3, field="f", expected="e", got=1.5, hint="h")
    e.option = "area"
    f = pickle.loads(pickle.dumps(e))
    assert type(f) is FrameworkError and str(f) == str(e)
    assert (f.path, f.line, f.field, f.expected, f.got, f.hint, f.option) == ("/x/y.csv", 3, "f", "e", 1.5, "h", "area")


def test_read_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEIMPACT_READ_WORKERS", "3")
    assert read_workers(tmp_path) == 3
    monkeypatch.setenv("PLACEIMPACT_READ_WORKERS", "many")
    with pytest.raises(InputError, match="PLACEIMPACT_READ_WORKERS"):
        read_workers(tmp_path)
    monkeypatch.delenv("PLACEIMPACT_READ_WORKERS")
    (tmp_path / "small.csv").write_text("a\n1\n")
    assert read_workers(tmp_path) == 1                 # a small folder is read in this process
