"""A coordinator in a real browser: choose a locality, then click a small area on the map, an
area in the funnel plot and a catchment in its chart; the URL, the filter bar and the charts
follow, and every chart sets the chosen place against the whole authority.

Needs Debian's /usr/bin/chromium (`make test` installs it). If it is missing these tests fail;
they never skip.
"""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from tests.browser import ARTIFACTS, running_app, settle
from tests.conftest import SAMPLE
from tests.test_browser import browser  # noqa: F401 (the shared Chromium fixture)

AREAS = {r["area_code"]: r for r in csv.DictReader(open(SAMPLE / "areas.csv"))}
HUBS = {r["hub_id"]: r for r in csv.DictReader(open(SAMPLE / "hubs.csv"))}
MAPS = {"demand_map", "demand_area_map"}  # coloured by rate: the reference is on the colour bar

# Each chart's key, its trace names, its heatmap labels and its title, from plotly's figure.
FIGURES = """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].map(p => {
    const holder = p.closest('[class*="st-key-"]');
    const key = holder ? [...holder.classList].find(c => c.startsWith('st-key-')).slice(7) : '';
    return [key, {
        names: p.data.map(t => t.name || ''),
        labels: p.data.flatMap(t => t.type === 'heatmap' ? [...t.x, ...t.y].map(String) : []),
        ticks: p.data.flatMap(t => (t.colorbar && t.colorbar.ticktext) || []).map(String),
        bars: p.data.flatMap(t => t.type === 'bar' ? [...(t.orientation === 'h' ? t.y : t.x)] : [])
            .map(String),
        ranges: p.data.filter(t => t.zmin !== undefined).map(t => [t.zmin, t.zmax]),
        title: ((p.layout.title && p.layout.title.text) || '').replaceAll('<br>', ' '),
    }];
}))"""


def figures(page) -> dict:
    return page.evaluate(FIGURES)


def wait_for_trace(page, key: str, name: str) -> None:
    """Wait until the chart with this key has redrawn with a trace of this name (plotly may
    redraw a moment after Streamlit's run has finished)."""
    page.wait_for_function(
        """([key, name]) => {
            const p = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            return p && p.data && p.data.some(t => t.name === name);
        }""",
        arg=[key, name],
        timeout=30_000,
    )


def wait_for_title(page, key: str, text: str) -> None:
    """Wait until the chart with this key has redrawn with this text in its title."""
    page.wait_for_function(
        """([key, text]) => {
            const p = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            return p && p.layout && p.layout.title
                && p.layout.title.text.replaceAll('<br>', ' ').includes(text);
        }""",
        arg=[key, text],
        timeout=30_000,
    )


def with_authority(figure: dict) -> bool:
    """The chart names the whole authority: a trace, a heatmap column, a bar, a colour-bar
    tick or (a grid of the authority's own) its title."""
    title = re.sub(r"<[^>]+>", "", figure["title"])  # titles are drawn in bold
    return any(
        n.startswith("Whole authority")
        for n in [*figure["names"], *figure["labels"], *figure["bars"], *figure["ticks"], title]
    )


def query(page) -> dict:
    from urllib.parse import parse_qs, urlparse

    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def sidebar_choice(page, label: str) -> str:
    """The value shown in the sidebar's selectbox with this label."""
    return page.locator(f'[data-testid="stSidebar"] input[aria-label="{label}"]').input_value()


def click_centre(page, locator) -> None:
    # Plotly's drag layer takes the click, so click where the point is drawn.
    box = locator.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def click_map(page, key: str, point, wanted: str) -> None:
    """Click the map with this key at point(step) (page pixels) until the URL has `wanted`."""
    page.locator(f".st-key-{key} .js-plotly-plot").scroll_into_view_if_needed()
    page.wait_for_timeout(2000)
    # The map takes a click once it has seen the pointer: a first click may only wake it.
    for step in range(4):
        x, y = point(step)
        page.mouse.move(x - 5, y - 5)
        page.wait_for_timeout(300)
        page.mouse.move(x, y)
        page.wait_for_timeout(500)
        page.mouse.click(x, y)
        page.wait_for_timeout(1000)
        settle(page)
        if wanted in query(page):
            return


@pytest.fixture(scope="module")
def places_page(sample_db, browser):  # noqa: F811
    with running_app(sample_db) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        yield base, page
        page.close()


