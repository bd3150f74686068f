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

from datetime import date

import pytest

from ehts_data import contract, metrics, periods
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


# Places: N1, N2, N6 are A1's (catchment H1, lead hub H1), N3 A2's (L1, no catchment hub,
# lead hub H2), N4 has no area (F3, L2, lead hub H2), N5 is A3's (L2, catchment H2, lead hub
# T1). Assessments in January, February, March and May 2024; none in April.
NEEDS_BY_PLACE = """
    assessment_id,episode_id,completed_date,thrive_group,needs
    N1,E02,2024-02-29,getting_help,domestic_abuse
    N2,E04,2024-03-01,getting_help,domestic_abuse;parenting
    N3,E05,2024-03-15,getting_help,parenting
    N4,E08,2024-01-10,getting_help,
    N5,E10,2024-05-31,getting_help,domestic_abuse
    N6,E02,2024-05-01,getting_help,domestic_abuse;domestic_abuse
"""


@pytest.mark.parametrize(
    ("start", "end", "by", "scope", "expected"),
    [
        # February and March whole: A1 has N1 and N2, both domestic abuse; A2 has N3 (0 of
        # 1); A3 none. N4 (January, no area) is outside: no unknown group.
        ("2024-02-01", "2024-03-31", "area", {}, {"A1": (2, 2), "A2": (0, 1), "A3": (0, 0)}),
        # By catchment: H1 = A1; A2 has no catchment hub, so N3 is unknown.
        (
            "2024-02-01",
            "2024-03-31",
            "catchment",
            {},
            {"H1": (2, 2), "H2": (0, 0), "unknown": (0, 1)},
        ),
        # January to May whole: A1 N1 N2 N6 (N6 lists it twice: once) = 3 of 3; A3 N5 1 of 1;
        # N4 unknown, 0 of 1.
        (
            "2024-01-01",
            "2024-05-31",
            "area",
            {},
            {"A1": (3, 3), "A2": (0, 1), "A3": (1, 1), "unknown": (0, 1)},
        ),
        # May to December, past the last month with an assessment: N6 and N5.
        ("2024-05-01", "2024-12-31", "area", {}, {"A1": (1, 1), "A2": (0, 0), "A3": (1, 1)}),
        # Before the first: nothing. April, a month without an assessment: nothing.
        ("2023-01-01", "2023-12-31", "area", {}, {"A1": (0, 0), "A2": (0, 0), "A3": (0, 0)}),
        ("2024-04-01", "2024-04-30", "area", {}, {"A1": (0, 0), "A2": (0, 0), "A3": (0, 0)}),
        # Cut inside months (read from the assessments): from the leap day, N1 N2 N3; March
        # alone, N2 N3.
        ("2024-02-29", "2024-03-31", "area", {}, {"A1": (2, 2), "A2": (0, 1), "A3": (0, 0)}),
        ("2024-03-01", "2024-03-30", "area", {}, {"A1": (1, 1), "A2": (0, 1), "A3": (0, 0)}),
        # A lead-hub filter is not in the monthly totals: H1 leads N1 and N2 (A1), not N3.
        (
            "2024-02-01",
            "2024-03-31",
            "area",
            {"hub": "H1"},
            {"A1": (2, 2), "A2": (0, 0), "A3": (0, 0)},
        ),
        # Within L2 (A3 and families without an area): N5 in A3, N4 unknown.
        ("2024-01-01", "2024-05-31", "area", {"locality": "L2"}, {"A3": (1, 1), "unknown": (0, 1)}),
        # Within catchment H1 by locality: its areas' locality, L1: N1 N2 N6.
        ("2024-01-01", "2024-05-31", "locality", {"catchment": "H1"}, {"L1": (3, 3)}),
    ],
)
def test_need_prevalence_by_area_and_catchment_in_whole_and_cut_months(
    load, start, end, by, scope, expected
):
    # Whole months by area or catchment are read from area_need_totals (running totals by
    # month); the same counts as the assessments themselves give, at each edge of the data.
    city = load(**CITY, assessments__csv=NEEDS_BY_PLACE)
    period = periods.custom(date.fromisoformat(start), date.fromisoformat(end))
    found = metrics.compute(city, "need_prevalence", period, by, metrics.Scope(**scope))
    abuse = rows(found[found.metric == "need_prevalence:domestic_abuse"])
    assert {group: (n, d) for group, (n, d, _) in abuse.items()} == expected
    assert all(v == (n / d if d else None) for n, d, v in abuse.values())
    # Every need, each over the same groups in the same order.
    assert len(found) == 25 * len(expected)
    assert list(found.group[: len(expected)]) == list(expected)


def test_area_need_totals_has_a_column_for_each_need_of_the_contract_in_its_order(city):
    # queries/derive_assessment_facts.sql writes the need columns out one by one.
    columns = [row[0] for row in city.execute("describe area_need_totals").fetchall()]
    needs = [c for c in columns if c.startswith("need_")]
    assert needs == [f"need_{n}" for n in range(1, len(contract.NEED_CODES) + 1)]


