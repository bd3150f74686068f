"""The store: extract versions behind a pointer, the state database beside them, and what
happens when processes race, die or are pointed at the wrong thing (docs/store.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ehts_data import cli, ingest, periods, scorecard, snapshot, state, store
from tests.conftest import SAMPLE, write_extract

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = """
    request_id,child_id,received_date,source,hub_id,decision
    R1,C1,2024-05-01,school,H1,early_help
    R2,C2,2024-05-01,health,,
"""
EPISODES = """
    episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason
    E1,C1,R1,early_help,H1,2024-05-10,2024-09-01,new_request,outcomes_achieved
"""
YEAR = periods.parse("2024-25")


def small_extract(tmp_path: Path, name: str = "small") -> Path:
    return write_extract(tmp_path / name, requests__csv=REQUESTS, episodes__csv=EPISODES)


def requests_in(db: Path) -> int:
    with store.connect(db) as con:
        return con.execute("select count(*) from requests").fetchone()[0]


def ehts(*args: str, **kwargs) -> subprocess.Popen:
    """The `ehts` command in its own process (as an analyst runs it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ehts_data.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# ---- versions and the pointer ----
def test_each_ingest_is_a_new_version_and_only_the_previous_one_is_kept(tmp_path):
    db = tmp_path / "store"
    source = small_extract(tmp_path)
    names = []
    for _ in range(4):
        ingest.ingest(source, db)
        names.append(store.store_version(db))
    assert len(set(names)) == 4, "the same extract loaded again is still a new file"
    assert [p.name for p in store.versions(db)] == names[-2:]
    assert store.pointer(db)["previous"] == names[-2]


def test_a_connection_open_on_a_removed_version_still_reads_it_whole(tmp_path):
    db = tmp_path / "store"
    ingest.ingest(small_extract(tmp_path), db)
    reader = store.connect(db)
    for _ in range(3):  # the reader's version is now two behind and removed from the folder
        ingest.ingest(SAMPLE, db)
    assert reader.execute("select count(*) from requests").fetchone()[0] == 2
    reader.close()
    assert requests_in(db) > 1000


def test_a_failed_first_ingest_leaves_no_store_behind(tmp_path):
    db = tmp_path / "store"
    bad = write_extract(tmp_path / "bad", requests__csv=REQUESTS + "R3,C9,2024-05-01,x,,\n")
    with pytest.raises(ingest.IngestError):
        ingest.ingest(bad, db)
    assert not db.exists()


def test_a_second_ingest_into_the_same_store_at_once_is_refused_clearly(tmp_path):
    db = tmp_path / "store"
    ingest.ingest(small_extract(tmp_path), db)
    with store.ingest_lock(db), pytest.raises(store.StoreBusy, match="another ingest"):
        ingest.ingest(small_extract(tmp_path, "again"), db)
    assert requests_in(db) == 2


# ---- the state database ----
def test_commentary_survives_every_ingest_with_its_edit_history(tmp_path):
    db = tmp_path / "store"
    ingest.ingest(small_extract(tmp_path), db)
    for text in ("first", "second", "third"):
        scorecard.add_commentary(db, "requests", YEAR, text, "Chair")
    # a reader holding the state database in the middle of a transaction does not stop an ingest
    with state.connect(state.path_for(db)) as con:
        con.execute("select count(*) from commentary").fetchone()
        ingest.ingest(SAMPLE, db)
    ingest.ingest(small_extract(tmp_path), db)
    entries = state.commentary_entries(state.path_for(db))
    assert list(entries["comment"]) == ["first", "second", "third"]
    with store.connect(db) as con:
        newest = scorecard.commentary(con, YEAR)
    assert newest[["kpi", "comment", "edits"]].values.tolist() == [["requests", "third", 3]]
    assert len(state.ingest_history(state.path_for(db))) == 3


SAVER = """
import sys
from ehts_data import periods, scorecard
db, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    try:
        entry = scorecard.add_commentary(db, "requests", periods.parse("2024-25"), f"{who} {i}", who)
    except Exception as exc:
        print("failed", exc, flush=True)
    else:
        print("saved", entry, flush=True)
"""


def test_commentary_saves_from_two_processes_racing_ingests_are_never_lost(tmp_path):
    db = tmp_path / "store"
    small = small_extract(tmp_path)
    ingest.ingest(small, db)
    savers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(db), who, "150"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for who in ("board-a", "board-b")
    ]
    ingests = 0
    while any(p.poll() is None for p in savers) and ingests < 20:
        ingest.ingest(SAMPLE if ingests % 2 else small, db)
        ingests += 1
    outputs = [p.communicate(timeout=120)[0].split("\n") for p in savers]
    saved = {int(line.split()[1]) for out in outputs for line in out if line.startswith("saved")}
    failed = [line for out in outputs for line in out if line.startswith("failed")]
    assert ingests >= 2, "the savers finished before any ingest raced them"
    assert not failed
    assert len(saved) == 300
    kept = set(state.commentary_entries(state.path_for(db))["entry_id"])
    assert saved <= kept, f"{len(saved - kept)} saves reported as done were lost"