def test_choosing_a_locality_then_an_area_on_the_map_filters_the_url_the_filters_and_charts(
    places_page,
):
    base, page = places_page
    page.goto(f"{base}/demand?period=2025-26")
    settle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "places-demand-authority.png"), full_page=True)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').nth(1).click()
    page.get_by_role("option", name="Northgate").click()
    settle(page)
    assert query(page) == {"period": "2025-26", "locality": "NTH"}
    charts = figures(page)
    # Every chart but the maps carries the whole authority (a trace named for it).
    missing = [k for k, f in charts.items() if not with_authority(f)]
    assert missing == [] and len(charts) >= 12, (missing, list(charts))
    # The maps name the authority's rate on their colour bars, within the bar's range.
    for key in MAPS:
        assert any(t.startswith("Whole authority: ") for t in charts[key]["ticks"]), key
    assert "Northgate" in charts["demand_catchments"]["names"][2]  # the locality's own line
    page.screenshot(path=str(ARTIFACTS / "places-demand-locality.png"), full_page=True)

    the_map = page.locator(".st-key-demand_area_map .js-plotly-plot")

    def inside(step: int) -> tuple[float, float]:
        box = the_map.bounding_box()
        return (
            box["x"] + box["width"] * (0.3 + 0.03 * step),
            box["y"] + box["height"] * (0.4 + 0.03 * step),
        )

    click_map(page, "demand_area_map", inside, "area")
    chosen = query(page)
    area = AREAS[chosen["area"]]
    assert chosen["locality"] == area["locality_id"] == "NTH"
    assert sidebar_choice(page, "Small area") == area["area_name"]
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert f"locality Northgate · area {area['area_name']}" in main  # names, not codes
    wait_for_trace(page, "demand_area_funnel", f"Chosen: {area['area_name']}")
    wait_for_title(page, "demand_monthly", area["area_name"])
    wait_for_title(page, "demand_by_decision", "(share)")
    charts = figures(page)
    # Views that can follow a small area do: the monthly requests are the area's own.
    assert area["area_name"] in charts["demand_monthly"]["title"]
    assert f"share of {area['area_name']}'s requests" in charts["demand_by_hub"]["title"]
    assert [k for k, f in charts.items() if k not in MAPS and not with_authority(f)] == []
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "places-demand-area.png"), full_page=True)


def test_clicking_an_area_in_the_funnel_and_a_catchment_filters_the_page(places_page):
    base, page = places_page
    page.goto(f"{base}/demand?period=2025-26&locality=NTH")
    settle(page)
    page.wait_for_selector(".st-key-demand_area_funnel .js-plotly-plot", timeout=30_000)
    funnel = page.locator(".st-key-demand_area_funnel .js-plotly-plot")
    funnel.scroll_into_view_if_needed()
    click_centre(page, funnel.locator("g.points path.point").first)
    settle(page)
    page.wait_for_url("**area=**", timeout=15_000)
    settle(page)
    area = AREAS[query(page)["area"]]
    assert area["locality_id"] == "NTH"
    assert sidebar_choice(page, "Small area") == area["area_name"]
    wait_for_trace(page, "demand_area_funnel", f"Chosen: {area['area_name']}")

    catchments = page.locator(".st-key-demand_catchments .js-plotly-plot")
    catchments.scroll_into_view_if_needed()
    click_centre(page, catchments.locator("g.points path.point").first)
    settle(page)
    page.wait_for_url("**catchment=**", timeout=15_000)
    settle(page)
    chosen = query(page)
    hub = HUBS[chosen["catchment"]]
    assert hub["locality_id"] == chosen["locality"] == "NTH" and "hub" not in chosen
    assert sidebar_choice(page, "Hub catchment") == hub["hub_name"]
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert f"catchment of {hub['hub_name']}" in main
    wait_for_trace(page, "demand_catchments", f"Chosen: {hub['hub_name']}")
    charts = figures(page)
    assert "Whole authority" in charts["demand_catchments"]["names"][-2]
    assert page.locator('[data-testid="stException"]').count() == 0


# Where a point of a map is on the page, in pixels (plotly draws maps on a canvas).
MAP_POINT = """([key, lon, lat]) => {
    const map = document.querySelector(`.st-key-${key} .js-plotly-plot`)._fullLayout.map._subplot.map;
    const point = map.project([lon, lat]);
    const box = map.getContainer().getBoundingClientRect();
    return [box.x + point.x, box.y + point.y];
}"""
# The areas a map outlines most thickly (the chosen ones).
OUTLINED = """(key) => {
    const p = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    const shapes = p.data.find(t => t.type === 'choroplethmap');
    const widths = shapes.marker.line.width;
    const most = Math.max(...widths);
    return shapes.locations.filter((_, i) => widths[i] === most);
}"""


