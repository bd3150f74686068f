"""The dashboard in a real browser: every page renders its charts with no error, a filter set
through the UI reaches the URL, and accessibility is measured with axe-core.

Needs Debian's /usr/bin/chromium and tests/.vendor/axe.min.js (`make test` installs both via
tests/setup_browser.sh). If they are missing these tests fail; they never skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from ehts_data import site
from tests.browser import ARTIFACTS, AXE, CHROMIUM, CHROMIUM_ARGS, running_app, settle

PAGES = {page.id: page.url_path for page in site.PAGES}


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run tests/setup_browser.sh"
    assert AXE.exists(), "axe-core is not vendored: run tests/setup_browser.sh"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser_page(sample_db, browser):
    with running_app(sample_db) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        yield base, page
        page.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_its_charts_without_error(browser_page, name):
    base, page = browser_page
    page.goto(f"{base}/{PAGES[name]}")
    settle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".js-plotly-plot").count() >= 1
    # every plotly chart drew something (bars, lines, map or sankey)
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map("
        "p => p.querySelectorAll('path, rect, .point, canvas').length)"
    )
    assert drawn and all(n > 0 for n in drawn), drawn
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:10],
        }
        for v in result["violations"]
    ]
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=2))
    # Our own content has no serious or critical violation. Streamlit's page navigation
    # (its list markup) is the framework's, so it is left out here and reported in the file.
    ours = page.evaluate(
        "async () => (await axe.run({exclude: [['[data-testid=\"stSidebarNav\"]']]},"
        " {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"
    )
    assert ours == [], ours


def test_filter_chosen_in_the_sidebar_reaches_the_url(browser_page):
    base, page = browser_page
    page.goto(f"{base}/demand")
    settle(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').nth(1).click()
    page.get_by_role("option", name="Northgate").click()
    settle(page)
    assert "locality=NTH" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    # the URL opens the same view: a fresh session from the link is filtered to Northgate
    page.goto(page.url)
    settle(page)
    assert "locality Northgate" in page.locator('[data-testid="stMain"]').inner_text()
    page.screenshot(path=str(ARTIFACTS / "demand-filtered.png"), full_page=True)


def test_clicking_a_locality_bar_filters_the_page(browser_page):
    base, page = browser_page
    page.goto(f"{base}/demand?period=2025-26")
    settle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    bars = page.locator(".js-plotly-plot").first.locator("g.point path")
    assert bars.count() == 4
    # Plotly's drag layer takes the click, so click where the second bar (Northgate) is drawn.
    box = bars.nth(1).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    settle(page)
    page.wait_for_url("**locality=NTH**", timeout=15_000)
    assert "2025-26 · locality Northgate" in page.locator('[data-testid="stMain"]').inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_copied_link_opens_the_same_view_on_a_fresh_server(sample_db, browser):
    """The first request a new server sees is a deep link to a filtered page."""
    with running_app(sample_db) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{base}/reentry?period=2024-25-Q2&locality=RIV")
        settle(page)
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "2024-25-Q2 · locality Riverside" in main
        assert "Re-entry and re-referral" in main
        page.close()


def test_snapshot_report_renders_every_chart_with_the_network_off(sample_db, browser, tmp_path):
    from ehts_data import periods, snapshot

    folder = snapshot.publish(periods.parse("2025-26"), sample_db, tmp_path, audience="partners")
    tables = json.loads((folder / "manifest.json").read_text())["tables"]
    context = browser.new_context(offline=True, viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((folder / "report.html").as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(tables)}",
        timeout=30_000,
    )
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map("
        "p => p.querySelectorAll('.point, path.bars, .trace').length)"
    )
    assert len(drawn) == len(tables) and all(n > 0 for n in drawn), drawn
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    page.screenshot(path=str(ARTIFACTS / "snapshot-report.png"), full_page=True)
    context.close()


def test_scorecard_page_shows_every_kpi_and_saves_commentary(sample_db, browser, tmp_path):
    """Tiles with RAG words, every chart drawn, and commentary written through the page lands
    in the store while the server holds it open (a private copy of the sample store)."""
    import shutil

    from ehts_data import charts, periods, scorecard, store

    db = tmp_path / "scorecard-store"
    shutil.copytree(sample_db, db)
    card = scorecard.load()
    with running_app(db) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{base}/?period=2025-26")
        settle(page)
        page.wait_for_selector(".ehts-tile", timeout=30_000)
        assert page.locator(".ehts-tile").count() == len(card.kpi)
        tiles = page.locator(".ehts-tiles").inner_text()
        # Every RAG the scorecard gives this period is on a tile (which ones occur depends on
        # the sample, not on the page).
        with store.connect(sample_db) as con:
            rags = {r.rag for r in scorecard.evaluate(con, card, periods.parse("2025-26"))}
        assert len(rags) >= 3
        for rag in rags:
            assert charts.RAG_WORDS[rag] in tiles
        assert page.locator(".ehts-tile img").count() == len(card.kpi)  # sparklines
        main = page.locator('[data-testid="stMain"]')
        for heading in ("Against published benchmarks", "Localities", "Comparing localities"):
            assert heading in main.inner_text()
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5", timeout=30_000
        )
        assert page.locator('[data-testid="stException"]').count() == 0
        for i, name in enumerate(("spine", "needs", "matrix", "funnel", "spc")):
            plot = page.locator(".js-plotly-plot").nth(i)
            plot.scroll_into_view_if_needed()
            plot.screenshot(path=str(ARTIFACTS / f"scorecard-{name}.png"))
        # Commentary through the form goes to the state database while the server reads.
        form = page.locator('[data-testid="stForm"]')
        form.scroll_into_view_if_needed()
        form.get_by_label("Commentary").fill("Step-ups rose in Riverside; audit booked.")
        form.get_by_label("Your name").fill("Test Analyst")
        form.get_by_role("button", name="Save commentary").click()
        settle(page)
        # st.dataframe draws on a canvas; its accessible grid cells exist but are hidden.
        page.wait_for_selector("text=Test Analyst", state="attached", timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
    with store.connect(db) as con:
        saved = scorecard.commentary(con, periods.parse("2025-26"))
    assert saved["author"].tolist() == ["Test Analyst"]


def test_board_pack_opens_with_the_network_off(sample_db, browser, tmp_path):
    from ehts_data import board, periods, scorecard, store

    with store.connect(sample_db) as con:
        paths = board.write_pack(
            con, scorecard.load(), periods.parse("2025-26"), tmp_path, pdf=False
        )
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(paths["html"].as_uri())
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=30_000
    )
    assert page.locator(".ehts-tile").count() == len(scorecard.load().kpi)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    page.screenshot(path=str(ARTIFACTS / "board-pack.png"), full_page=True)
    context.close()


def test_a_running_dashboard_shows_a_new_ingest_on_its_next_rerun_and_publishes_it(
    browser, tmp_path
):
    """The dashboard keeps the extract open; an analyst loads the next one. The same page after
    one rerun, and a new session, show the new figures and fingerprint, and Publish publishes
    the new extract (engineering-notes: one DuckDB instance per path per process)."""
    from ehts_data import ingest
    from tests.conftest import SAMPLE, write_extract

    db = tmp_path / "store"
    small = write_extract(
        tmp_path / "small",
        requests__csv="""
            request_id,child_id,received_date,source,hub_id,decision
            R1,C1,2024-05-01,school,H1,early_help
        """,
    )
    first = ingest.ingest(small, db)
    env = {"EHTS_SNAPSHOTS": str(tmp_path / "snapshots")}
    with running_app(db, env) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{base}/data_quality")
        settle(page)
        main = page.locator('[data-testid="stMain"]')
        page.wait_for_selector(f"text={first.fingerprint}", timeout=60_000)
        second = ingest.ingest(SAMPLE, db)  # another process than the server's
        assert second.fingerprint != first.fingerprint
        main.locator("h1").first.click()
        page.keyboard.press("r")  # Streamlit's rerun key: one rerun of the same session
        page.wait_for_selector(f"text={second.fingerprint}", timeout=60_000)
        settle(page)
        assert first.fingerprint not in main.inner_text()
        fresh = browser.new_page(viewport={"width": 1400, "height": 1600})
        fresh.goto(f"{base}/overview?period=2024-25")
        settle(fresh)
        fresh.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
        tiles = fresh.locator('[data-testid="stMetric"]').first.inner_text()
        assert tiles.split()[-1] not in ("0", "1"), tiles  # the sample's requests, not the one
        fresh.goto(f"{base}/publish?period=2024-25")
        settle(fresh)
        fresh.get_by_role("button", name="Generate snapshot").click()
        fresh.wait_for_selector("text=/Snapshot \\S+ published/", timeout=120_000)
        assert second.fingerprint in fresh.locator('[data-testid="stMain"]').inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
        fresh.close()
        page.close()
    folders = [p.name for p in (tmp_path / "snapshots").iterdir()]
    assert len(folders) == 1 and folders[0].endswith(second.fingerprint)


def test_a_deep_link_as_the_first_request_to_a_new_server_gets_the_filter_bar(sample_db, browser):
    """Streamlit serves a first request for a page from the older pages/-folder mode, which
    skips app.py (ui.filters._run_through_app turns it off); without that the sidebar has no
    filters and the link's period is lost."""
    with running_app(sample_db) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{base}/steps?period=2024-25-Q2")
        settle(page)
        page.wait_for_selector("h1", timeout=60_000)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        # app.py's navigation (titles from the registry), not the folder's file names
        assert "Re-entry and re-referral" in sidebar and "Hub or team" in sidebar
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "Step-up and step-down" in page.locator("h1").first.inner_text()
        assert "2024-25-Q2" in main
        assert "period=2024-25-Q2" in page.url
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()


