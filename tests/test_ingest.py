"""Ingest: every kind of bad input is reported with its place, and changes nothing."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from ehts_data import cli, contract, ingest, periods, state, store
from tests.conftest import BASE, write_extract

GOOD_REQUESTS = """
    request_id,child_id,received_date,source,hub_id,decision
    R1,C1,2024-05-01,school,H1,early_help
    R2,C2,2024-05-01,health,,
"""
GOOD_EPISODES = """
    episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason
    E1,C1,R1,early_help,H1,2024-05-10,2024-09-01,new_request,outcomes_achieved
    E2,C2,,targeted_support,T1,2024-06-01,,step_down_from_social_care,
"""


@pytest.fixture
def loaded_store(tmp_path):
    """A store holding a good extract; yields (db path, ingest id)."""
    db = tmp_path / "store"
    good = write_extract(
        tmp_path / "good", requests__csv=GOOD_REQUESTS, episodes__csv=GOOD_EPISODES
    )
    result = ingest.ingest(good, db)
    return db, result.ingest_id


def _state(db):
    with store.connect(db) as con:
        return (
            con.execute("select ingest_id from ingest_log order by ingested_at").fetchall(),
            con.execute("select count(*) from requests").fetchone()[0],
            con.execute("select count(*) from episodes").fetchone()[0],
        )


def rejected(
    tmp_path, loaded_store, raw: dict[str, bytes] | None = None, **files
) -> ingest.IngestError:
    """Ingest a bad extract over a good store; assert the store is unchanged. `raw` files are
    written byte for byte (write_extract strips each line)."""
    db, _ = loaded_store
    before = _state(db)
    bad = write_extract(tmp_path / "bad", **files)
    for name, data in (raw or {}).items():
        (bad / name).write_bytes(data)
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest(bad, db)
    assert _state(db) == before
    assert not list(db.glob(".build-*")), "the half-built extract was not removed"
    return info.value


def rejected_with(tmp_path, loaded_store, file, old, new) -> ingest.IngestError:
    """`rejected` with one piece of a BASE file (file named as write_extract takes it) changed."""
    text = BASE[file.replace("__", ".")]
    assert old in text
    return rejected(tmp_path, loaded_store, **{file: text.replace(old, new)})


def only(error: ingest.IngestError) -> ingest.Problem:
    assert len(error.problems) == 1, [str(p) for p in error.problems]
    return error.problems[0]


def test_missing_required_file_is_named_and_store_unchanged(tmp_path, loaded_store):
    error = rejected(tmp_path, loaded_store, episodes__csv=None, requests__csv=GOOD_REQUESTS)
    problem = only(error)
    assert problem.file == "episodes.csv"
    assert "required file is missing" in problem.reason


def test_missing_required_column_is_named(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv="""
            request_id,child_id,received_date,hub_id,decision
            R1,C1,2024-05-01,H1,early_help
        """,
        episodes__csv=GOOD_EPISODES.replace("R1,", ","),
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column) == ("requests.csv", 1, "source")
    assert "required column is missing" in problem.reason


def test_unknown_code_names_file_row_column_and_value(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS.replace("R2,C2,2024-05-01,health", "R2,C2,2024-05-01,schol"),
        episodes__csv=GOOD_EPISODES,
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "requests.csv",
        3,
        "source",
        "schol",
    )
    assert "unknown code" in problem.reason and "school" in problem.reason


@pytest.mark.parametrize("bad_date", ["2024-02-30", "01/05/2024", "2024-5-1", "yesterday"])
def test_bad_date_is_reported(tmp_path, loaded_store, bad_date):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS.replace("R1,C1,2024-05-01", f"R1,C1,{bad_date}"),
        episodes__csv=GOOD_EPISODES,
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "requests.csv",
        2,
        "received_date",
        bad_date,
    )
    assert "YYYY-MM-DD" in problem.reason


def test_end_before_start_is_reported(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS,
        episodes__csv=GOOD_EPISODES.replace("2024-05-10,2024-09-01", "2024-05-10,2024-05-09"),
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column) == ("episodes.csv", 2, "end_date")
    assert "before start_date" in problem.reason


def test_closure_reason_without_end_date_is_reported(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS,
        episodes__csv=GOOD_EPISODES.replace(
            "step_down_from_social_care,", "step_down_from_social_care,other"
        ),
    )
    problem = only(error)
    assert (problem.row, problem.column) == (3, "closure_reason")


def test_duplicate_id_names_the_first_row(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS + "R1,C3,2024-06-01,police,H2,no_further_action\n",
        episodes__csv=GOOD_EPISODES,
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column) == ("requests.csv", 4, "request_id")
    assert "duplicate" in problem.reason and "first on row 2" in problem.value


def test_repeated_keys_are_counted_once_per_repeat(tmp_path, loaded_store):
    # Three rows of R1 are two repeats; rows without an id are reported as missing, not as
    # repeats of each other. A composite key counts the same way.
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS
        + "R1,C3,2024-06-01,police,H2,no_further_action\n"
        + ",C3,2024-06-02,police,H2,no_further_action\n"
        + "R1,C4,2024-06-03,police,H2,no_further_action\n"
        + ",C4,2024-06-04,police,H2,no_further_action\n",
        episodes__csv=GOOD_EPISODES,
        population__csv="""
            locality_id,year,age,population
            L2,2024,5,100
            L2,2024,5,200
            L2,2024,6,100
            L2,2024,5,300
        """,
    )
    rows = sorted((p.file, p.row, p.column) for p in error.problems)
    assert rows == [
        ("population.csv", 3, "locality_id, year, age"),
        ("population.csv", 5, "locality_id, year, age"),
        ("requests.csv", 4, "request_id"),
        ("requests.csv", 5, "request_id"),
        ("requests.csv", 6, "request_id"),
        ("requests.csv", 7, "request_id"),
    ]
    assert error.total == 6


def test_dangling_reference_is_reported(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS.replace("R2,C2,", "R2,C99,"),
        episodes__csv=GOOD_EPISODES,
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "requests.csv",
        3,
        "child_id",
        "C99",
    )
    assert "does not exist in children.csv" in problem.reason


GOOD_ASSESSMENTS = """
    assessment_id,episode_id,completed_date,thrive_group,needs
    A1,E1,2024-05-20,getting_help,parenting
