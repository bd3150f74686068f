"""The state database: the records people and commands write (board commentary with its edit
history, ingest history, the snapshot register, the audit log). SQLite in WAL mode beside the extract, so any
number of processes read while one writes and writers queue instead of failing; an ingest only
appends its own row here and never reads, copies or locks the rest.

All access is in this module, in plain SQL with bound parameters, so a server database
(PostgreSQL, for more than one dashboard server) can replace SQLite by changing this file alone.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ehts_data import config

# Writers wait this long for each other (a save is one short transaction, milliseconds).
BUSY_TIMEOUT_MS = 60_000

SCHEMA = """
create table if not exists commentary (
    entry_id integer primary key autoincrement,
    kpi text not null,
    period text not null,
    comment text not null,
    author text not null,
    written_at text not null
);
create index if not exists commentary_by_period on commentary (period, kpi, entry_id);
create table if not exists ingest_history (
    ingest_id text primary key,
    ingested_at text not null,
    source text,
    fingerprint text,
    contract_version text,
    row_counts text,
    warnings text,
    date_from text,
    date_to text,
    version_file text
);
create table if not exists snapshot_register (
    folder text primary key,
    path text not null,
    period text not null,
    audience text not null,
    threshold integer not null,
    fingerprint text not null,
    ingest_id text,
    generated_at text not null,
    suppressed integer not null
);
create table if not exists audit_log (
    entry_id integer primary key autoincrement,
    at text not null,
    who text not null,
    role text,
    action text not null,
    detail text
);
create trigger if not exists audit_log_append_only_update before update on audit_log
begin select raise(abort, 'the audit log is append-only'); end;
create trigger if not exists audit_log_append_only_delete before delete on audit_log
begin select raise(abort, 'the audit log is append-only'); end;
"""

COMMENTARY_COLUMNS = ["kpi", "comment", "author", "written_at", "edits"]
HISTORY_COLUMNS = [
    "ingest_id",
    "ingested_at",
    "source",
    "fingerprint",
    "contract_version",
    "row_counts",
    "warnings",
    "date_from",
    "date_to",
]
REGISTER_COLUMNS = [
    "folder",
    "period",
    "audience",
    "threshold",
    "fingerprint",
    "generated_at",
    "suppressed",
    "path",
]


def path_for(store_path: str | os.PathLike | None = None) -> Path:
    """The state database of a store: $EHTS_STATE, else state.sqlite in the store folder."""
    override = os.environ.get("EHTS_STATE")
    if override:
        return Path(override)
    return config.db_path(store_path) / "state.sqlite"


@contextmanager
def connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection in WAL mode with the schema in place; one transaction, committed on exit."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(db, timeout=BUSY_TIMEOUT_MS / 1000)) as con:
        con.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("pragma journal_mode = wal")
        con.execute("pragma synchronous = full")  # a save reported done survives a crash
        con.executescript(SCHEMA)
        with con:
            yield con


def _frame(db: Path, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    if not db.exists():
        return pd.DataFrame(columns=columns)
    with connect(db) as con:
        cursor = con.execute(sql, params)
        return pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])


# ---- commentary ----
def add_commentary(
    db: Path, kpi: str, period: str, comment: str, author: str, written_at: datetime
) -> int:
    """Store one commentary entry (every edit is a new entry); returns its id."""
    with connect(db) as con:
        cursor = con.execute(
            "insert into commentary (kpi, period, comment, author, written_at)"
            " values (:kpi, :period, :comment, :author, :written_at)",
            {
                "kpi": kpi,
                "period": period,
                "comment": comment,
                "author": author,
                "written_at": written_at.isoformat(sep=" ", timespec="seconds"),
            },
        )
        return int(cursor.lastrowid)


def commentary(db: Path, period: str) -> pd.DataFrame:
    """The newest entry per KPI for a period, with how many entries the KPI has."""
    frame = _frame(
        db,
        """
        select kpi, comment, author, written_at, edits
        from (
            select
                kpi, comment, author, written_at,
                count(*) over (partition by kpi) as edits,
                row_number() over (partition by kpi order by entry_id desc) as newest
            from commentary
            where period = :period
        )
        where newest = 1
        order by kpi
        """,
        {"period": period},
        COMMENTARY_COLUMNS,
    )
    frame["written_at"] = pd.to_datetime(frame["written_at"])
    return frame


HISTORY_ENTRY_COLUMNS = ["kpi", "version", "comment", "author", "written_at"]


def commentary_versions(db: Path, period: str) -> pd.DataFrame:
    """Every version of every KPI's commentary for a period, newest first, numbered from 1
    (the first entry) per KPI: the edit history the Scorecard shows."""
    frame = _frame(
        db,
        """
        select
            kpi,
            row_number() over (partition by kpi order by entry_id) as version,
            comment, author, written_at
        from commentary
        where period = :period
        order by kpi, entry_id desc
        """,
        {"period": period},
        HISTORY_ENTRY_COLUMNS,
    )
    frame["written_at"] = pd.to_datetime(frame["written_at"])
    return frame


def commentary_entries(db: Path) -> pd.DataFrame:
    """Every commentary entry ever saved, oldest first (the edit history)."""
    return _frame(
        db,
        "select entry_id, kpi, period, comment, author, written_at from commentary"
        " order by entry_id",
        {},
        ["entry_id", "kpi", "period", "comment", "author", "written_at"],
    )


# ---- ingest history ----
def record_ingest(db: Path, row: dict) -> None:
    """Append one ingest to the history."""
    with connect(db) as con:
        con.execute(
            "insert or replace into ingest_history values (:ingest_id, :ingested_at, :source,"
            " :fingerprint, :contract_version, :row_counts, :warnings, :date_from, :date_to,"
            " :version_file)",
            row,
        )


def ingest_history(db: Path) -> pd.DataFrame:
    """Every ingest into the store, newest first."""
    frame = _frame(
        db,
        f"select {', '.join(HISTORY_COLUMNS)} from ingest_history"
        " order by ingested_at desc, ingest_id desc",
        {},
        HISTORY_COLUMNS,
    )
    frame["ingested_at"] = pd.to_datetime(frame["ingested_at"])
    return frame


# ---- the snapshot register ----
def register_snapshot(db: Path, row: dict) -> None:
    """Record a published snapshot."""
    with connect(db) as con:
        con.execute(
            "insert or replace into snapshot_register (folder, path, period, audience,"
            " threshold, fingerprint, ingest_id, generated_at, suppressed) values (:folder,"
            " :path, :period, :audience, :threshold, :fingerprint, :ingest_id, :generated_at,"
            " :suppressed)",
            row,
        )


def snapshots(db: Path) -> pd.DataFrame:
    """Published snapshots, newest first."""
    return _frame(
        db,
        f"select {', '.join(REGISTER_COLUMNS)} from snapshot_register"
        " order by generated_at desc, folder",
        {},
        REGISTER_COLUMNS,
    )


# ---- the audit log (append-only: triggers refuse updates and deletes) ----
AUDIT_COLUMNS = ["entry_id", "at", "who", "role", "action", "detail"]
AUDIT_ACTIONS = (
    "sign-in",
    "sign-out",
    "session expired",
    "refused",
    "page",
    "download",
    "board pack",
    "snapshot published",
    "commentary saved",
    "ingest",
)


def audit(db: Path, who: str, role: str | None, action: str, detail: str = "") -> int:
    """Append one entry (UTC, to the second) to the audit log; returns its id."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    with connect(db) as con:
        cursor = con.execute(
            "insert into audit_log (at, who, role, action, detail)"
            " values (:at, :who, :role, :action, :detail)",
            {
                "at": datetime.now(UTC).isoformat(sep=" ", timespec="seconds"),
                "who": who,
                "role": role,
                "action": action,
                "detail": detail,
            },
        )
        return int(cursor.lastrowid)


