"""The dashboard under streamlit's AppTest: every page runs on the sample store and on an
empty one, and the figures it shows are the metrics engine's for the same filters."""

from __future__ import annotations

import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from ehts_data import charts, explore, formatting, metrics, periods, site, store, text
from ehts_data.disclosure import CONFIDENTIAL
from ehts_data.metrics import Scope
from ehts_data.ui.filters import Filters
from tests.conftest import ROOT

PAGES = [page.file for page in site.PAGES]


def app(monkeypatch, db, **url) -> AppTest:
    """The app after its first run; `url` are query parameters, as in a copied link.

    (AppTest re-runs only the page after the first run with st.navigation, so filters are
    set through the URL here; tests/test_browser.py sets them through the sidebar.)
    """
    monkeypatch.setenv("EHTS_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in url.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def tables_opened(at: AppTest) -> AppTest:
    """The page run again with every chart's "Show as table" open: a chart's table is sent
    to the browser only once it is opened (ui.chart)."""
    for expander in at.expander:
        if expander.label == "Show as table":
            at.session_state[expander.key] = True
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_the_sample_store(monkeypatch, sample_db, page):
    at = app(monkeypatch, sample_db)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value != "No data loaded yet"


@pytest.mark.parametrize("page", PAGES)
def test_page_explains_how_to_load_data_when_there_is_no_store(monkeypatch, tmp_path, page):
    at = app(monkeypatch, tmp_path / "missing.duckdb")
    at.switch_page(page).run()
    assert not at.exception
    assert at.title[0].value == "No data loaded yet"
    assert "ehts ingest" in at.code[0].value


def test_custom_dates_in_the_url_become_a_custom_period(monkeypatch, sample_db):
    at = app(monkeypatch, sample_db, start="2024-01-01", end="2024-02-15")
    at.switch_page("pages/overview.py").run()
    shown = {m.label: m.value for m in at.metric}
    period = periods.custom(periods.date(2024, 1, 1), periods.date(2024, 2, 15))
    assert shown == expected_tiles(sample_db, period, Scope())


def test_a_path_that_is_not_a_store_shows_why_without_the_server_path(monkeypatch, tmp_path):
    foreign = tmp_path / "other-app.duckdb"
    duckdb.connect(str(foreign)).close()
    at = app(monkeypatch, foreign)
    assert at.title[0].value == "No data loaded yet"
    shown = " ".join(e.value for e in at.error)
    assert "another application" in shown
    assert str(tmp_path) not in shown + " ".join(c.value for c in at.code)


def expected_tiles(db, period, scope):
    with store.connect(db) as con:
        heads = explore.headlines(con, period, scope)
    return {
        metrics.REGISTRY[r.metric].title: formatting.headline(r.metric, r.value)
        for r in heads.itertuples()
    }


def test_overview_tiles_equal_the_metrics_engine(monkeypatch, sample_db):
    at = app(monkeypatch, sample_db)
    at.switch_page("pages/overview.py").run()
    shown = {m.label: m.value for m in at.metric}
    assert shown == expected_tiles(sample_db, periods.parse("2025-26"), Scope())


def test_overview_tiles_follow_the_filters_in_the_url(monkeypatch, sample_db):
    at = app(monkeypatch, sample_db, locality="NTH", period="2024-25-Q3")
    assert at.selectbox(key="flt_locality").value == "NTH"
    assert at.radio(key="flt_kind").value == "Quarter"
    at.switch_page("pages/overview.py").run()
    shown = {m.label: m.value for m in at.metric}
    expected = expected_tiles(sample_db, periods.parse("2024-25-Q3"), Scope(locality="NTH"))
    assert shown == expected


def test_overview_tiles_follow_a_small_area_and_carry_the_authoritys_value(monkeypatch, sample_db):
    with store.connect(sample_db) as con:
        area = explore.areas(con).query("locality_id == 'NTH'")["area_code"].iloc[0]
    at = app(monkeypatch, sample_db, locality="NTH", area=area, period="2024-25")
    assert at.selectbox(key="flt_area").value == area
    at.switch_page("pages/overview.py").run()
    shown = {m.label: m.value for m in at.metric}
    year = periods.parse("2024-25")
    assert shown == expected_tiles(sample_db, year, Scope(locality="NTH", area=area))
    assert shown != expected_tiles(sample_db, year, Scope(locality="NTH"))
    # Under each tile, the whole authority's value for the same period.
    with store.connect(sample_db) as con:
        whole = [
            formatting.headline(m, metrics.compute(con, m, year, "none")["value"].iloc[0])
            for m in metrics.HEADLINES
        ]
    references = [c.value for c in at.caption if c.value.startswith("Whole authority")]
    assert references == [text.for_markdown(f"Whole authority: {v}") for v in whole]
    # Survey answers have no small area: the page says the filter is not applied to them.
    assert any("survey answers have no small area" in c.value for c in at.caption)


def test_a_catchment_in_the_url_filters_the_overview_to_the_families_living_there(
    monkeypatch, sample_db
):
    at = app(monkeypatch, sample_db, catchment="NTH-S1", period="2024-25")
    assert at.selectbox(key="flt_catchment").value == "NTH-S1"
    at.switch_page("pages/overview.py").run()
    shown = {m.label: m.value for m in at.metric}
    year = periods.parse("2024-25")
    assert shown == expected_tiles(sample_db, year, Scope(catchment="NTH-S1"))
    assert shown != expected_tiles(sample_db, year, Scope())


def test_demand_table_equals_requests_by_locality(monkeypatch, sample_db):
    at = app(monkeypatch, sample_db)
    at.switch_page("pages/demand.py").run()
    table = tables_opened(at).dataframe[0].value
    with store.connect(sample_db) as con:
        counts = metrics.compute(con, "requests", periods.parse("2025-26"), "locality")
        rates = metrics.compute(con, "requests_per_10k", periods.parse("2025-26"), "locality")
        whole = metrics.compute(con, "requests_per_10k", periods.parse("2025-26"), "none")
    # Every locality, then the whole authority as the reference row.
    assert list(table["Locality"])[-1] == "Whole authority"
    assert list(table["Requests"]) == [*counts["value"], whole["numerator"].iloc[0]]
    assert list(table["Requests per 10,000 children"]) == pytest.approx(
        [*rates["value"], whole["value"].iloc[0]]
    )


def test_service_filter_reaches_episode_metrics(monkeypatch, sample_db):
    at = app(monkeypatch, sample_db, service="targeted_support")
    at.switch_page("pages/steps.py").run()
    assert not at.exception
    with store.connect(sample_db) as con:
        expected = metrics.compute(
            con,
            "step_up_rate",
            periods.parse("2025-26"),
            "locality",
            Scope(service="targeted_support"),
        )
    # share tables in page order: step-down by locality, then step-up by locality
    tables = [d.value for d in tables_opened(at).dataframe if "Share" in d.value.columns]
    step_up = tables[1]
    assert list(step_up["Count"]) == list(expected["numerator"])


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_in_publication_mode(monkeypatch, sample_db, page):
    monkeypatch.setenv("EHTS_PUBLIC", "1")
    at = app(monkeypatch, sample_db, period="2025-26-Q3", hub="NTH-S2")
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]


