"""The store: a folder of immutable extract versions, a pointer naming the current one, and the
state database beside them (docs/store.md). How to find it, open it, and run named queries.

```
STORE/
  ehts-store.json                      marks the folder as an EHTS store
  current.json                         the pointer: {"version": "extract-000007-….duckdb", …}
  extract-000007-<fingerprint>.duckdb  the extract now read (never written after its ingest)
  extract-000006-<fingerprint>.duckdb  the one before, kept for readers still on it
  state.sqlite                         what people write: commentary, ingest history, snapshots
  ingest.lock                          held by the running ingest
  .build-<id>.duckdb                   an ingest under way (or a killed one, removed by the next)
```
Each version is opened by its own path, so a process is never handed a database instance of a
file that has since been replaced (engineering-notes.md: one instance per path per process).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ehts_data import config

MARKER = "ehts-store.json"
POINTER = "current.json"
STATE = "state.sqlite"
LOCK = "ingest.lock"
LAYOUT = 2  # 1 was a single DuckDB file holding the extract and the records people wrote
VERSION_NAME = re.compile(r"^extract-(\d{6,})-([0-9a-f]{1,64})\.duckdb$")
BUILD_PREFIX = ".build-"
POINTER_MAX_BYTES = 4096
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
# The layout of the derived fact tables: raised whenever a derive adds what queries read, so an
# extract built by older code is named as such instead of failing in a query.
DERIVE_VERSION = 9


class StoreError(RuntimeError):
    """The store cannot be used as named. `reason` says why without the server's path (for
    the dashboard); str() says it with the path (for the command line)."""

    def __init__(self, path: Path, reason: str, hint: str = ""):
        super().__init__(f"{path}: {reason}" + (f". {hint}" if hint else ""))
        self.path = path
        self.reason = reason


class StoreMissing(StoreError):
    """No store has been built at this path yet."""

    def __init__(self, path: Path):
        super().__init__(
            path,
            "no EHTS store here yet",
            f"Load data first: `ehts ingest DIR --db {path}` "
            "(or `ehts ingest sample_data` for the synthetic sample)",
        )


class StoreBusy(StoreError):
    """Another ingest into the same store is running."""


class OutdatedExtract(StoreError):
    """The current extract was derived by an earlier version of EHTS Insight."""

    def __init__(self, path: Path):
        super().__init__(
            path,
            "holds an extract prepared by an earlier version of EHTS Insight",
            f"Load the extract again (`ehts ingest DIR --db {path}`) to see every figure",
        )


class LegacyStore(StoreError):
    """A single-file store written by an earlier version of EHTS Insight."""

    def __init__(self, path: Path):
        super().__init__(
            path,
            "is a store from an earlier version of EHTS Insight (one DuckDB file)",
            f"Convert it once with `ehts migrate --db {path}` (commentary and ingest history "
            "are kept); the next `ehts ingest` converts it too",
        )


def queries_dir() -> Path:
    """The queries/ folder: inside the package when installed as a wheel, beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "queries", here.parent / "queries"):
        if (candidate / "schema.sql").is_file():
            return candidate
    raise FileNotFoundError("queries/ not found beside or inside the ehts_data package")


@cache
def load_sql(name: str) -> str:
    """The text of queries/<name>.sql."""
    return (queries_dir() / f"{name}.sql").read_text(encoding="utf-8")


@cache
def parameter_names(name: str) -> frozenset[str]:
    """The $parameters queries/<name>.sql binds (named in its code, not in its comments)."""
    code = "\n".join(line.split("--")[0] for line in load_sql(name).splitlines())
    return frozenset(re.findall(r"\$([a-z_]+)", code))


