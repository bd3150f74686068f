"""The board scorecard: registry checks, RAG, values equal to the metrics engine, benchmarks,
locality matrix, funnel, SPC series, commentary, the CLI and the board pack."""

from __future__ import annotations

import copy
import dataclasses
import html
import json
import re
import subprocess
from datetime import datetime

import pandas as pd
import pytest

from ehts_data import (
    benchmarks,
    board,
    cli,
    disclosure,
    explore,
    formatting,
    ingest,
    metrics,
    periods,
    scorecard,
    state,
    store,
)
from ehts_data.disclosure import CONFIDENTIAL
from ehts_data.metrics import Scope
from tests.conftest import SAMPLE

CARD = scorecard.load()
YEAR = periods.parse("2025-26")


# --- RAG -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.65, "green"),  # beyond the target
        (0.60, "green"),  # on the target
        (0.55, "amber"),  # short by exactly the tolerance
        (0.5499, "red"),  # just beyond the tolerance
        (0.10, "red"),
    ],
)
def test_rag_when_higher_is_better(value, expected):
    assert scorecard.rag(value, 0.60, 0.05, "higher") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.10, "green"),
        (0.20, "green"),  # on the target
        (0.23, "amber"),  # over by exactly the tolerance
        (0.2301, "red"),
        (0.50, "red"),
    ],
)
def test_rag_when_lower_is_better(value, expected):
    assert scorecard.rag(value, 0.20, 0.03, "lower") == expected


def test_rag_with_no_tolerance_is_green_or_red():
    assert scorecard.rag(9.5, 9.5, 0.0, "lower") == "green"
    assert scorecard.rag(9.6, 9.5, 0.0, "lower") == "red"


@pytest.mark.parametrize(
    ("value", "target", "polarity"),
    [(None, 0.2, "lower"), (0.2, None, "lower"), (0.2, 0.2, None), (None, None, None)],
)
def test_rag_is_none_without_a_value_a_target_or_a_polarity(value, target, polarity):
    assert scorecard.rag(value, target, 0.01, polarity) is None


@pytest.mark.parametrize(
    ("change", "polarity", "word"),
    [
        (0.01, "higher", "better"),
        (-0.01, "higher", "worse"),
        (0.01, "lower", "worse"),
        (-0.01, "lower", "better"),
        (5, None, "up"),
        (-5, None, "down"),
        (0, "higher", "no change"),
        (None, "higher", None),
    ],
)
def test_change_is_judged_by_polarity(change, polarity, word):
    assert scorecard.direction(change, polarity) == word


# --- The registry ----------------------------------------------------------------------------

GOOD_KPI = """
[[kpi]]
id = "re_referral"
title = "Re-referral"
metric = "re_referral_12m_rate"
polarity = "lower"
tolerance = 0.02
description = "Re-referral within 12 months."
targets = { "2025-26" = 0.2 }
"""


def registry(tmp_path, text: str, council: str = '[council]\nname = "Test"\n'):
    path = tmp_path / "scorecard.toml"
    path.write_text(council + text, encoding="utf-8")
    return path


def test_the_shipped_registry_covers_the_seed_measures():
    ids = {k.metric or k.indicator for k in CARD.kpi}
    assert {
        "requests",
        "requests_per_10k",
        "re_referral_12m_rate",
        "re_entry_12m_rate",
        "step_down_rate",
        "step_up_rate",
        "outcomes_achieved_rate",
        "median_episode_days",
        "survey_agree_rate",
        "eyfsp_good_level_of_development_pct",
        "persistent_absence_pct",
        "neet_16_17_pct",
        "reception_obesity_pct",
    } <= ids
    assert CARD.council.old_la_code == "879"