"""


@pytest.mark.parametrize(
    ("files", "row", "column", "value", "referred"),
    [
        (
            {"children__csv": BASE["children.csv"].replace("C2,F1,", "C2,F9,")},
            3,
            "family_id",
            "F9",
            "families.csv",
        ),
        (
            {"episodes__csv": GOOD_EPISODES.replace("E2,C2,", "E2,C77,")},
            3,
            "child_id",
            "C77",
            "children.csv",
        ),
        (
            {"episodes__csv": GOOD_EPISODES.replace("E1,C1,R1,", "E1,C1,R9,")},
            2,
            "request_id",
            "R9",
            "requests.csv",
        ),
        (
            {"assessments__csv": GOOD_ASSESSMENTS.replace("A1,E1,", "A1,E5,")},
            2,
            "episode_id",
            "E5",
            "episodes.csv",
        ),
    ],
)
def test_references_checked_after_the_derive_are_reported(
    tmp_path, loaded_store, files, row, column, value, referred
):
    """These references are checked only when the derive's joins lose rows
    (ingest.DERIVE_CHECKED_REFERENCES): the problem is still reported with its place, alone."""
    extract = {
        "requests__csv": GOOD_REQUESTS,
        "episodes__csv": GOOD_EPISODES,
        "assessments__csv": GOOD_ASSESSMENTS,
    } | files
    problem = only(rejected(tmp_path, loaded_store, **extract))
    assert (problem.row, problem.column, problem.value) == (row, column, value)
    assert f"does not exist in {referred}" in problem.reason


def test_extra_column_is_ignored_with_a_warning_and_never_stored(tmp_path):
    source = write_extract(
        tmp_path / "x",
        children__csv="""
            child_id,family_id,birth_month,sex,ethnic_group,send,child_name,date_of_birth
            C1,F1,2015-06,female,white,false,Alice Smith,2015-06-14
        """,
    )
    result = ingest.ingest(source, tmp_path / "s.duckdb")
    assert any("child_name" in w for w in result.warnings)
    assert any("date_of_birth" in w for w in result.warnings)
    with store.connect(tmp_path / "s.duckdb") as con:
        stored = {
            r[0]
            for r in con.execute("select column_name from information_schema.columns").fetchall()
        }
        text = con.execute("select * from children").fetchall()
    assert "child_name" not in stored and "date_of_birth" not in stored
    assert "Alice Smith" not in str(text) and "2015-06-14" not in str(text)


def test_unlisted_file_is_an_error(tmp_path, loaded_store):
    db, _ = loaded_store
    bad = write_extract(tmp_path / "bad")
    (bad / "names.csv").write_text("child_id,name\nC1,Alice\n")
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest(bad, db)
    assert only(info.value).file == "names.csv"


def test_every_problem_is_reported_in_one_go(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv="""
            request_id,child_id,received_date,source,hub_id,decision
            R1,C1,2024-13-01,school,H1,early_help
            R2,C9,2024-05-01,health,H9,maybe
        """,
        episodes__csv=GOOD_EPISODES.replace("R1,", ","),
    )
    found = {(p.row, p.column) for p in error.problems}
    assert found == {(2, "received_date"), (3, "child_id"), (3, "hub_id"), (3, "decision")}


def test_problem_list_is_capped_but_all_are_counted(tmp_path, loaded_store):
    lines = ["request_id,child_id,received_date,source,hub_id,decision"]
    lines += [f"R{i},C1,2024-05-01,nonsense,H1,early_help" for i in range(250)]
    db, _ = loaded_store
    bad = write_extract(tmp_path / "bad", requests__csv="\n".join(lines))
    with pytest.raises(ingest.IngestError) as info:
        ingest.ingest(bad, db, max_problems=20)
    assert len(info.value.problems) == 20
    assert info.value.total == 250
    assert "230 more" in str(info.value)


def test_utf8_bom_and_column_order_are_accepted(tmp_path):
    source = write_extract(tmp_path / "x")
    text = "family_id,locality_id,imd_decile\nF1,L1,1\nF2,L1,\nF3,L2,9\nF4,L2,5\n"
    (source / "families.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (source / "localities.csv").write_text("locality_name,locality_id\nNorth,L1\nSouth,L2\n")
    result = ingest.ingest(source, tmp_path / "s.duckdb")
    assert result.row_counts["families"] == 4


def test_optional_column_may_be_left_out(tmp_path):
    source = write_extract(
        tmp_path / "x",
        hubs__csv="""
            hub_id,hub_name,hub_type,locality_id
            H1,North Family Hub,family_hub,L1
            H2,South Satellite,satellite_site,L2
            T1,Citywide Targeted Support,targeted_support_team,
        """,
    )
    ingest.ingest(source, tmp_path / "s.duckdb")
    with store.connect(tmp_path / "s.duckdb") as con:
        stored = con.execute(
            "select hub_id, latitude, longitude from hubs order by hub_id"
        ).fetchall()
    assert stored == [("H1", None, None), ("H2", None, None), ("T1", None, None)]


def test_hub_without_locality_must_be_a_targeted_support_team(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        hubs__csv="""
            hub_id,hub_name,hub_type,locality_id
            H1,North Family Hub,family_hub,
            H2,South Satellite,satellite_site,L2
            T1,Citywide Targeted Support,targeted_support_team,
        """,
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column) == ("hubs.csv", 2, "locality_id")


def test_empty_cells_quoted_or_not_are_missing(tmp_path, loaded_store):
    """`,,` and `,"",` are both an empty cell: missing where required, null where optional."""
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv="""
            request_id,child_id,received_date,source,hub_id,decision
            R1,C1,2024-05-01,school,H1,""
            R2,"",2024-05-02,health,H1,
            R3,C1,,health,H1,early_help
        """,
    )
    found = {(p.row, p.column, p.reason) for p in error.problems}
    missing = "value is missing (this column is required)"
    assert found == {(3, "child_id", missing), (4, "received_date", missing)}


def test_quoted_empty_optional_cell_is_stored_as_null(tmp_path):
    source = write_extract(
        tmp_path / "x",
        requests__csv="""
            request_id,child_id,received_date,source,hub_id,decision
            R1,C1,2024-05-01,school,"",""
        """,
    )
    ingest.ingest(source, tmp_path / "s.duckdb")
    with store.connect(tmp_path / "s.duckdb") as con:
        row = con.execute("select hub_id, decision from requests").fetchone()
    assert row == (None, None)


def test_unknown_need_code_in_a_list_is_reported(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS,
        episodes__csv=GOOD_EPISODES,
        assessments__csv="""
            assessment_id,episode_id,completed_date,thrive_group,needs
            A1,E1,2024-06-01,getting_help,domestic_abuse;debt
        """,
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column) == ("assessments.csv", 2, "needs")


def test_population_out_of_range_and_duplicate_key(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        population__csv="""
            locality_id,year,age,population
            L1,2024,20,10
            L1,2024,3,-1
            L2,2024,5,100
            L2,2024,5,200
        """,
    )
    found = {(p.row, p.column) for p in error.problems}
    assert found == {(2, "age"), (3, "population"), (5, "locality_id, year, age")}


def test_malformed_csv_is_reported_not_raised_raw(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS + 'R3,C3,2024-05-01,school,H1,early_help,extra,"\n',
        episodes__csv=GOOD_EPISODES,
    )
    assert only(error).file == "requests.csv"


def test_ingest_while_a_reader_in_the_same_process_holds_the_store_open(tmp_path, loaded_store):
    """The dashboard keeps a read-only connection open in its process; an ingest must succeed
    and a new connection in that same process must see the new data while the old one lives."""
    db, first_id = loaded_store
    reader = store.connect(db)
    assert reader.execute("select count(*) from requests").fetchone()[0] == 2
    more = GOOD_REQUESTS + "R3,C3,2024-07-01,police,H2,no_further_action\n"
    source = write_extract(tmp_path / "next", requests__csv=more, episodes__csv=GOOD_EPISODES)
    result = ingest.ingest(source, db)
    with store.connect(db) as con:
        assert con.execute("select count(*) from requests").fetchone()[0] == 3
        assert store.latest_ingest(con)["ingest_id"] == result.ingest_id
    # the old connection still reads its own version, whole
    assert reader.execute("select count(*) from requests").fetchone()[0] == 2
    reader.close()
    history = state.ingest_history(state.path_for(db))
    assert list(history["ingest_id"]) == [result.ingest_id, first_id]


def test_store_version_changes_when_an_ingest_lands(tmp_path, loaded_store):
    db, _ = loaded_store
    before = store.store_version(db)
    source = write_extract(
        tmp_path / "next", requests__csv=GOOD_REQUESTS, episodes__csv=GOOD_EPISODES
    )
    ingest.ingest(source, db)
    assert store.store_version(db) != before


def test_sample_data_passes_validation_with_no_warnings(sample_db):
    with store.connect(sample_db) as con:
        latest = store.latest_ingest(con)
    assert latest["warnings"] == "[]"


def test_row_numbers_hold_in_a_file_read_in_parallel(tmp_path, loaded_store):
    # 300,000 rows (about 12 MB) are read by several threads; a row's number must still be
    # its place in the file, for field checks, duplicates and cross-field rules alike.
    rows = [f"R{i},C1,2024-05-01,school,H1,early_help" for i in range(300_000)]
    rows[200_000] = "R200000,C1,2024-05-01,carrier_pigeon,H1,early_help"  # row 200,002
    rows[250_000] = "R7,C1,2024-05-01,school,H1,early_help"  # row 250,002 repeats row 9
    requests = "request_id,child_id,received_date,source,hub_id,decision\n" + "\n".join(rows)
    error = rejected(tmp_path, loaded_store, requests__csv=requests, episodes__csv=GOOD_EPISODES)
    places = {(p.row, p.column) for p in error.problems}
    assert places == {(200_002, "source"), (250_002, "request_id")}, [
        str(p) for p in error.problems
    ]
    duplicate = next(p for p in error.problems if p.column == "request_id")
    assert "first on row 9" in duplicate.value


@pytest.mark.parametrize(
    ("needs", "stored"),
    [
        ("domestic_abuse;debt_or_poverty", ["debt_or_poverty", "domestic_abuse"]),
        (" debt_or_poverty ; domestic_abuse ;; ", ["debt_or_poverty", "domestic_abuse"]),
        ("domestic_abuse;domestic_abuse", ["domestic_abuse"]),
        (";", []),
        ("", []),
        ("domestic_abuse;debt", None),  # not a code
        ("domestic_abuse debt_or_poverty", None),  # a space does not separate
        ("domestic_abuse\t", None),  # trimming removes spaces, not tabs
        ("domestic_abuse_x", None),  # a code's prefix is not enough
    ],
)
def test_need_lists_accepted_and_rejected(tmp_path, needs, stored):
    source = write_extract(
        tmp_path / "extract",
        requests__csv=GOOD_REQUESTS,
        episodes__csv=GOOD_EPISODES,
        assessments__csv="assessment_id,episode_id,completed_date,thrive_group,needs\n"
        f'A1,E1,2024-06-01,getting_help,"{needs}"',
    )
    db = tmp_path / "store"
    if stored is None:
        with pytest.raises(ingest.IngestError) as info:
            ingest.ingest(source, db)
        assert (only(info.value).row, only(info.value).column) == (2, "needs")
    else:
        ingest.ingest(source, db)
        with store.connect(db) as con:
            # A set of codes: stored once each, in no particular order.
            assert sorted(con.execute("select needs from assessments").fetchone()[0]) == stored


def test_every_store_table_has_the_contract_types(loaded_store):
    # Most files are read as text into their store table and typed in place; the rest are
    # typed as they are copied. Either way each column ends with its contract type.
    db, _ = loaded_store
    with store.connect(db) as con:
        stored = {
            (table, column): data_type
            for table, column, data_type in con.execute(
                "select table_name, column_name, data_type from information_schema.columns"
                " where table_schema = 'main'"
            ).fetchall()
        }
    for model in contract.MODELS:
        for spec in contract.column_specs(model):
            assert stored[(contract.table_name(model), spec.name)] == spec.sql_type, spec.name


def test_a_day_first_date_gets_its_own_reason_with_the_fix(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv=GOOD_REQUESTS + "R3,C3,31/03/2025,school,H1,early_help\n",
        episodes__csv=GOOD_EPISODES,
    )
    problem = only(error)
    assert (problem.row, problem.column, problem.value) == (4, "received_date", "31/03/2025")
    assert "dd/mm/yyyy" in problem.reason and "2025-03-31" in problem.reason


def test_a_birth_month_beyond_an_expected_birth_is_refused(tmp_path, loaded_store):
    today = date.today()
    ahead = periods.add_months(today.replace(day=1), contract.BIRTH_MONTH_AHEAD_MONTHS)
    too_far = periods.add_months(ahead, 1)
    children = BASE["children.csv"] + (
        f"C6,F1,{ahead:%Y-%m},female,white,false\nC7,F1,{too_far:%Y-%m},male,white,false\n"
    )
    error = rejected(
        tmp_path,
        loaded_store,
        children__csv=children,
        requests__csv=GOOD_REQUESTS,
        episodes__csv=GOOD_EPISODES,
    )
    problem = only(error)  # an unborn child's expected month is allowed; a month later is not
    assert (problem.column, problem.value) == ("birth_month", f"{too_far:%Y-%m}")
    assert "future" in problem.reason


def test_problems_come_in_file_and_row_order_with_a_summary_and_the_warnings(
    tmp_path, loaded_store
):
    error = rejected(
        tmp_path,
        loaded_store,
        requests__csv="request_id,child_id,received_date,source,hub_id,decision,child_name\n"
        + "".join(f"R{i},C1,2024-13-0{i % 9 + 1},school,H1,early_help,Ann\n" for i in range(5))
        + "R9,C1,2024-05-01,carrier_pigeon,H1,early_help,Ann\n",
        episodes__csv=GOOD_EPISODES.replace("R1,early_help", "R1,flying"),
    )
    places = [(p.file, p.row) for p in error.problems]
    assert places == sorted(places)
    assert (
        error.summary[("requests.csv", "received_date", "not a valid date (expected YYYY-MM-DD)")]
        == 5
    )
    assert (
        error.summary[
            (
                "requests.csv",
                "source",
                next(p.reason for p in error.problems if p.column == "source"),
            )
        ]
        == 1
    )
    assert any("child_name" in w for w in error.warnings), "the identifier column is named"


def test_the_cli_writes_every_problem_to_a_csv_and_names_extra_columns_when_refusing(
    tmp_path, capsys
):
    rows = "".join(f"R{i},C1,2024-13-01,school,H1,early_help,=SUM(A1)\n" for i in range(150))
    source = write_extract(
        tmp_path / "bad",
        requests__csv="request_id,child_id,received_date,source,hub_id,decision,note\n" + rows,
    )
    errors = tmp_path / "problems.csv"
    code = cli.main(
        ["ingest", str(source), "--db", str(tmp_path / "store"), "--errors", str(errors)]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "column 'note' is not in the data contract" in err
    assert "150  requests.csv  received_date" in err
    with errors.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 150
    assert [int(r["row"]) for r in written] == list(range(2, 152))


def test_the_cli_prints_a_refused_escape_sequence_as_text_not_to_the_terminal(tmp_path, capsys):
    source = write_extract(
        tmp_path / "bad",
        localities__csv=BASE["localities.csv"].replace("L2,South", "L2,South\x1b[2J\x1b[31m"),
    )
    assert cli.main(["ingest", str(source), "--db", str(tmp_path / "store")]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "South\\x1b[2J\\x1b[31m" in err


@pytest.mark.parametrize(
    "file, old, new, row, column",
    [
        ("localities__csv", "L2,South", "L2,So\x07uth", 3, "locality_name"),
        ("localities__csv", "L2,South", "L2,South\x1b[31m", 3, "locality_name"),
        ("hubs__csv", "H1,North Family Hub", "H1,North\tFamily Hub", 2, "hub_name"),
        ("families__csv", "F4,L2,5", "F\x004,L2,5", 5, "family_id"),
    ],
)
def test_control_characters_in_ids_and_names_are_refused(
    tmp_path, loaded_store, file, old, new, row, column
):
    error = rejected_with(tmp_path, loaded_store, file, old, new)
    problems = [
        p for p in error.problems if (p.file, p.column) == (file.replace("__", "."), column)
    ]
    assert problems, [str(p) for p in error.problems]
    assert (problems[0].file, problems[0].row) == (file.replace("__", "."), row)
    assert "control character" in problems[0].reason


def test_geojson_keeps_only_the_geometry_and_the_locality_id(load):
    import json

    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    geojson = {
        "type": "FeatureCollection",
        "name": "secret layer",
        "features": [
            {
                "type": "Feature",
                "id": "x",
                "geometry": square,
                "properties": {"locality_id": "L1", "contact_name": "Jo Bloggs", "phone": "0"},
            }
        ],
    }
    con = load(localities__geojson=json.dumps(geojson))
    stored = json.loads(con.execute("select geojson from locality_geojson").fetchone()[0])
    assert stored == {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": square, "properties": {"locality_id": "L1"}}],
    }


@pytest.mark.parametrize(
    ("file", "old", "new", "column"),
    [
        # A locality named by the word the published tables use for their total row: its
        # counts replaced the Total's and a count of 4 was published unsuppressed.
        ("localities__csv", "L2,South", "Total,South", "locality_id"),
        ("hubs__csv", "T1,Citywide", "unknown,Citywide", "hub_id"),
        ("hubs__csv", "H1,North", " ALL ,North", "hub_id"),
    ],
)
def test_place_ids_that_name_totals_or_missing_places_are_refused(
    tmp_path, loaded_store, file, old, new, column
):
    error = rejected_with(tmp_path, loaded_store, file, old, new)
    reserved = [p for p in error.problems if p.column == column and "may not be" in p.reason]
    assert reserved, [str(p) for p in error.problems]
    assert "'all', 'unknown' or 'total'" in reserved[0].reason


@pytest.mark.parametrize(
    ("file", "old", "new", "column", "reason"),
    [
        # The birth-month rule read these as dates and stopped the ingest with a traceback
        # (printing the full date of birth).
        ("children__csv", "C1,F1,2015-06", "C1,F1,2015-06-12", "birth_month", "YYYY-MM"),
        ("children__csv", "C1,F1,2015-06", "C1,F1,12/06/2015", "birth_month", "YYYY-MM"),
        ("children__csv", "C1,F1,2015-06", "C1,F1,2015-00", "birth_month", "YYYY-MM"),
        # Stored as a missing value before.
        (
            "population__csv",
            "L1,2024,0,1000",
            "L1,2024,0,99999999999999999999",
            "population",
            "too large a number",
        ),
        # Limits of optional columns were not checked.
        ("families__csv", "F4,L2,5", "F4,L2,11", "imd_decile", "between 1 and 10"),
        ("families__csv", "F4,L2,5", "F4,L2,0", "imd_decile", "between 1 and 10"),
        ("hubs__csv", "50.1,-4.1", "500,-4.1", "latitude", "between -90 and 90"),
        # Loaded as a locality 'locality_id', and as blank labels.
        ("localities__csv", "L2,South", "locality_id,locality_name", "locality_id", "header"),
        # Quoted: write_extract strips each line.
        ("localities__csv", "L2,South", 'L2,"   "', "locality_name", "only spaces"),
        ("families__csv", "F4,L2,5", '"   ",L2,5', "family_id", "only spaces"),
    ],
)
def test_bad_cells_get_a_clear_reason_not_a_traceback_or_a_silent_null(
    tmp_path, loaded_store, file, old, new, column, reason
):
    error = rejected_with(tmp_path, loaded_store, file, old, new)
    found = [
        p
        for p in error.problems
        if (p.file, p.column) == (file.replace("__", "."), column) and reason in p.reason
    ]
    assert found, [str(p) for p in error.problems]


def test_an_indicator_period_of_the_wrong_form_is_named(tmp_path, loaded_store):
    indicators = (
        "indicator_id,period,area,value,unit,source\nehcp_rate,FY2024-25,all,3.1,percent,DfE\n"
    )
    problem = only(rejected(tmp_path, loaded_store, indicators__csv=indicators))
    assert (problem.file, problem.row, problem.column) == ("indicators.csv", 2, "period")
    assert "financial year like 2024-25" in problem.reason


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Polygon", "coordinates": "not coords"}, "rings of at least 4 positions"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, "rings of at least 4 positions"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, "x"], [0, 0]]]}, "finite"),
    ],
)
def test_geojson_shapes_that_are_not_polygons_are_refused(tmp_path, loaded_store, geometry, reason):
    import json

    feature = {"type": "Feature", "geometry": geometry, "properties": {"locality_id": "L1"}}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    problem = only(rejected(tmp_path, loaded_store, localities__geojson=text))
    assert (problem.file, problem.row, problem.column) == ("localities.geojson", 1, "geometry")
    assert reason in problem.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"type": "FeatureCollection", "features": [], "x": NaN}', "NaN is not a JSON number"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_geojson_that_json_cannot_hold_is_refused(tmp_path, loaded_store, text, reason):
    problem = only(rejected(tmp_path, loaded_store, localities__geojson=text))
    assert problem.file == "localities.geojson" and reason in problem.reason


def test_geojson_keeps_only_a_geometrys_type_and_coordinates(load):
    import json

    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    feature = {
        "type": "Feature",
        "geometry": {**square, "crs_note": "Jane Smith, 1 High St"},
        "properties": {"locality_id": "L1"},
    }
    con = load(localities__geojson=json.dumps({"type": "FeatureCollection", "features": [feature]}))
    stored = json.loads(con.execute("select geojson from locality_geojson").fetchone()[0])
    assert stored["features"][0]["geometry"] == square


@pytest.mark.parametrize(
    ("localities", "row", "reason"),
    [
        ("locality_id,locality_name\nL1,North\nL2", 3, "the row has 1 fields where the header"),
        ("locality_id,locality_name\nL1,North\nL2,South,x", 3, "the row has 3 fields"),
        ('locality_id,locality_name\nL1,"North\nL2,South', 2, "a quoted value is not closed"),
        ("locality_id,locality_name\nL1,Caf\xe9\nL2,South", 2, "the file is not UTF-8"),
    ],
)
def test_a_file_that_is_not_csv_gets_its_row_and_the_reason_in_words(
    tmp_path, loaded_store, localities, row, reason
):
    error = rejected(tmp_path, loaded_store, raw={"localities.csv": localities.encode("latin-1")})
    problem = only(error)
    assert (problem.file, problem.row) == ("localities.csv", row)
    assert reason in problem.reason and "Possible fixes" not in problem.reason


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1989-12-31", "2101-01-01"])
def test_dates_outside_the_years_a_service_could_hold_are_refused(tmp_path, loaded_store, day):
    requests = (
        "request_id,child_id,received_date,source,hub_id,decision\n"
        f"R1,C1,{day},school,H1,early_help\n"
    )
    problem = only(rejected(tmp_path, loaded_store, requests__csv=requests))
    assert (problem.file, problem.row, problem.column) == ("requests.csv", 2, "received_date")
    assert "from 1990-01-01 to 2100-12-31" in problem.reason


def test_rows_are_the_files_own_rows_when_it_has_blank_lines(tmp_path, loaded_store):
    # Reading skips blank lines; a spreadsheet (and the person fixing the file) counts them.
    text = 'locality_id,locality_name\nL1,North\n\n\nL2,"So\nuth"\n\nL3\x07,Bad\n'
    error = rejected(tmp_path, loaded_store, raw={"localities.csv": text.encode()})
    problem = next(p for p in error.problems if p.column == "locality_id")
    # Row 1 the header, 2 L1, 3 and 4 blank, 5 L2 (its name over two lines), 6 blank, 7 L3.
    assert (problem.file, problem.row) == ("localities.csv", 7)


def test_a_reading_error_keeps_the_line_reading_gave_it_after_blank_lines(tmp_path, loaded_store):
    # The error's line is already the file's own: it is not renumbered as a record.
    text = "locality_id,locality_name\n\nL1,North\nL2,South,x\nL3,East\nL4,West\n"
    problem = only(rejected(tmp_path, loaded_store, raw={"localities.csv": text.encode()}))
    assert (problem.file, problem.row) == ("localities.csv", 4)


def test_a_coordinate_too_large_for_a_number_is_refused_not_a_traceback(tmp_path, loaded_store):
    ring = "[[1" + "0" * 400 + ", 0], [1, 1], [0, 1], [0, 0]]"
    text = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"locality_id": "L1"}, "geometry": {"type": "Polygon", "coordinates": [' + ring + "]}}]}"
    )
    problem = only(rejected(tmp_path, loaded_store, localities__geojson=text))
    assert (problem.file, problem.column) == ("localities.geojson", "geometry")
