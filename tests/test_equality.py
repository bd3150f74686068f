"""Equality and family analysis built from the metrics engine (ehts_data.equality)."""

from __future__ import annotations

import pytest

from ehts_data import equality, metrics, periods, store
from tests.test_metrics import EPISODES, FY, REQUESTS

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
