"""Property tests (Hypothesis): random damage to real files is refused with one InputError, or the file
loads identically; the store never changes on a refusal (issue 11). Example counts are kept small (CI has
two cores); each example reads one real ONS file of about 5,800 rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placeimpact import InputError, open_store
from placeimpact.sources import read_file_as

HLE = "ons-els/healthy-life-expectancy/healthy-life-expectancy.csv"
KEY = "fuzz/healthy-life-expectancy.csv"
COLS = ["indicator_id", "area_code", "sex", "period_start", "period_end", "value", "lci95", "uci95"]
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class _Original(tuple):
    def __repr__(self) -> str:      # Hypothesis prints the arguments of a failing example
        return "<the real healthy-life-expectancy file and its rows>"


@pytest.fixture(scope="module")
def original(data_dir):
    raw = (data_dir / HLE).read_bytes()
    obs = read_file_as(data_dir / HLE, "ons-els").observations
    return _Original((raw, obs[COLS].reset_index(drop=True)))


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory, data_dir):
    """A store holding the original file under KEY; every example must leave it as it is."""
    from placeimpact.sources import ons_els

    path = tmp_path_factory.mktemp("fuzz") / "s.duckdb"
    s = open_store(path)
    s.import_batches([ons_els.read_file(data_dir / HLE, key=KEY)])
    yield s
    s.close()


def _fingerprint(store) -> tuple:
    h = store.frame("SELECT count(*) AS n, sum(hash(indicator_id, area_code, sex, period_label, value, lci95, "
                    "uci95)) AS h FROM observations").iloc[0]
    return int(h.n), int(h.h)


def _outcome(path, tmp_store=None):
    """The batch read from ``path``, or the InputError; anything else fails the test."""
    try:
        return read_file_as(path, "ons-els")
    except InputError as exc:
        assert str(exc) and exc.path is not None
        return exc


def _same(obs, original, n: int | None = None) -> bool:
    got = obs[COLS].reset_index(drop=True)
    want = original if n is None else original.iloc[:n].reset_index(drop=True)
    if len(got) != len(want):
        return False
    for c in COLS:
        a, b = got[c].to_numpy(), want[c].to_numpy()
        if got[c].dtype.kind == "f":
            if not np.array_equal(a, b, equal_nan=True):
                return False
        elif not (a == b).all():
            return False
    return True


def _check_store(store, path, data_dir) -> None:
    """Importing the damaged file under the original's key either is refused (store unchanged) or is
    accepted; then the original is put back."""
    from placeimpact.sources import ons_els

    before = _fingerprint(store)
    try:
        b = ons_els.read_file(path, key=KEY)
        from placeimpact.sources.validate import validate_batch

        store.import_batches([validate_batch(b)])
    except InputError:
        assert _fingerprint(store) == before
        return
    store.import_batches([ons_els.read_file(data_dir / HLE, key=KEY)], replace=True)
    assert _fingerprint(store) == before


@SETTINGS
@given(row=st.integers(min_value=0, max_value=5813), col=st.sampled_from([5, 8, 9]),
       token=st.sampled_from(["inf", "-inf", "Infinity", "NaN", "1e400", '"61,3"', '"1,234"', "6 1", "0x3d"]))
def test_injected_bad_number_is_refused_at_its_line(tmp_path, original, row, col, token):
    raw, _ = original
    lines = raw.decode("utf-8-sig").split("\n")
    cells = lines[row + 1].split(",")
    cells[col] = token
    lines[row + 1] = ",".join(cells)
    p = tmp_path / "hle.csv"
    p.write_text("\n".join(lines), encoding="utf-8")
    out = _outcome(p)
    assert isinstance(out, InputError) and out.line == row + 2, out


@SETTINGS
@given(frac=st.floats(min_value=0.02, max_value=0.999))
def test_truncated_file_refused_or_a_prefix(tmp_path, original, fuzz_store, data_dir, frac):
    raw, obs = original
    cut = raw[: int(len(raw) * frac)]
    p = tmp_path / "hle.csv"
    p.write_bytes(cut)
    out = _outcome(p)
    if not isinstance(out, InputError):      # cut at a row boundary (or in the notes): the rows it kept
        assert _same(out.observations, obs, len(out.observations))
    _check_store(fuzz_store, p, data_dir)


@SETTINGS
@given(pair=st.sets(st.integers(min_value=0, max_value=11), min_size=2, max_size=2))
def test_swapped_columns_refused_or_identical(tmp_path, original, fuzz_store, data_dir, pair):
    raw, obs = original
    text = raw.decode("utf-8-sig")
    header, rest = text.split("\n", 1)
    names = header.split(",")
    i, j = sorted(pair)
    names[i], names[j] = names[j], names[i]
    p = tmp_path / "hle.csv"
    p.write_text(",".join(names) + "\n" + rest, encoding="utf-8")
    out = _outcome(p)
    if not isinstance(out, InputError):
        assert _same(out.observations, obs)
    _check_store(fuzz_store, p, data_dir)


@SETTINGS
@given(pos=st.integers(min_value=0, max_value=10**9), byte=st.integers(min_value=0, max_value=255))
def test_flipped_byte_refused_or_loaded(tmp_path, original, fuzz_store, data_dir, pos, byte):
    raw, _ = original
    k = pos % len(raw)
    damaged = raw[:k] + bytes([byte]) + raw[k + 1:]
    p = tmp_path / "hle.csv"
    p.write_bytes(damaged)
    _outcome(p)                               # an InputError or a batch, never another exception
    _check_store(fuzz_store, p, data_dir)