def _execute(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> duckdb.DuckDBPyConnection:
    # Only the parameters the query names are bound, so callers may pass a common set.
    names = parameter_names(name)
    used = {k: v for k, v in params.items() if k in names}
    return con.cursor().execute(load_sql(name), used or None)


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run queries/<name>.sql with bound parameters and return a DataFrame."""
    return _execute(con, name, params).df()


# Arrow from a cursor copies the rows once more than from a relation, but a relation plans
# the query twice: the copy is the cheaper (bench/design-measurements.md).
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)


def arrow(con: duckdb.DuckDBPyConnection, name: str, **params) -> pa.Table:
    """Run queries/<name>.sql like `run`, returning an Arrow table, for a caller that builds its
    own typed frame: text columns become pandas' Arrow-backed strings without a Python object
    per cell (a national result of 831,625 rows: 30 ms, against 120 ms through NumPy)."""
    return _execute(con, name, params).to_arrow_table()


def records(con: duckdb.DuckDBPyConnection, name: str, **params) -> list[dict]:
    """Run queries/<name>.sql like `run`, returning a dict per row: no DataFrame to build (the
    scorecard reads over a hundred small results)."""
    cursor = _execute(con, name, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def two_at_a_time(con: duckdb.DuckDBPyConnection, items: list, work) -> list:
    """work(cursor, item) for each item (a KPI, a period), two at a time, in order. DuckDB runs
    a small query on fewer threads than the machine has and plans it on one, so two side by
    side take about a fifth less time than one after another (national scale, 2 cores)."""
    cursors = [con.cursor() for _ in items]  # a cursor per item: one per thread at a time
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(work, cursors, items))


def execute_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run every statement of queries/<name>.sql (schema and derive scripts; no parameters)."""
    con.execute(load_sql(name))


# A checkpoint does not vacuum: vacuuming merges the part-filled row groups a parallel load
# leaves, a large share of an ingest's checkpoint. An ingest builds each
# version once and nothing deletes rows, so there is no space to reclaim.
WRITE_CONFIG = {"max_vacuum_tasks": 0}


# ---- what a path is -------------------------------------------------------------------------
def _is_duckdb_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError:
        return False
    return head[8:12] == DUCKDB_MAGIC


def kind(path: Path) -> str:
    """What is at `path`: "store", "missing", "empty" (an empty folder), "legacy" (an earlier
    single-file store). Raises StoreError for anything else, so nothing foreign is touched."""
    _finish_migration(path)
    if not path.exists():
        return "missing"
    if path.is_dir():
        if (path / MARKER).is_file():
            return "store"
        if not any(path.iterdir()):
            return "empty"
        raise StoreError(
            path, "is a folder that is not an EHTS store", "Name a new or empty folder"
        )
    if not path.is_file():
        raise StoreError(path, "is not a file or folder that can hold a store")
    if path.stat().st_size == 0:
        raise StoreError(path, "is an empty file, not an EHTS store")
    if not _is_duckdb_file(path):
        raise StoreError(path, "is not an EHTS store (not a DuckDB database)")
    if not _legacy_tables(path):
        raise StoreError(path, "is a DuckDB database of another application, not an EHTS store")
    return "legacy"


def _legacy_tables(path: Path) -> bool:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            return True  # a single-file store held open for writing: ours or nobody's
        raise StoreError(path, "is damaged or not an EHTS store (DuckDB cannot open it)") from None
    try:
        names = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
    finally:
        con.close()
    return {"ingest_log", "requests", "episodes"} <= names


def marker(path: Path) -> None:
    """Mark a new or empty folder as a store."""
    path.mkdir(parents=True, exist_ok=True)
    _write_atomic(path / MARKER, json.dumps({"format": "ehts-store", "layout": LAYOUT}) + "\n")


def _write_atomic(target: Path, text: str) -> None:
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    with temp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, target)
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---- the pointer and the versions -----------------------------------------------------------
def pointer(path: Path) -> dict | None:
    """The pointer's contents (None before the first ingest)."""
    try:
        with (path / POINTER).open("rb") as handle:
            raw = handle.read(POINTER_MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw[:POINTER_MAX_BYTES])
        if not VERSION_NAME.match(data["version"]):
            raise ValueError(data["version"])
    except (ValueError, KeyError, TypeError):
        raise StoreError(path, f"has a damaged pointer ({POINTER})") from None
    return data


def current_version(path: str | os.PathLike | None = None) -> Path | None:
    """The file of the extract now current in the store (None when nothing is loaded yet).
    Raises StoreError when `path` is not a store."""
    target = config.db_path(path)
    found = kind(target)
    if found == "legacy":
        raise LegacyStore(target)
    if found != "store":
        return None
    data = pointer(target)
    return None if data is None else target / data["version"]


def versions(path: Path) -> list[Path]:
    """Every extract version in the store, oldest first."""
    found = [p for p in path.iterdir() if VERSION_NAME.match(p.name)]
    return sorted(found, key=lambda p: int(VERSION_NAME.match(p.name).group(1)))


