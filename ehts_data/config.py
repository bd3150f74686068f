"""Settings read from the environment at call time, never at import."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("data") / "store"


def db_path(override: str | os.PathLike | None = None) -> Path:
    """The store folder: an explicit path, else $EHTS_DB, else data/store."""
    if override:
        return Path(override)
    return Path(os.environ.get("EHTS_DB") or DEFAULT_DB)


def public_mode() -> bool:
    """True when the dashboard runs in publication mode (EHTS_PUBLIC=1)."""
    return os.environ.get("EHTS_PUBLIC", "").strip().lower() in {"1", "true", "yes"}


def ingest_memory_limit() -> str:
    """DuckDB memory limit for an ingest ($EHTS_MEMORY_LIMIT, default 6GB); beyond it the
    ingest spills to disk beside the store instead of growing."""
    return os.environ.get("EHTS_MEMORY_LIMIT") or "6GB"


def access_path() -> Path:
    """Who may sign in and with which role ($EHTS_ACCESS, else access.toml)."""
    return Path(os.environ.get("EHTS_ACCESS") or "access.toml")


DEFAULT_SESSION_HOURS = 8.0


def session_max_seconds() -> float:
    """The longest a sign-in lasts, whatever the ID token says ($EHTS_SESSION_HOURS, default
    8; fractions allowed, 0.25 = 15 minutes): a session older than this, or past its ID
    token's expiry, is signed out."""
    raw = os.environ.get("EHTS_SESSION_HOURS") or str(DEFAULT_SESSION_HOURS)
    try:
        hours = float(raw)
    except ValueError:
        hours = float("nan")
    if not hours > 0 or hours == float("inf"):
        raise ValueError(f"EHTS_SESSION_HOURS={raw!r}: give a number of hours above 0, e.g. 8")
    return hours * 3600