def test_ehts_scorecard_points_at_another_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("EHTS_SCORECARD", str(registry(tmp_path, GOOD_KPI)))
    card = scorecard.load()
    assert [k.id for k in card.kpi] == ["re_referral"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('metric = "re_referral_12m_rate"', 'metric = "rereferrals"'),
            "KPI 're_referral', field 'metric': unknown metric 'rereferrals'",
        ),
        (
            ('"2025-26" = 0.2', '"2025-26" = 22'),
            "KPI 're_referral': targets 2025-26 = 22: this KPI is a share, written as a fraction",
        ),
        (
            ('"2025-26" = 0.2', '"2025-2026" = 0.2'),
            "KPI 're_referral', field 'targets': '2025-2026' is not a financial year",
        ),
        (('polarity = "lower"\n', ""), "KPI 're_referral': a KPI with targets needs a polarity"),
        (('polarity = "lower"', 'polarity = "down"'), "KPI 're_referral', field 'polarity'"),
        (
            ('metric = "re_referral_12m_rate"', 'metric = "requests"\nindicator = "neet_pct"'),
            "KPI 're_referral': give exactly one of metric or indicator",
        ),
        (("tolerance = 0.02", "tolerance = -1"), "KPI 're_referral', field 'tolerance'"),
        (
            ('description = "Re-referral within 12 months."\n', ""),
            "KPI 're_referral', field 'description'",
        ),
        (
            ('title = "Re-referral"', 'title = "Re-referral"\ncolour = "red"'),
            "KPI 're_referral', field 'colour'",
        ),
    ],
)
def test_an_invalid_registry_names_the_kpi_and_the_field(tmp_path, change, message):
    old, new = change
    path = registry(tmp_path, GOOD_KPI.replace(old, new))
    with pytest.raises(scorecard.RegistryError) as err:
        scorecard.load(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_duplicate_kpi_ids_and_unknown_council_codes_are_errors(tmp_path):
    with pytest.raises(scorecard.RegistryError, match="KPI id 're_referral' is used twice"):
        scorecard.load(registry(tmp_path, GOOD_KPI + GOOD_KPI))
    bad_council = '[council]\nname = "Test"\nold_la_code = "999"\n'
    kpi = GOOD_KPI.replace("description =", 'dfe = "rereferral"\ndescription =')
    with pytest.raises(scorecard.RegistryError, match="no council with DfE code '999'"):
        scorecard.load(registry(tmp_path, kpi, bad_council))


def test_a_registry_that_is_not_toml_says_so(tmp_path):
    with pytest.raises(scorecard.RegistryError, match="not valid TOML"):
        scorecard.load(registry(tmp_path, "[[kpi]\nid ="))
    with pytest.raises(scorecard.RegistryError, match="no such scorecard file"):
        scorecard.load(tmp_path / "missing.toml")


def test_a_count_target_applies_to_whole_years_only():
    kpi = scorecard.Kpi(
        id="requests",
        title="Requests",
        metric="requests",
        polarity="lower",
        targets={"2025-26": 7000},
        description="Requests.",
    )
    assert kpi.target(YEAR) == 7000
    assert kpi.target(periods.parse("2025-26-Q1")) is None


def test_a_quarter_takes_the_target_of_its_financial_year():
    kpi = CARD.get("re_referral")
    assert kpi.target(periods.parse("2025-26-Q3")) == kpi.targets["2025-26"]
    assert kpi.target(periods.parse("2030-31")) is None


# --- Values equal the metrics engine -------------------------------------------------------------

METRIC_KPIS = [k.id for k in CARD.kpi if k.metric]
INDICATOR_KPIS = [k.id for k in CARD.kpi if k.indicator]


@pytest.fixture(scope="module")
def sample_results(sample_db):
    with store.connect(sample_db) as con:
        return {r.kpi.id: r for r in scorecard.evaluate(con, CARD, YEAR)}


def judged(value, target, tolerance, polarity):
    """The RAG rule of docs/metrics.md, written out here apart from scorecard.rag."""
    if value is None or target is None or polarity is None:
        return None
    better_by = value - target if polarity == "higher" else target - value
    if better_by >= 0:
        return "green"
    return "amber" if -better_by <= tolerance + 1e-9 else "red"


@pytest.mark.parametrize("kpi_id", METRIC_KPIS)
def test_scorecard_value_equals_the_metrics_engine(sample_db, sample_results, kpi_id):
    kpi = CARD.get(kpi_id)
    result = sample_results[kpi_id]
    with store.connect(sample_db) as con:
        now = metrics.compute(con, kpi.metric, YEAR).iloc[0]
        before = metrics.compute(con, kpi.metric, YEAR.previous()).iloc[0]
    assert result.value == pytest.approx(float(now["value"]))
    assert result.previous.value == pytest.approx(float(before["value"]))
    assert result.change == pytest.approx(float(now["value"]) - float(before["value"]))
    assert result.rag == judged(result.value, kpi.target(YEAR), kpi.tolerance, kpi.polarity)
    if kpi.has_interval:
        lower, upper = result.ci95
        assert lower <= result.value <= upper


@pytest.mark.parametrize("kpi_id", INDICATOR_KPIS)
def test_scorecard_indicator_equals_indicators_csv(sample_results, kpi_id):
    kpi = CARD.get(kpi_id)
    rows = pd.read_csv(SAMPLE / "indicators.csv")
    rows = rows[(rows["indicator_id"] == kpi.indicator) & (rows["area"] == "all")]
    value = rows.set_index("period")["value"]
    result = sample_results[kpi_id]
    assert result.value == pytest.approx(value["2025-26"])
    assert result.previous.value == pytest.approx(value["2024-25"])
    assert [v for _, v in result.trend] == pytest.approx(list(value))


def test_an_indicator_for_a_quarter_is_the_latest_year_published_before_its_end(sample_db):
    with store.connect(sample_db) as con:
        result = scorecard.evaluate_kpi(
            con, CARD.get("neet"), CARD, periods.parse("2025-26-Q2"), trend=False
        )
    assert result.current.period == "2024-25"
    assert result.target == CARD.get("neet").targets["2024-25"]


def test_the_sparkline_is_the_last_eight_quarters_from_the_metrics_engine(
    sample_db, sample_results
):
    trend = sample_results["step_up"].trend
    assert [label for label, _ in trend] == [
        "2024-25-Q1",
        "2024-25-Q2",
        "2024-25-Q3",
        "2024-25-Q4",
        "2025-26-Q1",
        "2025-26-Q2",
        "2025-26-Q3",
        "2025-26-Q4",
    ]
    with store.connect(sample_db) as con:
        q3 = metrics.compute(con, "step_up_rate", periods.parse("2024-25-Q3")).iloc[0]["value"]
    assert dict(trend)["2024-25-Q3"] == pytest.approx(q3)


def test_quarters_without_twelve_months_of_history_have_no_re_referral_value(sample_db):
    # The sample starts on 1 April 2021, so 2021-22 has no 12-month look-back.
    with store.connect(sample_db) as con:
        result = scorecard.evaluate_kpi(
            con, CARD.get("re_referral"), CARD, periods.parse("2022-23")
        )
    assert result.previous.value is None and result.change is None
    assert [v for _, v in result.trend][:4] == [None] * 4
    assert all(v is not None for _, v in result.trend[4:])


def test_a_locality_is_judged_against_the_authority(sample_db):
    scope = Scope(locality="NTH")
    with store.connect(sample_db) as con:
        result = scorecard.evaluate_kpi(con, CARD.get("requests_rate"), CARD, YEAR, scope)
        local = metrics.compute(con, "requests_per_10k", YEAR, "none", scope).iloc[0]
        whole = metrics.compute(con, "requests_per_10k", YEAR).iloc[0]
    assert result.value == pytest.approx(local["value"])
    # 1,708 per 10,000 in Northgate against 1,174 across the city, on 16,911 children.
    assert local["value"] > whole["value"]
    assert result.versus_authority == scorecard.stats.Comparison("higher", 99.8)


def test_json_records_carry_the_stable_keys(sample_results):
    record = sample_results["re_referral"].to_record()
    for key in ("kpi", "value", "target", "rag", "previous_value", "change", "benchmarks"):
        assert key in record
    assert record["rag"] in ("green", "amber", "red")
    assert record["benchmarks"][0] == {
        "label": "England (social care)",
        "value": 0.226,
        "source": benchmarks.REFERRALS_SOURCE,
        "year": "2024-25",
        "note": "",
    }
    assert sample_results["requests"].to_record()["rag"] is None
    assert isinstance(sample_results["requests"].to_record()["value"], int)


# --- Benchmarks ------------------------------------------------------------------------------


def test_dfe_benchmarks_for_plymouth_2024_25():
    home = benchmarks.council("879")
    assert (home.name, home.region_name, len(home.neighbours)) == ("Plymouth", "South West", 10)
    rates = {b.label: b.value for b in benchmarks.rereferral("879", 2026)}
    assert rates["England (social care)"] == pytest.approx(0.226)  # C1 2025: 22.6%
    assert rates["South West (social care)"] == pytest.approx(0.221)
    assert rates["Plymouth (social care)"] == pytest.approx(0.26)
    table = benchmarks._table("dfe_referrals.csv")
    sn = table[(table["time_period"] == "2025") & table["old_la_code"].isin(home.neighbours)]
    expected = sum(float(v) for v in sn["rereferral_percent"]) / 100 / len(sn)
    assert rates["Statistical neighbours, mean (social care)"] == pytest.approx(expected)


def test_referrals_per_10000_children_aged_0_17():
    rates = {b.label: b.value for b in benchmarks.referrals_per_10k("879", 2026)}
    # England: 632,830 referrals in the year to March 2025 ÷ 12,183,016 children (mid-2024).
    assert rates["England (social care)"] == pytest.approx(632_830 / 12_183_016 * 10_000)
    # Plymouth: 2,806 ÷ 52,113.
    assert rates["Plymouth (social care)"] == pytest.approx(2_806 / 52_113 * 10_000)


def test_benchmarks_take_the_latest_year_at_or_before_the_period():
    assert benchmarks.rereferral("879", 2024)[0].year == "2023-24"
    assert benchmarks.rereferral("879", 2040)[0].year == "2024-25"
    assert benchmarks.rereferral("879", 2000) == []


def test_dfe_symbols_are_missing_values_with_their_reason():
    assert benchmarks._number("c") == (None, "c: confidential")
    assert benchmarks._number("x") == (None, "x: not available")
    assert benchmarks._number("22.6") == (22.6, "")


def test_the_national_needs_profile_sits_beside_the_local_one(sample_db):
    with store.connect(sample_db) as con:
        needs = scorecard.needs_beside_dfe(con, CARD, YEAR)
        local = metrics.compute(con, "need_prevalence", YEAR)
    england = needs[
        (needs["place"] == "England (social care)")
        & (needs["factor_label"] == "Mental health (parent)")
    ]
    assert england["share"].iloc[0] == pytest.approx(171_780 / 513_250)  # C3 2025
    ours = needs[
        (needs["place"] == "This council (early help)") & (needs["need"] == "domestic_abuse")
    ]
    expected = local.set_index("metric").at["need_prevalence:domestic_abuse", "value"]
    assert ours["share"].iloc[0] == pytest.approx(expected)


# --- Localities, funnel, SPC -------------------------------------------------------------------


def test_locality_matrix_equals_metrics_by_locality(sample_db):
    with store.connect(sample_db) as con:
        matrix = scorecard.locality_matrix(con, CARD, YEAR)
        by = metrics.compute(con, "step_up_rate", YEAR, "locality").set_index("group")
    rows = matrix[matrix["kpi"] == "step_up"].set_index("locality_id")
    assert set(rows.index) == {"NTH", "RIV", "WST", "EST"}
    for loc, row in rows.iterrows():
        assert row["value"] == pytest.approx(by.at[loc, "value"])
        # scorecard.toml: step_up target 10%, amber to 11%, lower is better
        expected = "green" if row["value"] <= 0.10 else "amber" if row["value"] <= 0.11 else "red"
        assert row["rag"] == expected


def test_locality_matrix_with_the_scorecards_authority_values_is_the_same(sample_db):
    with store.connect(sample_db) as con:
        results = scorecard.evaluate(con, CARD, YEAR, trend=False)
        known = scorecard.authority_values(results)
        read_again = scorecard.locality_matrix(con, CARD, YEAR)
        reused = scorecard.locality_matrix(con, CARD, YEAR, known)
    assert known["step_up"] == pytest.approx(
        next(r.current.value for r in results if r.kpi.id == "step_up")
    )
    assert (read_again["versus"] != "").any()  # the comparison with the authority is made
    pd.testing.assert_frame_equal(read_again, reused)


def test_funnel_points_are_the_hubs_and_limits_widen_for_small_hubs(sample_db):
    with store.connect(sample_db) as con:
        plot = scorecard.funnel(con, CARD.get("re_referral"), YEAR, "hub")
        by = metrics.compute(con, "re_referral_12m_rate", YEAR, "hub")
    by = by[by["denominator"] > 0]
    assert sorted(plot["points"]["group"]) == sorted(by["group"])
    limits = plot["limits"]
    width = limits["upper95"] - limits["lower95"]
    assert width.is_monotonic_decreasing
    assert (limits["upper998"] >= limits["upper95"]).all()
    assert set(plot["points"]["position"]) <= {
        "within limits",
        "outside 95% limits",
        "outside 99.8% limits",
    }


def test_funnel_needs_a_rate():
    with pytest.raises(ValueError, match="needs a share or a rate"):
        scorecard.funnel(None, CARD.get("episode_length"), YEAR, "hub")


def test_spc_series_is_monthly_and_equals_the_metrics_engine(sample_db):
    with store.connect(sample_db) as con:
        result = scorecard.spc(con, CARD.get("outcomes_achieved"), YEAR)
        march = metrics.compute(
            con,
            "outcomes_achieved_rate",
            periods.custom(periods.date(2026, 3, 1), periods.date(2026, 3, 31)),
        ).iloc[0]
    series = result.series
    assert len(series) == 24
    assert series["month"].iloc[-1] == "Mar 2026"
    assert series["value"].iloc[-1] == pytest.approx(march["value"])
    assert result.chart.mean == pytest.approx(series["value"].mean())
    assert result.variation is not None and result.assurance is not None


def test_spc_of_a_12_month_rule_starts_after_a_year_of_history(sample_db):
    with store.connect(sample_db) as con:
        series = scorecard.monthly(con, CARD.get("re_entry"), periods.parse("2022-23"))
    assert series["month"].iloc[0] == "Apr 2022"  # data from April 2021 + 12 months


def test_months_before_counts_back_over_year_ends():
    months = scorecard.months_before(periods.parse("2024-25-Q4"), 3)
    assert [m.label for m in months] == ["Jan 2025", "Feb 2025", "Mar 2025"]
    assert months[1].end == periods.date(2025, 2, 28)


# --- Commentary ------------------------------------------------------------------------------


def test_commentary_is_stored_with_who_and_when_and_survives_an_ingest(tmp_path):
    db = tmp_path / "store.duckdb"
    ingest.ingest(SAMPLE, db)
    first = datetime(2026, 1, 10, 9, 30)
    scorecard.add_commentary(db, "step_up", YEAR, "Rising in Riverside.", "A. Analyst", now=first)
    scorecard.add_commentary(
        db,
        "step_up",
        YEAR,
        "Rising in Riverside; audit booked.",
        "B. Board",
        now=datetime(2026, 1, 11),
    )
    with store.connect(db) as con:
        shown = scorecard.commentary(con, YEAR)
        assert scorecard.commentary(con, periods.parse("2024-25")).empty
    assert shown.to_dict("records")[0] | {"written_at": None} == {
        "kpi": "step_up",
        "comment": "Rising in Riverside; audit booked.",
        "author": "B. Board",
        "written_at": None,
        "edits": 2,
    }
    ingest.ingest(SAMPLE, db)
    with store.connect(db) as con:
        assert scorecard.commentary(con, YEAR)["edits"].iloc[0] == 2


def test_every_version_of_a_commentary_is_kept_numbered_newest_first_per_period(tmp_path):
    db = tmp_path / "store.duckdb"
    ingest.ingest(SAMPLE, db)
    for i, (kpi, text, who) in enumerate(
        [
            ("step_up", "First.", "A. Analyst"),
            ("re_entry", "Other KPI.", "A. Analyst"),
            ("step_up", "Second.", "B. Board"),
            ("step_up", "Third.", "C. Chair"),
        ]
    ):
        scorecard.add_commentary(db, kpi, YEAR, text, who, now=datetime(2026, 1, 10 + i, 9))
    scorecard.add_commentary(db, "step_up", periods.parse("2024-25"), "Old year.", "A")
    versions = state.commentary_versions(state.path_for(db), YEAR.label)
    step_up = versions[versions["kpi"] == "step_up"]
    assert step_up["version"].tolist() == [3, 2, 1]
    assert step_up["comment"].tolist() == ["Third.", "Second.", "First."]
    assert step_up["author"].tolist() == ["C. Chair", "B. Board", "A. Analyst"]
    assert versions[versions["kpi"] == "re_entry"]["version"].tolist() == [1]
    with store.connect(db) as con:
        latest = scorecard.commentary(con, YEAR).set_index("kpi")
    byline = board.comment_byline(latest.loc["step_up"].to_dict())
    assert byline == "C. Chair, 13 Jan 2026 09:00; edited, version 3"
    assert board.comment_byline(latest.loc["re_entry"].to_dict()) == "A. Analyst, 11 Jan 2026"
    titles = {kpi.id: kpi.title for kpi in CARD.kpi}
    table = board.commentary_table(latest.reset_index(), titles)
    assert table["Edited"].tolist() == ["", "edited: 3 versions"]
    history = board.commentary_history_table(versions, titles)
    assert history["KPI"].iloc[0] == CARD.get("re_entry").title


@pytest.mark.parametrize(
    ("comment", "author", "message"),
    [("", "A", "empty"), ("Fine.", " ", "who wrote"), ("x" * 2001, "A", "limit is 2,000")],
)
def test_commentary_needs_text_and_an_author(sample_db, comment, author, message):
    with pytest.raises(ValueError, match=message):
        scorecard.add_commentary(sample_db, "step_up", YEAR, comment, author)


def test_commentary_on_an_unknown_kpi_is_refused(sample_db):
    with pytest.raises(KeyError):
        scorecard.add_commentary(sample_db, "nope", YEAR, "Text", "A", card=CARD)


# --- Tiles and the board pack ----------------------------------------------------------------


def test_a_tile_shows_rag_as_word_and_symbol_and_withholds_small_numbers(sample_results):
    step_up = sample_results["step_up"]
    for rag, shown in (("red", "✕ Red"), ("amber", "Amber"), ("green", "Green")):
        tile = board.tile_html(dataclasses.replace(step_up, rag=rag))
        assert shown in tile and "95% confidence interval" in tile
    small = sample_results["step_up"]
    small.current = scorecard.Reading(3 / 40, 3, 40, small.period)
    hidden = board.tile_html(small, k=disclosure.DEFAULT_K)
    assert '<p class="value">c</p>' in hidden
    assert "confidence interval" not in hidden and "7.5%" not in hidden


def test_a_previous_value_resting_on_small_numbers_is_withheld_with_its_change(sample_results):
    result = copy.deepcopy(sample_results["step_up"])
    result.previous = scorecard.Reading(2 / 4, 2, 4, "2024-25")  # 50.0% of 4 episodes
    tile = board.tile_html(result, k=disclosure.DEFAULT_K)
    assert "50.0%" not in tile and "No earlier value to compare" in tile
    table = board._summary_table([result], pd.DataFrame(columns=["kpi", "comment"]), 6)  # noqa: SLF001
    row = table.iloc[0]
    assert row["Previous"] == CONFIDENTIAL and row["Change"] == "–"


def test_the_benchmark_table_withholds_a_value_resting_on_small_numbers(sample_results):
    result = next(r for r in sample_results.values() if r.benchmarks)
    small = copy.deepcopy(result)
    small.current = scorecard.Reading(0.3, 2, 60_000 if small.kpi.kind == "per_10k" else 8, "x")
    table = board.benchmark_table([small], k=disclosure.DEFAULT_K)
    assert set(table["This council (early help)"]) == {CONFIDENTIAL}
    shown = board.benchmark_table([small])
    assert CONFIDENTIAL not in set(shown["This council (early help)"])


def test_scorecard_cli_json(sample_db, capsys):
    assert (
        cli.main(["scorecard", "--db", str(sample_db), "--period", "2025-26", "--format", "json"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert [r["kpi"] for r in rows] == [k.id for k in CARD.kpi]
    for r in rows:
        assert {"kpi", "value", "target", "rag", "previous_value", "change", "benchmarks"} <= set(r)
        assert r["rag"] in ("green", "amber", "red", None)


def test_scorecard_cli_table_and_bad_registry(sample_db, tmp_path, capsys):
    assert cli.main(["scorecard", "--db", str(sample_db), "--period", "2025-26-Q3"]) == 0
    out = capsys.readouterr().out
    assert "re_referral" in out and "2025-26-Q3" in out
    bad = registry(tmp_path, GOOD_KPI.replace("0.2 }", "22 }"))
    assert (
        cli.main(
            ["scorecard", "--db", str(sample_db), "--period", "2025-26", "--scorecard", str(bad)]
        )
        == 1
    )
    assert "KPI 're_referral'" in capsys.readouterr().err


def test_board_pack_html_is_self_contained(sample_db, capsys):
    assert (
        cli.main(["scorecard", "--db", str(sample_db), "--period", "2025-26", "--format", "html"])
        == 0
    )
    page = capsys.readouterr().out
    assert "size: A4 landscape" in page
    assert "early help scorecard, 2025-26" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", page)
    for kpi in CARD.kpi:
        assert kpi.title in page
    assert "Open Government Licence" in page


def test_board_pack_pdf_renders_to_a_non_blank_page(sample_db, tmp_path, capsys):
    # Needs Chromium and pdftoppm (tests/setup_browser.sh installs both); fails without them.
    assert (
        cli.main(
            [
                "scorecard",
                "--db",
                str(sample_db),
                "--period",
                "2025-26",
                "--format",
                "html",
                "--out",
                str(tmp_path),
                "--pdf",
            ]
        )
        == 0
    ), capsys.readouterr().err
    pdf = tmp_path / "board-pack-2025-26.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    from tests.browser import ARTIFACTS, non_white_share

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i, png in enumerate(pages, 1):
        (ARTIFACTS / f"board-pack-page-{i}.png").write_bytes(png.read_bytes())
    assert non_white_share(pages[0]) > 0.02
    assert all(non_white_share(p) > 0.005 for p in pages)


def test_an_annual_benchmark_rate_is_set_pro_rata_beside_a_quarter(sample_db):
    kpi = CARD.get("requests_rate")
    with store.connect(sample_db) as con:
        year = scorecard.evaluate_kpi(con, kpi, CARD, YEAR)
        quarter = scorecard.evaluate_kpi(con, kpi, CARD, periods.parse("2024-25-Q3"))
    england_year = next(b for b in year.benchmarks if b.label.startswith("England"))
    england_quarter = next(b for b in quarter.benchmarks if b.label.startswith("England"))
    # October to December 2024: 92 of the financial year's 365 days
    assert england_quarter.value == pytest.approx(england_year.value * 92 / 365)
    assert "pro rata" in england_quarter.label and "pro rata" not in england_year.label
    # a share is compared as published
    share = scorecard.pro_rata(england_year, "share", periods.parse("2024-25-Q3"))
    assert share == england_year


def test_a_published_sparkline_leaves_out_quarters_resting_on_small_numbers(sample_results):
    result = copy.deepcopy(sample_results["step_up"])
    assert len(result.trend_readings) == len(result.trend) >= 2
    result.trend_readings[-1] = scorecard.Reading(0.5, 1, 2)
    shown = board._published_trend(result, disclosure.DEFAULT_K)  # noqa: SLF001
    assert shown[-1][1] is None

    assert board._published_trend(result, None) == result.trend  # noqa: SLF001


def test_the_funnel_by_locality_hides_what_the_locality_matrix_hides(sample_db):
    period = periods.parse("2025-26-Q1")
    with store.connect(sample_db) as con:
        names = explore.group_names(con)["locality"]
        results = scorecard.evaluate(con, CARD, period, trend=False)
        raw = scorecard.locality_matrix(con, CARD, period, scorecard.authority_values(results))
        matrix = board.matrix_published(raw, 6, names)
        for kpi in (k for k in CARD.kpi if k.metric and k.has_interval):
            points = scorecard.funnel(con, kpi, period, "locality")["points"]
            points = points.assign(name=points["group"])
            funnel = board.funnel_published(points, matrix, kpi.id, "locality")
            rows = matrix.frame["kpi"] == kpi.id
            in_matrix = dict(
                zip(
                    matrix.frame.loc[rows, "locality_id"],
                    matrix.hidden.loc[rows, "numerator"],
                    strict=True,
                )
            )
            for group, hidden in zip(points["group"], funnel.hidden["numerator"], strict=True):
                assert hidden == in_matrix.get(group, True), (kpi.id, group)
            # A position against the limits would narrow a withheld value to a band.
            assert funnel.frame.loc[funnel.hidden["value"], "position"].isna().all()
        # So would a RAG rating or a comparison with the authority in the matrix's download:
        # Westbrook's step-ups (15 of 140) were withheld but rated amber, which only 15 fits.
        download = board.matrix_download(matrix, CARD)
        withheld = matrix.row_hidden()
        assert withheld.any()
        assert download.frame.loc[withheld, ["rag", "versus", "level"]].isna().all().all()
        assert download.frame.loc[~withheld, "rag"].notna().any()


# --- What the board acts on: exceptions, commentary, drill-through, empty periods ---------


def _comments(**by_kpi):
    return pd.DataFrame(
        [(kpi, text, "A. Lead", datetime(2026, 4, 2, 9, 30), 1) for kpi, text in by_kpi.items()],
        columns=["kpi", "comment", "author", "written_at", "edits"],
    )


def test_the_exceptions_summary_counts_red_and_amber_and_names_owner_and_commentary(
    sample_results,
):
    results = [
        dataclasses.replace(sample_results["step_up"], rag="red"),
        dataclasses.replace(sample_results["re_entry"], rag="amber"),
        dataclasses.replace(sample_results["outcomes_achieved"], rag="green"),
    ]
    shown = board.exceptions_html(results, None, _comments(step_up="Two <b>hubs</b> short"))
    assert 'data-red="1" data-amber="1"' in shown
    assert "1 red, 1 amber of 3 KPIs with a target" in shown
    assert shown.index("Step-up to social care") < shown.index("Re-entry")  # red first
    assert html.escape(CARD.get("step_up").owner) in shown
    assert "Two &lt;b&gt;hubs&lt;/b&gt; short" in shown and "No commentary yet" in shown
    calm = board.exceptions_html([results[2]], None, None)
    assert 'data-red="0"' in calm and "all 1 KPIs with a target are on target" in calm


def test_a_tile_shows_its_latest_commentary_and_links_to_its_analysis_with_the_same_filters(
    sample_results,
):
    kpi = CARD.get("re_entry")
    link = board.drill_link(kpi, periods.parse("2025-26-Q3"), Scope(locality="NTH"))
    assert link == "./reentry?period=2025-26-Q3&locality=NTH"
    custom = periods.custom(datetime(2025, 5, 1).date(), datetime(2025, 6, 30).date())
    assert board.drill_link(kpi, custom, Scope(service="targeted")) == (
        "./reentry?start=2025-05-01&end=2025-06-30&service=targeted"
    )
    # A small area goes with its locality, as the filter bar writes them.
    in_area = board.drill_link(kpi, periods.parse("2025-26"), Scope("NTH", area="X01000001"))
    assert in_area == "./reentry?period=2025-26&locality=NTH&area=X01000001"
    tiles = board.tiles_html(
        [sample_results["re_entry"]],
        comments=_comments(re_entry="Falling"),
        links={"re_entry": link},
    )
    assert f'href="{link.replace("&", "&amp;")}"' in tiles
    assert "Falling" in tiles and "A. Lead, 02 Apr 2026" in tiles


def test_a_change_that_prints_as_zero_is_no_change_never_minus_zero_better():
    assert formatting.change("share", 0.2000001, 0.2003) == "no change"
    assert formatting.change("share", 0.21, 0.2) == "+1.0 pp"
    assert formatting.change("count", 10, 10) == "no change"
    result = dataclasses.replace(
        _a_result("step_up"), change=0.0, direction=scorecard.direction(0.0, "lower")
    )
    result.previous = scorecard.Reading(result.value + 0.0001, 1, 1, "2024-25")
    tile = board.tile_html(result)
    assert "► no change against 2024-25" in tile and "-0.0" not in tile and "better" not in tile


def _a_result(kpi_id, **reading):
    kpi = CARD.get(kpi_id)
    current = scorecard.Reading(**({"value": 0.2, "numerator": 20, "denominator": 100} | reading))
    return scorecard.KpiResult(
        kpi=kpi,
        period="2025-26",
        current=current,
        previous=scorecard.Reading(0.25, 25, 100, "2024-25"),
        target=kpi.target(YEAR),
        rag=None,
        change=None,
        direction=None,
        ci95=None,
        ci998=None,
    )


def test_a_period_with_nothing_to_count_says_so_instead_of_a_minus_100_percent_change():
    empty = _a_result("requests", value=0.0, numerator=0, denominator=None)
    empty.change, empty.direction = -4692.0, "down"
    tile = board.tile_html(empty)
    assert "No requests in this period" in tile and "100%" not in tile and "▼" not in tile
    share = board.tile_html(_a_result("step_up", value=None, numerator=0, denominator=0))
    assert "No episodes in this period" in share


def test_a_quarter_shows_the_same_quarter_a_year_before_and_the_trajectory_to_target(sample_db):
    quarter = periods.parse("2025-26-Q3")
    with store.connect(sample_db) as con:
        result = scorecard.evaluate_kpi(con, CARD.get("re_entry"), CARD, quarter)
    assert result.year_before.period == "2024-25-Q3" and result.year_before.value is not None
    tile = board.tile_html(result)
    assert "Same period a year before (2024-25-Q3)" in tile
    assert result.trajectory == sorted(
        (y, t) for y, t in CARD.get("re_entry").targets.items() if y >= "2025-26"
    )
    if result.trajectory:
        assert "Trajectory:" in tile
    with store.connect(sample_db) as con:
        year = scorecard.evaluate_kpi(con, CARD.get("re_entry"), CARD, YEAR, trend=False)
    assert year.year_before is None  # for a year, the period before is the year before


def test_the_overview_judges_a_change_as_the_scorecard_does():
    heads = pd.DataFrame(
        [
            {
                "metric": "step_up_rate",
                "numerator": 30,
                "denominator": 100,
                "value": 0.3,
                "previous_period": "2024-25",
                "previous_value": 0.2,
                "previous_numerator": 20,
                "previous_denominator": 100,
                "note": None,
            },
            {
                "metric": "requests",
                "numerator": 0,
                "denominator": None,
                "value": 0,
                "previous_period": "2024-25",
                "previous_value": 4692,
                "previous_numerator": 4692,
                "previous_denominator": None,
                "note": None,
            },
        ]
    )
    step_up, requests = formatting.headline_tiles(heads, None, scorecard.polarities(CARD))
    assert step_up["polarity"] == CARD.get("step_up").polarity == "lower"
    assert requests["delta"] == "No requests in this period" and requests["value"] == "–"
    assert "100%" not in str(requests)


def test_the_data_currency_line_says_when_data_ends_and_when_a_period_runs_past_it():
    last = datetime(2026, 3, 31).date()
    note = formatting.data_currency(YEAR, last, datetime(2026, 4, 30).date())
    assert note.text == "Data to 31 Mar 2026 (30 days ago)." and not note.period_past_data
    past = formatting.data_currency(periods.parse("2026-27"), last, last)
    assert past.period_past_data and "starts after the data ends" in past.text
    part = formatting.data_currency(
        periods.custom(datetime(2026, 3, 1).date(), datetime(2026, 4, 30).date()), last, last
    )
    assert "past the data's last day" in part.text and "(today)" in part.text


def test_board_pack_carries_marking_page_numbers_rag_summary_and_tolerance_in_pp(sample_db):
    card = CARD.model_copy(
        update={"council": CARD.council.model_copy(update={"protective_marking": 'OFFICIAL "X"'})}
    )
    with store.connect(sample_db) as con:
        page = board.pack_html(con, card, YEAR)
    assert page.count('<p class="marking">OFFICIAL &quot;X&quot;</p>') == 2  # top and foot
    assert "@top-center" in page and '"OFFICIAL \\22 X\\22 "' in page
    assert 'content: "Page " counter(page) " of " counter(pages)' in page
    assert "RAG summary and exceptions" in page and 'class="ehts-exceptions"' in page
    assert page.count('id="ehts-plotly"') == 1  # plotly once, inline and packed
    assert "plotly.js v" not in page  # ... and never a second, unpacked copy
    tolerance = CARD.get("re_referral").tolerance
    assert f"<td>{tolerance * 100:.1f} pp</td>" in page


def _numbers(values) -> pd.Series:
    """A figure JSON's array: a list, or plotly's typed array ({'dtype', 'bdata'})."""
    if isinstance(values, dict):
        import base64

        import numpy as np

        return pd.Series(np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]))
    return pd.Series(values, dtype=float)


def _pack_figures(page: str) -> dict[str, dict]:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(
            r'<script type="application/json" class="ehts-figure" data-target="([^"]+)">(.*?)'
            r"</script>",
            page,
            flags=re.S,
        )
    }


def test_board_pack_carries_funnel_and_spc_charts_with_plotly_packed_once(sample_db):
    import base64
    import gzip

    import plotly.offline

    with store.connect(sample_db) as con:
        page = board.pack_html(con, CARD, YEAR)
    figures = _pack_figures(page)
    rates = [kpi.id for kpi in CARD.kpi if kpi.metric and kpi.has_interval]
    monthly = [kpi.id for kpi in CARD.kpi if kpi.metric]
    assert {f"pack-funnel-{i}" for i in rates} <= set(figures)
    assert {f"pack-spc-{i}" for i in monthly} <= set(figures)
    assert "statistical process control" in page and "funnel plots" in page
    # Every figure takes the one template written once into the pack.
    bad = [
        k for k, f in figures.items() if not (f["sharedTemplate"] and "template" not in f["layout"])
    ]
    assert not bad, bad
    packed = re.search(r'<script[^>]*id="ehts-plotly">(.*?)</script>', page, flags=re.S)
    unpacked = gzip.decompress(base64.b64decode(packed.group(1))).decode("utf-8")
    assert unpacked == plotly.offline.get_plotlyjs()
    assert len(page) < len(unpacked)  # smaller than plotly.js alone, with every chart


def test_board_pack_funnel_and_spc_charts_withhold_small_numbers(sample_db):
    with store.connect(sample_db) as con:
        page = board.pack_html(con, CARD, YEAR, k=10**9)  # every count is small
    figures = _pack_figures(page)
    spc = figures["pack-spc-step_up"]["data"]
    values = [t for t in spc if t.get("name") != "Target"]  # the target is the board's
    assert values and all(pd.isna(_numbers(t.get("y", []))).all() for t in values)
    # No funnel at all: its centre is the authority's value, which its limits give away too
    # (the title once printed it beside a withheld tile).
    assert not [name for name in figures if name.startswith("pack-funnel-")]
    assert "no values to compare (or the authority" in page
    assert "<" not in "".join(re.findall(r'class="ehts-figure"[^>]*>(.*?)</script>', page))
