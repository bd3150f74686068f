"""One read-only connection per server process and cached query results, both keyed on the
store's version, so a new ingest is picked up without a restart."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import streamlit as st

from ehts_data import board, config, store


@dataclass(frozen=True)
class CurrentStore:
    path: str
    version: str | None  # None when no store file exists
    con: duckdb.DuckDBPyConnection | None


@st.cache_resource(max_entries=1, show_spinner=False)
def _open(path: str, version: str) -> duckdb.DuckDBPyConnection:
    # A new version (an ingest replaced the file) evicts the old connection.
    return store.connect(path, read_only=True)


def current_store() -> CurrentStore:
    """The store the dashboard reads, opened read-only (or absent)."""
    path = config.db_path()
    version = store.store_version(path)
    if version is None:
        return CurrentStore(str(path), None, None)
    return CurrentStore(str(path), version, _open(str(path), version))


@st.cache_data(max_entries=2000, show_spinner=False)
def _cached(_fn: Callable, name: str, version: str, _con, args: tuple, kwargs: dict):
    return _fn(_con, *args, **kwargs)


def get(fn: Callable, *args, **kwargs):
    """fn(connection, *args, **kwargs), cached until the next ingest."""
    current = current_store()
    if current.con is None:
        raise store.StoreMissing(config.db_path())
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached(fn, name, current.version, current.con, args, kwargs)


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


def release() -> None:
    """Close this process's read-only connection, so a write (board commentary) can open the
    store; the next read reopens it at its new version."""
    current = current_store()
    if current.con is not None:
        current.con.close()
    _open.clear()


def board_pack(card, period) -> dict:
    """The board pack as bytes for download: HTML always, PDF when Chromium can print it."""
    current = current_store()
    with tempfile.TemporaryDirectory() as folder:
        paths = board.write_pack(current.con, card, period, folder, pdf=False)
        out = {
            "period": period.label,
            "html": paths["html"].read_bytes(),
            "html_name": paths["html"].name,
            "pdf": None,
            "pdf_name": paths["html"].with_suffix(".pdf").name,
            "pdf_error": None,
        }
        try:
            pdf = board.html_to_pdf(paths["html"], paths["html"].with_suffix(".pdf"))
            out["pdf"] = pdf.read_bytes()
        except (board.PdfError, OSError, subprocess.SubprocessError) as exc:
            out["pdf_error"] = f"No PDF: {exc}. The HTML pack prints from any browser."
    return out
