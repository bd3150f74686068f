"""Publishing snapshots: the files, suppression in every published table, reproducibility."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from ehts_data import disclosure, periods, snapshot, store
from ehts_data.disclosure import CONFIDENTIAL, NOT_APPLICABLE, SYMBOLS
from ehts_data.snapshot import TOTAL

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
        if "metric_id" in df.columns:  # measures by group: headlines and families
            cells += list(df["numerator"]) + list(df["denominator"])
            counted = ["requests", "episodes", "families", "children"]
            cells += list(df.loc[df.unit.isin(counted), "value"])
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
        if cell not in ("", *SYMBOLS):
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
    assert (small.value.isin([CONFIDENTIAL, NOT_APPLICABLE])).all()


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


RATE_UNIT = re.compile(r"^%|per 10,000|days")


def _table(ws) -> pd.DataFrame:
    """A table sheet read back: the header is row 4, the table below it."""
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_follows_the_gss_layout_cover_contents_notes_then_a_table_per_sheet(partners):
    manifest = json.loads((partners / "manifest.json").read_text())
    wb = load_workbook(partners / "tables.xlsx")
    tables = [*manifest["tables"], "definitions", "metadata"]
    assert wb.sheetnames == ["Cover", "Contents", "Notes", *tables]
    cover = [r[0] for r in wb["Cover"].iter_rows(values_only=True) if r[0]]
    assert "2025-26-Q2" in cover[0] and "Synthetic City" in cover[0]
    for heading in ("Period covered", "Source", "Symbols used", "Contact"):
        assert heading in cover
    assert cover[cover.index("Contact") + 1].startswith("Early Help performance team")
    for symbol, meaning in SYMBOLS.items():
        assert f"[{symbol}] {meaning}" in cover  # in brackets, as the GSS guidance asks
    contents = _table(wb["Contents"])
    assert list(contents["Sheet name"]) == tables
    for i, name in enumerate(tables, start=5):
        assert wb["Contents"].cell(row=i, column=1).hyperlink.location == f"'{name}'!A1"
    notes = _table(wb["Notes"])
    assert list(notes["Note number"])[:2] == ["[note 1]", "[note 2]"]
    assert "[c]" in notes["Note text"].iloc[0]
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, ws.title
    for name in tables:
        ws = wb[name]
        assert ws.freeze_panes == "A5", name
        assert ws["A1"].font.bold and ws["A1"].value
        assert all(ws.column_dimensions[c].width >= 10 for c in "AB"), name
    meta = dict(_table(wb["metadata"]).itertuples(index=False))
    assert meta["period"] == "2025-26-Q2" and meta["threshold"] == 6
    assert "'c'" in meta["suppression_rule"]
    assert "re_entry_12m_rate" in list(_table(wb["definitions"])["metric_id"])


def test_workbook_stores_numbers_as_numbers_with_thousands_separators_and_symbols_as_text(
    partners,
):
    wb = load_workbook(partners / "tables.xlsx")
    ws = wb["headlines_by_hub"]
    header = [c.value for c in ws[4]]
    seen = set()
    for row in ws.iter_rows(min_row=5):
        cells = dict(zip(header, row, strict=True))
        for column in ("numerator", "denominator", "value"):
            cell = cells[column]
            if isinstance(cell.value, str):
                assert cell.value.strip("[]") in SYMBOLS, cell.value  # never "2889.0"
                seen.add(cell.value)
            elif column != "value" or not RATE_UNIT.search(cells["unit"].value):
                assert isinstance(cell.value, int) and cell.number_format == "#,##0"
            else:  # a share, rate or median to one decimal place (12.0 reads back as 12)
                assert isinstance(cell.value, int | float) and cell.number_format == "#,##0.0"
                assert cell.value == round(cell.value, 1)
        if cells["unit"].value.startswith("%"):
            assert not isinstance(cells["numerator"].value, float)
    assert f"[{CONFIDENTIAL}]" in seen, "a quarter by hub has small numbers"
    crosstab = _table(wb["requests_by_source"])
    assert all(isinstance(v, int) or v.strip("[]") in SYMBOLS for v in crosstab["Total"])


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


# ---- The sweep: no hidden count follows from anything published in the same snapshot ----
SAME_COUNT = {  # headline columns that repeat another metric's numerator
    ("requests_per_10k", "numerator"): "requests",
    ("re_referral_12m_rate", "denominator"): "requests",
    ("re_entry_12m_rate", "denominator"): "episodes_started",
    ("step_down_rate", "denominator"): "episodes_started",
    ("step_up_rate", "denominator"): "episodes_closed",
    ("outcomes_achieved_rate", "denominator"): "episodes_closed",
    ("median_episode_days", "denominator"): "episodes_closed",
}
CLOSURE_COLUMNS = {
    "step_up_rate": "Step-up to social care",
    "outcomes_achieved_rate": "Outcomes achieved",
}


class Audit:
    """An attacker's view of a snapshot, built from the published tables alone: every count
    cell is a variable, known or 'c'; every total and every count shown twice is a linear
    equation. A hidden count is recovered when the equations fix it (exact rank test)."""

    def __init__(self) -> None:
        self.names, self.known, self.secret, self.equations = {}, {}, set(), []
        self.published = set()  # names a table showed (not only referred to)

    def var(self, name, cell, secret_if_hidden=True, *, shown=True):
        if name not in self.names:
            self.names[name] = len(self.names)
        if shown:
            self.published.add(name)
        if cell == CONFIDENTIAL or cell is None:
            if secret_if_hidden:
                self.secret.add(name)
        else:
            self.known[name] = float(cell)
        return name

    def equal(self, a, b):
        self.equations.append({a: 1, b: -1})

    def total(self, total, parts):
        self.equations.append({total: -1} | {p: 1 for p in parts})

    def recovered(self) -> list:
        assert set(self.names) == self.published, set(self.names) - self.published
        unknown = sorted({n for n in self.names if n not in self.known}, key=self.names.get)
        col = {n: j for j, n in enumerate(unknown)}
        rows = [[0.0] * len(unknown) for _ in self.equations]
        for row, eq in zip(rows, self.equations, strict=True):
            for n, c in eq.items():
                if n in col:
                    row[col[n]] += c
        a = np.array([r for r in rows if any(r)]) if rows else np.zeros((0, len(unknown)))
        if not len(a):
            return []
        rank = np.linalg.matrix_rank(a)
        out = [
            n
            for n in unknown
            if n in self.secret and np.linalg.matrix_rank(np.delete(a, col[n], axis=1)) < rank
        ]
        for eq in self.equations:  # every 'c' is at least 1: hidden parts summing to their number
            hidden = [n for n, c in eq.items() if n not in self.known]
            if all(eq[n] == 1 for n in hidden) and hidden:
                rest = -sum(c * self.known[n] for n, c in eq.items() if n in self.known)
                if rest == len(hidden):
                    out += [n for n in hidden if n in self.secret]
        return out


def _audit(tables: dict[str, pd.DataFrame]) -> list:
    audit = Audit()
    for name in [n for n, t in tables.items() if "metric_id" in t.columns]:
        df = tables[name]
        for metric_id, part in df.groupby("metric_id", sort=False):
            for column in ("numerator", "denominator"):
                if (part[column] == NOT_APPLICABLE).all() or (
                    metric_id == "requests_per_10k" and column == "denominator"
                ):
                    continue
                base = SAME_COUNT.get((metric_id, column), None)
                cells = {}
                for g, v in zip(part["group"], part[column], strict=True):
                    where = "Total" if g == TOTAL else (name, g)
                    cells[g] = audit.var((metric_id, column, where), v)
                    if base:
                        audit.equal(
                            cells[g],
                            audit.var((base, "numerator", where), None, False, shown=False),
                        )
                    if (
                        metric_id in CLOSURE_COLUMNS
                        and column == "numerator"
                        and name.endswith("locality")
                        # a period with no such closure has no such column
                        and CLOSURE_COLUMNS[metric_id] in tables["closures_by_reason"].columns
                    ):
                        audit.equal(
                            cells[g],
                            audit.var(
                                ("closures_by_reason", g, CLOSURE_COLUMNS[metric_id]),
                                None,
                                False,
                                shown=False,
                            ),
                        )
                audit.total(cells[TOTAL], [c for g, c in cells.items() if g != TOTAL])
    for name, frame in tables.items():
        if "metric_id" in frame.columns or name == "needs_by_locality":
            continue
        grid = frame.set_index("Locality")
        var = {
            (r, c): audit.var((name, r, c), grid.at[r, c]) for r in grid.index for c in grid.columns
        }
        body_rows, body_cols = (
            [r for r in grid.index if r != TOTAL],
            [c for c in grid.columns if c != TOTAL],
        )
        for r in grid.index:
            audit.total(var[r, TOTAL], [var[r, c] for c in body_cols])
        for c in grid.columns:
            audit.total(var[TOTAL, c], [var[r, c] for r in body_rows])
        measure = "episodes_closed" if name == "closures_by_reason" else "requests"
        for r in grid.index:  # a row total is the headline count for the locality
            where = "Total" if r == TOTAL else ("headlines_by_locality", r)
            audit.equal(
                var[r, TOTAL], audit.var((measure, "numerator", where), None, False, shown=False)
            )
        if name == "requests_by_age_band" and "headlines_by_age_band" in tables:
            # a column total is the age band's request count in the partners' table by age
            for c in body_cols:
                audit.equal(
                    var[TOTAL, c],
                    audit.var(
                        ("requests", "numerator", ("headlines_by_age_band", c)),
                        None,
                        False,
                        shown=False,
                    ),
                )
    needs = tables["needs_by_locality"].set_index("Need")
    dens = needs.loc["Assessments (denominator)"]
    den = {c: audit.var(("needs", "assessments", c), dens[c]) for c in needs.columns}
    audit.total(den["Total (%)"], [v for c, v in den.items() if c != "Total (%)"])
    for need, row in needs.drop(index="Assessments (denominator)").iterrows():
        counts = {}
        for c in needs.columns:
            shown = row[c] != CONFIDENTIAL and dens[c] != CONFIDENTIAL
            # A share with its denominator published gives the count; a 'c' share over a
            # published denominator of 10 or more hides a count.
            value = round(float(row[c]) * float(dens[c]) / 100) if shown else None
            secret = not shown and dens[c] != CONFIDENTIAL and float(dens[c]) >= 10
            counts[c] = audit.var(("needs", need, c), value, secret)
        audit.total(counts["Total (%)"], [v for c, v in counts.items() if c != "Total (%)"])
    return audit.recovered()


def test_sweep_of_58_snapshots_recovers_no_hidden_count(sample_db):
    with store.connect(sample_db) as con:
        ingest = store.latest_ingest(con)
        first = pd.Timestamp(ingest["date_from"]).date()
        last = pd.Timestamp(ingest["date_to"]).date()
        months = pd.date_range(end=pd.Timestamp(last), periods=4, freq="MS")
        sweep = [
            *periods.years_between(first, last),
            *periods.quarters_between(first, last),
            *(periods.custom(m.date(), (m + pd.offsets.MonthEnd(0)).date()) for m in months),
        ]
        runs = [(p, audience) for p in sweep for audience in snapshot.AUDIENCES]
        assert len(runs) == 58
        leaks = {}
        for period, audience in runs:
            tables, _ = snapshot.preview(con, period, 6, audience)
            found = _audit({t.name: t.frame.astype(object).map(str) for t in tables})
            if found:
                leaks[period.label, audience] = found
    assert leaks == {}


def test_the_workbook_previewed_is_the_one_a_snapshot_would_publish(sample_db):
    # Built from the preview when the Publish page's button is clicked, not from a second
    # build of every table.
    period = periods.parse("2025-26")
    with store.connect(sample_db) as con:
        tables, hidden = snapshot.preview(con, period, 6, "partners")
        ingest = store.latest_ingest(con)
        tally = disclosure.Tally()
        built = snapshot.build_tables(con, period, 6, "partners", tally)
    meta = snapshot._meta(built, tally, period, "partners", 6, ingest)
    expected = snapshot.workbook_bytes(built, meta, snapshot._stamp(ingest))
    assert snapshot.preview_workbook(tables, hidden, period, 6, "partners", ingest) == expected
    assert tally.primary + tally.secondary + tally.rates > 0
