"""The dashboard's view of the store: the current extract version opened read-only by its own
path and cached per version, query results cached per version, and the state database (read
fresh, never cached: people write to it between reruns). A new ingest is picked up on the next
rerun without a restart; sessions mid-query on the old version finish on it."""

from __future__ import annotations

import collections
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from ehts_data import access, board, config, disclosure, periods, scorecard, state, store, text
from ehts_data.ui import auth


@dataclass(frozen=True)
class CurrentStore:
    path: str
    version: str | None  # the current extract version's file name; None when none is loaded
    con: duckdb.DuckDBPyConnection | None
    problem: str | None = None  # why the store cannot be read, without server paths


@st.cache_resource(max_entries=4, show_spinner=False)
def _open(version_path: str) -> duckdb.DuckDBPyConnection:
    # Keyed on the version's own path: a new ingest is a new key, never a replaced file.
    # Evicted connections are not closed, so a session still querying one finishes.
    return store.open_version(version_path)


def current_store() -> CurrentStore:
    """The store the dashboard reads: the version the pointer names now (or none)."""
    path = config.db_path()
    for _ in range(3):
        try:
            version = store.current_version(path)
        except store.StoreError as exc:
            return CurrentStore(str(path), None, None, exc.reason)
        if version is None:
            return CurrentStore(str(path), None, None)
        try:
            return CurrentStore(str(path), version.name, _open(str(version)))
        except store.StoreError as exc:
            return CurrentStore(str(path), None, None, exc.reason)
        except duckdb.IOException:
            if version.exists():
                raise
            # removed by a newer ingest between reading the pointer and opening: read it again
    return CurrentStore(str(path), None, None, "the store is changing; reload the page")


@st.cache_data(max_entries=2000, show_spinner=False)
def _cached(_fn: Callable, name: str, version: str, _con, args: tuple, kwargs: dict, grant_key):
    # grant_key (role and localities; None in local mode) keeps one role's results from another
    return _fn(_con, *args, **kwargs)


def get(fn: Callable, *args, **kwargs):
    """fn(connection, *args, **kwargs) on the current extract, cached until the next ingest."""
    current = current_store()
    if current.con is None:
        raise store.StoreMissing(config.db_path())
    name = f"{fn.__module__}.{fn.__qualname__}"
    grant = auth.grant()
    try:
        home = st.session_state.get("flt_locality")
        args, kwargs, total = access.bind(grant, fn, args, kwargs, home)
    except access.Refused as exc:
        auth.refuse(str(exc))
    result = _cached(
        fn, name, current.version, current.con, args, kwargs, grant.key() if grant else None
    )
    return access.withhold_small(result, disclosure.DEFAULT_K) if total else result


@st.cache_data(max_entries=4, show_spinner=False)
def _has_data(version: str, _con) -> bool:
    try:
        return store.latest_ingest(_con) is not None
    except duckdb.Error:
        return False


def has_data() -> bool:
    """True when a store exists and an ingest has loaded it."""
    current = current_store()
    return current.con is not None and _has_data(current.version, current.con)