def open_version(version: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one extract version, by its own path. Raises OutdatedExtract
    for an extract whose fact tables older code derived."""
    con = duckdb.connect(str(version), read_only=True)
    # Group keys numbered up to 2^21 (tens of thousands of small areas, and each area's 25
    # needs) are counted in a perfect hash table: DuckDB's default stops at 2^12 groups
    # (bench/design-measurements.md).
    con.execute("set global perfect_ht_threshold = 21")
    if derive_version(con) < DERIVE_VERSION:
        con.close()
        raise OutdatedExtract(Path(version).parent)
    return con


def derive_version(con: duckdb.DuckDBPyConnection) -> int:
    """The derive layout an extract was built with (0 before it was recorded)."""
    # On a cursor and read to the end: a result left open would block the connection's next
    # use (DuckDB's "unfinished result").
    found = (
        con.cursor()
        .execute("select count(*) from information_schema.tables where table_name = 'extract_info'")
        .fetchall()[0][0]
    )
    if not found:
        return 0
    return int(con.cursor().execute("select derive_version from extract_info").fetchall()[0][0])


def connect(path: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store's current extract read-only. Raises StoreMissing if nothing is loaded,
    StoreError if the path is not a store."""
    target = config.db_path(path)
    for attempt in range(5):
        version = current_version(target)
        if version is None:
            raise StoreMissing(target)
        try:
            return open_version(version)
        except duckdb.IOException:
            # The pointer moved on and the version was removed between reading and opening.
            if version.exists() or attempt == 4:
                raise
            time.sleep(0.05)
    raise StoreMissing(target)  # pragma: no cover - the loop returns or raises


def store_version(path: str | os.PathLike | None = None) -> str | None:
    """A key that changes whenever an ingest lands: the current version's file name."""
    try:
        version = current_version(path)
    except StoreError:
        return None
    return None if version is None else version.name


def store_of(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The store folder a connection's extract belongs to (None for a database elsewhere)."""
    row = (
        con.cursor()
        .execute("select path from duckdb_databases() where database_name = current_database()")
        .fetchone()
    )
    if not row or not row[0]:
        return None
    folder = Path(row[0]).resolve().parent
    return folder if (folder / MARKER).is_file() else None


def latest_ingest(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The ingest that built this extract as a dict (None for an empty database)."""
    df = run(con, "latest_ingest")
    return None if df.empty else df.iloc[0].to_dict()


# ---- the ingest's side: lock, build, swap, clean ----------------------------------------------
@contextlib.contextmanager
def _locked(lock_path: Path, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on lock_path; StoreBusy(busy) at once if someone else has it. The
    operating system releases it when the process dies, so a killed holder blocks nobody."""
    handle = lock_path.open("a+")
    try:
        try:
            _lock_file(handle)
        except OSError:
            raise StoreBusy(lock_path.parent, busy) from None
        yield
    finally:
        handle.close()


def _lock_file(handle) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextlib.contextmanager
def held_lock(lock_path: Path) -> Iterator[None]:
    """Hold the lock at lock_path while writing what it guards (see `held`)."""
    with _locked(lock_path, "is being written by another process"):
        yield


def held(lock_path: Path) -> bool:
    """True when a live process holds the lock at lock_path."""
    if not lock_path.exists():
        return False
    try:
        with _locked(lock_path, ""):
            return False
    except StoreBusy:
        return True


@contextlib.contextmanager
def ingest_lock(path: Path) -> Iterator[None]:
    """One ingest at a time per store."""
    with _locked(
        path / LOCK, "another ingest into this store is running; try again when it has finished"
    ):
        yield


def prepare(path: Path) -> list[str]:
    """Make `path` ready for an ingest: create or adopt the folder, convert an earlier
    single-file store. Returns messages for the user; raises StoreError for a foreign path."""
    found = kind(path)
    if found == "legacy":
        return [migrate(path)]
    if found in ("missing", "empty"):
        marker(path)
    return []


def new_build(path: Path) -> Path:
    """A private file name for a version under construction."""
    return path / f"{BUILD_PREFIX}{uuid.uuid4().hex[:12]}.duckdb"


def remove_build(build: Path) -> None:
    """Remove a build's database, its WAL and its spill folder."""
    for leftover in (build, Path(f"{build}.wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(f"{build}.tmp", ignore_errors=True)


def discard_new(path: Path) -> None:
    """Remove a store folder that a first ingest created and could not fill."""
    if pointer(path) is None and not versions(path):
        shutil.rmtree(path, ignore_errors=True)


def clean_builds(path: Path) -> int:
    """Remove what killed ingests left (call with the ingest lock held); returns how many."""
    removed = 0
    for leftover in path.iterdir():
        name = leftover.name
        if name.startswith(BUILD_PREFIX) or (
            name.startswith(f".{POINTER}.") and name.endswith(".tmp")
        ):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed += 1
    return removed


def install(path: Path, build: Path, fingerprint: str, ingest_id: str) -> Path:
    """Make a finished build the current version: rename it to its versioned name, then move
    the pointer in one atomic replace. Older versions than the previous one are removed."""
    known = versions(path)
    number = 1 + max((int(VERSION_NAME.match(p.name).group(1)) for p in known), default=0)
    version = path / f"extract-{number:06d}-{fingerprint}.duckdb"
    Path(f"{build}.wal").unlink(missing_ok=True)  # the build was checkpointed and closed
    shutil.rmtree(f"{build}.tmp", ignore_errors=True)
    os.replace(build, version)
    previous = pointer(path)
    _write_atomic(
        path / POINTER,
        json.dumps(
            {
                "version": version.name,
                "previous": previous["version"] if previous else None,
                "ingest_id": ingest_id,
                "fingerprint": fingerprint,
            }
        )
        + "\n",
    )
    keep = {version.name, previous["version"] if previous else None}
    remove_old_versions(path, keep)
    return version


def remove_old_versions(path: Path, keep: set[str | None]) -> list[Path]:
    """Remove versions no reader should still open. An open file survives removal on Linux and
    macOS (its readers finish); where the system refuses (Windows) it is left for next time."""
    left = []
    for version in versions(path):
        if version.name in keep:
            continue
        try:
            version.unlink()
            Path(f"{version}.wal").unlink(missing_ok=True)
        except OSError:
            left.append(version)
    return left


# ---- stores from before the state database ----------------------------------------------------
def migrate(path: Path) -> str:
    """Convert an earlier single-file store at `path` into a store folder at the same path:
    its extract becomes version 1 and its commentary and ingest history move to the state
    database. Returns a message saying what was done."""
    from ehts_data import state  # the state module imports this one

    try:
        con = duckdb.connect(str(path), config=WRITE_CONFIG)
    except duckdb.Error:
        raise StoreError(
            path,
            "is an earlier single-file store that another program has open",
            "Close the dashboard (or any duckdb shell) and run the command again",
        ) from None
    try:
        con.execute("checkpoint")  # fold any WAL into the file before it moves
        history = con.execute("select * from ingest_log order by ingested_at").df()
        names = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        comments = (
            con.execute(
                "select kpi, period, comment, author, written_at from scorecard_commentary"
                " order by written_at"
            ).df()
            if "scorecard_commentary" in names
            else pd.DataFrame()
        )
    finally:
        con.close()
    fingerprint = str(history["fingerprint"].iloc[-1]) if len(history) else "0"
    staging = path.with_name(f".{path.name}.migrating")
    shutil.rmtree(staging, ignore_errors=True)
    marker(staging)
    state.import_legacy(staging / STATE, history, comments)
    version = f"extract-000001-{fingerprint}.duckdb"
    _write_atomic(
        staging / POINTER,
        json.dumps({"version": version, "previous": None, "fingerprint": fingerprint}) + "\n",
    )
    Path(f"{path}.wal").unlink(missing_ok=True)
    # Two renames: the file into the staging folder, the folder onto the path. A kill between
    # them is finished by _finish_migration the next time the path is looked at.
    os.replace(path, staging / version)
    os.replace(staging, path)
    return (
        f"converted the earlier single-file store at {path} into a store folder: "
        f"{len(history)} ingest(s) of history and {len(comments)} commentary entries kept. "
        "Load the extract again (ehts ingest) so every figure can be shown"
    )


def _finish_migration(path: Path) -> None:
    staging = path.with_name(f".{path.name}.migrating")
    if path.exists() or not staging.is_dir():
        return
    data = pointer(staging) if (staging / MARKER).is_file() else None
    if data and (staging / data["version"]).is_file():
        os.replace(staging, path)
