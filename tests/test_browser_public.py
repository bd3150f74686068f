"""Publication mode (EHTS_PUBLIC=1) in a real browser, on a deliberately tiny filter (one hub,
one month): what reaches the browser — every chart's plotly data, every tile, every
download and the map — holds no count from 1 to K-1 and no share or rate resting on one.

Needs Debian's /usr/bin/chromium (`make test` installs it); fails, never skips, without it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from ehts_data.disclosure import CONFIDENTIAL, DEFAULT_K, RATE_MIN_DENOMINATOR
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app, settle

K = DEFAULT_K
TINY = "start=2025-12-01&end=2025-12-31&hub=NTH-S2"
# One small area in one month: the smallest cells the area filter makes.
TINY_AREA = "start=2025-12-01&end=2025-12-31&locality=NTH&area=X01000001"
PUBLIC_PAGES = ["", "overview", "demand", "reentry", "steps", "needs", "outcomes", "equality"]
# Columns of a download that are not counts (shares, rates, medians, statistics, years).
NOT_COUNTS = re.compile(
    r"share|percent|per 10,000|per_10|per family|per_family|ratio|differs|median|days|value|"
    r"mean|upper|lower|year|level|position|rag|versus",
    re.I,
)


@pytest.fixture(scope="module")
def public_app(sample_db):
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run tests/setup_browser.sh"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (
        running_app(sample_db, {"EHTS_PUBLIC": "1"}) as base,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Tall enough that every download button of the longest page is on screen.
        page = browser.new_page(viewport={"width": 1400, "height": 7000}, accept_downloads=True)
        yield base, page
        browser.close()


def _number(text):
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return None if isinstance(text, float) and math.isnan(text) else float(text)
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return None


def _small_count(x) -> bool:
    return x is not None and x == int(x) and 1 <= x <= K - 1


def _downloads(page) -> list[list[dict]]:
    tables = []
    # Only the charts' buttons: the hidden ones belong to the tables' own toolbars, and the
    # Scorecard's board pack is no table.
    buttons = page.locator(
        '[data-testid="stDownloadButton"] button:visible', has_text="Download data"
    )
    for i in range(buttons.count()):
        # Scrolled first, as a reader would. Now and then (about one run in three on the
        # longest page) a click on a download button starts no download; a reader clicks
        # again, and so does this test, up to three times, before it fails.
        for attempt in range(3):
            buttons.nth(i).scroll_into_view_if_needed()
            try:
                with page.expect_download(timeout=15_000) as info:
                    buttons.nth(i).click()
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        text = Path(info.value.path()).read_text(encoding="utf-8")
        tables.append(list(csv.DictReader(io.StringIO(text))))
    return tables


RATES = re.compile(r"share|percent|per 10,000|per_10|median|days|^value|mean|upper|lower", re.I)
# A download's column names are machine-readable (ehts_data.export.column_name).
DENOMINATORS = ("out_of", "answers", "assessments", "episodes_closed", "denominator")


def _check_table(rows: list[dict], where: str) -> list[str]:
    """No count from 1 to K-1; no rate, share or median beside a hidden count of its row or
    over a denominator under 10."""
    problems = []
    for row in rows:
        counts = [c for c in row if not NOT_COUNTS.search(c)]
        for col in counts:
            if _small_count(_number(row[col])):
                problems.append(f"{where}: count {row[col]} in column {col!r}")
        for col in (c for c in row if RATES.search(c)):
            if _number(row[col]) is None:
                continue
            if any(row[c] == CONFIDENTIAL for c in counts):
                problems.append(f"{where}: {col} {row[col]} shown beside a hidden count")
            for den in (c for c in DENOMINATORS if c in row):
                n = _number(row[den])
                if n is not None and 0 < n < RATE_MIN_DENOMINATOR:
                    problems.append(f"{where}: {col} {row[col]} over {den} {n}")
    return problems


def _plotted(data: list[dict], layout: dict) -> list[float]:
    """Every number a chart plots as data: bar lengths, line and marker values, heatmap
    cells, Sankey link values, map colours (guide lines and spine positions left out)."""
    out = []
    for trace in data:
        kind = trace.get("type", "scatter")
        if trace.get("hoverinfo") == "skip":
            continue  # limits, means and bands: drawn from the same table, checked there
        if kind == "bar":
            out += trace.get("x" if trace.get("orientation") == "h" else "y") or []
        elif kind == "scatter":
            if (layout.get("xaxis") or {}).get("showticklabels") is False:
                continue  # the spine chart: positions on each row's own scale
            out += [v for axis in ("x", "y") for v in (trace.get(axis) or [])]
        elif kind == "heatmap":
            if trace.get("showscale") is False:
                continue  # the RAG matrix: colour codes; its text comes from the same table
            out += [v for row in trace.get("z") or [] for v in row]
        elif kind == "sankey":
            out += (trace.get("link") or {}).get("value") or []
        elif kind == "choroplethmap":
            out += trace.get("z") or []
    return [n for n in (_number(v) for v in out) if n is not None]


@pytest.mark.parametrize("query", [TINY, TINY_AREA], ids=["hub", "area"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_on_one_hub_or_area_and_one_month_sends_no_small_number(
    public_app, path, query
):
    base, page = public_app
    page.goto(f"{base}/{path}?{query}")
    settle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Dec" in page.locator('[data-testid="stSidebar"]').inner_text() or "2025-12" in (
        page.url
    )
    charts = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map("
        "p => ({data: JSON.parse(JSON.stringify(p.data)), "
        "layout: JSON.parse(JSON.stringify(p.layout))}))"
    )
    tables = _downloads(page)
    assert len(charts) == len(tables) and charts, (len(charts), len(tables))
    problems = []
    for i, (chart, rows) in enumerate(zip(charts, tables, strict=True)):
        title = ((chart["layout"].get("title") or {}).get("text") or f"chart {i}")[:60]
        problems += _check_table(rows, f"download of {title}")
        # Everything the chart plots is a published number of its own download, as the
        # download rounds it (shares as percentages and rates to 1 dp, counts whole).
        shown = {round(n, 9) for r in rows for n in map(_number, r.values()) if n is not None}
        for value in _plotted(chart["data"], chart["layout"]):
            if not {round(value, 9), round(value * 100, 1), round(value, 1), round(value, 4)} & (
                shown
            ):
                problems.append(f"{title}: plots {value}, which its table does not publish")
        for trace in chart["data"]:
            if trace.get("type") == "choroplethmap":
                for feature in trace["geojson"]["features"]:
                    assert set(feature["properties"]) in ({"locality_id"}, {"area_code"})
    tiles = page.locator('[data-testid="stMetricValue"], .ehts-tile .value').all_inner_texts()
    for tile in tiles:
        assert not _small_count(_number(tile)), f"tile shows {tile}"
    assert problems == []


@pytest.mark.parametrize("path", ["data_quality", "publish"])
def test_data_pages_are_not_part_of_the_published_dashboard(public_app, path):
    base, page = public_app
    page.goto(f"{base}/{path}?{TINY}")
    settle(page)
    assert "not part of the published dashboard" in page.inner_text("body")
    assert page.locator(".js-plotly-plot").count() == 0
