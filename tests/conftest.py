"""Shared fixtures: tiny extracts written as CSV text and loaded through the real ingest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ehts_data import ingest, store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

# A minimal valid city: two localities, a hub in each, a citywide team, four families.
BASE = {
    "localities.csv": """
        locality_id,locality_name
        L1,North
        L2,South
    """,
    "hubs.csv": """
        hub_id,hub_name,hub_type,locality_id,latitude,longitude
        H1,North Family Hub,family_hub,L1,50.1,-4.1
        H2,South Satellite,satellite_site,L2,,
        T1,Citywide Targeted Support,targeted_support_team,,,
    """,
    "population.csv": """
        locality_id,year,age,population
        L1,2024,0,1000
        L1,2024,10,3000
        L2,2024,5,6000
    """,
    "families.csv": """
        family_id,locality_id,imd_decile
        F1,L1,1
        F2,L1,
        F3,L2,9
        F4,L2,5
    """,
    "children.csv": """
        child_id,family_id,birth_month,sex,ethnic_group,send
        C1,F1,2015-06,female,white,false
        C2,F1,2018-01,male,white,true
        C3,F2,2020-02,male,mixed,
        C4,F3,2010-09,female,asian,false
        C5,F4,2024-05,unknown,unknown,
    """,
    "requests.csv": """
        request_id,child_id,received_date,source,hub_id,decision
    """,
    "episodes.csv": """
        episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason
    """,
}


def write_extract(directory: Path, **files: str | None) -> Path:
    """Write BASE plus the given files (name with '.' as '__': requests__csv=...).

    A value of None leaves that file out.
    """
    directory.mkdir(parents=True, exist_ok=True)
    contents = dict(BASE)
    for key, text in files.items():
        contents[key.replace("__", ".")] = text
    for name, text in contents.items():
        if text is not None:
            # Each line is stripped, so indented blocks and appended lines mix freely.
            lines = [line.strip() for line in text.strip().splitlines()]
            (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


@pytest.fixture
def load(tmp_path):
    """Load an extract (BASE plus overrides) into a fresh store; returns an open connection."""
    opened = []

    def _load(**files):
        source = write_extract(tmp_path / f"extract{len(opened)}", **files)
        db = tmp_path / f"store{len(opened)}"
        ingest.ingest(source, db)
        con = store.connect(db)
        opened.append(con)
        return con

    yield _load
    for con in opened:
        con.close()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """The committed sample extract, loaded once for the session."""
    db = tmp_path_factory.mktemp("sample") / "store"
    ingest.ingest(SAMPLE, db)
    return db


@pytest.fixture(scope="session")
def access_file() -> Path:
    """tests/access.toml: the access file the access unit tests and the sign-in browser tests
    share (its people match the test OpenID provider's accounts)."""
    return ROOT / "tests" / "access.toml"


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A private copy of the sample extract that a test may break."""
    target = tmp_path / "extract"
    shutil.copytree(SAMPLE, target)
    return target