# ---- killed ingests and snapshots ----
@pytest.mark.parametrize(
    "moment",
    ["reading requests.csv", "checking keys", "deriving episode_facts", "making the new extract"],
)
def test_an_ingest_killed_at_any_moment_leaves_a_whole_store_and_is_cleaned_up(tmp_path, moment):
    db = tmp_path / "store"
    ingest.ingest(small_extract(tmp_path), db)
    old = store.store_version(db)
    proc = ehts("ingest", str(SAMPLE), "--db", str(db))
    for line in proc.stderr:
        if moment in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(60)
    # Whatever moment it died at, the store serves one version whole: the old or the new.
    assert store.store_version(db) in (old, *[p.name for p in store.versions(db)])
    assert requests_in(db) in (2, _sample_requests())
    assert not store.held(db / store.LOCK), "the dead ingest's lock is released"
    ingest.ingest(small_extract(tmp_path, "next"), db)
    assert not list(db.glob(".build-*")), "the next ingest removes what the killed one left"
    assert requests_in(db) == 2


def _sample_requests() -> int:
    with (SAMPLE / "requests.csv").open() as handle:
        return sum(1 for _ in handle) - 1


@pytest.mark.parametrize(
    "moment", ["building and suppressing", "writing tables.xlsx", "writing report.html"]
)
def test_a_snapshot_killed_midway_never_looks_published_and_is_cleaned_up(
    sample_db, tmp_path, moment
):
    out = tmp_path / "snapshots"
    proc = ehts("snapshot", "--db", str(sample_db), "--period", "2024-25-Q1", "--out", str(out))
    for line in proc.stderr:
        if moment in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(60)
    published = [p for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []
    for folder in published:  # finished just before the kill: then it is whole
        manifest = json.loads((folder / "manifest.json").read_text())
        assert set(manifest["files"]) <= {p.name for p in folder.iterdir()}
    folder = (
        snapshot.publish(periods.parse("2024-25-Q1"), sample_db, out) if not published else None
    )
    assert not list(out.glob(".partial-*")), "the next run removes the killed run's partial folder"
    if folder is not None:
        assert (folder / "manifest.json").is_file()


# ---- snapshots are never overwritten ----
def test_snapshots_with_different_thresholds_get_different_folders_and_none_is_overwritten(
    sample_db, tmp_path, capsys
):
    out = tmp_path / "snapshots"
    quarter = periods.parse("2024-25-Q1")
    k11 = snapshot.publish(quarter, sample_db, out, threshold=11)
    k6 = snapshot.publish(quarter, sample_db, out, threshold=6)
    assert k11 != k6 and "_K11_" in k11.name and "_K6_" in k6.name
    before = (k6 / "manifest.json").read_bytes()
    code = cli.main(
        ["snapshot", "--db", str(sample_db), "--period", "2024-25-Q1", "--out", str(out)]
    )
    assert code == 1
    assert "already published" in capsys.readouterr().err
    assert (k6 / "manifest.json").read_bytes() == before
    register = snapshot.published(sample_db)
    assert {k11.name, k6.name} <= set(register["folder"])


# ---- bad paths and arguments: one clear line, exit 1, nothing overwritten ----
def _foreign_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create table invoices (id integer); insert into invoices values (1)")
    con.close()
    return path


def _truncated_store(tmp_path: Path) -> Path:
    db = tmp_path / "source-store"
    ingest.ingest(small_extract(tmp_path), db)
    version = store.versions(db)[-1]
    cut = tmp_path / "truncated.duckdb"
    cut.write_bytes(version.read_bytes()[:5000])
    return cut


def _written(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


BAD_STORES = {
    "an empty file": lambda tmp: _written(tmp / "empty.duckdb", b""),
    "a system file": lambda tmp: Path(shutil.copy("/etc/passwd", tmp / "passwd")),
    "another application's DuckDB": lambda tmp: _foreign_duckdb(tmp / "invoices.duckdb"),
    "a truncated DuckDB file": _truncated_store,
    "a folder that is not a store": lambda tmp: _written(tmp / "photos" / "a.jpg", b"x").parent,
}


@pytest.mark.parametrize("what", list(BAD_STORES))
@pytest.mark.parametrize("command", ["ingest", "metrics", "scorecard", "snapshot"])
def test_a_db_path_that_is_not_a_store_is_refused_and_left_alone(tmp_path, capsys, what, command):
    bad = BAD_STORES[what](tmp_path)
    before = sorted((p.name, p.read_bytes()) for p in ([bad] if bad.is_file() else bad.iterdir()))
    args = {
        "ingest": ["ingest", str(small_extract(tmp_path)), "--db", str(bad)],
        "metrics": ["metrics", "--db", str(bad), "--period", "2024-25"],
        "scorecard": ["scorecard", "--db", str(bad), "--period", "2024-25"],
        "snapshot": ["snapshot", "--db", str(bad), "--period", "2024-25", "--out", str(tmp_path)],
    }[command]
    assert cli.main(args) == 1
    err = _one_error(capsys)
    assert "store" in err
    after = sorted((p.name, p.read_bytes()) for p in ([bad] if bad.is_file() else bad.iterdir()))
    assert after == before


def _one_error(capsys) -> str:
    """The one `error:` line a refused command printed (progress lines may precede it)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and err.strip().endswith(errors[0]), err
    return errors[0]


def _refused(capsys, args: list[str], expected: str, code: int = 1) -> None:
    assert cli.main(args) == code
    err = _one_error(capsys)
    assert expected in err, err


def test_snapshot_out_at_a_file_or_an_unwritable_place_is_refused(sample_db, tmp_path, capsys):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("keep me")
    base = ["snapshot", "--db", str(sample_db), "--period", "2024-25-Q1", "--out"]
    _refused(capsys, [*base, str(a_file)], "is a file")
    assert a_file.read_text() == "keep me"
    _refused(capsys, [*base, "/proc/ehts-snapshots"], "/proc/ehts-snapshots")


def test_board_pack_out_at_a_file_is_refused(sample_db, tmp_path, capsys):
    a_file = tmp_path / "pack"
    a_file.write_text("keep me")
    args = ["scorecard", "--db", str(sample_db), "--period", "2024-25", "--format", "html"]
    _refused(capsys, [*args, "--out", str(a_file)], str(a_file))
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize(
    ("registry", "expected"),
    [("folder", "is a folder"), ("binary", "not a text file"), ("/dev/zero", "larger than")],
)
def test_a_scorecard_registry_that_is_not_one_is_refused(
    sample_db, tmp_path, capsys, monkeypatch, registry, expected
):
    if registry == "folder":
        path = tmp_path
    elif registry == "binary":
        path = tmp_path / "scorecard.toml"
        path.write_bytes(bytes(range(256)) * 4)
    else:
        path = Path(registry)
    monkeypatch.setenv("EHTS_SCORECARD", str(path))
    _refused(capsys, ["scorecard", "--db", str(sample_db), "--period", "2024-25"], expected)


@pytest.mark.parametrize("period", ["0000-01", "0000-01-Q1", "9999-00", "1066-67"])
def test_periods_outside_any_record_are_refused_in_one_line(sample_db, capsys, period):
    # exit 2: the arguments are wrong, as for any period that cannot be read
    _refused(capsys, ["metrics", "--db", str(sample_db), "--period", period], "year", code=2)


def test_custom_dates_outside_any_record_are_refused_in_one_line(sample_db, capsys):
    args = ["metrics", "--db", str(sample_db), "--start", "0001-01-01", "--end", "0001-02-01"]
    assert cli.main(args) == 2
    assert "year" in capsys.readouterr().err


# ---- bounded input ----
def test_a_header_wider_than_any_contract_file_is_refused_early(tmp_path):
    source = small_extract(tmp_path)
    wide = ",".join(f"c{i}" for i in range(5000))
    (source / "requests.csv").write_text(wide + "\n" + ",".join("x" * 5000) + "\n")
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest(source, tmp_path / "store")
    assert "5,000 columns" in str(info.value.problems[0])


def test_a_file_with_no_line_break_is_refused_without_reading_it_all(tmp_path):
    source = small_extract(tmp_path)
    (source / "requests.csv").write_bytes(b"A" * (5 * 1024 * 1024))
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest(source, tmp_path / "store")
    assert "no header row in its first" in info.value.problems[0].reason


def test_a_field_longer_than_any_contract_value_is_refused(tmp_path):
    source = write_extract(
        tmp_path / "long",
        requests__csv=REQUESTS + "R3," + "C" * (2 * 1024 * 1024) + ",2024-05-01,school,H1,\n",
        episodes__csv=EPISODES,
    )
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest(source, tmp_path / "store")
    problem = info.value.problems[0]
    assert problem.file == "requests.csv" and "line" in problem.reason.lower()


# ---- stores from the earlier single-file layout ----
def _legacy_store(tmp_path: Path) -> Path:
    """A single-file store as earlier versions wrote it: the extract with its ingest log and
    the board's commentary in the same file."""
    db = tmp_path / "modern"
    ingest.ingest(small_extract(tmp_path), db)
    legacy = tmp_path / "ehts.duckdb"
    shutil.copy(store.versions(db)[-1], legacy)
    con = duckdb.connect(str(legacy))
    con.execute(
        "create table scorecard_commentary (kpi varchar, period varchar, comment varchar,"
        " author varchar, written_at timestamp)"
    )
    for i in range(3):
        con.execute(
            "insert into scorecard_commentary values ('requests', '2024-25', $c, 'Chair',"
            " timestamp '2025-01-01 10:00:00' + to_minutes($i))",
            {"c": f"note {i}", "i": i},
        )
    con.close()
    return legacy


def test_an_earlier_single_file_store_is_named_clearly_and_converted_keeping_commentary(
    tmp_path, capsys
):
    legacy = _legacy_store(tmp_path)
    _refused(capsys, ["metrics", "--db", str(legacy), "--period", "2024-25"], "ehts migrate")
    assert cli.main(["migrate", "--db", str(legacy)]) == 0
    assert "3 commentary entries kept" in capsys.readouterr().out
    assert legacy.is_dir() and requests_in(legacy) == 2
    assert list(state.commentary_entries(state.path_for(legacy))["comment"]) == [
        "note 0",
        "note 1",
        "note 2",
    ]


def test_an_ingest_converts_an_earlier_single_file_store_and_says_so(tmp_path):
    legacy = _legacy_store(tmp_path)
    result = ingest.ingest(SAMPLE, legacy)
    assert any("converted the earlier single-file store" in w for w in result.warnings)
    assert len(state.commentary_entries(state.path_for(legacy))) == 3
    assert len(state.ingest_history(state.path_for(legacy))) == 2
    assert requests_in(legacy) == _sample_requests()


def test_a_conversion_killed_between_its_two_renames_is_finished_on_the_next_look(
    tmp_path, monkeypatch
):
    legacy = _legacy_store(tmp_path)
    real_replace = os.replace

    def dies_before_the_folder_moves(src, dst):
        if Path(dst) == legacy:
            raise KeyboardInterrupt  # as if killed between the two renames
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dies_before_the_folder_moves)
    with pytest.raises(KeyboardInterrupt):
        store.migrate(legacy)
    monkeypatch.undo()
    assert not legacy.exists()
    assert requests_in(legacy) == 2  # the next look finishes the move
    assert len(state.commentary_entries(state.path_for(legacy))) == 3


def test_an_extract_derived_by_earlier_code_is_named_so_not_failed_in_a_query(tmp_path, capsys):
    legacy = _legacy_store(tmp_path)
    con = duckdb.connect(str(legacy))
    con.execute("drop table extract_info")  # as every store before the derive was versioned
    con.close()
    assert cli.main(["migrate", "--db", str(legacy)]) == 0
    assert "Load the extract again" in capsys.readouterr().out
    with pytest.raises(store.OutdatedExtract, match="earlier version"):
        store.connect(legacy)
    _refused(capsys, ["metrics", "--db", str(legacy), "--period", "2024-25"], "ehts ingest")
    ingest.ingest(SAMPLE, legacy)  # loading it again puts everything right
    assert requests_in(legacy) == _sample_requests()
    assert len(state.commentary_entries(state.path_for(legacy))) == 3


def test_every_connection_to_a_store_groups_up_to_2_21_keys_in_a_perfect_hash_table(sample_db):
    # Tens of thousands of small areas are grouped in a perfect hash table only above DuckDB's
    # default of 2^12 (bench/design-measurements.md); cursors share the connection's database.
    con = store.connect(sample_db)
    try:
        for c in (con, con.cursor()):
            setting = c.execute("select current_setting('perfect_ht_threshold')").fetchone()[0]
            assert int(setting) == 21
    finally:
        con.close()


def test_the_child_previous_end_column_is_stored_uncompressed(sample_db):
    # Left to DuckDB it is run-length encoded and scans nearly 2 times slower
    # (bench/design-measurements.md); the derive declares it uncompressed.
    con = store.connect(sample_db)
    try:
        kinds = con.execute(
            "select distinct compression from pragma_storage_info('episode_spans')"
            " where column_name = 'child_previous_end' and segment_type = 'DATE'"
        ).fetchall()
    finally:
        con.close()
    assert kinds == [("Uncompressed",)]