def click_family_hub(page, link: str, key: str, locality: str) -> dict:
    """Open the link, click the locality's family hub on the map with this key until a
    catchment is chosen, and return the hub (its row of hubs.csv)."""
    hub = next(
        h for h in HUBS.values() if h["locality_id"] == locality and h["hub_type"] == "family_hub"
    )
    page.goto(link)
    settle(page)
    page.wait_for_selector(f".st-key-{key} .js-plotly-plot", timeout=30_000)
    where = [key, float(hub["longitude"]), float(hub["latitude"])]
    click_map(page, key, lambda step: page.evaluate(MAP_POINT, where), "catchment")
    return hub


def test_clicking_a_hub_on_the_small_area_map_chooses_its_catchment(places_page):
    base, page = places_page
    link = f"{base}/demand?period=2025-26&locality=NTH"
    hub = click_family_hub(page, link, "demand_area_map", "NTH")
    # The hub's catchment, not the hub (which is where requests were received, not where
    # families live), and no area.
    assert query(page) == {"period": "2025-26", "locality": "NTH", "catchment": hub["hub_id"]}
    assert sidebar_choice(page, "Hub catchment") == hub["hub_name"]
    assert sidebar_choice(page, "Hub or team") == "All hubs and teams"
    assert sidebar_choice(page, "Small area") == "Whole locality"
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert f"catchment of {hub['hub_name']}" in main
    wait_for_trace(page, "demand_catchments", f"Chosen: {hub['hub_name']}")
    wait_for_title(page, "demand_by_hub", f"share of {hub['hub_name']} catchment's requests")
    # The map outlines the catchment's areas (areas.csv: those whose hub it is).
    catchment = sorted(a for a, r in AREAS.items() if r["hub_id"] == hub["hub_id"])
    assert sorted(page.evaluate(OUTLINED, "demand_area_map")) == catchment
    charts = figures(page)
    assert [k for k, f in charts.items() if k not in MAPS and not with_authority(f)] == []
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "places-demand-hub-catchment.png"), full_page=True)


def test_clicking_a_hub_on_the_localities_map_chooses_its_catchment_and_locality(places_page):
    base, page = places_page
    hub = click_family_hub(page, f"{base}/demand?period=2025-26", "demand_map", "EST")
    assert query(page) == {"period": "2025-26", "locality": "EST", "catchment": hub["hub_id"]}
    assert sidebar_choice(page, "Locality") == "Eastcliff"
    assert sidebar_choice(page, "Hub catchment") == hub["hub_name"]
    wait_for_trace(page, "demand_catchments", f"Chosen: {hub['hub_name']}")
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize(
    "link, refused",
    [
        ("locality=NTH&area=NOPE", "small area 'NOPE' (no such small area)"),
        ("locality=NTH&area=X01000150", "small area 'X01000150' (not an area of locality 'NTH')"),
        ("locality=NOWHERE", "locality 'NOWHERE' (no such locality)"),
        (
            "locality=NTH&catchment=EST-FH",
            "catchment 'EST-FH' (no hub with a catchment in the locality chosen)",
        ),
    ],
)
def test_a_link_with_a_place_not_in_the_data_is_refused_with_a_notice(
    sample_db,
    browser,  # noqa: F811
    link,
    refused,
):
    assert AREAS["X01000150"]["locality_id"] != "NTH"
    with running_app(sample_db) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{base}/demand?period=2025-26&{link}")
        settle(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert f"The link asked for {refused}: not applied" in main
        assert "area" not in query(page) and "catchment" not in query(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()


@pytest.mark.parametrize(
    "page_id, keys",
    [
        (
            "needs",
            [
                "needs_prevalence",
                "needs_groups",
                "needs_by_locality",
                "needs_cooccurrence_authority",
                "needs_thrive",
            ],
        ),
        (
            "steps",
            [
                "steps_flow_shares",
                "steps_step_down_rate_locality",
                "steps_step_up_rate_hub",
                "steps_trend",
                "steps_timing",
            ],
        ),
        (
            "reentry",
            ["reentry_re_entry_12m_rate_locality", "reentry_trend", "reentry_previous_closure"],
        ),
        (
            "outcomes",
            [
                "outcomes_closures",
                "outcomes_median_days",
                "outcomes_survey_areas",
                "outcomes_survey_hubs",
                "outcomes_survey_monthly",
            ],
        ),
        ("overview", ["overview_requests_by_quarter"]),
        (
            "equality",
            [
                "equality_age_band",
                "equality_families_locality",
                "equality_family_rates_locality",
                "equality_family_trend",
            ],
        ),
    ],
)
def test_analysis_pages_set_the_chosen_locality_against_the_whole_authority(
    places_page, page_id, keys
):
    base, page = places_page
    page.goto(f"{base}/{page_id}?period=2025-26&locality=NTH")
    settle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    settle(page)
    charts = figures(page)
    assert [k for k in keys if not with_authority(charts[k])] == []
    if page_id == "equality":
        # The legend names the locality, not "this council" or "all children".
        assert any(n.startswith("Northgate, all children") for n in charts[keys[0]]["names"])
    if page_id == "outcomes":
        assert "Northgate" in charts["outcomes_survey_monthly"]["names"]
    if page_id == "needs":
        # The authority's co-occurrence grid beside the locality's, named for each.
        assert charts["needs_cooccurrence"]["names"] == ["Northgate"]
        assert "Whole authority: " in charts["needs_cooccurrence_authority"]["title"]
    if page_id == "steps":
        assert charts["steps_flow_shares"]["names"] == ["", "Whole authority"]
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / f"places-{page_id}-locality.png"), full_page=True)