def test_publish_page_generates_a_snapshot(monkeypatch, sample_db, tmp_path):
    monkeypatch.setenv("EHTS_SNAPSHOTS", str(tmp_path))
    at = app(monkeypatch, sample_db, period="2025-26-Q1")
    at.switch_page("pages/publish.py").run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    folders = list(tmp_path.iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("2025-26-Q1_public_")
    assert (folders[0] / "report.html").exists()


def test_commentary_that_cannot_be_saved_stays_in_the_form_with_the_reason(
    monkeypatch, sample_db, tmp_path
):
    monkeypatch.setenv("EHTS_STATE", str(tmp_path))  # a folder: SQLite cannot open it
    at = app(monkeypatch, sample_db, period="2025-26")
    at.switch_page("pages/scorecard.py").run()
    at.text_area(key="ctext0-requests").input("Re-entry fell in Eastcliff.")
    at.text_input(key="cauthor0").input("Chair")
    next(b for b in at.button if b.label == "Save commentary").click()
    at.run()
    assert not at.exception
    assert any("Not saved" in e.value and "could not be saved" in e.value for e in at.error)
    assert at.text_area(key="ctext0-requests").value == "Re-entry fell in Eastcliff."
    assert at.text_input(key="cauthor0").value == "Chair"


def _save_commentary(at: AppTest, key: str, text: str, author: str | None = None) -> None:
    at.text_area(key=key).input(text)
    if author is not None:
        at.text_input(key=key.replace("ctext", "cauthor").split("-")[0]).input(author)
    next(b for b in at.button if b.label == "Save commentary").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_commentary_is_edited_as_a_new_version_with_the_form_filled_and_history_kept(
    monkeypatch, sample_db, tmp_path
):
    import shutil

    db = tmp_path / "store"
    shutil.copytree(sample_db, db)
    at = app(monkeypatch, db, period="2025-26")
    at.switch_page("pages/scorecard.py").run()
    assert at.text_area(key="ctext0-requests").value == ""  # nothing written yet
    _save_commentary(at, "ctext0-requests", "Step-downs doubled.", "Chair")
    assert any("Saved commentary" in s.value for s in at.success)
    # The form opens again on the same KPI, filled with its latest text to edit.
    assert at.selectbox(key="ckpi1").value == "requests"
    assert at.text_area(key="ctext1-requests").value == "Step-downs doubled."
    assert at.text_input(key="cauthor1").value == "Chair"
    _save_commentary(at, "ctext1-requests", "Step-downs doubled; one hub explains half.")
    latest, history = (d.value for d in at.dataframe if "Commentary" in d.value.columns)
    assert latest["Commentary"].tolist() == ["Step-downs doubled; one hub explains half."]
    assert latest["Edited"].tolist() == ["edited: 2 versions"]
    assert history["Version"].tolist() == [2, 1]
    assert history["Commentary"].tolist() == [
        "Step-downs doubled; one hub explains half.",
        "Step-downs doubled.",
    ]
    assert history["By"].tolist() == ["Chair", "Chair"]
    tiles = " ".join(h.proto.body for h in at.get("html"))
    assert "Chair, " in tiles and "edited, version 2" in tiles
    # Another KPI's form starts empty: its commentary is its own.
    at.selectbox(key="ckpi2").select("requests_rate").run()
    assert at.text_area(key="ctext2-requests_rate").value == ""


def test_a_bad_kpi_registry_is_a_message_on_the_scorecard_without_server_paths(
    monkeypatch, sample_db, tmp_path
):
    monkeypatch.setenv("EHTS_SCORECARD", str(tmp_path))  # a folder
    at = app(monkeypatch, sample_db)
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(c.value for c in at.code)
    assert "is a folder, not a scorecard file" in shown
    assert str(tmp_path.parent) not in shown


def _chart_from_a_raw_frame():
    import pandas as pd

    from ehts_data import charts, ui

    raw = pd.DataFrame({"group": ["a", "b"], "n": [3, 40]})
    ui.chart(charts.bar(raw, "group", "n", title="t", x_title="x", y_title="y"), raw, "raw_chart")


def _chart_from_a_published_frame():
    import pandas as pd

    from ehts_data import charts, ui

    published = ui.publish(pd.DataFrame({"group": ["a", "b"], "n": [3, 40]}), {"n": "count"})
    ui.chart(
        charts.bar(published, "group", "n", title="t", x_title="x", y_title="y"),
        published,
        "published_chart",
    )


def test_publication_mode_refuses_a_chart_drawn_from_a_raw_frame(monkeypatch):
    monkeypatch.setenv("EHTS_PUBLIC", "1")
    at = AppTest.from_function(_chart_from_a_raw_frame, default_timeout=60).run()
    assert at.exception and "publication mode" in at.exception[0].value
    at = AppTest.from_function(_chart_from_a_published_frame, default_timeout=60)
    year = periods.parse("2025-26")
    at.session_state["ehts_filters"] = Filters(year, Scope(), year.start, year.end)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.dataframe  # the table is sent once it is opened
    table = tables_opened(at).dataframe[0].value
    assert list(table["n"]) == [
        CONFIDENTIAL,
        CONFIDENTIAL,
    ]  # 3 is small; 40 would give it away from the total


def test_figures_that_ignore_the_service_filter_say_so_under_the_figure(monkeypatch, sample_db):
    at = app(monkeypatch, sample_db, service="targeted_support")
    at.switch_page("pages/overview.py").run()
    notes = [c.value for c in at.caption if "filter not applied" in c.value]
    # One line for the tiles counting requests, one under the requests chart.
    assert any(
        "Requests for support" in n
        and "requests have no service" in n
        and "Episodes started" not in n
        for n in notes
    ), notes
    assert sum("Service filter not applied: requests have no service." in n for n in notes) == 2
    at.switch_page("pages/steps.py").run()
    assert not [c.value for c in at.caption if "filter not applied" in c.value]
    at = app(monkeypatch, sample_db)
    at.switch_page("pages/overview.py").run()
    assert not [c.value for c in at.caption if "filter not applied" in c.value]


def test_an_authority_with_too_many_small_areas_maps_one_locality(monkeypatch, sample_db):
    # The sample has a few dozen areas per locality; with the limit below that, the Demand page
    # maps no small area for the whole authority and only the chosen locality's otherwise.
    monkeypatch.setattr(charts, "MAP_AREAS_AT_MOST", 5)
    at = app(monkeypatch, sample_db)
    at.switch_page("pages/demand.py").run()
    assert not at.exception
    assert any("too many to draw on one map" in i.value for i in at.info)
    assert any("too many for one funnel plot" in i.value for i in at.info)
    with store.connect(sample_db) as con:
        locality, name = con.execute(
            "select locality_id, locality_name from localities order by 1 limit 1"
        ).fetchone()
    at = app(monkeypatch, sample_db, locality=locality)
    at.switch_page("pages/demand.py").run()
    assert not at.exception
    assert not any("too many to draw" in i.value for i in at.info)
    assert not any("too many for one funnel" in i.value for i in at.info)
    assert any(f"Only {name}'s areas are drawn" in m.value for m in at.markdown)


def test_too_many_small_areas_are_listed_only_within_a_locality(monkeypatch, sample_db):
    # A national extract's 33,264 areas in the sidebar were 1.2 MB sent on every run.
    import importlib

    # The module, not ui.filters(), the function that shadows its name on the package.
    filter_bar = importlib.import_module("ehts_data.ui.filters")
    monkeypatch.setattr(filter_bar, "AREAS_LISTED_AT_MOST", 5)
    at = app(monkeypatch, sample_db)
    assert not [b for b in at.selectbox if b.key == "flt_area"]
    assert any("choose a locality to choose one of its small areas" in c.value for c in at.caption)
    with store.connect(sample_db) as con:
        areas = explore.areas(con).query("locality_id == 'NTH'")["area_code"].tolist()
    # A locality's own areas are listed; an area from a link still chooses its locality.
    at = app(monkeypatch, sample_db, locality="NTH")
    assert len(at.selectbox(key="flt_area").options) == len(areas) + 1  # and "Whole locality"
    at = app(monkeypatch, sample_db, area=areas[0])
    assert at.selectbox(key="flt_locality").value == "NTH"
    assert at.selectbox(key="flt_area").value == areas[0]


def test_board_pack_is_built_when_downloaded_and_kept_until_the_commentary_changes(
    monkeypatch, sample_db, tmp_path
):
    import shutil

    from ehts_data import scorecard
    from ehts_data.ui import data

    db = tmp_path / "store"
    shutil.copytree(sample_db, db)
    monkeypatch.setenv("EHTS_DB", str(db))
    card, period = scorecard.load(), periods.parse("2025-26")
    pack = data.board_pack(card, period)
    assert pack.name == "board-pack-2025-26.html"
    built = pack.html()
    assert built.count(b'class="ehts-tile') >= len(card.kpi)
    # The next run's pack is the same one, served again without building it.
    assert data.board_pack(card, period).html() is built
    scorecard.add_commentary(
        db, "requests", period, "Demand rose in Riverside.", "Chair", card=card
    )
    again = data.board_pack(card, period)
    assert again.key != pack.key
    assert "Demand rose in Riverside." in again.html().decode()


def test_families_by_small_area_keep_areas_of_one_name_apart(monkeypatch, sample_db):
    # The sample has areas of one name in two localities; drawn by name, each pair was one
    # bar (the two areas' counts stacked).
    at = app(monkeypatch, sample_db)
    at.switch_page("pages/equality.py").run()
    at.radio(key="equality_family_by").set_value("area").run()
    assert not at.exception, at.exception
    with store.connect(sample_db) as con:
        areas = explore.areas(con)
    shared = areas[areas["area_name"].duplicated(keep=False)]
    assert len(shared) >= 2
    tables = [d.value for d in tables_opened(at).dataframe]
    family = next(t for t in tables if "Families supported" in t.columns)
    groups = list(family["Group"])
    assert len(groups) == len(set(groups))
    code, name = shared.iloc[0][["area_code", "area_name"]]
    assert f"{name} ({code})" in groups


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_a_period_after_the_data_with_one_hub_chosen(monkeypatch, sample_db, page):
    # Nothing in the period: Outcomes labelled the survey's outcome areas of no rows as a
    # numeric column, which publication refused.
    at = app(monkeypatch, sample_db, start="2027-01-01", end="2027-01-31", hub="NTH-FH")
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_chart_with_nothing_to_show_says_so_instead_of_empty_axes(monkeypatch, sample_db):
    import pandas as pd

    from ehts_data import disclosure
    from ehts_data.ui.layout import _nothing_to_chart

    at = app(monkeypatch, sample_db, start="2027-01-01", end="2027-01-31", hub="NTH-FH")
    at.switch_page("pages/outcomes.py").run()
    assert not at.get("plotly_chart")
    said = [i.value for i in at.info if i.value.startswith("Nothing to chart for 2027")]
    assert len(said) == 5 and all("hub Northgate Family Hub" in s for s in said)
    zeros = pd.DataFrame({"group": ["a", "b"], "n": [0, None], "share": [None, None]})
    assert _nothing_to_chart(zeros) and _nothing_to_chart(zeros.head(0))
    assert not _nothing_to_chart(zeros.assign(n=[0, 1]))
    # A withheld count (1 to K-1) is something: the chart is drawn, the count as c.
    small = disclosure.publish(pd.DataFrame({"group": ["a"], "n": [3]}), {"n": "count"}, 6)
    assert small.frame["n"].isna().all() and not _nothing_to_chart(small)


@pytest.mark.parametrize("public", [False, True])
def test_equality_compares_a_family_share_by_deprivation_only(monkeypatch, sample_db, public):
    if public:
        monkeypatch.setenv("EHTS_PUBLIC", "1")
    at = app(monkeypatch, sample_db)
    at.switch_page("pages/equality.py").run()
    at.selectbox(key="equality_measure").set_value("families_multiple_needs_rate").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("compared by deprivation only" in m.value for m in at.markdown)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    title = [s["layout"]["title"]["text"].replace("<br>", " ") for s in specs]
    drawn = [
        s for s, t in zip(specs, title, strict=True) if "Families with multiple needs, by" in t
    ]
    assert len(drawn) == 1
    assert drawn[0]["layout"]["title"]["text"].replace("<br>", " ").endswith("deprivation decile")
    assert any(t.get("name", "").startswith("All families") for t in drawn[0]["data"])


def test_public_reference_lines_and_funnels_follow_the_tiles_rule(monkeypatch, sample_db):
    # Targeted support, 1-14 August 2024: 3 step-ups of 32 closures. The tiles show c and 32;
    # the Steps charts' authority line once read 9.4% (3 / 32) and the Scorecard's funnel
    # was centred, and titled, on it.
    monkeypatch.setenv("EHTS_PUBLIC", "1")
    at = app(
        monkeypatch, sample_db, start="2024-08-01", end="2024-08-14", service="targeted_support"
    )
    with store.connect(sample_db) as con:
        whole = metrics.compute(
            con,
            "step_up_rate",
            periods.custom(periods.date(2024, 8, 1), periods.date(2024, 8, 14)),
            scope=Scope(service="targeted_support"),
        ).iloc[0]
    assert (whole["numerator"], whole["denominator"]) == (3, 32)
    at.switch_page("pages/steps.py").run()
    assert not at.exception, [e.value for e in at.exception]
    names = [
        t.get("name") or ""
        for c in at.get("plotly_chart")
        for t in json.loads(c.proto.spec)["data"]
    ]
    assert not [n for n in names if n.startswith(f"{charts.AUTHORITY}: 9.4%")]
    at.query_params["funnel_kpi"] = "step_up"
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception, [e.value for e in at.exception]
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert not [s for s in specs if "9.4%" in s["layout"].get("title", {}).get("text", "")]