# F2 (C3, L1) has no area here, beside F3 (C4, L2): the unknown group spans two localities.
FAMILIES_TWO_WITHOUT_AREA = """
    family_id,locality_id,imd_decile,area_code
    F1,L1,1,A1
    F2,L1,,
    F3,L2,9,
    F4,L2,5,A3
"""
# Closures in 2024-25 (days from start to end): A1 (C1, C2) M1 10, M2 30, M3 69; A3 (C5) M7
# 80 and M8 a transfer; no area M4 4 (C3, L1), M5 20 and M6 30 (C4, L2). M9 closes in 2025-26.
EPISODE_LENGTHS = """
    episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason
    M1,C1,,early_help,H1,2024-04-01,2024-04-11,new_request,outcomes_achieved
    M2,C2,,early_help,H1,2024-05-01,2024-05-31,new_request,other
    M3,C1,,early_help,H1,2024-07-01,2024-09-08,new_request,outcomes_achieved
    M4,C3,,early_help,H1,2024-06-01,2024-06-05,new_request,other
    M5,C4,,early_help,H1,2024-06-01,2024-06-21,new_request,other
    M6,C4,,early_help,H1,2024-08-01,2024-08-31,new_request,other
    M7,C5,,early_help,T1,2025-01-10,2025-03-31,new_request,outcomes_achieved
    M8,C5,,early_help,T1,2024-10-01,2024-10-02,new_request,transfer
    M9,C1,,early_help,H1,2025-04-01,2025-04-05,new_request,other
"""
YEAR_BY_AREA = {"A1": (3, 30.0), "A2": (0, None), "A3": (1, 80.0), "unknown": (3, 20.0)}


@pytest.mark.parametrize(
    ("start", "end", "scope", "expected"),
    [
        # A1: 10, 30, 69 -> 30. A3: 80 (M8 is a transfer). Unknown: 4, 20, 30 -> 20.
        ("2024-04-01", "2025-03-31", {}, YEAR_BY_AREA),
        # The same year less its first day: medians taken in the query, the same answer.
        ("2024-04-02", "2025-03-31", {}, YEAR_BY_AREA),
        # Less its last day: M7 (A3) closes outside.
        ("2024-04-01", "2025-03-30", {}, {**YEAR_BY_AREA, "A3": (0, None)}),
        # L2: A3's 80; its families without an area, M5 20 and M6 30 -> 25 (not L1's M4).
        ("2024-04-01", "2025-03-31", {"locality": "L2"}, {"A3": (1, 80.0), "unknown": (2, 25.0)}),
        # L1: A1 and A2; unknown is M4 alone.
        (
            "2024-04-01",
            "2025-03-31",
            {"locality": "L1"},
            {"A1": (3, 30.0), "A2": (0, None), "unknown": (1, 4.0)},
        ),
        # A catchment or an area filter leaves the families without an area out.
        ("2024-04-01", "2025-03-31", {"catchment": "H1"}, {"A1": (3, 30.0)}),
        ("2024-04-01", "2025-03-31", {"area": "A3"}, {"A3": (1, 80.0)}),
        # Quarter 1 (April to June): A1 10 and 30 -> 20; unknown 4 and 20 -> 12. Quarter 2:
        # A1 69, unknown 30. The same quarter as dates cut a day short: M5 leaves.
        (
            "2024-04-01",
            "2024-06-30",
            {},
            {"A1": (2, 20.0), "A2": (0, None), "A3": (0, None), "unknown": (2, 12.0)},
        ),
        (
            "2024-07-01",
            "2024-09-30",
            {},
            {"A1": (1, 69.0), "A2": (0, None), "A3": (0, None), "unknown": (1, 30.0)},
        ),
        (
            "2024-04-01",
            "2024-06-20",
            {},
            {"A1": (2, 20.0), "A2": (0, None), "A3": (0, None), "unknown": (1, 4.0)},
        ),
        # A lead-hub filter is not in the stored medians: H1 leads all but M7 and M8.
        ("2024-04-01", "2025-03-31", {"hub": "H1"}, {**YEAR_BY_AREA, "A3": (0, None)}),
        # A year with no closure.
        ("2030-04-01", "2031-03-31", {}, {"A1": (0, None), "A2": (0, None), "A3": (0, None)}),
    ],
)
def test_median_episode_length_by_area_for_years_quarters_and_other_periods(
    load, start, end, scope, expected
):
    # By area a financial year or quarter reads medians taken at ingest (area_closure_medians);
    # any other period or a hub filter takes them in the query: the same medians.
    city = load(
        **{**CITY, "families__csv": FAMILIES_TWO_WITHOUT_AREA, "episodes__csv": EPISODE_LENGTHS}
    )
    period = periods.custom(date.fromisoformat(start), date.fromisoformat(end))
    scope = metrics.Scope(**scope)
    found = rows(metrics.compute(city, "median_episode_days", period, "area", scope))
    assert {group: (n, median) for group, (_, n, median) in found.items()} == expected