# A chart's horizontal bars: their lengths by their labels (over every bar trace; plotly
# keeps numbers sent as typed arrays under _inputArray).
BAR_VALUES = """(key) => {
    const p = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    const at = (a, i) => (a && a._inputArray ? a._inputArray[i] : a[i]);
    return Object.fromEntries(p.data.filter(t => t.type === 'bar' && t.orientation === 'h')
        .flatMap(t => Array.from(t.y, (label, i) => [String(label), at(t.x, i)])));
}"""


def choose(page, label: str, option: str) -> None:
    """Choose an option of the sidebar's selectbox with this label, by typing its name."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has=page.locator(f'input[aria-label="{label}"]')
    )
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def go_to(page, title: str) -> None:
    """Open another page through the sidebar's navigation (the session keeps the filters)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    settle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    settle(page)


def test_a_locality_then_a_small_area_chosen_in_the_sidebar_follow_onto_other_pages(
    places_page, sample_db
):
    from ehts_data import explore, formatting, metrics, periods, store

    base, page = places_page
    code = next(c for c, a in AREAS.items() if a["locality_id"] == "NTH")
    name = AREAS[code]["area_name"]
    year = periods.parse("2024-25")
    scope = metrics.Scope(locality="NTH", area=code)
    with store.connect(sample_db) as con:
        requests = metrics.compute(con, "requests", year, "none", scope)["value"].iloc[0]
        whole = metrics.compute(con, "requests", year, "none")["value"].iloc[0]
        needs = explore.need_prevalence_by(con, "all", year, scope)
        step_up = metrics.compute(con, "step_up_rate", year, "hub", scope)
        names = explore.group_names(con)
    page.goto(f"{base}/overview?period=2024-25")
    settle(page)
    choose(page, "Locality", "Northgate")
    choose(page, "Small area", name)
    assert query(page) == {"period": "2024-25", "locality": "NTH", "area": code}
    # The Overview's tiles are the area's, each with the authority's value under it.
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="Requests for support")
    assert tile.locator('[data-testid="stMetricValue"]').inner_text() == formatting.headline(
        "requests", requests
    )
    box = page.locator('[data-testid="stColumn"]').filter(has=tile).last
    assert f"Whole authority: {formatting.headline('requests', whole)}" in box.inner_text()
    page.screenshot(path=str(ARTIFACTS / "places-area-overview.png"), full_page=True)

    for title, page_id in (("Needs analysis", "needs"), ("Step-up and step-down", "steps")):
        go_to(page, title)
        assert query(page) == {"period": "2024-25", "locality": "NTH", "area": code}
        assert sidebar_choice(page, "Small area") == name
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert f"locality Northgate · area {name}" in main
        charts = figures(page)
        # Each chart carries the authority but two, which have a chart of it beside them: the
        # needs-together grid (the authority's grid) and the flow (each link's share of it).
        lacking = [k for k, f in charts.items() if not with_authority(f)]
        beside = {"needs": "needs_cooccurrence", "steps": "steps_flow"}[page_id]
        assert lacking == [beside] and {f"{beside}_authority", f"{beside}_shares"} & set(charts)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / f"places-area-{page_id}.png"), full_page=True)
    # The charts follow the area: the Steps page's step-ups by hub are the area's families'
    # (the last page opened), and the Needs page's shares were the area's assessments'.
    shown = page.evaluate(BAR_VALUES, "steps_step_up_rate_hub")
    expected = {
        names["hub"].get(g, formatting.label(g)): v
        for g, v in zip(step_up["group"], step_up["value"], strict=True)
    }
    assert {k: v for k, v in shown.items() if v is not None} == pytest.approx(
        {k: float(v) for k, v in expected.items() if not pd.isna(v)}
    )
    go_to(page, "Needs analysis")
    shown = page.evaluate(BAR_VALUES, "needs_prevalence")
    assert shown == pytest.approx(
        {formatting.label(n): s for n, s in zip(needs["need"], needs["share"], strict=True)}
    )
