"""Text from the data is text: hostile names (markup, Markdown images, spreadsheet formulas,
control characters) are shown as written on every page, in the board pack, in report.html
and in every published file, and never evaluated."""

from __future__ import annotations

import csv
import json
import re
import shutil

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from ehts_data import board, ingest, periods, scorecard, snapshot, store, text
from tests.conftest import ROOT, SAMPLE

PERIOD = periods.parse("2025-26-Q2")
NAMES = {
    "NTH": "<img src=x onerror=alert(1)>",
    "RIV": '=HYPERLINK("http://127.0.0.1:9/x","Riverside")',
    "EST": "![x](http://127.0.0.1:9/x.png)",
    "WST": '<a href="http://127.0.0.1:9/">Westbrook</a> & <b>bold</b>',
}
HUBS = {
    "NTH-FH": "+SUM(1,2)",
    "NTH-S1": "@cmd|' /C calc'!A0",
    "NTH-S2": "-2+3 <script>alert(1)</script>",
}
# Markup that must never reach a page, a report or a chart live.
HTML_LIVE = ("<img src=x", "<a href=", "<b>bold</b>", "<script>alert")
LIVE = (*HTML_LIVE, "![x](http")  # the image link only matters where Markdown is rendered
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory):
    """The sample with hostile locality and hub names, an extra column whose header is a
    Markdown image, and (written straight into the store, as an older ingest might have
    left them) control characters in a name."""
    source = tmp_path_factory.mktemp("hostile") / "extract"
    shutil.copytree(SAMPLE, source)
    for file, column, names in (
        ("localities.csv", "locality_name", NAMES),
        ("hubs.csv", "hub_name", HUBS),
    ):
        df = pd.read_csv(source / file, dtype=str, keep_default_na=False)
        key = df.columns[0]
        df[column] = [names.get(i, n) for i, n in zip(df[key], df[column], strict=True)]
        df.to_csv(source / file, index=False)
    families = pd.read_csv(source / "families.csv", dtype=str, keep_default_na=False)
    families["![x](http://127.0.0.1:9/col.png)"] = ""
    families.to_csv(source / "families.csv", index=False)
    db = source.parent / "ehts.duckdb"
    ingest.ingest(source, db)
    # Straight into the current extract file, as an ingest from before the check left it.
    with duckdb.connect(str(store.current_version(db))) as con:
        con.execute(
            "update hubs set hub_name = 'Riverside\x07 Hub\x1b[31m\x01' where hub_id = 'RIV-FH'"
        )
    return db


def outside_scripts(html: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.S)


def test_escapes_for_each_place():
    assert text.for_plotly("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert "](" not in text.for_markdown("![x](http://h/x.png)")
    assert text.for_spreadsheet("=1+1") == "'=1+1"
    assert text.for_spreadsheet("\tx") == "'\tx"
    assert text.for_spreadsheet("a\x07b") == "a\ufffdb"
    assert text.for_spreadsheet(-3) == -3 and text.for_spreadsheet(-2.5) == -2.5
    csv_text = text.csv_bytes(pd.DataFrame({"=x": ["@a", "ok"], "n": [-1, 2]})).decode()
    assert csv_text.splitlines() == ["'=x,n", "'@a,-1", "ok,2"]


@pytest.fixture(scope="module")
def hostile_snapshot(hostile_db, tmp_path_factory):
    return snapshot.publish(
        PERIOD, hostile_db, tmp_path_factory.mktemp("snap"), audience="partners"
    )


def test_snapshot_is_written_whatever_the_stored_text(hostile_snapshot):
    names = {p.name for p in hostile_snapshot.iterdir()}
    assert {"tables.xlsx", "report.html", "manifest.json"} <= names


def test_no_cell_of_tables_xlsx_is_a_formula(hostile_snapshot):
    wb = load_workbook(hostile_snapshot / "tables.xlsx")
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen.add(cell.value)
                    assert not cell.value.startswith(FORMULA_START), cell.value
    assert "'" + NAMES["RIV"] in seen  # written, as text
    assert any(v.startswith("'+SUM") for v in seen)


def test_no_csv_cell_starts_a_formula_unless_it_is_a_number(hostile_snapshot):
    for path in hostile_snapshot.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if cell.startswith(FORMULA_START):
                        float(cell)  # a negative number is a number, not text


def test_report_html_shows_names_as_text(hostile_snapshot, hostile_db):
    report = (hostile_snapshot / "report.html").read_text(encoding="utf-8")
    body = outside_scripts(report)
    for live in HTML_LIVE:
        assert live not in body, live
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    with store.connect(hostile_db) as con:
        tables, _ = snapshot.preview(con, PERIOD, 6, "partners")
    for table in tables:
        figure = json.dumps(table.figure.to_plotly_json())
        for live in HTML_LIVE:
            assert live not in figure, (table.name, live)


def test_board_pack_shows_names_as_text(hostile_db):
    card = scorecard.load()
    with store.connect(hostile_db) as con:
        pack = board.pack_html(con, card, periods.parse("2025-26"))
        results = scorecard.evaluate(con, card, periods.parse("2025-26"))
        matrix = scorecard.locality_matrix(
            con, card, periods.parse("2025-26"), scorecard.authority_values(results)
        )
        names = dict(NAMES)
    for live in HTML_LIVE:
        assert live not in outside_scripts(pack), live
    fig = board.matrix_figure(board.matrix_published(matrix, 6, names), card, names, PERIOD)
    assert "&lt;img src=x" in json.dumps(fig.to_plotly_json())
    assert "<img src=x" not in json.dumps(fig.to_plotly_json())


PAGES = [
    "pages/scorecard.py",
    "pages/overview.py",
    "pages/demand.py",
    "pages/reentry.py",
    "pages/steps.py",
    "pages/needs.py",
    "pages/outcomes.py",
    "pages/data_quality.py",
    "pages/publish.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_hostile_names_as_text(monkeypatch, hostile_db, page):
    monkeypatch.setenv("EHTS_DB", str(hostile_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["locality"] = "NTH"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    shown += (
        [e.value for e in at.warning] + [e.value for e in at.error] + [e.value for e in at.info]
    )
    for body in shown:
        for live in LIVE:
            assert live not in body, (live, body)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert charts
    for spec in charts:
        for live in HTML_LIVE:
            assert live not in json.dumps(spec), (page, live)