def _records(read: Callable[[], pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """A read of the state database; a message (and nothing shown) when it cannot be read."""
    try:
        return read()
    except (sqlite3.Error, OSError) as exc:
        st.warning(f"The council's own records (commentary, history) cannot be read now: {exc}.")
        return pd.DataFrame(columns=columns)


def commentary(period) -> pd.DataFrame:
    """The newest commentary per KPI for the period, read fresh from the state database."""
    db = state.path_for(config.db_path())
    return _records(lambda: state.commentary(db, period.label), state.COMMENTARY_COLUMNS)


def commentary_versions(period) -> pd.DataFrame:
    """Every version of every KPI's commentary for the period, newest first (read fresh)."""
    db = state.path_for(config.db_path())
    return _records(
        lambda: state.commentary_versions(db, period.label), state.HISTORY_ENTRY_COLUMNS
    )


def save_commentary(kpi: str, period, comment: str, author: str, card) -> None:
    """Save a commentary entry as the signed-in person; raises ValueError (bad input),
    RuntimeError (not saved) or access.Refused (a KPI they may not comment on: recorded)."""
    try:
        scorecard.add_commentary(
            config.db_path(), kpi, period, comment, author, card=card, grant=auth.grant()
        )
    except access.Refused as exc:
        auth.audit("refused", str(exc))
        raise
    auth.audit("commentary saved", f"{kpi} {period.label}")


def commentary_kpis(card) -> list:
    """The KPIs the person may write commentary on: every KPI in local mode and for analysts
    and admins, a board member's own KPIs (the owners they speak for) only."""
    grant = auth.grant()
    return [kpi for kpi in card.kpi if grant is None or grant.may_comment(kpi.owner)]


def commentary_author(key: str) -> str:
    """Who writes: the signed-in person, or (local mode) the name typed in the form."""
    grant = auth.grant()
    if grant is None:
        return st.text_input("Your name", key=key)
    speaks_for = f", for the KPIs of {', '.join(grant.owners)}" if grant.owners else ""
    st.markdown(
        f"Written as **{text.for_markdown(grant.name)}** ({text.for_markdown(grant.who)})"
        f"{text.for_markdown(speaks_for)}."
    )
    return f"{grant.name} <{grant.who}>" if grant.name != grant.who else grant.who


def ingest_history() -> pd.DataFrame:
    """Every ingest into the store, newest first (state database, read fresh)."""
    db = state.path_for(config.db_path())
    return _records(lambda: state.ingest_history(db), state.HISTORY_COLUMNS)


def audit_log(who: str | None = None, action: str | None = None) -> pd.DataFrame:
    """The audit log, newest first (read fresh); admins only."""
    grant = auth.grant()
    if grant is None or grant.role != "admin":
        auth.refuse("the audit log is for admins")
    db = state.path_for(config.db_path())
    return _records(lambda: state.audit_log(db, who, action), state.AUDIT_COLUMNS)


def snapshots_published() -> pd.DataFrame:
    """The store's snapshot register, newest first (read fresh)."""
    db = state.path_for(config.db_path())
    return _records(lambda: state.snapshots(db), state.REGISTER_COLUMNS)


@dataclass(frozen=True)
class BoardPack:
    """The board pack of a run's extract, scorecard, period and commentary: `html()` builds
    it (or returns it built), for a download button to call when it is clicked."""

    key: tuple
    con: duckdb.DuckDBPyConnection
    card: scorecard.Registry
    period: periods.Period
    name: str  # board-pack-<period>.html

    def html(self) -> bytes:
        # Runs on the download's own thread (no Streamlit calls); queries use cursors.
        with _PACKS_LOCK:
            if self.key in _PACKS:
                _PACKS.move_to_end(self.key)
                return _PACKS[self.key]
        built = board.pack_html(self.con, self.card, self.period).encode("utf-8")
        with _PACKS_LOCK:
            _PACKS[self.key] = built
            while len(_PACKS) > PACKS_KEPT:
                _PACKS.popitem(last=False)
        return built


# Packs built, newest last: the same pack is served again at once until the extract, the
# scorecard or the commentary changes (each is in the key).
PACKS_KEPT = 8
_PACKS: collections.OrderedDict[tuple, bytes] = collections.OrderedDict()
_PACKS_LOCK = threading.Lock()


def board_pack(card, period) -> BoardPack:
    """The board pack for download: built when its button is clicked, not on every run of
    the page (at council scale it takes seconds), and kept for the next click."""
    current = current_store()
    comments = commentary_versions(period)  # read fresh: a saved comment makes a new pack
    key = (
        current.version,
        card.model_dump_json(),
        period.label,
        comments.to_json(date_format="iso"),
    )
    name = f"{board.pack_stem(period)}.html"
    return BoardPack(key, current.con, card, period, name)


def board_pack_pdf(pack: BoardPack) -> dict:
    """The board pack as PDF bytes (Chromium prints the HTML), or why there is none."""
    auth.audit("board pack", f"{pack.period.label} (PDF)")
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / pack.name
        page.write_bytes(pack.html())
        try:
            pdf = board.html_to_pdf(page, page.with_suffix(".pdf")).read_bytes()
        except (board.PdfError, OSError, subprocess.SubprocessError) as exc:
            return {
                "period": pack.period.label,
                "pdf": None,
                "error": f"No PDF: {exc}. The HTML pack prints from any browser.",
            }
    return {
        "period": pack.period.label,
        "pdf": pdf,
        "name": page.with_suffix(".pdf").name,
        "error": None,
    }
