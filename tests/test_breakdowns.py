"""The breakdowns of domain.md "More breakdowns" on tiny hand-built extracts, with the
arithmetic in the comments: the child's sex, ethnic group, SEND and age band at the event
counted, the family's IMD decile, small area and catchment, and the populations behind their
rates. The base city is tests/conftest.py's; requests and episodes are test_metrics.py's.

Children (conftest): C1 female white SEND false, born 2015-06 (F1, L1, decile 1);
C2 male white SEND true, 2018-01 (F1); C3 male mixed SEND empty, 2020-02 (F2, L1, no decile);
C4 female asian false, 2010-09 (F3, L2, decile 9); C5 unknown unknown empty, 2024-05 (F4, L2, 5).
Requests in 2024-25: R02 C1, R04 C2, R06 C3, R07 C4, R08 C4.
"""

from __future__ import annotations

import pytest

from ehts_data import metrics
from tests.test_metrics import EPISODES, FY, REQUESTS, rows

AREAS = """
    area_code,area_name,locality_id,hub_id,imd_decile
    A1,North One,L1,H1,2
    A2,North Two,L1,,7
    A3,South One,L2,H2,4
"""
# F1 lives in A1 (catchment H1; its own decile 1 stands), F2 in A2 (no catchment hub; no
# decile of its own, so A2's 7 applies), F3 has no area, F4 lives in A3 (catchment H2).
FAMILIES = """
    family_id,locality_id,imd_decile,area_code
    F1,L1,1,A1
    F2,L1,,A2
    F3,L2,9,
    F4,L2,5,A3
"""
POPULATION_AREAS = """
    area_code,year,age,population
    A1,2024,5,2000
    A2,2023,5,500
    A2,2025,5,9999
    A3,2024,10,1000
"""
POPULATION_GROUPS = """
    year,dimension,group,population
    2024,sex,female,5000
    2024,sex,male,5000
    2023,ethnic_group,white,4000
    2025,ethnic_group,white,1
"""


@pytest.fixture
def con(load):
    return load(requests__csv=REQUESTS, episodes__csv=EPISODES)


# The hand-built city's files (tests/test_area_filter.py loads them with assessments too).
CITY = {
    "requests__csv": REQUESTS,
    "episodes__csv": EPISODES,
    "areas__csv": AREAS,
    "families__csv": FAMILIES,
    "population_areas__csv": POPULATION_AREAS,
    "population_groups__csv": POPULATION_GROUPS,
}


@pytest.fixture
def city(load):
    return load(**CITY)


def counts(con, metric_id, by, period=FY):
    return {g: v for g, (_, _, v) in rows(metrics.compute(con, metric_id, period, by)).items()}


def test_requests_by_the_childs_sex_ethnic_group_and_send(con):
    # female: R02 (C1), R07 and R08 (C4); male: R04 (C2), R06 (C3); every code is listed
    assert counts(con, "requests", "sex") == {
        "female": 3.0,
        "male": 2.0,
        "other": 0.0,
        "unknown": 0.0,
    }
    by_ethnicity = counts(con, "requests", "ethnic_group")
    assert (by_ethnicity["white"], by_ethnicity["mixed"], by_ethnicity["asian"]) == (2, 1, 2)
    assert sum(by_ethnicity.values()) == 5
    # SEND false: C1, C4 (3 requests); true: C2; empty: C3 is unknown
    assert counts(con, "requests", "send") == {"true": 1.0, "false": 3.0, "unknown": 1.0}


def test_age_band_is_taken_at_the_event_each_metric_counts(con):
    # Requests at receipt: C1 8 (5_9), C2 6 (5_9), C3 on 2025-02-28 is 5 (born Feb 2020: 5_9),
    # C4 13 twice (10_15).
    assert counts(con, "requests", "age_band") == {
        "unborn": 0.0,
        "under_1": 0.0,
        "1_4": 0.0,
        "5_9": 3.0,
        "10_15": 2.0,
        "16_plus": 0.0,
    }
    # Starts: E02 C1 9, E04 C2 6 (5_9); E05 and E06 C3 on 2024-04-01 are 4 (1_4); E08 and E09
    # C4 13 (10_15); E10 C5 on 2025-03-31, born May 2024: 0 (under_1).
    started = counts(con, "episodes_started", "age_band")
    assert (started["5_9"], started["1_4"], started["10_15"], started["under_1"]) == (2, 2, 2, 1)
    # Closures at their end: E05 C3 on 2024-04-01 is 4 (1_4); E08 and E09 C4 14 (10_15).
    closed = counts(con, "episodes_closed", "age_band")
    assert (closed["1_4"], closed["10_15"], closed["5_9"]) == (1, 2, 0)
    assert rows(metrics.compute(con, "step_up_rate", FY, "age_band"))["10_15"] == (1, 2, 0.5)
    # Open on the period's last day, 2025-03-31: E02 C1 9, E04 C2 7, E07 C3 5 (5_9);
    # E10 C5 0 (under_1).
    opened = counts(con, "open_episodes", "age_band")
    assert (opened["5_9"], opened["under_1"]) == (3, 1)


def test_requests_per_10k_by_age_band_use_the_population_of_the_bands_ages(con):
    # population.csv 2024: age 0 1,000 (L1), age 5 6,000 (L2), age 10 3,000 (L1).
    # 5_9: 3 requests / 6,000; 10_15: 2 / 3,000; under_1: 0 / 1,000; 1_4 and 16_plus have no
    # population rows and unborn has no rate: no value.
    result = rows(metrics.compute(con, "requests_per_10k", FY, "age_band"))
    assert result["5_9"] == (3, 6000, pytest.approx(5.0))
    assert result["10_15"] == (2, 3000, pytest.approx(20000 / 3000))
    assert result["under_1"] == (0, 1000, 0.0)
    assert result["1_4"] == (0, None, None)
    assert result["unborn"] == (0, None, None)


