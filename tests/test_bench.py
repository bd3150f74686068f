"""The benchmark runs at council scale (a smoke test: speed is never asserted), and the pandas
baseline it compares against gives the same numbers as the metrics engine."""

from __future__ import annotations

import json

import pytest

from ehts_data import bench, metrics, periods, site, store


def test_bench_runs_at_council_scale_and_writes_json_and_markdown(tmp_path):
    result = bench.run("la", tmp_path / "work", repeats=2, say=lambda _: None)
    bench.write(result, tmp_path / "out" / "la.json")
    saved = json.loads((tmp_path / "out" / "la.json").read_text())
    assert saved["rows"]["requests.csv"] > 20_000
    assert set(saved["pages"]) == set(site.PAGE_DATA)
    assert saved["machine"]["calibration_ms"] > 0
    assert len(saved["metrics"]) == sum(len(m.breakdowns) for m in metrics.METRICS)
    assert "| page | data cold ms |" in (tmp_path / "out" / "la.md").read_text()
    # Every page timed in Chromium, cold and warm, with where the time went.
    browser = saved["browser"]
    assert "error" not in browser, browser
    assert set(browser["pages"]) == {page.id for page in site.PAGES}
    for runs in browser["pages"].values():
        for run in (runs["cold"], runs["warm"], runs["in_app"]):
            assert run["s"] > 0 and run["server_s"] <= run["s"] and run["mb"] > 0
        # Chosen in the sidebar of an open tab, the page is drawn whole.
        assert runs["in_app"]["charts"] == runs["cold"]["charts"]
        # The script alone, with its queries and with them cached.
        assert runs["script"]["with_queries_s"] > 0 and runs["script"]["figures_s"] > 0
    assert sum(runs["cold"]["charts"] for runs in browser["pages"].values()) > 10
    # A locality chosen in the sidebar, the same from a link, and the board pack downloaded.
    assert browser["locality_change"]["in"] == "sidebar" and browser["locality_change"]["s"] > 0
    assert browser["locality_change"]["charts"] > 0 and browser["locality_link"]["s"] > 0
    assert browser["board_pack"]["mb"] > 0.5  # plotly.js packed, with every chart
    # The floor the pages are read against: an empty Streamlit page, and one with a chart.
    assert 0 < browser["floor"]["empty"] <= browser["floor"]["one_chart"] + 0.5
    written = (tmp_path / "out" / "la.md").read_text()
    assert "| page (in Chromium) | cold s | warm s | in the app s |" in written
    assert "| script with queries s | script, queries cached s |" in written
    assert "A locality chosen in the sidebar" in written and "The board pack (HTML" in written
    assert "The floor on this machine" in written
    # The ingest profile: every stage timed, from reading the first file to carrying over.
    stages = saved["ingest"]["stages"]
    assert any(s.startswith("reading requests.csv") for s in stages)
    assert any(s.startswith("deriving request_facts") for s in stages)
    assert all(seconds >= 0 for seconds in stages.values())


@pytest.mark.parametrize("period", ["2024-25", "2025-26-Q3"])
def test_pandas_baseline_agrees_with_the_metrics_engine(sample_db, period):
    p = periods.parse(period)
    with store.connect(sample_db) as con:
        for metric_id in ("re_entry_12m_rate", "re_referral_12m_rate"):
            ours = metrics.compute(con, metric_id, p).iloc[0]["value"]
            baseline = bench.BASELINES[metric_id][0](con, p)
            assert ours == pytest.approx(baseline), metric_id
        by_locality = metrics.compute(con, "requests", p, "locality").set_index("group")["value"]
        baseline = bench.baseline_demand_by_locality(con, p)
        assert by_locality.to_dict() == pytest.approx(baseline.astype(float).to_dict())


def test_markdown_says_when_the_extract_was_reused_and_every_stage_was_quick():
    result = {
        "scale": "la",
        "params": {"children": 60_000},
        "rows": {"requests.csv": 10, "episodes.csv": 5},
        "run_at": "2026-11-25 10:00 UTC",
        "machine": {"cores": 2, "python": "3.11", "duckdb": "1", "platform": "Linux"},
        "generate_s": None,
        "ingest": {"seconds": 0.5, "rows_per_second": 30, "stages": {"reading a.csv": 0.2}},
        "peak_rss_mb": 100,
        "metrics": {"requests/none": {"median_ms": 4.0, "p95_ms": 5.0}},
        "pages": {"scorecard": {"cold_ms": 400.0, "warm_ms": 300.0}},
        "baseline": {},
    }
    text = bench.markdown(result)
    assert "generate: extract reused;" in text
    assert "Every ingest stage took under 1 s." in text
    assert "| ingest stage |" not in text
    assert "| requests/none | 4.0 | 5.0 | yes |" in text

    # A reused store (`ehts bench --reuse-store`): the ingest is named, not timed.
    result["ingest"] = {"reused": "2026-12-01 04:30:00"}
    text = bench.markdown(result)
    assert "store reused (loaded by `ehts ingest` at 2026-12-01 04:30:00; not timed here)" in text
    assert "ingest with full validation" not in text
    assert "ingest stage" not in text and "Every ingest stage" not in text
    result["baseline"] = None  # `--no-baseline`
    assert bench.markdown(result).endswith("pandas notebook baseline: not run (`--no-baseline`).\n")
