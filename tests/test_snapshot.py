"""Publishing snapshots: the files, suppression in every published table, reproducibility."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from ehts_data import periods, snapshot
from ehts_data.disclosure import CONFIDENTIAL

QUARTER = periods.parse("2025-26-Q2")  # a quarter of the sample: small hub numbers appear


@pytest.fixture(scope="module")
def partners(sample_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("snapshots")
    return snapshot.publish(QUARTER, sample_db, out, audience="partners", threshold=6)


def published_counts(folder):
    """Every count cell of every published CSV (crosstabs and headline counts)."""
    cells = []
    for path in folder.glob("*.csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        if path.stem.startswith("headlines"):
            cells += list(df["numerator"]) + list(df["denominator"])
            cells += list(df.loc[df.unit.isin(["requests", "episodes"]), "value"])
        elif path.stem != "needs_by_locality":
            cells += [v for col in df.columns[1:] for v in df[col]]
    return cells


def test_snapshot_folder_holds_report_workbook_csvs_and_manifest(partners):
    names = {p.name for p in partners.iterdir()}
    assert {"report.html", "tables.xlsx", "manifest.json"} <= names
    manifest = json.loads((partners / "manifest.json").read_text())
    assert set(manifest["tables"]) == {n.removesuffix(".csv") for n in names if n.endswith(".csv")}
    assert manifest["period"] == "2025-26-Q2"
    assert manifest["threshold"] == 6 and "secondary" in manifest["suppressed_cells"]
    assert manifest["fingerprint"] in partners.name
    assert {"duckdb", "pandas", "plotly", "python"} <= set(manifest["versions"])
    assert manifest["suppressed_cells"]["primary"] > 0, "a quarter by hub has small numbers"


def test_no_published_count_is_between_1_and_k_minus_1(partners):
    for cell in published_counts(partners):
        if cell not in ("", CONFIDENTIAL, "z", "x"):
            assert not 1 <= float(cell) <= 5, cell


def test_rates_are_withheld_with_their_counts(partners):
    df = pd.read_csv(partners / "headlines_by_hub.csv", dtype=str, keep_default_na=False)
    shares = df[df.unit.str.startswith("%")]
    hidden = shares[(shares.numerator == CONFIDENTIAL) | (shares.denominator == CONFIDENTIAL)]
    assert len(hidden) > 0
    assert (hidden.value == CONFIDENTIAL).all()
    small = shares[
        shares.denominator.str.isdigit()
        & (shares.denominator.map(lambda d: d.isdigit() and int(d) < 10))
    ]
    assert (small.value.isin([CONFIDENTIAL, "z"])).all()


def test_no_suppressed_cell_is_recoverable_from_its_row_or_column_total(partners):
    for name in (
        "requests_by_source",
        "requests_by_age_band",
        "requests_by_decision",
        "closures_by_reason",
    ):
        df = pd.read_csv(partners / f"{name}.csv", dtype=str, keep_default_na=False)
        grid = df.set_index("Locality")
        for line in [*(grid.loc[i] for i in grid.index), *(grid[c] for c in grid.columns)]:
            assert (line == CONFIDENTIAL).sum() != 1, (name, line.name)
    df = pd.read_csv(partners / "headlines_by_hub.csv", dtype=str, keep_default_na=False)
    for _, part in df.groupby("metric_id"):
        for column in ("numerator", "denominator"):
            assert (part[column] == CONFIDENTIAL).sum() != 1


def test_workbook_has_a_sheet_per_table_definitions_and_metadata(partners):
    manifest = json.loads((partners / "manifest.json").read_text())
    wb = load_workbook(partners / "tables.xlsx")
    assert wb.sheetnames == [*manifest["tables"], "definitions", "metadata"]
    meta = {row[0]: row[1] for row in wb["metadata"].iter_rows(min_row=2, values_only=True)}
    assert meta["period"] == "2025-26-Q2"
    assert meta["threshold"] == 6
    assert "c" in meta["suppression_rule"]
    definitions = [r[0] for r in wb["definitions"].iter_rows(min_row=2, values_only=True)]
    assert "re_entry_12m_rate" in definitions


def test_public_audience_leaves_out_hub_tables(sample_db, tmp_path):
    folder = snapshot.publish(QUARTER, sample_db, tmp_path)
    assert not (folder / "headlines_by_hub.csv").exists()
    assert "public" in folder.name


def test_same_store_and_arguments_give_identical_tables_and_report(sample_db, tmp_path):
    a = snapshot.publish(
        QUARTER, sample_db, tmp_path / "a", now=datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    )
    b = snapshot.publish(
        QUARTER, sample_db, tmp_path / "b", now=datetime(2026, 2, 2, 10, 30, tzinfo=UTC)
    )
    for path in a.iterdir():
        other = b / path.name
        if path.name in ("report.html", "manifest.json"):
            # the generation time is in the report, so in its hash in the manifest too
            def kept(line: str) -> bool:
                return "enerated" not in line and '"report.html":' not in line

            strip = [line for line in path.read_text().splitlines() if kept(line)]
            strip_b = [line for line in other.read_text().splitlines() if kept(line)]
            assert strip == strip_b, path.name
        else:
            assert path.read_bytes() == other.read_bytes(), path.name


def test_higher_threshold_suppresses_more(sample_db, tmp_path):
    k6 = json.loads(
        (snapshot.publish(QUARTER, sample_db, tmp_path / "6") / "manifest.json").read_text()
    )["suppressed_cells"]
    k8 = json.loads(
        (
            snapshot.publish(QUARTER, sample_db, tmp_path / "8", threshold=8) / "manifest.json"
        ).read_text()
    )["suppressed_cells"]
    assert k8["primary"] >= k6["primary"]
