"""The store: the only module that talks to DuckDB.

An embedded DuckDB file (default ``placeimpact.duckdb`` in the working directory, or
``$PLACEIMPACT_STORE``) holding the canonical tables of ``DESIGN.md``. Imports are
all-or-nothing: every batch of one :meth:`Store.import_batches` call is written in
one transaction, or none is. Re-importing a file whose SHA-256 is already stored, by
the same reading code, changes nothing; a new version of the same file (same source
and key), or the same file read by changed reading code (:func:`reader_fingerprint`),
replaces the old rows, so nothing is lost or duplicated.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import duckdb

from ._lazy import lazy_module
from .errors import InputError, StoreError
from .records import (
    AREA_COLUMNS,
    GROUP_COLUMNS,
    INDICATOR_COLUMNS,
    OBSERVATION_COLUMNS,
    Batch,
    observation_table,
    sha256_of,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
else:  # deferred: 'placeimpact series' reads with fetchall and never needs pandas
    pd = lazy_module("pandas")

__all__ = ["Store", "open_store", "default_store_path", "ImportReport", "writing_copy", "tree_fingerprint"]

SCHEMA_VERSION = 1
AUTHORITATIVE_AREA_SOURCES = frozenset({"lookups", "fingertips-areas"})
#: what makes an observation unique: the breakdown and the period's dates, however it is written
CANONICAL_KEY = ("indicator_id", "area_code", "sex", "age", "category", "period_start", "period_end")
#: sources whose files declare official area codes (the ONS boundaries' 2025 codes)
DECLARING_SOURCES = frozenset({"ons-els-app"})


def default_store_path() -> Path:
    """``$PLACEIMPACT_STORE`` or ``placeimpact.duckdb`` in the working directory."""
    return Path(os.environ.get("PLACEIMPACT_STORE", "placeimpact.duckdb"))


def _ddl(table: str, columns: dict[str, str], extra: str = "") -> str:
    cols = ",\n  ".join(f'"{c}" {t}' for c, t in columns.items())
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}{extra}\n)"


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | None = None) -> list:
    """Execute and drain the result (DuckDB refuses new work while a result is pending)."""
    return con.execute(sql, params or []).fetchall()


_READER_FINGERPRINT: str | None = None


def reader_fingerprint() -> str:
    """A short hash of the code that turns files into rows (``sources/``, ``records``, ``periods``, ``stats``).

    Stored with each import: a file re-imported by changed reading code is read again (its
    rows replaced), while the same bytes read by the same code stay "unchanged".
    """
    global _READER_FINGERPRINT
    if _READER_FINGERPRINT is None:
        pkg = Path(__file__).resolve().parent
        files = sorted([*(pkg / "sources").glob("*.py"), *(pkg / "stats").glob("*.py"),
                        pkg / "records.py", pkg / "periods.py"])
        h = hashlib.sha256()
        for f in files:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
        _READER_FINGERPRINT = "reader " + h.hexdigest()[:16]
    return _READER_FINGERPRINT


#: columns of :attr:`ImportReport.table`
REPORT_COLUMNS = ["source", "key", "status", "rows", "sha256", "old_rows", "new_rows", "areas_added", "areas_removed",
                  "periods_added", "periods_removed", "quarantined"]

#: a new version of a stored file may lose at most this share of the old rows without --replace
MAX_SHRINK = 0.10


@dataclass(frozen=True)
class ImportReport:
    """What one import did: per unit, whether it was new, replaced or unchanged (with differences)."""

    table: pd.DataFrame  # REPORT_COLUMNS
    checked_only: bool = False

    @property
    def rows_written(self) -> int:
        return int(self.table.loc[self.table["status"] != "unchanged", "rows"].sum())

    @property
    def quarantined(self) -> int:
        return int(self.table["quarantined"].fillna(0).sum()) if "quarantined" in self.table else 0

    def summary(self) -> str:
        counts = self.table["status"].value_counts().to_dict()
        verb = "would be written (nothing written: --check)" if self.checked_only else "written"
        text = (f"{len(self.table)} files: {counts.get('new', 0)} new, {counts.get('replaced', 0)} replaced, "
                f"{counts.get('unchanged', 0)} unchanged; {self.rows_written:,} rows {verb}")
        if self.quarantined:
            text += (f"; {self.quarantined:,} rows quarantined (refused, kept in the store's quarantine table: "
                     "'placeimpact data quarantine')")
        return text

    def changes(self) -> pd.DataFrame:
        """The new and replaced files with their row, area and period differences."""
        t = self.table[self.table["status"] != "unchanged"]
        return t[["source", "key", "status", "old_rows", "new_rows", "areas_added", "areas_removed",
                  "periods_added", "periods_removed", "quarantined"]].reset_index(drop=True)


_SHARED: "OrderedDict[tuple, dict[tuple, object]]" = OrderedDict()
_SHARED_LOCK = threading.Lock()


def _shared_derived(path: str) -> dict[tuple, object]:
    """The derived values shared by read-only stores of one file as it is now (path, inode, size, times,
    and its write-ahead log's), the last four files kept; a file that cannot be identified shares nothing."""
    try:
        st = os.stat(path)
        wal = os.stat(path + ".wal") if os.path.exists(path + ".wal") else None
    except OSError:
        return {}
    key = (os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
           (wal.st_size, wal.st_mtime_ns) if wal else None)
    with _SHARED_LOCK:
        memo = _SHARED.setdefault(key, {})
        _SHARED.move_to_end(key)
        while len(_SHARED) > 4:
            _SHARED.popitem(last=False)
    return memo


class Store:
    """A DuckDB-backed store of areas, indicators, observations and comparator groups.

    Parameters
    ----------
    path:
        Database file, or ``":memory:"``. Default: :func:`default_store_path`.
    read_only:
        Open without write access (several readers may share a file).
    """

    def __repr__(self) -> str:
        return f"<Store {self.path}{' (read-only)' if self.read_only else ''}>"

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = str(path if path is not None else default_store_path())
        self.read_only = read_only
        if read_only and self.path != ":memory:" and not Path(self.path).exists():
            raise StoreError(f"no store at {self.path}; run 'placeimpact data load' first")
        self.con = self._connect(self.path, read_only)
        self._derived: dict[tuple, object] = _shared_derived(self.path) if read_only else {}
        self._writing = False
        _run(self.con, "SET enable_progress_bar = false")  # no progress output on stderr from library calls
        if not read_only:
            self._create_schema()

    #: seconds a read-only open keeps retrying while another process holds the file for writing
    READ_RETRY_SECONDS = 10.0

    @classmethod
    def _connect(cls, path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Connect; a read-only open retries (with backoff) while a writer briefly holds the file.

        ``data load`` writes a copy and swaps it in (:func:`writing_copy`), so a load never holds
        the file that readers open; other writers (saving a computed group) hold it for moments.
        """
        import time

        deadline = time.monotonic() + (cls.READ_RETRY_SECONDS if read_only else 0.0)
        wait = 0.02
        while True:
            try:
                return duckdb.connect(path, read_only=read_only)
            except duckdb.IOException as exc:
                if time.monotonic() >= deadline or "lock" not in str(exc).lower():
                    raise StoreError(f"cannot open the store {path}: {exc}") from None
                time.sleep(wait)
                wait = min(wait * 2, 0.5)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create_schema(self) -> None:
        c = self.con
        _run(c, _ddl("areas", AREA_COLUMNS, ", PRIMARY KEY (code)"))
        _run(c, _ddl("indicators", INDICATOR_COLUMNS, ", PRIMARY KEY (id)"))
        # stores made before indicators had a collection (survey measures) gain the column
        _run(c, "ALTER TABLE indicators ADD COLUMN IF NOT EXISTS collection VARCHAR")
        _run(c, _ddl("observations", OBSERVATION_COLUMNS | {"import_id": "INTEGER"}))
        _run(c, _ddl("comparator_groups", GROUP_COLUMNS | {"import_id": "INTEGER"}))
        _run(c, 
            "CREATE TABLE IF NOT EXISTS imports (import_id INTEGER PRIMARY KEY, source VARCHAR, path VARCHAR, "
            "sha256 VARCHAR, rows BIGINT, imported_at TIMESTAMP, version VARCHAR)"
        )
        _run(c, "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        _run(c, "CREATE TABLE IF NOT EXISTS boundaries (layer VARCHAR PRIMARY KEY, source VARCHAR, "
                "topojson VARCHAR, sha256 VARCHAR, import_id INTEGER)")
        _run(c, "CREATE TABLE IF NOT EXISTS quarantine (import_id INTEGER, source VARCHAR, key VARCHAR, "
                "file VARCHAR, line BIGINT, field VARCHAR, value VARCHAR, expected VARCHAR, message VARCHAR)")
        _run(c, "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    # -- derived values ----------------------------------------------------------------------
    def derived(self, key: tuple | str, compute: Callable[[], Any]) -> Any:
        """A value computed from the store's contents, kept until the store is next written.

        Reference data every evaluation reads again (the area register, boundary changes,
        comparator groups, an indicator's breakdowns) is computed once per open store; frames,
        dicts and lists are handed out as copies so a caller can change its own. Every write
        (:meth:`import_batches`, :meth:`save_group`) forgets them all. Read-only stores of the
        same unchanged file share them (a web app opens one per request); a file replaced by a
        load is another file.
        """
        k = key if isinstance(key, tuple) else (key,)
        if self._writing:          # inside an import the tables change batch by batch: nothing is kept
            return compute()
        try:
            value = self._derived[k]
        except KeyError:
            value = self._derived[k] = compute()
        if value is None or isinstance(value, (str, bytes, int, float, tuple)):
            return value
        copy = getattr(value, "copy", None)    # frames, dicts, lists (no isinstance on pandas: it may not be imported)
        return copy() if callable(copy) else value

    def _forget_derived(self) -> None:
        self._derived.clear()

    # -- imports ---------------------------------------------------------------------------
    def import_batches(
        self,
        batches: Iterable[Batch],
        *,
        progress: Callable[[Batch], None] | None = None,
        replace: bool = False,
        check: bool = False,
        max_shrink: float = MAX_SHRINK,
    ) -> ImportReport:
        """Write batches in one transaction: all of them, or (on any error) none.

        Raises :class:`InputError` if an observation key collides with rows already
        stored from another file (the same indicator, area, breakdown and canonical period
        twice), if a local-authority code is not in the area register (once one is loaded),
        or if a new version of a stored file removes areas or periods, or more than
        ``max_shrink`` of its rows, unless ``replace``. ``check`` does everything but writes
        nothing (the transaction is rolled back): the report says what would change.

        The batches are taken in order and each is judged against the store as the batches
        before it left it. What needs the whole store (the clash of keys, the indicator rows,
        the successors' details) is worked out once for the import (:class:`_ImportRun`), not
        once per file, with the same outcome and the same first error as file by file.
        """
        if self.read_only:
            raise StoreError("the store was opened read-only")
        rows: list[dict] = []
        c = self.con
        self._forget_derived()
        self._writing = True
        _run(c, "BEGIN TRANSACTION")
        try:
            run = _ImportRun(c)
            try:
                for batch in batches:
                    rows.append(self._import_one(batch, run, replace=replace, max_shrink=max_shrink))
                    if progress is not None:
                        progress(batch)
            except InputError as exc:        # an earlier file's clash is the first error, as file by file
                run.flush()
                run.check_clashes(through=run.added_through, instead_of=exc)
                raise
            run.finish()
            _run(c, "ROLLBACK" if check else "COMMIT")
        except BaseException:
            _run(c, "ROLLBACK")
            close = getattr(batches, "close", None)      # a reading generator stops its readers now
            if callable(close):
                close()
            raise
        finally:
            self._writing = False
            self._forget_derived()
        return ImportReport(pd.DataFrame(rows, columns=REPORT_COLUMNS), checked_only=check)

    @staticmethod
    def _check_known_codes(b: Batch, run: "_ImportRun") -> None:
        """Local-authority codes in a batch must be in the register or declared by the batch's source
        when it is authoritative or the ONS boundaries; a made-up code never creates an area."""
        from .sources.validate import LA_PREFIXES

        if b.source in AUTHORITATIVE_AREA_SOURCES | DECLARING_SOURCES or not run.register_loaded():
            return
        cols = [(b.observations, "area_code", "area_code"), (b.groups, "focal_area", "focal_area"),
                (b.groups, "member_area", "member_area")]
        for frame, col, field in cols:
            if frame is None or frame.empty or col not in frame.columns:
                continue
            unknown = [x for x in pd.unique(frame[col].astype(str).to_numpy())
                       if x[:3] in LA_PREFIXES and x not in run.areas.rows]
            if unknown:
                i = int((frame[col].astype(str) == unknown[0]).to_numpy().argmax())
                line = int(frame["_line"].iloc[i]) if "_line" in frame.columns else None
                raise InputError("a local-authority code is not in the area register", path=str(b.files[0]) if
                                 b.files else b.key, line=line, field=field,
                                 expected="a current or former council code listed by the register "
                                          "(mySociety lookups) or the ONS boundaries", got=unknown[0],
                                 hint="Check the code with 'placeimpact areas search NAME'")

    def _differences(self, old_ids: list[int], b: Batch) -> dict:
        """Old rows, and areas and periods added or removed, of a new version of a stored file."""
        c = self.con
        out = {"old_rows": 0, "areas_added": 0, "areas_removed": 0, "periods_added": 0, "periods_removed": 0}
        if not old_ids:
            return out
        old = c.execute("SELECT count(*) FROM observations WHERE import_id IN (SELECT unnest(?))",
                        [old_ids]).fetchall()[0][0]
        old_g = c.execute("SELECT count(*) FROM comparator_groups WHERE import_id IN (SELECT unnest(?))",
                          [old_ids]).fetchall()[0][0]
        out["old_rows"] = int(old + old_g)
        old_areas = {r[0] for r in c.execute(
            "SELECT DISTINCT area_code FROM observations WHERE import_id IN (SELECT unnest(?)) UNION "
            "SELECT DISTINCT focal_area FROM comparator_groups WHERE import_id IN (SELECT unnest(?))",
            [old_ids, old_ids]).fetchall()}
        old_periods = {(str(a), str(z)) for a, z in c.execute(
            "SELECT DISTINCT period_start, period_end FROM observations WHERE import_id IN (SELECT unnest(?))",
            [old_ids]).fetchall()}
        new_areas = set(b.observations["area_code"].astype(str)) | set(b.groups["focal_area"].astype(str))
        new_periods = {(str(pd.Timestamp(a).date()), str(pd.Timestamp(z).date()))
                       for a, z in b.observations[["period_start", "period_end"]].drop_duplicates().itertuples(
                           index=False)} if len(b.observations) else set()
        out.update(areas_added=len(new_areas - old_areas), areas_removed=len(old_areas - new_areas),
                   periods_added=len(new_periods - old_periods), periods_removed=len(old_periods - new_periods))
        out["_removed_area"] = sorted(old_areas - new_areas)[:3]
        out["_removed_period"] = sorted(old_periods - new_periods)[:3]
        return out

    @staticmethod
    def _refuse_shrink(b: Batch, diff: dict, new_rows: int, max_shrink: float) -> None:
        """A new version of a stored file may not remove areas or periods, or more than ``max_shrink`` rows."""
        where = str(b.files[0]) if b.files else b.key
        if diff["areas_removed"]:
            raise InputError(f"this version of the file removes {diff['areas_removed']} area(s) that the stored "
                             f"version has (e.g. {', '.join(diff['_removed_area'])})", path=where,
                             field="area_code", expected="every stored area again, or --replace",
                             hint="Check the file is complete; give --replace to accept the removal")
        if diff["periods_removed"]:
            p0 = diff["_removed_period"][0]
            raise InputError(f"this version of the file removes {diff['periods_removed']} period(s) that the "
                             f"stored version has (e.g. {p0[0]} to {p0[1]})", path=where, field="period",
                             expected="every stored period again, or --replace",
                             hint="Check the file is complete; give --replace to accept the removal")
        if diff["old_rows"] and new_rows < (1 - max_shrink) * diff["old_rows"]:
            raise InputError(f"this version of the file has {new_rows:,} rows where the stored version has "
                             f"{diff['old_rows']:,} (more than {max_shrink:.0%} fewer)", path=where,
                             expected=f"at least {(1 - max_shrink):.0%} of the stored rows, or --replace",
                             got=f"{new_rows:,} rows",
                             hint="Check the file is complete; give --replace to accept the smaller file")

    def _import_one(self, b: Batch, run: "_ImportRun", *, replace: bool = False,
                    max_shrink: float = MAX_SHRINK) -> dict:
        c = self.con
        if not b.validated:       # a batch that came in without the readers' entry points: same rules
            from .sources.validate import validate_batch

            b = validate_batch(b)
        sha = b.sha256 or sha256_of(b.files)
        version = b.version or reader_fingerprint()
        nq = 0 if b.quarantine is None else len(b.quarantine)
        prev = run.imports.get((b.source, b.key), [])
        if any(s == sha and v == version for _, s, v in prev):
            return {"source": b.source, "key": b.key, "status": "unchanged", "rows": b.rows, "sha256": sha,
                    "quarantined": 0}
        status = "replaced" if prev else "new"
        self._check_known_codes(b, run)
        run.flush(old_ids=[p[0] for p in prev])         # the same file twice in one import: its rows are read back
        diff = self._differences([p[0] for p in prev], b)
        new_rows = len(b.observations) + len(b.groups)
        if prev and not replace and any(s != sha for _, s, _ in prev):   # a new version of the file
            self._refuse_shrink(b, diff, new_rows, max_shrink)
        import_id = run.replace(b.source, b.key, [p[0] for p in prev])
        run.add_indicators(b.indicators)
        if len(b.areas):
            run.areas.upsert(b.areas, authoritative=b.source in AUTHORITATIVE_AREA_SOURCES)
        if len(b.observations):
            run.add_observations(b, import_id)
        if len(b.groups):
            g = b.groups[list(GROUP_COLUMNS)].copy()
            g["import_id"] = import_id
            c.register("_new_grp", g)
            _run(c, "DELETE FROM comparator_groups WHERE group_id IN (SELECT DISTINCT group_id FROM _new_grp)")
            _run(c, "INSERT INTO comparator_groups SELECT * FROM _new_grp")
            c.unregister("_new_grp")
        if nq:
            q = b.quarantine.assign(import_id=import_id, source=b.source, key=b.key)
            q = q[["import_id", "source", "key", "file", "line", "field", "value", "expected", "message"]]
            c.register("_new_q", q)
            _run(c, "INSERT INTO quarantine SELECT * FROM _new_q")
            c.unregister("_new_q")
        if b.boundaries and b.source in DECLARING_SOURCES and len(b.areas):
            run.areas.learn_recodes_from_boundaries(b.areas)
        if len(b.areas):
            run.areas.fills_owed += 1         # a successor takes its predecessor's details (once per such file)
        for layer, text in (b.boundaries or {}).items():
            _run(c, "DELETE FROM boundaries WHERE layer = ?", [layer])
            _run(c, "INSERT INTO boundaries VALUES (?, ?, ?, ?, ?)",
                 [layer, b.source, text, hashlib.sha256(text.encode()).hexdigest(), import_id])
        run.record(import_id, b.source, b.key, sha, b.rows, version)
        return {"source": b.source, "key": b.key, "status": status, "rows": b.rows, "sha256": sha,
                **{k: v for k, v in diff.items() if not k.startswith("_")}, "new_rows": new_rows, "quarantined": nq}

    # -- recodes -------------------------------------------------------------------------------
    _COUNCIL_SQL = "left({c}, 3) IN ('E06', 'E07', 'E08', 'E09', 'E10', 'W06', 'S12', 'N09')"

    @classmethod
    def _learn_recodes_from_boundaries(cls, c: duckdb.DuckDBPyConnection, declared: pd.DataFrame) -> None:
        """A council of the register missing from the ONS boundaries while a boundary of the same name
        and type carries another code has been recoded (Barnsley E08000016 -> E08000038, 2025)."""
        d = declared[["code", "name"]].dropna()
        c.register("_declared", d)
        _run(c, f"""
            UPDATE areas SET replaced_by = n.code
            FROM (SELECT code, name FROM _declared) n
            WHERE areas.code NOT IN (SELECT code FROM _declared)
              AND lower(areas.name) = lower(n.name) AND left(areas.code, 3) = left(n.code, 3)
              AND {cls._COUNCIL_SQL.format(c='areas.code')}
              AND (areas.replaced_by IS NULL OR areas.replaced_by = '') AND areas.valid_to IS NULL
              AND (SELECT count(*) FROM _declared x WHERE lower(x.name) = lower(n.name)
                   AND left(x.code, 3) = left(n.code, 3)) = 1""")
        c.unregister("_declared")

    @classmethod
    def _fill_successors(cls, c: duckdb.DuckDBPyConnection) -> None:
        """A successor known only by code and name (from the boundaries) takes its exact predecessor's
        region, parent and tiers."""
        _run(c, f"""
            UPDATE areas SET region_code = coalesce(areas.region_code, o.region_code),
                             parent_code = coalesce(areas.parent_code, o.parent_code),
                             valid_from = coalesce(areas.valid_from, o.valid_to + INTERVAL 1 DAY)
            FROM areas o
            WHERE o.replaced_by = areas.code AND left(o.code, 3) = left(areas.code, 3)
              AND {cls._COUNCIL_SQL.format(c='o.code')}
              AND (areas.region_code IS NULL OR areas.parent_code IS NULL OR areas.valid_from IS NULL)""")

    def exact_recodes(self) -> dict[str, str]:
        """Former code -> current code for exact recodes only: a council's one successor, of the same type,
        of which it is the only predecessor (the same authority under a new code). Chains followed."""
        return self.derived("exact_recodes", self._exact_recodes)

    def _exact_recodes(self) -> dict[str, str]:
        rows = self.con.execute(f"""
            SELECT a.code, a.replaced_by FROM areas a JOIN areas b ON b.code = a.replaced_by
            WHERE left(a.code, 3) = left(b.code, 3) AND {self._COUNCIL_SQL.format(c='a.code')}
              AND NOT EXISTS (SELECT 1 FROM areas x WHERE x.code <> a.code AND x.replaced_by IS NOT NULL
                              AND list_contains(string_split(replace(x.replaced_by, ' ', ''), ','), a.replaced_by))
        """).fetchall()
        from .geography import follow_chains

        return follow_chains(dict(rows))

    def former_codes(self, code: str) -> list[str]:
        """The codes an area was published under before an exact recode (most recent first)."""
        if ("exact_recodes",) not in self._derived and not self.con.execute(
                "SELECT 1 FROM areas WHERE contains(replaced_by, ?) LIMIT 1", [code]).fetchall():
            return []          # no area names it as successor, so no chain ends at it (one cheap lookup)
        return sorted((o for o, n in self.exact_recodes().items() if n == code), reverse=True)

    @staticmethod
    def _upsert_areas(c: duckdb.DuckDBPyConnection, areas: pd.DataFrame, *, authoritative: bool) -> None:
        from .geography import area_type_from_code, tiers_from_code

        a = areas.copy()
        for col in AREA_COLUMNS:
            if col not in a.columns:
                a[col] = None
        a = a[list(AREA_COLUMNS)].drop_duplicates("code", keep="last")
        a["area_type"] = a["area_type"].where(a["area_type"].notna(), a["code"].map(area_type_from_code))
        tiers = a["code"].map(tiers_from_code)
        a["upper_tier"] = a["upper_tier"].where(a["upper_tier"].notna(), tiers.map(lambda t: t[0])).astype(bool)
        a["lower_tier"] = a["lower_tier"].where(a["lower_tier"].notna(), tiers.map(lambda t: t[1])).astype(bool)
        for col in ("valid_from", "valid_to"):
            a[col] = pd.to_datetime(a[col], errors="coerce").dt.date
        c.register("_new_areas", a)
        cols = list(AREA_COLUMNS)
        if authoritative:
            sets = ", ".join(f'"{k}" = coalesce(n."{k}", areas."{k}")' for k in cols if k != "code")
        else:
            # only fill gaps (a data file's area name never overrides the registry)
            sets = ", ".join(f'"{k}" = coalesce(areas."{k}", n."{k}")' for k in cols if k != "code")
        _run(c, f"UPDATE areas SET {sets} FROM _new_areas n WHERE areas.code = n.code")
        _run(c, "INSERT INTO areas SELECT * FROM _new_areas WHERE code NOT IN (SELECT code FROM areas)")
        c.unregister("_new_areas")

    def load(self, root: str | Path | None = None, *, progress: bool = False) -> ImportReport:
        """Read every known folder under ``root`` (default ``../shared/data``) and import it all."""
        from .sources import read_tree

        root = Path(root) if root is not None else default_data_dir()
        if not root.exists():
            raise InputError("the data folder does not exist", path=root,
                             hint="Pass --from DIR, or run 'placeimpact data fetch'")
        return self.import_batches(read_tree(root, progress=progress))   # imported as they are read

    def save_group(self, group: pd.DataFrame) -> None:
        """Store a computed comparator group (replacing one with the same group_id and focal area)."""
        g = group.copy()
        for col in GROUP_COLUMNS:
            if col not in g.columns:
                g[col] = None
        g = g[list(GROUP_COLUMNS)]
        g["import_id"] = None
        c = self.con
        self._forget_derived()
        c.register("_g", g)
        _run(c, "DELETE FROM comparator_groups WHERE (group_id, focal_area) IN (SELECT DISTINCT group_id, focal_area FROM _g)")
        _run(c, "INSERT INTO comparator_groups SELECT * FROM _g")
        c.unregister("_g")

    # -- queries ---------------------------------------------------------------------------
    def frame(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        """Run a read query and return a frame (for the layers above; no writes)."""
        return self.con.execute(sql, params or []).df()

    def is_empty(self) -> bool:
        return self.con.execute("SELECT count(*) FROM observations").fetchall()[0][0] == 0

    def indicators(self, search: str | None = None, *, source: str | None = None) -> pd.DataFrame:
        """Indicators (by name, id or concept part, or source) with their observation counts and period range."""
        sql = ("SELECT i.*, count(o.value) AS n_obs, min(o.period_start) AS first_period, "
               "max(o.period_end) AS last_period FROM indicators i LEFT JOIN observations o ON o.indicator_id = i.id ")
        where, params = [], []
        if search:
            where.append("(i.name ILIKE ? OR i.id ILIKE ? OR i.concept ILIKE ?)")
            params += [f"%{search}%"] * 3
        if source:
            where.append("i.source = ?")
            params.append(source)
        if where:
            sql += "WHERE " + " AND ".join(where)
        sql += " GROUP BY ALL ORDER BY i.id"
        return self.derived(("indicators", sql, *params), lambda: self.frame(sql, params))

    def indicator(self, indicator_id: str) -> dict:
        """Metadata of one indicator; a clear error with close matches if unknown."""
        return self.derived(("indicator", indicator_id), lambda: self._indicator(indicator_id))

    def _indicator(self, indicator_id: str) -> dict:
        df = self.frame("SELECT * FROM indicators WHERE id = ?", [indicator_id])
        if df.empty:
            df = self.frame("SELECT * FROM indicators WHERE source_id = ? OR id ILIKE ?",
                            [indicator_id, f"%:{indicator_id}"])
            if len(df) == 1:
                return df.iloc[0].to_dict()
            near = self.frame("SELECT id FROM indicators WHERE id ILIKE ? OR name ILIKE ? LIMIT 5",
                              [f"%{indicator_id}%", f"%{indicator_id}%"])["id"].tolist()
            if not near:      # a misspelling: the closest ids, whole or after the source prefix
                import difflib

                ids = [r[0] for r in self.con.execute("SELECT id FROM indicators").fetchall()]
                q = indicator_id.lower()
                tails = {i.split(":", 1)[-1].lower(): i for i in ids}
                near = list(dict.fromkeys(
                    difflib.get_close_matches(q, [i.lower() for i in ids], n=5, cutoff=0.8)
                    + [tails[t] for t in difflib.get_close_matches(q.split(":", 1)[-1], list(tails), n=5, cutoff=0.8)]))
                by_lower = {i.lower(): i for i in ids}
                near = [by_lower.get(x, x) for x in near][:5]
            hint = f" Did you mean: {', '.join(near)}?" if near else ""
            if len(df) > 1:
                hint = f" Several match: {', '.join(df['id'].tolist()[:5])}; give the full id."
            err = StoreError(f"unknown indicator {indicator_id!r}.{hint}")
            err.action = "list_indicators" if not near and len(df) <= 1 else None
            raise err
        return df.iloc[0].to_dict()

    def areas(self, search: str | None = None, *, area_type: str | None = None,
              upper_tier: bool | None = None, councils_first: bool = False) -> pd.DataFrame:
        """Areas by name part or code prefix, type or tier, ordered by code, with their region's name.

        With ``search``, an area recoded exactly (Barnsley E08000016 -> E08000038) is one row, under
        its current code, with ``former_codes`` listing the old ones (searching an old code finds it).
        """
        df = self._areas(search, area_type=area_type, upper_tier=upper_tier, councils_first=councils_first)
        if not search:
            return df
        recodes = self.exact_recodes()
        df = df.assign(former_codes=None)
        if not recodes or df.empty:
            return df
        old = df["code"].isin(list(recodes))
        missing = sorted({recodes[c] for c in df.loc[old, "code"]} - set(df["code"]))
        if missing:
            extra = self._areas(None).set_index("code").loc[[m for m in missing if self._has_area(m)]].reset_index()
            df = pd.concat([df[~old], extra.assign(former_codes=None)], ignore_index=True) if len(extra) else df
            old = df["code"].isin(list(recodes))
        former = {}
        for o in df.loc[old, "code"]:
            former.setdefault(recodes[o], []).append(o)
        for n, olds in [(n, [o for o, m in recodes.items() if m == n]) for n in set(df["code"])]:
            if olds:
                former[n] = olds
        keep = ~df["code"].isin([o for o in df["code"] if o in recodes and recodes[o] in set(df["code"])])
        df = df[keep].copy()
        df["former_codes"] = df["code"].map(lambda c: ", ".join(sorted(former[c])) if c in former else None)
        return df.reset_index(drop=True)

    def _has_area(self, code: str) -> bool:
        return bool(self.con.execute("SELECT 1 FROM areas WHERE code = ?", [code]).fetchall())

    def _areas(self, search: str | None = None, *, area_type: str | None = None,
               upper_tier: bool | None = None, councils_first: bool = False) -> pd.DataFrame:
        """Areas by name part or code prefix, type or tier, ordered by code, with their region's name.

        ``councils_first`` puts local authorities first, then regions and countries, then other
        areas (police force, NHS and ITL areas share councils' names), each by code.
        """
        sql, where = "SELECT * FROM areas", []
        params: list[object] = []
        if search:
            where.append("(name ILIKE ? OR code ILIKE ?)")
            params += [f"%{search}%", f"{search}%"]
        if area_type:
            where.append("area_type = ?")
            params.append(area_type)
        if upper_tier is not None:
            where.append("upper_tier = ?")
            params.append(upper_tier)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {self._AREA_RANK_SQL}, code" if councils_first else " ORDER BY code"

        def compute() -> pd.DataFrame:
            df = self.frame(sql, params)
            regions = dict(self.con.execute(
                "SELECT code, name FROM areas WHERE area_type IN ('region', 'country')").fetchall())
            df.insert(df.columns.get_loc("region_code") + 1, "region_name", df["region_code"].map(regions))
            return df

        return self.derived(("areas", sql, *params), compute)

    # local authorities first, then regions and countries, then anything else (police force areas,
    # ITL regions, NHS bodies share many councils' names); within a rank the current code first
    _AREA_RANK_SQL = ("CASE WHEN coalesce(upper_tier, false) OR coalesce(lower_tier, false) THEN 0 "
                      "WHEN area_type IN ('region', 'country') THEN 1 ELSE 2 END")
    _AREA_ORDER_SQL = ("valid_to IS NOT NULL, (replaced_by IS NOT NULL AND replaced_by <> ''), "
                       "valid_from DESC NULLS LAST, code")
    # words official names add or move, longest first ("royal borough of" before "borough of"); a lone
    # "city" is kept: "Durham City" is not County Durham
    _NAME_NOISE = ("royal borough of", "london borough of", "metropolitan borough of", "borough of", "city of",
                   "county of", "county", "the")

    @classmethod
    def _name_key(cls, name: str) -> str:
        """A name without punctuation and the words that official names add or move ('Bristol, City of')."""
        import re

        words = re.sub(r"[^a-z0-9 ]+", " ", name.lower().replace("&", " and ")).split()
        text = " " + " ".join(words) + " "
        for noise in cls._NAME_NOISE:
            text = text.replace(f" {noise} ", " ")
        return " ".join(text.split())

    def resolve_area(self, code_or_name: str) -> str:
        """An area code from a code or a name; errors say why and list near matches.

        A name resolves, in this order, to a local authority of that exact name (case-insensitive),
        a region or country of that name, a local authority whose official name differs only by
        punctuation or 'City of' / 'County' ('Bristol, City of', 'Durham' for County Durham), and
        last any other area of that name (police force areas, ITL regions). Within each, the
        current code wins over a former one. Two different local authorities matching the
        same loose name is an error that lists them.
        """
        return self.derived(("resolve_area", str(code_or_name)), lambda: self._resolve_area(code_or_name))

    def _resolve_area(self, code_or_name: str) -> str:
        q = str(code_or_name).strip()
        hit = self.con.execute("SELECT code FROM areas WHERE code = ?", [q.upper()]).fetchall()[:1]
        if hit:
            # a former code of an exact recode is the same authority: answer with its current code
            return self.exact_recodes().get(hit[0][0], hit[0][0]) if self._maybe_recoded(hit[0][0]) else hit[0][0]
        exact = self.con.execute(
            f"SELECT code, {self._AREA_RANK_SQL} AS r FROM areas WHERE lower(name) = lower(?) "
            f"ORDER BY r, {self._AREA_ORDER_SQL}", [q]).fetchall()
        if exact and exact[0][1] <= 1:
            return exact[0][0]
        key = self._name_key(q)
        if key:
            rows = self.con.execute(
                "SELECT code, name, valid_to IS NULL AND (replaced_by IS NULL OR replaced_by = '') FROM areas "
                "WHERE (coalesce(upper_tier, false) OR coalesce(lower_tier, false)) AND name ILIKE ? "
                f"ORDER BY {self._AREA_ORDER_SQL}", [f"%{key.split()[0]}%"]).fetchall()
            loose = [(c, n, cur) for c, n, cur in rows if self._name_key(n) == key]
            current = [r for r in loose if r[2]] or loose
            if len({n for _, n, _ in current}) > 1:
                raise StoreError(f"area name {q!r} is ambiguous: " + ", ".join(f"{n} ({c})" for c, n, _ in current)
                                 + "; give the code or the full name")
            if current:
                return current[0][0]
        if exact:
            return exact[0][0]
        err = StoreError(f"unknown area {q!r}. {self._area_hint(q)}".rstrip(". ") + ".")
        err.action = "search_areas"
        raise err

    def _maybe_recoded(self, code: str) -> bool:
        r = self.con.execute("SELECT replaced_by FROM areas WHERE code = ?", [code]).fetchall()
        return bool(r and r[0][0])

    def _area_hint(self, q: str) -> str:
        """'Did you mean …?' from names containing the text, else from close spellings."""
        import difflib

        near = self.con.execute(
            f"SELECT code, name FROM areas WHERE name ILIKE ? ORDER BY {self._AREA_RANK_SQL}, "
            f"{self._AREA_ORDER_SQL} LIMIT 5", [f"%{q}%"]).fetchall()
        if not near:
            la = self.con.execute(
                "SELECT code, name FROM areas WHERE (coalesce(upper_tier, false) OR coalesce(lower_tier, false)) "
                f"ORDER BY {self._AREA_ORDER_SQL}").fetchall()
            by_name: dict[str, str] = {}
            for c, n in la:
                by_name.setdefault(n, c)
            close = difflib.get_close_matches(q, list(by_name), n=5, cutoff=0.75)
            if not close:
                lower = {n.lower(): n for n in by_name}
                close = [lower[x] for x in difflib.get_close_matches(q.lower(), list(lower), n=5, cutoff=0.75)]
            near = [(by_name[n], n) for n in close]
        if near:
            return "Did you mean: " + ", ".join(f"{n} ({c})" for c, n in near) + "?"
        return ""

    def area_change_note(self, code: str) -> str | None:
        """A sentence saying that ``code`` was abolished or recoded, and by what, or None if it is current."""
        row = self.con.execute("SELECT name, valid_to, replaced_by FROM areas WHERE code = ?", [code]).fetchall()
        if not row:
            return None
        name, valid_to, replaced_by = row[0]
        succ = [c.strip() for c in str(replaced_by or "").split(",") if c.strip()]
        if valid_to is None and not succ:
            return None
        names = dict(self.con.execute("SELECT code, name FROM areas WHERE code IN (SELECT unnest(?))",
                                      [succ]).fetchall()) if succ else {}
        by = ", ".join(f"{names.get(c, c)} ({c})" for c in succ)
        if valid_to is None:
            return f"{name} ({code}) is a former code; the area is now {by}"
        when = f"{valid_to:%Y-%m-%d}" if hasattr(valid_to, "strftime") else str(valid_to)[:10]
        return f"{name} ({code}) was abolished on {when}" + (f" and replaced by {by}" if by else "")

    def area(self, code: str) -> dict:
        """One area's row of the register (code, name, type, tiers, region, parent, validity)."""
        row = self.derived(("area", code), lambda: self._area_row(code))
        if row is None:
            raise StoreError(f"unknown area {code!r}")
        return row

    def _area_row(self, code: str) -> dict | None:
        df = self.frame("SELECT * FROM areas WHERE code = ?", [code])
        return None if df.empty else df.iloc[0].to_dict()

    def observations(
        self,
        indicator_id: str,
        *,
        areas: Sequence[str] | None = None,
        sex: str | None = None,
        age: str | None = None,
        category: str | None = None,
        until: str | None = None,
    ) -> pd.DataFrame:
        """Tidy rows of one indicator (optionally some areas / one breakdown), sorted by area and period.

        ``until`` (ISO date) keeps only periods that ended on or before it.
        """
        sql = "SELECT o.*, a.name AS area_name FROM observations o LEFT JOIN areas a ON a.code = o.area_code WHERE o.indicator_id = ?"
        params: list = [indicator_id]
        if areas is not None:
            sql += " AND o.area_code IN (SELECT unnest(?))"
            params.append(list(areas))
        for col, val in (("sex", sex), ("age", age), ("category", category)):
            if val is not None:
                sql += f" AND o.{col} = ?"
                params.append(val)
        if until is not None:
            sql += " AND o.period_end <= CAST(? AS DATE)"
            params.append(str(until))
        sql += " ORDER BY o.area_code, o.sex, o.age, o.category, o.period_start, o.period_end"
        return self.frame(sql, params)

    def breakdowns(self, indicator_id: str) -> pd.DataFrame:
        """Distinct (sex, age, category) of an indicator with row counts."""
        return self.derived(("breakdowns", indicator_id), lambda: self.frame("SELECT sex, age, category, count(*) AS n FROM observations WHERE indicator_id = ? "
                          "GROUP BY ALL ORDER BY n DESC", [indicator_id]))

    def series(self, area: str, indicator: str, *, sex: str | None = None, age: str | None = None,
               category: str | None = None) -> pd.DataFrame:
        """One area's series of one indicator (with CIs), resolved by code or name.

        A council with no values of its own for the indicator that is published only inside a
        combined area (Cornwall with the Isles of Scilly as E67000002: see
        :data:`placeimpact.geography.COMBINED_AREAS`) gets the combined area's rows, under the
        combined code and name, with ``note`` saying so. Its own rows, if any, are never mixed in.
        """
        code = self.resolve_area(area)
        ind = self.indicator(indicator)
        former = self.former_codes(code)
        df = self.observations(ind["id"], areas=[code, *former], sex=sex, age=age, category=category)
        if former and len(df):
            df = self._join_former(df, code)
        if df["value"].isna().all():
            combined = self._combined_series(code, ind["id"], sex=sex, age=age, category=category, frame=True)
            if combined is not None:
                return combined
        if df.empty:
            raise self._no_data(indicator, ind["id"], area, code, sex=sex, age=age, category=category)
        cols = ["area_code", "area_name", "indicator_id", "sex", "age", "category", "period_label",
                "period_start", "period_end", "value", "lci95", "uci95", "lci998", "uci998", "count",
                "denominator", "ci_origin", "note"]
        return df[cols].reset_index(drop=True)

    @staticmethod
    def _join_former(df: pd.DataFrame, code: str) -> pd.DataFrame:
        """One series from rows under the current code and its former codes: a period published under
        both keeps the current code's row; former-code rows say so in their note."""
        cur = df["area_code"] == code
        k = ["sex", "age", "category", "period_start", "period_end"]
        have = set(map(tuple, df.loc[cur, k].astype(str).to_numpy()))
        old = ~cur & ~df[k].astype(str).apply(tuple, axis=1).isin(have)
        df = df[cur | old].copy()
        df.loc[old, "note"] = ("published under former code " + df.loc[old, "area_code"]
                               + df.loc[old, "note"].fillna("").map(lambda n: f"; {n}" if n else "")).to_numpy()
        return df.sort_values(["sex", "age", "category", "period_start", "period_end"]).reset_index(drop=True)

    def _combined_series(self, area: str, indicator: str, *, sex: str | None = None, age: str | None = None,
                         category: str | None = None, frame: bool = False) -> pd.DataFrame | list[tuple] | None:
        """The series of a combined area containing ``area``, for a council with no values of its own.

        None when ``area`` (a code or name) is in no combined area, has a value of its own for
        the indicator (any breakdown or period), or the combined area has no value in the
        breakdown asked for. Otherwise the combined area's rows in :attr:`SERIES_COLUMNS` order,
        as a frame (``frame``) or plain tuples (no pandas: the ``series`` fast path), with
        ``note`` naming the combined area and keeping the published note after it.
        """
        from .geography import combined_areas_of, combined_note

        code = self.resolve_area(area)
        combos = combined_areas_of([code])
        if not combos:
            return None
        ind_id = self._indicator_id(indicator)
        bd_sql, bd_vals = self._breakdown_filter(sex, age, category)
        where = "o.indicator_id = ? AND o.area_code = ?" + bd_sql
        own = self.con.execute("SELECT count(value) FROM observations WHERE indicator_id = ? AND area_code = ?",
                               [ind_id, code]).fetchall()[0][0]
        used = [c for c in combos if self.con.execute(
            f"SELECT count(o.value) FROM observations o WHERE {where}", [ind_id, c, *bd_vals]).fetchall()[0][0]]
        if own or not used:
            return None
        cols = ", ".join("a.name AS area_name" if c == "area_name" else
                         "? || coalesce(' (published note: ' || o.note || ')', '') AS note" if c == "note" else
                         f"o.{c}" for c in self.SERIES_COLUMNS)
        cur = self.con.execute(
            f"SELECT {cols} FROM observations o LEFT JOIN areas a ON a.code = o.area_code WHERE {where} "
            "ORDER BY o.sex, o.age, o.category, o.period_start, o.period_end",
            [combined_note(used[0]), ind_id, used[0], *bd_vals])
        return cur.df() if frame else cur.fetchall()

    def _indicator_id(self, indicator: str) -> str:
        """The stored id of ``indicator``: one cheap lookup when exact, :meth:`indicator` (close matches) when not."""
        hit = self.con.execute("SELECT id FROM indicators WHERE id = ?", [indicator]).fetchall()
        return hit[0][0] if hit else self.indicator(indicator)["id"]

    @staticmethod
    def _breakdown_filter(sex: str | None, age: str | None, category: str | None,
                          alias: str = "o.") -> tuple[str, list]:
        """``" AND o.sex = ? ..."`` for the breakdown columns given, and their values."""
        given = [(c, v) for c, v in (("sex", sex), ("age", age), ("category", category)) if v is not None]
        return "".join(f" AND {alias}{c} = ?" for c, _ in given), [v for _, v in given]

    def _breakdowns_text(self, ind_id: str, code: str | None = None) -> str:
        """'Persons, All ages; Male, All ages; ...': the breakdowns of an indicator (in one area)."""
        sql = "SELECT DISTINCT sex, age, category FROM observations WHERE indicator_id = ?"
        rows = self.con.execute(sql + (" AND area_code = ?" if code else "") + " ORDER BY 1, 2, 3 LIMIT 9",
                                [ind_id, code] if code else [ind_id]).fetchall()
        return "; ".join(", ".join(x for x in r if x) for r in rows[:8]) + ("; ..." if len(rows) > 8 else "")

    #: columns of :meth:`series_rows`, in order
    SERIES_COLUMNS = ("area_code", "area_name", "indicator_id", "sex", "age", "category", "period_label",
                      "period_start", "period_end", "value", "lci95", "uci95", "lci998", "uci998", "count",
                      "denominator", "ci_origin", "note")

    def series_rows(self, area: str, indicator: str, *, sex: str | None = None, age: str | None = None,
                    category: str | None = None) -> list[tuple]:
        """As :meth:`series`, as plain tuples in :attr:`SERIES_COLUMNS` order (no pandas: fast start-up)."""
        code = self.resolve_area(area)
        ind_id = self._indicator_id(indicator)
        cols = ", ".join(f"o.{c}" if c != "area_name" else "a.name" for c in self.SERIES_COLUMNS)
        bd_sql, bd_vals = self._breakdown_filter(sex, age, category)
        former = self.former_codes(code)
        if former:      # full history: rows under former codes where the current code has none
            cols = ", ".join(f"o.{c}" if c not in ("area_name", "note") else "a.name" if c == "area_name" else
                             "CASE WHEN o.area_code = ? THEN o.note ELSE 'published under former code ' || "
                             "o.area_code || coalesce('; ' || o.note, '') END" for c in self.SERIES_COLUMNS)
            sql = (f"SELECT {cols} FROM observations o LEFT JOIN areas a ON a.code = o.area_code "
                   "WHERE o.indicator_id = ? AND o.area_code IN (SELECT unnest(?))" + bd_sql +
                   " QUALIFY row_number() OVER (PARTITION BY o.sex, o.age, o.category, o.period_start, o.period_end "
                   "ORDER BY o.area_code = ? DESC) = 1")
            rows = self.con.execute(sql + " ORDER BY o.sex, o.age, o.category, o.period_start, o.period_end",
                                    [code, ind_id, [code, *former], *bd_vals, code]).fetchall()
        else:
            sql = (f"SELECT {cols} FROM observations o LEFT JOIN areas a ON a.code = o.area_code "
                   "WHERE o.indicator_id = ? AND o.area_code = ?" + bd_sql)
            rows = self.con.execute(sql + " ORDER BY o.sex, o.age, o.category, o.period_start, o.period_end",
                                    [ind_id, code, *bd_vals]).fetchall()
        if not rows:
            raise self._no_data(indicator, ind_id, area, code, sex=sex, age=age, category=category)
        return rows

    def _no_data(self, indicator: str, ind_id: str, area: str, code: str, *, sex: str | None = None,
                 age: str | None = None, category: str | None = None) -> StoreError:
        """'no data' that says what there is: the area's breakdowns, or the area types the indicator covers."""
        asked = [f"{k}={v!r}" for k, v in (("sex", sex), ("age", age), ("category", category)) if v is not None]
        msg = f"no data for {indicator!r} in {area!r} ({code})"
        have = self._breakdowns_text(ind_id, code)
        if have:
            return StoreError(f"{msg} with {', '.join(asked) or 'this breakdown'}; it has: {have}")
        if asked:      # the breakdown itself may not exist for this indicator
            bd_sql, bd_vals = self._breakdown_filter(sex, age, category, alias="")
            if not self.con.execute(f"SELECT 1 FROM observations WHERE indicator_id = ?{bd_sql} LIMIT 1",
                                    [ind_id, *bd_vals]).fetchall():
                return StoreError(f"{msg}: the indicator has no breakdown {', '.join(asked)} for any area; "
                                  f"it has: {self._breakdowns_text(ind_id)}")
        types = self.con.execute(
            "SELECT coalesce(a.area_type, 'unknown'), count(DISTINCT o.area_code) AS n FROM observations o "
            "LEFT JOIN areas a ON a.code = o.area_code WHERE o.indicator_id = ? GROUP BY 1 ORDER BY n DESC LIMIT 3",
            [ind_id]).fetchall()
        covers = ", ".join(f"{n} {t.replace('_', ' ')} areas" for t, n in types)
        return StoreError(f"{msg}; the indicator is published for {covers or 'no area'}")

    def folder_status(self) -> pd.DataFrame:
        """Per top-level data folder (first component of each import's key): sources, files, rows, periods."""
        return self.frame(
            """
            WITH f AS (SELECT *, CASE WHEN contains(path, '/') THEN split_part(path, '/', 1)
                                      ELSE '(single files)' END AS folder FROM imports),
                 o AS (SELECT f.folder, count(*) AS n, count(DISTINCT o.indicator_id) AS k,
                              min(o.period_start) AS p0, max(o.period_end) AS p1
                       FROM observations o JOIN f USING (import_id) GROUP BY f.folder),
                 g AS (SELECT f.folder, count(*) AS n FROM comparator_groups g JOIN f USING (import_id)
                       GROUP BY f.folder),
                 i AS (SELECT folder, string_agg(DISTINCT source, ', ' ORDER BY source) AS sources,
                              count(*) AS files, CAST(sum(rows) AS BIGINT) AS rows,
                              max(imported_at) AS last_import
                       FROM f GROUP BY folder)
            SELECT i.folder, i.sources, i.files, i.rows, coalesce(o.n, 0) AS observations,
                   coalesce(o.k, 0) AS indicators, coalesce(g.n, 0) AS group_rows,
                   strftime(o.p0, '%Y-%m-%d') AS first_period, strftime(o.p1, '%Y-%m-%d') AS last_period,
                   strftime(i.last_import, '%Y-%m-%d %H:%M') AS last_import
            FROM i LEFT JOIN o USING (folder) LEFT JOIN g USING (folder) ORDER BY i.folder
            """
        )

    def groups(self, *, focal: str | None = None, group_id: str | None = None) -> pd.DataFrame:
        """Comparator group rows (by focal area and/or group id), ordered by group, focal area and rank.

        Exact recodes join across codes: a focal area's groups include those stored under its former
        code (Oflog lists Barnsley as E08000016; asked for E08000038 they answer), reported under the
        current code, and members listed under a former code are given their current code.
        """
        return self.derived(("groups", focal, group_id), lambda: self._groups_joined(focal, group_id))

    def _groups_joined(self, focal: str | None, group_id: str | None) -> pd.DataFrame:
        df = self._groups(focal=focal, group_id=group_id)
        recodes = self.exact_recodes()
        if not recodes:
            return df
        if focal:
            cur = recodes.get(focal, focal)
            former = [o for o, n in recodes.items() if n == cur]
            have = set(df["group_id"]) if focal == cur else set()
            parts = [df] if focal == cur else []
            for old in former:
                g = self._groups(focal=old, group_id=group_id)
                g = g[~g["group_id"].isin(have)]
                if len(g):
                    parts.append(g.assign(focal_area=cur))
                    have |= set(g["group_id"])
            if focal != cur and not parts:
                parts.append(self._groups(focal=cur, group_id=group_id))
            df = pd.concat(parts, ignore_index=True) if parts else df
        if len(df):
            df = df.assign(member_area=df["member_area"].map(lambda c: recodes.get(c, c)),
                           focal_area=df["focal_area"].map(lambda c: recodes.get(c, c)))
            df = df[df["member_area"] != df["focal_area"]]
            df = df.drop_duplicates(["group_id", "focal_area", "member_area"], keep="first")
        return df.sort_values(["group_id", "focal_area", "rank"]).reset_index(drop=True)

    def _groups(self, *, focal: str | None = None, group_id: str | None = None) -> pd.DataFrame:
        sql, where, params = "SELECT * EXCLUDE (import_id) FROM comparator_groups", [], []
        if focal:
            where.append("focal_area = ?")
            params.append(focal)
        if group_id:
            where.append("group_id = ?")
            params.append(group_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.frame(sql + " ORDER BY group_id, focal_area, rank", params)

    def imports(self) -> pd.DataFrame:
        return self.frame("SELECT * FROM imports ORDER BY import_id")

    def status(self) -> pd.DataFrame:
        """Per source: files, rows, indicators, first and last period, last import time."""
        return self.frame(
            """
            WITH obs AS (
              SELECT i.source, count(*) AS rows, count(DISTINCT o.indicator_id) AS indicators,
                     count(DISTINCT o.area_code) AS areas, min(o.period_start) AS first_period,
                     max(o.period_end) AS last_period
              FROM observations o JOIN imports i USING (import_id) GROUP BY i.source),
            grp AS (SELECT i.source, count(*) AS group_rows FROM comparator_groups g
                    JOIN imports i USING (import_id) GROUP BY i.source),
            imp AS (SELECT source, count(*) AS files, max(imported_at) AS last_import FROM imports GROUP BY source)
            SELECT imp.source, imp.files, coalesce(obs.rows, 0) AS rows, coalesce(obs.indicators, 0) AS indicators,
                   coalesce(obs.areas, 0) AS areas, coalesce(grp.group_rows, 0) AS group_rows,
                   obs.first_period, obs.last_period, imp.last_import
            FROM imp LEFT JOIN obs USING (source) LEFT JOIN grp USING (source) ORDER BY imp.source
            """
        )

    def quarantine(self) -> pd.DataFrame:
        """Rows refused by a lenient load (``data load --lenient``), with where and why."""
        try:
            return self.frame("SELECT q.source, q.file, q.line, q.field, q.value, q.expected, q.message "
                              "FROM quarantine q ORDER BY q.import_id, q.line")
        except duckdb.CatalogException:
            return pd.DataFrame(columns=["source", "file", "line", "field", "value", "expected", "message"])

    def boundaries(self, layer: str | None = None) -> dict:
        """The stored map boundaries, parsed: a TopoJSON object (``type``, ``arcs``, ``transform``, ``objects``).

        ``layer`` names a stored boundary set (default: the only or the first one, ``ons-2025`` from
        ``ons-els-app/src/lib/data/topo.json``). Raises :class:`StoreError` when none is stored.
        Maps drawn from it must carry :data:`placeimpact.sources.ons_els_app.ATTRIBUTION`.
        """
        import json

        try:
            rows = self.con.execute("SELECT layer, topojson FROM boundaries ORDER BY layer").fetchall()
        except duckdb.CatalogException:      # a store written before the table existed
            rows = []
        if layer is not None:
            rows = [r for r in rows if r[0] == layer]
        if not rows:
            raise StoreError("no map boundaries in the store" + (f" named {layer!r}" if layer else "")
                             + "; load the ons-els-app folder ('placeimpact data load')")
        return json.loads(rows[0][1])

    def counts(self) -> dict[str, int]:
        return {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("areas", "indicators", "observations", "comparator_groups", "imports")}

    # -- queries for the layers above (benchmarks, features, groups, provenance, bulk panels) --
    # Every query the rest of the package needs lives here, typed; no other module writes SQL.
    def area_hint(self, text: str) -> str:
        """'Did you mean ...?' for a search that found nothing, or '' when nothing is close."""
        return self._area_hint(text)

    def combined_series(self, area: str, indicator: str, *, sex: str | None = None, age: str | None = None,
                        category: str | None = None) -> list[tuple] | None:
        """The combined area's rows (:attr:`SERIES_COLUMNS` tuples) for a council with none of its own, or None."""
        rows = self._combined_series(area, indicator, sex=sex, age=age, category=category)
        return rows if rows is None or isinstance(rows, list) else list(rows.itertuples(index=False, name=None))

    def area_names(self, codes: Sequence[str]) -> dict[str, str]:
        """Code -> name for the codes the register holds (others are absent)."""
        rows = self.con.execute("SELECT code, name FROM areas WHERE code IN (SELECT unnest(?))",
                                [list(codes)]).fetchall()
        return {c: n for c, n in rows}

    def lower_tier_areas(self) -> pd.DataFrame:
        """Every lower-tier area (districts, unitaries, metropolitan and London boroughs), sorted by code."""
        return self.frame("SELECT * FROM areas WHERE lower_tier ORDER BY code")

    def indicator_table(self, ids: Sequence[str] | None = None) -> pd.DataFrame:
        """The indicators table (every column), sorted by id; only ``ids`` when given."""
        if ids is None:
            return self.frame("SELECT * FROM indicators ORDER BY id")
        return self.frame("SELECT * FROM indicators WHERE id IN (SELECT unnest(?)) ORDER BY id", [list(ids)])

    def indicators_of_concepts(self, concepts: Sequence[str]) -> pd.DataFrame:
        """``id, concept`` of the indicators whose concept is one of ``concepts``, sorted by id."""
        return self.frame("SELECT id, concept FROM indicators WHERE concept IN (SELECT unnest(?)) ORDER BY id",
                          [list(concepts)])

    def persons_values(self, indicator_ids: Sequence[str], areas: Sequence[str]) -> pd.DataFrame:
        """All-persons, all-ages values (no category) of indicators for areas.

        Columns ``feature`` (the indicator id), ``area_code``, ``period_label``, ``period_end``, ``value``.
        """
        return self.frame(
            "SELECT indicator_id AS feature, area_code, period_label, period_end, value FROM observations "
            "WHERE indicator_id IN (SELECT unnest(?)) AND area_code IN (SELECT unnest(?)) AND value IS NOT NULL "
            "AND sex = 'Persons' AND age = 'All ages' AND category = ''", [list(indicator_ids), list(areas)])

    def group_summary(self, focal: str | None = None) -> pd.DataFrame:
        """One row per comparator group: ``group_id, kind, source, focal_areas, members`` (for one focal area)."""
        sql = ("SELECT group_id, kind, any_value(source) AS source, count(DISTINCT focal_area) AS focal_areas, "
               "count(*) AS members FROM comparator_groups")
        params: list = []
        if focal is not None:
            sql += " WHERE focal_area = ?"
            params.append(focal)
        return self.frame(sql + " GROUP BY group_id, kind ORDER BY group_id", params)

    def group_sizes(self) -> pd.DataFrame:
        """``group_id, n_areas`` (focal areas holding the group), largest first."""
        return self.frame("SELECT group_id, count(DISTINCT focal_area) AS n_areas FROM comparator_groups "
                          "GROUP BY group_id ORDER BY n_areas DESC, group_id")

    def provenance(self, indicator_ids: Sequence[str]) -> pd.DataFrame:
        """The imported files behind the indicators: ``source, path, sha256, rows, imported_at, indicators``."""
        if not indicator_ids:
            return pd.DataFrame(columns=["source", "path", "sha256", "rows", "imported_at", "indicators"])
        return self.frame(
            "SELECT i.source, i.path, i.sha256, i.rows, i.imported_at, "
            "string_agg(DISTINCT o.indicator_id, ', ') AS indicators "
            "FROM imports i JOIN (SELECT DISTINCT import_id, indicator_id FROM observations "
            "WHERE indicator_id IN (SELECT unnest(?))) o USING (import_id) GROUP BY ALL ORDER BY i.source, i.path",
            [list(indicator_ids)])

    #: observations with their indicator's and area's columns, as the benchmark tables need them
    _BENCH_SQL = """
        SELECT o.indicator_id, o.area_code, o.sex, o.age, coalesce(o.category, '') AS category, o.period_label,
               o.period_start, o.period_end, o.value, o.lci95, o.uci95, o.lci998, o.uci998, o.ci_origin, o.count,
               o.denominator, i.name AS indicator_name, i.unit, i.polarity, i.value_type, i.multiplier,
               a.name AS area_name, a.area_type, a.region_code
        FROM observations o JOIN indicators i ON i.id = o.indicator_id LEFT JOIN areas a ON a.code = o.area_code
        WHERE o.value IS NOT NULL"""

    def benchmark_rows(self, area: str) -> pd.DataFrame:
        """Every observation with a value of one area (code), joined to its indicator and area columns."""
        return self.frame(self._BENCH_SQL + " AND o.area_code = ?", [area])

    def benchmark_peer_rows(self, keys: pd.DataFrame, *, areas: Sequence[str] | None = None,
                            area_types: Sequence[str] | None = None) -> pd.DataFrame:
        """Every area's values for the (indicator_id, sex, age, category, period_label) of ``keys``:
        ``key_row`` (the position of the row of ``keys`` it matches), ``area_code``, ``value`` and
        ``area_type`` (integers instead of the five key columns: a spine has ~500 keys and ~50,000 peers).

        With ``areas`` and/or ``area_types``, only rows of those areas or of areas of those types
        (one spine row's peers are England, the region, the neighbours and the tier, not every
        police force or NHS area that publishes the same series).
        """
        cols = ["indicator_id", "sex", "age", "category", "period_label"]
        params: list = [keys[c].astype(str).tolist() for c in cols] + [list(range(len(keys)))]
        where = ""
        if areas is not None or area_types is not None:
            where = " WHERE p.area_code IN (SELECT unnest(?)) OR p.area_type IN (SELECT unnest(?))"
            params += [list(areas or []), list(area_types or [])]
        return self.frame(
            "SELECT k.k_row AS key_row, p.area_code, p.value, p.area_type FROM (" + self._BENCH_SQL + ") p "
            "JOIN (SELECT unnest(?) AS k_ind, unnest(?) AS k_sex, unnest(?) AS k_age, unnest(?) AS k_cat, "
            "unnest(?) AS k_per, unnest(?) AS k_row) k ON p.indicator_id = k.k_ind "
            "AND p.sex = k.k_sex AND p.age = k.k_age AND p.category = k.k_cat AND p.period_label = k.k_per" + where,
            params)

    def benchmark_all_rows(self, vs: str, england: str) -> pd.DataFrame:
        """Every local observation with a value beside England's (``vs="england"``) or its region's value.

        Columns: the observation's keys, value, limits, counts, ``ci_origin``, polarity (one of the
        three), ``value_type``, ``multiplier``, ``area_type``, ``region_code``, ``comparator_code``,
        ``comparator_value`` and ``tier_group`` (a hash of the series, period and area tier).
        """
        if vs == "england":
            comparator_rows, region_join, region_filter = "area_code = ?", "", ""
            params: list = [england, england]
        else:
            comparator_rows = "area_type = 'region'"
            region_join = "AND c.comparator_code = o.region_code"
            region_filter = "AND o.region_code IS NOT NULL"
            params = [england]
        sql = f"""
        WITH o AS (
          SELECT o.indicator_id, o.area_code, o.sex, o.age, coalesce(o.category, '') AS category, o.period_label,
                 o.value, o.lci95, o.uci95, o.lci998, o.uci998, o.count, o.denominator, o.ci_origin,
                 CASE WHEN i.polarity IN ('high_is_good', 'low_is_good') THEN i.polarity ELSE 'no_judgement' END
                   AS polarity,
                 i.value_type, i.multiplier, a.area_type, a.region_code,
                 CASE WHEN a.area_type IN ('unitary', 'metropolitan_district', 'london_borough') THEN 'unitary_tier'
                      ELSE coalesce(a.area_type, 'other') END AS tier
          FROM observations o JOIN indicators i ON i.id = o.indicator_id LEFT JOIN areas a ON a.code = o.area_code
          WHERE o.value IS NOT NULL
        ), c AS (
          SELECT indicator_id, sex, age, category, period_label, area_code AS comparator_code,
                 any_value(value) AS comparator_value
          FROM o WHERE {comparator_rows} GROUP BY ALL
        )
        SELECT o.* EXCLUDE (tier), c.comparator_code, c.comparator_value,
               hash(o.indicator_id, o.sex, o.age, o.category, o.period_label, o.tier) AS tier_group
        FROM o LEFT JOIN c ON c.indicator_id = o.indicator_id AND c.sex = o.sex AND c.age = o.age
             AND c.category = o.category AND c.period_label = o.period_label {region_join}
        WHERE o.area_code <> ? AND coalesce(o.area_type, '') <> 'region' {region_filter}
        """
        return self.frame(sql, params)

    def breakdown_counts(self, indicator_ids: Sequence[str] | None) -> pd.DataFrame:
        """``indicator_id, sex, age, category, n``: rows per breakdown of each indicator (None: every
        indicator), over every area."""
        if indicator_ids is None:
            return self.frame("SELECT indicator_id, sex, age, category, count(*) AS n FROM observations GROUP BY ALL")
        return self.frame("SELECT indicator_id, sex, age, category, count(*) AS n FROM observations "
                          "WHERE indicator_id IN (SELECT unnest(?)) GROUP BY ALL", [list(indicator_ids)])

    def bulk_observations(self, indicator_ids: Sequence[str], areas: Sequence[str], *, until: str | None = None,
                          min_periods: int = 0) -> pa.Table:
        """Observations of many indicators for many areas in one query (the screen's bulk panels), as Arrow.

        Columns ``indicator_id, area_code, sex, age, category, period_start, period_end, period_label,
        value, lci95, uci95``, in the table's row order (``rowid``: the rules that keep a series' first
        row depend on it). An Arrow table, not a frame: the screen reads its text columns as integer
        codes, and converting 450,000 rows of text to pandas strings cost more than the query.
        ``until`` (ISO date) keeps periods ended by then; ``min_periods`` drops, in SQL, every
        indicator with fewer distinct periods than that among these rows (it could not qualify for a
        screen that needs them).
        """
        where = "area_code IN (SELECT unnest(?)) AND indicator_id IN (SELECT unnest(?))"
        params: list = [list(areas), list(indicator_ids)]
        if until is not None:
            where += " AND period_end <= CAST(? AS DATE)"
            params.append(str(until))
        sql = ("SELECT indicator_id, area_code, sex, age, category, period_start, period_end, period_label, "
               f"value, lci95, uci95, rowid AS _rowid FROM observations WHERE {where}")
        if min_periods > 1:
            sql = (f"WITH r AS ({sql}) SELECT * FROM r WHERE indicator_id IN (SELECT indicator_id FROM r "
                   "GROUP BY indicator_id HAVING count(DISTINCT period_label) >= ?)")
            params.append(int(min_periods))
        sql = f"SELECT * EXCLUDE (_rowid) FROM ({sql}) ORDER BY _rowid"
        return self.con.sql(sql, params=params).to_arrow_table()

    def area_observations(self, code: str) -> pd.DataFrame:
        """Every observation of one area (all indicators and breakdowns), with the indicator's name, unit,
        polarity, source and value type, sorted by series and period (for the web app's area page)."""
        return self.frame(
            "SELECT o.indicator_id, o.sex, o.age, coalesce(o.category, '') AS category, o.period_label, o.period_start, "
            "o.period_end, o.value, o.lci95, o.uci95, o.count, o.denominator, i.name AS indicator_name, i.unit, "
            "i.polarity, i.source, i.value_type FROM observations o JOIN indicators i ON i.id = o.indicator_id "
            "WHERE o.area_code = ? AND o.value IS NOT NULL "
            "ORDER BY o.indicator_id, o.sex, o.age, category, o.period_end, o.period_start", [code])

    def spread(self, keys: pd.DataFrame, areas: Sequence[str]) -> pd.DataFrame:
        """For each (indicator_id, sex, age, category, period_label) in ``keys``: the lowest, 25th percentile,
        75th percentile and highest value among ``areas`` (``lo``, ``q25``, ``q75``, ``hi``, ``n``)."""
        import pandas as pd

        cols = ["indicator_id", "sex", "age", "category", "period_label"]
        if keys.empty:
            return pd.DataFrame(columns=cols + ["lo", "q25", "q75", "hi", "n"])
        return self.frame(
            "SELECT o.indicator_id, o.sex, o.age, coalesce(o.category, '') AS category, o.period_label, "
            "min(o.value) AS lo, quantile_cont(o.value, 0.25) AS q25, quantile_cont(o.value, 0.75) AS q75, "
            "max(o.value) AS hi, count(*) AS n FROM observations o "
            "JOIN (SELECT unnest(?) AS k_ind, unnest(?) AS k_sex, unnest(?) AS k_age, unnest(?) AS k_cat, "
            "unnest(?) AS k_per) k ON o.indicator_id = k.k_ind AND o.sex = k.k_sex AND o.age = k.k_age "
            "AND coalesce(o.category, '') = k.k_cat AND o.period_label = k.k_per "
            "WHERE o.value IS NOT NULL AND o.area_code IN (SELECT unnest(?)) GROUP BY ALL",
            [keys[c].astype(str).tolist() for c in cols] + [list(areas)])

    def values_at(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Every area's row for each (indicator_id, sex, age, category, period_label) in ``keys``, in one query:
        the keys, ``area_code``, ``area_name``, ``value``, ``lci95``, ``uci95``, ``count``, ``denominator``."""
        cols = ["indicator_id", "sex", "age", "category", "period_label"]
        return self.frame(
            "SELECT o.indicator_id, o.sex, o.age, coalesce(o.category, '') AS category, o.period_label, o.area_code, "
            "a.name AS area_name, o.value, o.lci95, o.uci95, o.count, o.denominator FROM observations o "
            "JOIN (SELECT unnest(?) AS k_ind, unnest(?) AS k_sex, unnest(?) AS k_age, unnest(?) AS k_cat, "
            "unnest(?) AS k_per) k ON o.indicator_id = k.k_ind AND o.sex = k.k_sex AND o.age = k.k_age "
            "AND coalesce(o.category, '') = k.k_cat AND o.period_label = k.k_per "
            "LEFT JOIN areas a ON a.code = o.area_code WHERE o.value IS NOT NULL",
            [keys[c].astype(str).tolist() for c in cols])

    def latest_values(self, indicator_id: str, *, sex: str | None = None, age: str | None = None,
                      category: str | None = None, period: str | None = None) -> pd.DataFrame:
        """Every area's value of one indicator breakdown in one period (default: the period most areas share last),
        with limits, count, denominator, area name and type (for the web app's indicator page)."""
        obs = self.observations(indicator_id, sex=sex, age=age, category=category)
        if obs.empty:
            return obs
        obs = obs[obs["value"].notna()]
        if period is None:
            last = obs.sort_values("period_end").groupby("area_code")["period_label"].last()
            period = str(last.value_counts().index[0]) if len(last) else None
        obs = obs[obs["period_label"] == period]
        types = self.frame("SELECT code AS area_code, area_type, upper_tier FROM areas")
        return obs.merge(types, on="area_code", how="left")


class _AreaRegister:
    """The area register while an import runs: a copy in memory (about a thousand rows) that says
    when a file's areas would change nothing, so that the table is written only when they would.

    The rules stay in SQL (:meth:`Store._upsert_areas`, :meth:`Store._fill_successors`,
    :meth:`Store._learn_recodes_from_boundaries`); the copy only decides when running them can
    change nothing. Each file with areas owes one pass of the successor rule, as when files were
    written one by one; owed passes run before the next write and at the end, and stop early
    once a pass would change nothing (every later one would change nothing too).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.fills_owed = 0
        self.rows: dict[str, dict[str, object]] = {}
        self.reload()

    def reload(self) -> None:
        cols = list(AREA_COLUMNS)
        sql = "SELECT " + ", ".join(f'"{k}"' for k in cols) + " FROM areas"
        self.rows = {r[0]: dict(zip(cols, r)) for r in self.con.execute(sql).fetchall()}
        self.empty = {k: {code for code, row in self.rows.items() if row[k] is None} for k in cols}

    def upsert(self, areas: pd.DataFrame, *, authoritative: bool) -> None:
        """Add or complete areas (an authoritative register overrides; any other file only fills gaps)."""
        self.pay_fills()
        if not authoritative and not self._would_fill(areas):
            return
        Store._upsert_areas(self.con, areas, authoritative=authoritative)
        self.reload()

    def learn_recodes_from_boundaries(self, declared: pd.DataFrame) -> None:
        self.pay_fills()
        Store._learn_recodes_from_boundaries(self.con, declared)
        self.reload()

    def pay_fills(self) -> None:
        while self.fills_owed:
            if not self._fill_would_change():
                self.fills_owed = 0
                return
            Store._fill_successors(self.con)
            self.reload()
            self.fills_owed -= 1

    def _would_fill(self, areas: pd.DataFrame) -> bool:
        """Whether filling gaps from ``areas`` could change the register (a new code, or a value where the
        register has none); errs towards yes."""
        code = areas["code"].to_numpy(dtype=object)
        seen = set(code)
        if not seen <= self.rows.keys():
            return True
        if any(seen & self.empty[k] for k in ("area_type", "upper_tier", "lower_tier")):
            return True         # derived from the code where the file gives none
        for k in AREA_COLUMNS:
            if k != "code" and k in areas.columns and seen & self.empty[k]:
                given = areas[k].notna().to_numpy()
                if any(c in self.empty[k] for c in code[given]):
                    return True
        return False

    def _fill_would_change(self) -> bool:
        """Whether a pass of :meth:`Store._fill_successors` would change any successor."""
        from .geography import _COUNCIL_PREFIXES

        for o in self.rows.values():
            code, succ = str(o["code"]), o["replaced_by"]
            s = self.rows.get(succ) if isinstance(succ, str) and code[:3] in _COUNCIL_PREFIXES else None
            if s is None or str(s["code"])[:3] != code[:3]:
                continue
            if ((s["region_code"] is None and o["region_code"] is not None)
                    or (s["parent_code"] is None and o["parent_code"] is not None)
                    or (s["valid_from"] is None and o["valid_to"] is not None)):
                return True
        return False


class _ImportRun:
    """What one :meth:`Store.import_batches` call knows, kept in memory so that a file costs a few statements.

    Observations go in file by file. Rows that a new version of a file replaces stay until the import
    finishes; then one query checks that no key came from two files, counting an old row only for the
    files read before it was replaced, and the replaced rows go. The outcome, and the first error,
    are those of writing and checking file by file.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        #: (source, key) -> [(import_id, sha256, version)] of the imports now stored
        self.imports: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
        #: import_id -> (source, key) of every import stored or written in this run (for messages)
        self.names: dict[int, tuple[str, str]] = {}
        self.live_sources: dict[int, str] = {}
        for iid, src, path, sha, ver in con.execute(
                "SELECT import_id, source, path, sha256, version FROM imports ORDER BY import_id").fetchall():
            self.imports.setdefault((src, path), []).append((iid, sha, ver))
            self.names[iid] = (src, path)
            self.live_sources[iid] = src
        # ids are never reused within a run, so a replaced file's rows and its successor's stay apart
        self.first_new = self.next_id = max(self.names, default=0) + 1
        self.indicators = {r[0] for r in con.execute("SELECT id FROM indicators").fetchall()}
        self.indicator_frames: list[pd.DataFrame] = []
        #: indicator -> import ids with rows of it (a key can only clash where there are two)
        self.indicator_imports: dict[str, set[int]] = {
            ind: set(ids) for ind, ids in con.execute(
                "SELECT indicator_id, list(DISTINCT import_id) FROM observations GROUP BY indicator_id").fetchall()}
        #: replaced import id -> id of the file that replaced it (its rows go when the run finishes)
        self.deleted_at: dict[int, int] = {}
        #: observations waiting to be written together (fewer, larger inserts): (import id, frame)
        self.pending: list[tuple[int, object]] = []
        self.pending_rows = 0
        self.added_through = 0           # the last import id whose observations were added
        #: ``imports`` rows of the files written in this run, by import id
        self.import_rows: dict[int, tuple] = {}
        self.areas = _AreaRegister(con)

    def register_loaded(self) -> bool:
        """Whether an authoritative area register (mySociety lookups, Fingertips areas) is imported."""
        return any(s in AUTHORITATIVE_AREA_SOURCES for s in self.live_sources.values())

    def replace(self, source: str, key: str, old_ids: list[int]) -> int:
        """Drop the imports a file replaces (their observations when the run finishes); the file's new id."""
        iid = self.next_id
        self.next_id += 1
        for old in old_ids:
            self.deleted_at.setdefault(old, iid)
            for table in ("comparator_groups", "boundaries", "quarantine", "imports"):
                _run(self.con, f"DELETE FROM {table} WHERE import_id = ?", [old])
            self.import_rows.pop(old, None)
            self.live_sources.pop(old, None)
        self.imports.pop((source, key), None)
        self.names[iid] = (source, key)
        return iid

    def record(self, iid: int, source: str, key: str, sha: str, rows: int, version: str) -> None:
        """Note a file as imported (its ``imports`` row is written when the run finishes)."""
        self.import_rows[iid] = (iid, source, key, sha, rows, datetime.now(timezone.utc).replace(tzinfo=None), version)
        self.imports[(source, key)] = [(iid, sha, version)]
        self.live_sources[iid] = source

    def add_indicators(self, ind: pd.DataFrame) -> None:
        if len(ind):
            self.indicator_frames.append(ind[list(INDICATOR_COLUMNS)])
            self.indicators.update(ind["id"].astype(str))

    #: pending observation rows from which they are written
    FLUSH_ROWS = 50_000

    def add_observations(self, b: Batch, import_id: int) -> None:
        obs = b.observations
        self.pending.append((import_id, obs))
        self.pending_rows += len(obs)
        self.added_through = import_id
        if self.pending_rows >= self.FLUSH_ROWS:
            self.flush()
        ids = set(obs["indicator_id"].dropna().astype(str).unique())
        for ind in ids:
            self.indicator_imports.setdefault(ind, set()).add(import_id)
        missing = sorted(ids - self.indicators)
        if missing:
            raise InputError("observations refer to an indicator with no metadata", path=b.key,
                             field="indicator_id", expected="an indicator defined in the same import", got=missing[0])
        # areas seen in data but absent from the register get a minimal entry
        unseen = sorted(set(obs["area_code"].dropna().astype(str).unique()) - self.areas.rows.keys())
        if unseen:
            self.areas.upsert(pd.DataFrame({"code": unseen}), authoritative=False)

    def flush(self, old_ids: Iterable[int] | None = None) -> None:
        """Write the pending observations (only if one of ``old_ids`` is among them, when given)."""
        if not self.pending or (old_ids is not None and not set(old_ids) & {i for i, _ in self.pending}):
            return
        import numpy as np
        import pyarrow as pa

        frames = [f for _, f in self.pending]
        ids = np.repeat(np.array([i for i, _ in self.pending], dtype=np.int32), [len(f) for f in frames])
        table = observation_table(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])
        if isinstance(table, pa.Table):              # one conversion and one insert for many files
            table = table.append_column("import_id", pa.array(ids, type=pa.int32()))
        else:
            table = table.reset_index(drop=True).assign(import_id=ids)
        self.con.register("_new_obs", table)
        _run(self.con, "INSERT INTO observations SELECT * FROM _new_obs")
        self.con.unregister("_new_obs")
        self.pending, self.pending_rows = [], 0

    def check_clashes(self, *, through: int, instead_of: BaseException | None = None) -> None:
        """Raise for the first file (up to import id ``through``) with an observation key already stored
        from another file: a file read earlier in this run, or a stored file not yet replaced."""
        cand = sorted(ind for ind, ids in self.indicator_imports.items()
                      if len(ids) > 1 and max(ids) >= self.first_new)
        if not cand or through < self.first_new:
            return
        key = ", ".join(f'"{k}"' for k in CANONICAL_KEY)
        gone = list(self.deleted_at.items())
        clash = self.con.execute(f"""
            WITH n AS (SELECT * FROM observations WHERE import_id BETWEEN ? AND ?
                         AND indicator_id IN (SELECT unnest(?))),
                 o AS (SELECT * FROM observations WHERE indicator_id IN (SELECT unnest(?))),
                 d AS (SELECT unnest(?::INTEGER[]) AS import_id, unnest(?::INTEGER[]) AS deleted_at)
            SELECT n.import_id, n.indicator_id, n.area_code, n.period_label, o.import_id
            FROM n JOIN o USING ({key}) LEFT JOIN d ON d.import_id = o.import_id
            WHERE o.import_id < n.import_id AND (d.deleted_at IS NULL OR d.deleted_at > n.import_id)
            ORDER BY n.import_id LIMIT 1""",
            [self.first_new, through, cand, cand, [k for k, _ in gone], [v for _, v in gone]]).fetchall()
        if clash:
            later, ind_id, area, period, earlier = clash[0]
            src, path = self.names[earlier]
            raise InputError(
                f"rows for indicator {ind_id}, area {area}, period {period} are already stored from "
                f"{src} file {path}", path=self.names[later][1], field="indicator_id",
                expected="each indicator/area/period to come from one file only",
                hint="Remove the duplicate file, or give its indicator another id",
            ) from instead_of

    def finish(self) -> None:
        """The checks and writes left to the end: clashes, replaced rows, successors, indicators."""
        c = self.con
        self.flush()
        self.check_clashes(through=self.added_through)
        if self.deleted_at:
            _run(c, "DELETE FROM observations WHERE import_id IN (SELECT unnest(?))", [sorted(self.deleted_at)])
        self.areas.pay_fills()
        if self.import_rows:
            rows = pd.DataFrame(list(self.import_rows.values()), columns=["import_id", "source", "path", "sha256",
                                                                            "rows", "imported_at", "version"])
            c.register("_new_imports", rows)
            _run(c, "INSERT INTO imports SELECT * FROM _new_imports")
            c.unregister("_new_imports")
        if self.indicator_frames:
            ind = pd.concat(self.indicator_frames, ignore_index=True).drop_duplicates("id", keep="last")
            c.register("_new_ind", ind)
            _run(c, "DELETE FROM indicators WHERE id IN (SELECT id FROM _new_ind)")
            _run(c, "INSERT INTO indicators SELECT * FROM _new_ind")
            c.unregister("_new_ind")


def default_data_dir() -> Path:
    """``$PLACEIMPACT_DATA`` or ``../shared/data`` relative to the working directory."""
    env = os.environ.get("PLACEIMPACT_DATA")
    return Path(env) if env else Path("..") / "shared" / "data"


def tree_fingerprint(root: str | Path) -> str:
    """SHA-256 over every file of the known folders under ``root`` (paths and bytes) and the reading code.

    Computed before anything is parsed: when it equals the one stored by the last load of the
    same folder (and nothing was imported since), a reload has nothing to do.
    """
    from .sources import FOLDERS

    root = Path(root)
    h = hashlib.sha256(reader_fingerprint().encode())
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name in FOLDERS):
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                h.update(f.relative_to(root).as_posix().encode() + b"\0")
                h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def _tree_key(root: str | Path) -> str:
    return "tree:" + str(Path(root).resolve())


def load_unchanged(path: str | Path, root: str | Path, fingerprint: str) -> bool:
    """Whether the store at ``path`` already holds exactly the folder with ``fingerprint`` (no writer needed)."""
    if str(path) == ":memory:" or not Path(path).exists():
        return False
    with Store(path, read_only=True) as s:
        try:
            got = dict(s.con.execute("SELECT key, value FROM meta WHERE key IN (?, 'last_import')",
                                     [_tree_key(root)]).fetchall())
            last = s.con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchall()[0][0]
        except duckdb.Error:
            return False
    return got.get(_tree_key(root)) == f"{fingerprint} {last}"


def remember_load(store: Store, root: str | Path, fingerprint: str) -> None:
    """Record that ``root`` with ``fingerprint`` is fully loaded (see :func:`load_unchanged`)."""
    last = store.con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchall()[0][0]
    _run(store.con, "INSERT OR REPLACE INTO meta VALUES (?, ?)", [_tree_key(root), f"{fingerprint} {last}"])


class writing_copy:
    """``with writing_copy(path) as store:`` write into a copy of the store file, then swap it in atomically.

    Readers (``series``, the web app, ``Store(path, read_only=True)``) keep opening and reading
    the previous file for the whole load; the new one replaces it with one ``os.replace`` when the
    block ends without error. On an error the copy is deleted and the store is untouched. Loads
    are serialised with a lock file next to the store (``.<name>.lock``).
    """

    def __init__(self, path: str | Path | None = None, *, keep: bool = True) -> None:
        self.path = Path(path if path is not None else default_store_path())
        self.memory = str(path) == ":memory:"
        self.keep = keep      # False: throw the copy away (``data load --check``)

    def __enter__(self) -> Store:
        if self.memory:
            self.store = Store(":memory:")
            return self.store
        import fcntl
        import shutil

        self.path.parent.mkdir(parents=True, exist_ok=True) if str(self.path.parent) else None
        self._lock = open(self.path.with_name(f".{self.path.name}.lock"), "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.tmp = self.path.with_name(f".{self.path.name}.loading-{os.getpid()}")
        for f in (self.tmp, Path(f"{self.tmp}.wal")):
            f.unlink(missing_ok=True)
        wal = Path(f"{self.path}.wal")
        if self.path.exists():
            if wal.exists():      # a writer died without a checkpoint: bring its log into a consistent copy
                with Store(self.path):
                    pass
            shutil.copyfile(self.path, self.tmp)
        try:
            self.store = Store(self.tmp)
        except BaseException:
            self._cleanup()
            raise
        return self.store

    def _cleanup(self) -> None:
        for f in (self.tmp, Path(f"{self.tmp}.wal")):
            f.unlink(missing_ok=True)
        import fcntl

        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.memory:
            return
        try:
            self.store.close()          # checkpoints: the copy is complete in one file
            if exc_type is None and self.keep:
                os.replace(self.tmp, self.path)
        finally:
            self._cleanup()


def open_store(path: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the store at ``path`` (default: :func:`default_store_path`)."""
    return Store(path, read_only=read_only)
