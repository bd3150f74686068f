"""The `ehts` command: documented, stable JSON, clear errors."""

from __future__ import annotations

import json

import pytest

from ehts_data import cli
from tests.conftest import write_extract


def subcommands():
    parser = cli.build_parser()
    return parser._subparsers._group_actions[0].choices  # noqa: SLF001


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_has_help_text(name):
    sub = subcommands()[name]
    assert sub.description
    for action in sub._actions:  # noqa: SLF001
        if action.dest != "help":
            assert action.help, f"ehts {name} {action.dest} has no help text"


def test_metrics_json_has_exactly_the_stable_keys(sample_db, capsys):
    assert (
        cli.main(["metrics", "--db", str(sample_db), "--period", "2024-25", "--format", "json"])
        == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert records and all(
        list(r) == ["metric", "group", "numerator", "denominator", "value"] for r in records
    )
    first = records[0]
    assert first["metric"] == "requests" and first["group"] == "all"
    assert isinstance(first["value"], int) and first["denominator"] is None


def _metrics_json(capsys, db, *args: str) -> list[dict]:
    assert cli.main(["metrics", "--db", str(db), "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_metrics_filtered_to_a_place_equal_that_places_row_of_the_breakdown(sample_db, capsys):
    # The dashboard's filters on the command line: each metric for one small area (or one
    # catchment, or one locality's early help only) is that place's row of the breakdown.
    common = ["--period", "2025-26"]
    by_area = _metrics_json(capsys, sample_db, *common, "--by", "area")
    area = next(r["group"] for r in by_area if r["metric"] == "requests" and r["value"])
    one_area = _metrics_json(capsys, sample_db, *common, "--by", "area", "--area", area)
    assert {r["group"] for r in one_area} <= {area, "unknown"}
    rows = rows_of(by_area)
    for r in one_area:
        if r["group"] == area:
            assert r == rows[(r["metric"], area)], r["metric"]
    by_catchment = _metrics_json(capsys, sample_db, *common, "--by", "catchment")
    hub = next(r["group"] for r in by_catchment if r["metric"] == "episodes_started")
    one = _metrics_json(capsys, sample_db, *common, "--catchment", hub, "--metric", "requests")
    assert one[0]["value"] == rows_of(by_catchment)[("requests", hub)]["value"]
    services = _metrics_json(
        capsys, sample_db, *common, "--locality", "NTH", "--service", "early_help"
    )
    assert services and all(r["group"] == "all" for r in services)


def rows_of(records: list[dict]) -> dict:
    return {(r["metric"], r["group"]): r for r in records}


@pytest.mark.parametrize("option", ["--locality", "--hub", "--area", "--catchment"])
def test_metrics_for_a_place_the_extract_lacks_is_refused(sample_db, capsys, option):
    code = cli.main(["metrics", "--db", str(sample_db), "--period", "2025-26", option, "X\x1b[2J"])
    err = capsys.readouterr().err
    assert code == 2 and "no such" in err and "\x1b" not in err


def test_metrics_by_locality_with_custom_dates_as_csv(sample_db, capsys):
    code = cli.main(
        [
            "metrics",
            "--db",
            str(sample_db),
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-31",
            "--by",
            "locality",
            "--format",
            "csv",
            "--metric",
            "requests",
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "metric,group,numerator,denominator,value"
    assert len(lines) == 5  # four localities


def test_metrics_table_prints_report_formats(sample_db, capsys):
    cli.main(["metrics", "--db", str(sample_db), "--period", "2024-25"])
    out = capsys.readouterr().out
    assert "per 10,000" in out and "%" in out and "days" in out


def test_metrics_without_a_store_says_how_to_load_one(tmp_path, capsys):
    code = cli.main(["metrics", "--db", str(tmp_path / "none.duckdb"), "--period", "2024-25"])
    assert code == 1
    assert "ehts ingest" in capsys.readouterr().err


def test_bad_period_is_a_clear_error(sample_db, capsys):
    assert cli.main(["metrics", "--db", str(sample_db), "--period", "2024"]) == 2
    assert "2024-25" in capsys.readouterr().err


def test_ingest_reports_problems_as_a_table_and_exits_non_zero(tmp_path, capsys):
    source = write_extract(
        tmp_path / "x",
        requests__csv="""
            request_id,child_id,received_date,source,hub_id,decision
            R1,C1,2024-05-01,carrier_pigeon,H1,
        """,
    )
    assert cli.main(["ingest", str(source), "--db", str(tmp_path / "s.duckdb")]) == 1
    err = capsys.readouterr().err
    assert "requests.csv" in err and "carrier_pigeon" in err and "unknown code" in err
    assert not (tmp_path / "s.duckdb").exists()


def test_ingest_prints_a_summary_and_uses_ehts_db(tmp_path, capsys, monkeypatch):
    source = write_extract(tmp_path / "x")
    monkeypatch.setenv("EHTS_DB", str(tmp_path / "env.duckdb"))
    assert cli.main(["ingest", str(source)]) == 0
    out = capsys.readouterr().out
    assert "children" in out and "5 rows" in out
    assert (tmp_path / "env.duckdb").exists()


PUBLISHERS = [
    name
    for name, sub in subcommands().items()
    if any(action.dest == "threshold" for action in sub._actions)  # noqa: SLF001
]


@pytest.mark.parametrize("threshold", ["0", "1", "-3"])
@pytest.mark.parametrize("command", PUBLISHERS)
def test_every_publishing_command_refuses_a_threshold_below_2(
    sample_db, tmp_path, capsys, command, threshold
):
    assert {"scorecard", "snapshot"} <= set(PUBLISHERS)
    args = [command, "--db", str(sample_db), "--period", "2024-25", f"--threshold={threshold}"]
    args += ["--out", str(tmp_path / "out")] + (
        ["--format", "html"] if command == "scorecard" else []
    )
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert f"K must be at least 2 (counts 1 to K-1 are suppressed); got {threshold}" in err
    assert not (tmp_path / "out").exists()
