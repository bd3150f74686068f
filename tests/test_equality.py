"""Equality and family analysis built from the metrics engine (ehts_data.equality)."""

from __future__ import annotations

import pandas as pd
import pytest

from ehts_data import equality, metrics, periods, store
from tests.test_metrics import EPISODES, FY, MULTIPLE_NEEDS, REQUESTS

YEAR = periods.parse("2024-25")


@pytest.fixture
def con(load):
    return load(requests__csv=REQUESTS, episodes__csv=EPISODES)


def test_profile_lists_every_equality_breakdown_with_intervals_and_ratios(sample_db):
    with store.connect(sample_db) as con:
        frame = equality.profile(con, "re_referral_12m_rate", YEAR)
        by_sex = metrics.compute(con, "re_referral_12m_rate", YEAR, "sex").set_index("group")
    assert set(frame["breakdown"]) == set(metrics.EQUALITY_BREAKDOWNS)
    female = frame[(frame["breakdown"] == "sex") & (frame["group"] == "female")].iloc[0]
    assert female["value"] == pytest.approx(by_sex.at["female", "value"])
    assert female["lower"] < female["value"] < female["upper"]
    assert female["ratio_lower"] < female["ratio"] < female["ratio_upper"]
    flagged = frame[frame["differs"].notna()]
    assert ((flagged["ratio_lower"] > 1) | (flagged["ratio_upper"] < 1)).all()
    assert frame[frame["group"] == "unknown"]["ratio"].isna().all()


def test_summary_names_the_groups_that_differ_in_plain_words(con):
    frame = equality.profile(con, "requests_per_10k", FY)
    frame.loc[0, ["ratio", "ratio_lower", "ratio_upper", "differs"]] = [2.0, 1.5, 2.6, "higher"]
    sentence = equality.summary(frame, "requests_per_10k")[0]
    assert "2.00 times the rest" in sentence and "significantly higher" in sentence
    quiet = equality.summary(frame.assign(differs=None), "requests_per_10k")
    assert quiet == [
        "No group differs significantly from the rest in requests per 10,000 children aged "
        "0-19 (every disparity interval includes 1)."
    ]


def test_representation_compares_shares_of_requests_and_of_population(sample_db):
    with store.connect(sample_db) as con:
        frame = equality.representation(con, YEAR)
    for _, part in frame.groupby("breakdown"):
        assert part["population_share"].sum() == pytest.approx(1.0)
        assert part["request_share"].sum() <= 1.0 + 1e-9
    assert {"sex", "ethnic_group", "age_band"} <= set(frame["breakdown"])


def test_family_view_sets_children_per_family_beside_the_family_measures(con):
    # 5 children supported in 4 families (test_metrics): 1.25 children per family
    view = equality.family_view(con, FY, "none").set_index("group")
    assert view.at["all", "families_supported"] == 4
    assert view.at["all", "children_per_family"] == pytest.approx(1.25)
    assert view.at["all", "family_re_entry_12m_rate"] == pytest.approx(0.25)


def test_family_shares_have_a_disparity_by_deprivation_only(load):
    # tests/test_metrics.py's families, with F3's assessment S4 given a third headline group
    # (parenting): F1 (decile 1) and F3 (decile 9) have multiple needs, F4 (decile 5) not, F2
    # (no decile) not. Decile 1: 1 of 1 against the other known deciles' 1 of 2 = ratio 2.0;
    # Katz: sqrt(1/1 - 1/1 + 1/1 - 1/2) = 0.7071, exp(ln 2 -+ 1.96 * 0.7071) = 0.500 to 7.996.
    # Decile 9 the same; decile 5 has a zero numerator: no ratio; unknown is left out.
    con = load(
        requests__csv=REQUESTS,
        episodes__csv=EPISODES,
        assessments__csv=MULTIPLE_NEEDS.replace(
            "debt_or_poverty;housing_insecurity", "debt_or_poverty;housing_insecurity;parenting"
        ),
    )
    frame = equality.profile(con, "families_multiple_needs_rate", FY)
    # A family has no one sex, ethnic group, SEND or age band.
    assert set(frame["breakdown"]) == {"imd_decile"}
    rows = frame.set_index("group")
    for decile in ("1", "9"):
        assert (rows.at[decile, "numerator"], rows.at[decile, "denominator"]) == (1, 1)
        assert rows.at[decile, "ratio"] == pytest.approx(2.0)
        assert rows.at[decile, "ratio_lower"] == pytest.approx(0.500, abs=1e-3)
        assert rows.at[decile, "ratio_upper"] == pytest.approx(7.996, abs=1e-3)
        assert rows.at[decile, "differs"] is None
    assert pd.isna(rows.at["5", "ratio"]) and pd.isna(rows.at["unknown", "ratio"])
