"""The DuckDB store: where it is, how to open it, and how to run the named queries."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from ehts_data import config


class StoreMissing(RuntimeError):
    """No store has been built at this path yet."""

    def __init__(self, path: Path):
        super().__init__(
            f"No EHTS store at {path}. Load data first: `ehts ingest DIR --db {path}` "
            "(or `ehts ingest sample_data` for the synthetic sample)."
        )
        self.path = path


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


def _execute(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> duckdb.DuckDBPyConnection:
    # Only the parameters the query names are bound, so callers may pass a common set.
    sql = load_sql(name)
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return con.cursor().execute(sql, used or None)


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run queries/<name>.sql with bound parameters and return a DataFrame."""
    return _execute(con, name, params).df()


def arrays(con: duckdb.DuckDBPyConnection, name: str, **params) -> dict:
    """Run queries/<name>.sql like `run`, returning each column as a NumPy array (masked where
    null), for a caller that builds its own typed frame: cheaper than retyping DuckDB's frame."""
    return _execute(con, name, params).fetchnumpy()


def records(con: duckdb.DuckDBPyConnection, name: str, **params) -> list[dict]:
    """Run queries/<name>.sql like `run`, returning a dict per row: no DataFrame to build (the
    scorecard reads over a hundred small results)."""
    cursor = _execute(con, name, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def execute_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run every statement of queries/<name>.sql (schema and derive scripts; no parameters)."""
    con.execute(load_sql(name))


# A checkpoint does not vacuum: vacuuming merges the part-filled row groups a parallel load
# leaves, which took 4.5 s of an ingest's checkpoint at national scale and seconds again in the
# first commentary save after one. An ingest rebuilds the store and nothing deletes rows, so
# there is no space to reclaim.
WRITE_CONFIG = {"max_vacuum_tasks": 0}


def connect(path: str | os.PathLike | None = None, *, read_only: bool = True):
    """Open the store; read-only unless told otherwise. Raises StoreMissing if absent."""
    target = config.db_path(path)
    if not target.exists():
        raise StoreMissing(target)
    if read_only:
        return duckdb.connect(str(target), read_only=True)
    return duckdb.connect(str(target), config=WRITE_CONFIG)


def store_version(path: str | os.PathLike | None = None) -> str | None:
    """A key that changes whenever an ingest replaces the store file (None if absent)."""
    target = config.db_path(path)
    try:
        st = target.stat()
    except FileNotFoundError:
        return None
    return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


def latest_ingest(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The newest row of ingest_log as a dict, or None for an empty store."""
    df = run(con, "latest_ingest")
    return None if df.empty else df.iloc[0].to_dict()