def command_user() -> str:
    """Who ran a command (ingest, snapshot) from the server's shell, for the audit log."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def audit_log(db: Path, who: str | None = None, action: str | None = None) -> pd.DataFrame:
    """Audit entries, newest first, optionally for one person and/or one action."""
    return _frame(
        db,
        f"select {', '.join(AUDIT_COLUMNS)} from audit_log"
        " where (:who is null or who = :who) and (:action is null or action = :action)"
        " order by entry_id desc",
        {"who": who, "action": action},
        AUDIT_COLUMNS,
    )


# ---- stores from before this database ----
def import_legacy(db: Path, history: pd.DataFrame, comments: pd.DataFrame) -> None:
    """Copy an earlier single-file store's ingest history and commentary (in their order)."""
    with connect(db) as con:
        for row in history.to_dict("records"):
            con.execute(
                "insert or replace into ingest_history values (?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
                [_text(row.get(c)) for c in HISTORY_COLUMNS],
            )
        for row in comments.to_dict("records"):
            con.execute(
                "insert into commentary (kpi, period, comment, author, written_at)"
                " values (?, ?, ?, ?, ?)",
                [_text(row[c]) for c in ("kpi", "period", "comment", "author", "written_at")],
            )


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str | dict | list) and pd.isna(value)):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat(sep=" ")
    return str(value)