def test_the_scorecard_opens_on_its_exceptions_and_a_tile_drills_through_with_its_filters(
    browser_page,
):
    from ehts_data import periods, scorecard, store
    from tests.conftest import ROOT  # noqa: F401  (the sample store is the module's)

    base, page = browser_page
    page.goto(f"{base}/?period=2025-26&locality=RIV")
    settle(page)
    page.wait_for_selector(".ehts-exceptions", timeout=30_000)
    summary = page.locator(".ehts-exceptions")
    red, amber = int(summary.get_attribute("data-red")), int(summary.get_attribute("data-amber"))
    assert page.locator(".ehts-exceptions tbody tr").count() == red + amber
    if red + amber:
        assert f"Exceptions: {red} red, {amber} amber" in summary.inner_text()
    # The summary comes before the tiles.
    assert (
        page.locator(".ehts-exceptions").bounding_box()["y"]
        < (page.locator(".ehts-tile").first.bounding_box()["y"])
    )
    page.screenshot(path=str(ARTIFACTS / "scorecard-top.png"))
    link = page.locator('.ehts-tile[data-kpi="re_entry"] h3 a')
    assert link.get_attribute("href") == "./reentry?period=2025-26&locality=RIV"
    link.click()
    page.wait_for_url("**/reentry?**", timeout=15_000)
    settle(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Re-entry and re-referral" in main and "2025-26 · locality Riverside" in main
    assert page.locator('[data-testid="stException"]').count() == 0
    del periods, scorecard, store


def test_an_in_page_widget_is_kept_in_the_url_and_a_copied_link_reopens_it(browser_page):
    base, page = browser_page
    page.goto(f"{base}/?period=2025-26")
    settle(page)
    page.wait_for_selector(".ehts-tile", timeout=30_000)
    choice = page.get_by_label("KPI for the SPC chart")
    choice.scroll_into_view_if_needed()
    page.locator(
        '[data-testid="stSelectbox"]', has=page.get_by_text("KPI for the SPC chart")
    ).click()
    page.get_by_role("option", name="Re-entry within 12 months").click()
    settle(page)
    assert "spc_kpi=re_entry" in page.url and "period=2025-26" in page.url
    page.goto(page.url)  # a fresh session from the copied link
    settle(page)
    page.wait_for_selector(".ehts-tile", timeout=30_000)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5", timeout=30_000
    )
    titles = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".map(p => ((p.layout.title || {}).text || '').replaceAll('<br>', ' '))"
    )
    assert any("Re-entry within 12 months" in t and "by month" in t for t in titles), titles
    assert "spc_kpi=re_entry" in page.url
    page.goto(f"{base}/?period=2025-26&spc_kpi=nonsense&locality=ZZZ")
    settle(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "The link asked for locality 'ZZZ' (no such locality)" in main
    assert "The link asked for spc kpi nonsense" in main
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_period_with_no_data_says_so_on_the_board(browser_page):
    base, page = browser_page
    page.goto(f"{base}/overview?start=2027-01-01&end=2027-03-31")
    settle(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "No requests in this period" in main
    assert "starts after the data ends" in main
    assert "-100%" not in main and "−100%" not in main
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "overview-empty.png"), full_page=True)
    page.goto(f"{base}/?start=2027-01-01&end=2027-03-31")
    settle(page)
    page.wait_for_selector(".ehts-tile", timeout=30_000)
    tiles = page.locator(".ehts-tiles").inner_text()
    assert "No requests in this period" in tiles and "100%" not in tiles
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_link_with_dates_the_filter_cannot_take_says_so_instead_of_failing(browser_page):
    base, page = browser_page
    page.goto(f"{base}/overview?start=2040-01-01&end=2040-03-31")
    settle(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "The link asked for dates 2040-01-01 to 2040-03-31" in main
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_publish_page_builds_its_workbook_when_the_button_is_clicked(browser_page, tmp_path):
    from openpyxl import load_workbook

    base, page = browser_page
    page.goto(f"{base}/publish?period=2025-26")
    settle(page)
    button = page.get_by_role("button", name="Download the workbook (Excel)")
    with page.expect_download(timeout=60_000) as info:
        button.click()
    assert info.value.suggested_filename == "ehts_tables_2025-26_public_K6.xlsx"
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    workbook = load_workbook(saved)
    assert workbook.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert len(workbook.sheetnames) > 3
    assert page.locator('[data-testid="stException"]').count() == 0