def test_imd_decile_is_the_familys_own_else_its_areas(con, city):
    # Without areas: F1 decile 1 (R02, R04), F2 none (R06: unknown), F3 9 (R07, R08).
    plain = counts(con, "requests", "imd_decile")
    assert (plain["1"], plain["9"], plain["unknown"]) == (2, 2, 1)
    assert list(plain) == [*(str(d) for d in range(1, 11)), "unknown"]
    # With areas: F2 takes A2's decile 7; F1 keeps its own 1 over A1's 2.
    with_areas = counts(city, "requests", "imd_decile")
    assert (with_areas["1"], with_areas["2"], with_areas["7"], with_areas["9"]) == (2, 0, 1, 2)
    assert "unknown" not in with_areas  # listed only when some row is unknown


def test_catchment_and_area_with_their_populations(city):
    # Catchment: R02, R04 (F1 in A1: H1) = 2; H2 (A3) has no request in the period;
    # R06 (F2 in A2, which has no hub) and R07, R08 (F3, no area) are unknown = 3.
    # Populations: H1 = A1 2,000; H2 = A3 1,000.
    catchment = rows(metrics.compute(city, "requests_per_10k", FY, "catchment"))
    assert catchment == {
        "H1": (2, 2000, pytest.approx(10.0)),
        "H2": (0, 1000, 0.0),
        "unknown": (3, None, None),
    }
    # Areas: A2's 2024 row is missing, so its 2023 row (500) is used, never the later 2025.
    area = rows(metrics.compute(city, "requests_per_10k", FY, "area"))
    assert area == {
        "A1": (2, 2000, pytest.approx(10.0)),
        "A2": (1, 500, pytest.approx(20.0)),
        "A3": (0, 1000, 0.0),
        "unknown": (2, None, None),
    }


def test_requests_per_10k_by_sex_and_ethnic_group_from_population_groups(city):
    # female 3 / 5,000; male 2 / 5,000; 'other' has no population row. White: the 2023 row
    # (4,000), the latest on or before 2024; 2 requests.
    sex = rows(metrics.compute(city, "requests_per_10k", FY, "sex"))
    assert sex["female"] == (3, 5000, pytest.approx(6.0))
    assert sex["male"] == (2, 5000, pytest.approx(4.0))
    assert sex["other"] == (0, None, None)
    ethnicity = rows(metrics.compute(city, "requests_per_10k", FY, "ethnic_group"))
    assert ethnicity["white"] == (2, 4000, pytest.approx(5.0))
    assert ethnicity["asian"] == (2, None, None)
    # The groups' populations are the authority's: none within one locality.
    within = metrics.compute(city, "requests_per_10k", FY, "sex", metrics.Scope(locality="L1"))
    assert rows(within)["female"] == (1, None, None)


def test_no_rate_by_send_or_decile_and_none_for_survey_by_a_child_attribute(city):
    assert {v[2] for v in rows(metrics.compute(city, "requests_per_10k", FY, "send")).values()} == {
        None
    }
    assert metrics.compute(city, "survey_agree_rate", FY, "sex").empty
    assert metrics.compute(city, "families_supported", FY, "hub").empty
    assert metrics.compute(city, "families_supported", FY, "age_band").empty


@pytest.mark.parametrize("by", metrics.BREAKDOWNS)
def test_every_breakdown_adds_up_to_the_authority_for_counts(city, by):
    whole = counts(city, "requests", "none")["all"]
    assert sum(counts(city, "requests", by).values()) == whole


def test_unknown_sex_and_ethnicity_and_empty_send_report_as_unknown(con):
    # Open on 2025-03-31: E02 C1 (female, white, false), E04 C2 (male, white, true), E07 C3
    # (male, mixed, empty SEND), E10 C5 (sex and ethnicity written 'unknown', SEND empty).
    sex = counts(con, "open_episodes", "sex")
    assert (sex["female"], sex["male"], sex["unknown"]) == (1, 2, 1)
    ethnicity = counts(con, "open_episodes", "ethnic_group")
    assert (ethnicity["white"], ethnicity["mixed"], ethnicity["unknown"]) == (2, 1, 1)
    assert counts(con, "open_episodes", "send") == {"true": 1.0, "false": 1.0, "unknown": 2.0}


def test_median_episode_length_by_a_childs_attribute_from_counts_of_each_length(con):
    # Closures in 2024-25 without transfers: E05 C3 male 0 days (same day), E08 C4 female
    # 2024-05-01 to 2024-12-01 = 214 days, E09 C4 female 2024-07-01 to 2025-03-31 = 273 days.
    # By sex: female 2 closures, the mean of the middle two (214 + 273) / 2 = 243.5; male 0.
    by_sex = rows(metrics.compute(con, "median_episode_days", FY, "sex"))
    assert by_sex["female"] == (None, 2, 243.5)
    assert by_sex["male"] == (None, 1, 0.0)
    assert by_sex["other"] == (None, 0, None)
    # By SEND: C3's and C4's flags are empty and false: E05 unknown, E08 and E09 false.
    by_send = rows(metrics.compute(con, "median_episode_days", FY, "send"))
    assert by_send["false"] == (None, 2, 243.5) and by_send["unknown"] == (None, 1, 0.0)
