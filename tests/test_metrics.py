"""Every metric on tiny hand-built extracts whose answers are worked out in the comments.

The base city (tests/conftest.py): localities L1, L2; hubs H1 (L1), H2 (L2), T1 (citywide
targeted support team, no locality); children C1, C2 (siblings, family F1, L1), C3 (F2, L1),
C4 (F3, L2), C5 (F4, L2, born May 2024). Population 2024: L1 4,000, L2 6,000 aged 0-19.
Unless a test says otherwise the period is 2024-25: 2024-04-01 to 2025-03-31, both inclusive.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from ehts_data import metrics, periods

FY = periods.parse("2024-25")
EMPTY = periods.parse("2010-11")  # before any event, so even open_episodes is 0

REQUESTS = """
    request_id,child_id,received_date,source,hub_id,decision
    R01,C1,2023-05-01,school,H1,early_help
    R02,C1,2024-05-01,school,H1,early_help
    R03,C2,2023-04-30,health,H1,information_advice
    R04,C2,2024-05-01,school,,early_help
    R05,C3,2024-02-29,health,H1,early_help
    R06,C3,2025-02-28,police,H1,targeted_support
    R07,C4,2024-06-10,school,H2,early_help
    R08,C4,2024-06-10,health,T1,early_help
    R09,C5,2025-04-01,health,H2,
    R10,C5,2023-02-28,health,H2,no_further_action
    R11,C5,2024-02-29,health,H2,no_further_action
"""
# Re-referrals in 2024-25 (another request for the same child earlier, on or after date - 12m):
#   R02 C1: R01 2023-05-01 = 2024-05-01 minus exactly 12 months          -> yes
#   R04 C2: R03 2023-04-30 is 12 months and a day before; C1's R02 the same
#           day is a sibling's request, not this child's                     -> no
#   R06 C3: R05 2024-02-29; 2025-02-28 minus 12 months = 2024-02-28 <= R05   -> yes
#   R07 C4: first request for C4 (R08 is the same day but sorts after R07)   -> no
#   R08 C4: R07 the same day, earlier by id                                  -> yes
# R09 is received after the period; R01, R03, R05, R10, R11 before it.
# So 3 of 5 requests. L1 (C1-C3): R02 yes, R04 no, R06 yes = 2/3; L2: R07 no, R08 yes = 1/2.
# Hubs: H1 R02 yes, R06 yes = 2/2; H2 R07 no = 0/1; T1 R08 yes = 1/1; unknown R04 no = 0/1.

EPISODES = """
    episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason
    E01,C1,R01,early_help,H1,2023-03-01,2023-06-15,new_request,outcomes_achieved
    E02,C1,R02,early_help,H1,2024-06-15,,new_request,
    E03,C2,,early_help,H1,2023-01-01,2023-06-14,new_request,declined_or_disengaged
    E04,C2,R04,early_help,H1,2024-06-15,,new_request,
    E05,C3,,early_help,H2,2024-04-01,2024-04-01,new_request,other
    E06,C3,,early_help,T1,2024-04-01,2024-10-01,new_request,transfer
    E07,C3,,targeted_support,T1,2024-10-01,,transfer,
    E08,C4,R07,early_help,H2,2024-05-01,2024-12-01,new_request,step_up_to_social_care
    E09,C4,,early_help,H2,2024-07-01,2025-03-31,new_request,outcomes_achieved
    E10,C5,,targeted_support,T1,2025-03-31,,step_down_from_social_care,
"""
# Starts in 2024-25, transfer starts (E07) excluded: E02 E04 E05 E06 E08 E09 E10 = 7.
# Re-entry (a *different* episode of the child closed on or before the start date and on or
# after the start date minus 12 months):
#   E02 C1: E01 closed 2023-06-15 = 2024-06-15 minus exactly 12 months   -> yes
#   E04 C2: E03 closed 2023-06-14, a day too early                        -> no
#   E05 C3: its own same-day closure does not count; nothing else         -> no
#   E06 C3: E05 closed 2024-04-01, the same day E06 starts                -> yes
#   E08 C4: nothing closed before                                         -> no
#   E09 C4: E08 is open on 2024-07-01 (closes later)                      -> no
#   E10 C5: nothing closed before                                         -> no
# So 2/7. L1 (E02 E04 E05 E06) 2/4; L2 (E08 E09 E10) 0/3.
# Step-down: E10 only = 1/7.
# Closures in 2024-25, transfer closures (E06) excluded: E05 other, E08 step-up,
# E09 outcomes achieved = 3. Step-up 1/3, outcomes achieved 1/3.
# Lengths: E05 0 days, E08 2024-05-01..2024-12-01 = 214, E09 2024-07-01..2025-03-31 = 273;
# median 214.
# Open at 2025-03-31: E02, E04 (no end), E07 (transfer in, still open), E10 (started that
# day). E09 ended that day, so it is not open. = 4.


def clean(v):
    return None if pd.isna(v) else v


def rows(df):
    """{group: (numerator, denominator, value)} with missing values as None."""
    return {
        r.group: (clean(r.numerator), clean(r.denominator), clean(r.value)) for r in df.itertuples()
    }


@pytest.fixture
def con(load):
    return load(requests__csv=REQUESTS, episodes__csv=EPISODES)


def test_requests_counts_events_on_both_boundary_days(load):
    con = load(
        requests__csv="""
            request_id,child_id,received_date,source,hub_id,decision
            A,C1,2024-03-31,school,H1,early_help
            B,C1,2024-04-01,school,H1,early_help
            C,C2,2025-03-31,school,H1,early_help
            D,C2,2025-04-01,school,H1,early_help
        """
    )
    # B (first day) and C (last day) are in 2024-25; A and D are just outside.
    assert rows(metrics.compute(con, "requests", FY)) == {"all": (2, None, 2.0)}


def test_requests_by_locality_and_hub_report_unknown_hub(con):
    # In period: R02 (H1, L1), R04 (no hub, L1), R06 (H1, L1), R07 (H2, L2), R08 (T1, L2).
    assert rows(metrics.compute(con, "requests", FY, "locality")) == {
        "L1": (3, None, 3.0),
        "L2": (2, None, 2.0),
    }
    assert rows(metrics.compute(con, "requests", FY, "hub")) == {
        "H1": (2, None, 2.0),
        "H2": (1, None, 1.0),
        "T1": (1, None, 1.0),
        "unknown": (1, None, 1.0),
    }


def test_requests_per_10k_uses_locality_population(con):
    # L1 3 requests / 4,000 × 10,000 = 7.5; L2 2 / 6,000 × 10,000 = 3.333…; all 5 / 10,000.
    result = rows(metrics.compute(con, "requests_per_10k", FY, "locality"))
    assert result["L1"] == (3, 4000, 7.5)
    assert result["L2"][:2] == (2, 6000)
    assert result["L2"][2] == pytest.approx(10000 * 2 / 6000)
    assert rows(metrics.compute(con, "requests_per_10k", FY)) == {"all": (5, 10000, 5.0)}


def test_requests_per_10k_by_hub_has_no_rate(con):
    result = rows(metrics.compute(con, "requests_per_10k", FY, "hub"))
    assert result["H1"] == (2, None, None)
    assert all(value is None for _, _, value in result.values())


def test_requests_per_10k_falls_back_to_latest_earlier_population_year(load):
    con = load(
        population__csv="""
            locality_id,year,age,population
            L1,2023,0,1000
            L1,2025,0,9999
            L2,2022,0,500
            L2,2024,0,2000
        """,
        requests__csv=REQUESTS,
    )
    # 2024-25 starts in 2024: L1 has no 2024, so its latest earlier year 2023 (1,000; the
    # later 2025 is never used); L2 has 2024 (2,000). All = 3,000.
    result = rows(metrics.compute(con, "requests_per_10k", FY, "locality"))
    assert result["L1"] == (3, 1000, 30.0)
    assert result["L2"] == (2, 2000, 10.0)
    # 2022-23 starts in 2022: L1 has no year on or before 2022, so no rate; L2 uses 2022
    # (500) for its one request in that year (R10, 2023-02-28): 1 / 500 × 10,000 = 20.
    earlier = rows(metrics.compute(con, "requests_per_10k", periods.parse("2022-23"), "locality"))
    assert earlier["L1"] == (0, None, None)
    assert earlier["L2"] == (1, 500, 20.0)
    # A custom period starting in January 2025 uses mid-2025 where it exists (L1: R06).
    jan = periods.custom(date(2025, 1, 1), date(2025, 3, 31))
    result = rows(metrics.compute(con, "requests_per_10k", jan, "locality"))
    assert result["L1"] == (1, 9999, pytest.approx(10000 / 9999))


def test_re_referral_rate_worked_example(con):
    assert rows(metrics.compute(con, "re_referral_12m_rate", FY)) == {"all": (3, 5, 0.6)}
    by_locality = rows(metrics.compute(con, "re_referral_12m_rate", FY, "locality"))
    assert by_locality["L1"][:2] == (2, 3) and by_locality["L2"] == (1, 2, 0.5)
    assert rows(metrics.compute(con, "re_referral_12m_rate", FY, "hub")) == {
        "H1": (2, 2, 1.0),
        "H2": (0, 1, 0.0),
        "T1": (1, 1, 1.0),
        "unknown": (0, 1, 0.0),
    }


def test_re_referral_on_29_february_looks_back_to_28_february(con):
    # 2024-01-01..2024-03-31: R05 (C3, 2024-02-29, first request) no; R11 (C5, 2024-02-29)
    # with R10 on 2023-02-28 = 2024-02-29 minus 12 months -> yes. 1/2.
    q = periods.custom(date(2024, 1, 1), date(2024, 3, 31))
    assert rows(metrics.compute(con, "re_referral_12m_rate", q)) == {"all": (1, 2, 0.5)}


def test_episode_counts_exclude_transfers(con):
    assert rows(metrics.compute(con, "episodes_started", FY)) == {"all": (7, None, 7.0)}
    assert rows(metrics.compute(con, "episodes_closed", FY)) == {"all": (3, None, 3.0)}


def test_open_episodes_at_period_end(con):
    assert rows(metrics.compute(con, "open_episodes", FY)) == {"all": (4, None, 4.0)}
    # At the end of 2024-25-Q1 (2024-06-30): E02, E04 (started 06-15), E06 (to 10-01),
    # E08 (to 12-01) are open; E05 closed 04-01; E09 starts in July. = 4.
    assert rows(metrics.compute(con, "open_episodes", periods.parse("2024-25-Q1"))) == {
        "all": (4, None, 4.0)
    }


def test_re_entry_rate_worked_example(con):
    assert rows(metrics.compute(con, "re_entry_12m_rate", FY)) == {
        "all": (2, 7, pytest.approx(2 / 7))
    }
    by_locality = rows(metrics.compute(con, "re_entry_12m_rate", FY, "locality"))
    assert by_locality["L1"] == (2, 4, 0.5)
    assert by_locality["L2"] == (0, 3, 0.0)


def test_step_down_and_step_up_and_outcomes_shares(con):
    assert rows(metrics.compute(con, "step_down_rate", FY)) == {"all": (1, 7, pytest.approx(1 / 7))}
    assert rows(metrics.compute(con, "step_up_rate", FY)) == {"all": (1, 3, pytest.approx(1 / 3))}
    assert rows(metrics.compute(con, "outcomes_achieved_rate", FY)) == {
        "all": (1, 3, pytest.approx(1 / 3))
    }
    # By hub: the step-down E10 was led by T1, where E06 also started (E07 is a transfer).
    assert rows(metrics.compute(con, "step_down_rate", FY, "hub"))["T1"] == (1, 2, 0.5)


def test_median_episode_days_includes_same_day_episodes(con):
    assert rows(metrics.compute(con, "median_episode_days", FY)) == {"all": (None, 3, 214.0)}
    # L2 closures: E08 214 and E09 273 -> the mean of the middle two, 243.5.
    assert rows(metrics.compute(con, "median_episode_days", FY, "locality"))["L2"] == (
        None,
        2,
        243.5,
    )
    # The authority-wide median is read from counts per length: check an even count there too
    # (December to March closes E08 and E09) and a period where nothing closed.
    winter = periods.custom(date(2024, 12, 1), date(2025, 3, 31))
    assert rows(metrics.compute(con, "median_episode_days", winter)) == {"all": (None, 2, 243.5)}
    empty = periods.custom(date(2025, 4, 1), date(2025, 6, 30))
    assert rows(metrics.compute(con, "median_episode_days", empty)) == {"all": (None, 0, None)}


def test_empty_period_gives_zero_counts_and_null_rates(con):
    for metric in metrics.METRICS:
        df = metrics.compute(con, metric.id, EMPTY)
        assert len(df) >= 1, metric.id
        for numerator, denominator, value in rows(df).values():
            if metric.kind == "count":
                assert (numerator, value) == (0, 0.0), metric.id
            elif metric.id != "requests_per_10k":
                assert value is None, metric.id
                assert denominator == 0, metric.id


def test_every_group_is_listed_even_without_events(con):
    # Nothing happened at H2 in this quarter, but the hub still has a row.
    q = periods.parse("2024-25-Q4")
    result = rows(metrics.compute(con, "step_up_rate", q, "hub"))
    assert set(result) == {"H1", "H2", "T1"}
    assert result["H1"] == (0, 0, None)


ASSESSMENTS = """
    assessment_id,episode_id,completed_date,thrive_group,needs
    A1,E02,2024-07-01,getting_help,domestic_abuse;parental_mental_health
    A2,E04,2024-07-01,getting_more_help,domestic_abuse; domestic_abuse
    A3,E08,2024-06-01,getting_advice,
    A4,E01,2023-05-01,getting_help,domestic_abuse
"""


def test_need_prevalence_worked_example(load):
    con = load(requests__csv=REQUESTS, episodes__csv=EPISODES, assessments__csv=ASSESSMENTS)
    # In 2024-25: A1, A2, A3 (A4 is earlier). A2 lists domestic abuse twice: counted once.
    # A3 lists no need but is still an assessment. Domestic abuse 2/3, parental MH 1/3.
    result = metrics.compute(con, "need_prevalence", FY)
    by_metric = {r.metric: (r.numerator, r.denominator, r.value) for r in result.itertuples()}
    assert len(by_metric) == 25
    assert by_metric["need_prevalence:domestic_abuse"] == (2, 3, pytest.approx(2 / 3))
    assert by_metric["need_prevalence:parental_mental_health"] == (1, 3, pytest.approx(1 / 3))
    assert by_metric["need_prevalence:worklessness"] == (0, 3, 0.0)
    # By locality: L1 is A1 and A2 (C1, C2) -> 2/2; L2 is A3 (C4) -> 0/1.
    local = metrics.compute(con, "need_prevalence", FY, "locality")
    da = local[local.metric == "need_prevalence:domestic_abuse"]
    assert rows(da) == {"L1": (2, 2, 1.0), "L2": (0, 1, 0.0)}


def test_need_prevalence_periods_that_cut_months(load):
    # Whole months are read from monthly counts and the other days from need rows: periods
    # that start or end inside a month, or hold no whole month, must count each day once.
    con = load(
        requests__csv=REQUESTS,
        episodes__csv=EPISODES,
        assessments__csv="""
            assessment_id,episode_id,completed_date,thrive_group,needs
            A1,E02,2024-07-01,getting_help,domestic_abuse;parental_mental_health
            A2,E04,2024-07-31,getting_help,domestic_abuse
            A3,E08,2024-08-01,getting_help,parental_mental_health
            A4,E02,2024-08-15,getting_help,domestic_abuse
            A5,E04,2024-09-30,getting_help,domestic_abuse
            A6,E05,2024-02-29,getting_help,domestic_abuse
            A7,E08,2024-03-01,getting_help,
        """,
    )

    def domestic_abuse(start, end):
        result = metrics.compute(con, "need_prevalence", periods.custom(start, end))
        row = result.set_index("metric").loc["need_prevalence:domestic_abuse"]
        return int(row.numerator), int(row.denominator)

    # 31 Jul to 15 Aug, no whole month: A2, A3, A4; A2 and A4 list domestic abuse.
    assert domestic_abuse(date(2024, 7, 31), date(2024, 8, 15)) == (2, 3)
    # July and August whole: A1 A2 A3 A4.
    assert domestic_abuse(date(2024, 7, 1), date(2024, 8, 31)) == (3, 4)
    # 2 Jul to 30 Sep: part of July (A2), whole August (A3 A4), whole September (A5).
    assert domestic_abuse(date(2024, 7, 2), date(2024, 9, 30)) == (3, 4)
    # 1 Jul to 30 Sep less a day: whole July, whole August, 1-29 September (not A5).
    assert domestic_abuse(date(2024, 7, 1), date(2024, 9, 29)) == (3, 4)
    # The leap day alone, then February 2024 whole (ends on the 29th), then 29 Feb - 1 Mar.
    assert domestic_abuse(date(2024, 2, 29), date(2024, 2, 29)) == (1, 1)
    assert domestic_abuse(date(2024, 2, 1), date(2024, 2, 29)) == (1, 1)
    assert domestic_abuse(date(2024, 2, 29), date(2024, 3, 1)) == (1, 2)
    # A month with no assessment, whole or cut.
    assert domestic_abuse(date(2024, 10, 1), date(2024, 10, 31)) == (0, 0)
    assert domestic_abuse(date(2024, 10, 5), date(2024, 11, 20)) == (0, 0)


def test_survey_agree_rate_and_citywide_team_locality(load):
    con = load(
        survey_responses__csv="""
            response_id,hub_id,response_date,survey,respondent,outcome_area,score
            S1,H1,2024-05-01,annual,parent_carer,1,5
            S2,H1,2024-05-01,annual,parent_carer,2,4
            S3,H1,2024-05-01,annual,parent_carer,3,3
            S4,T1,2024-05-01,monthly,child_young_person,5,1
            S5,T1,2024-05-01,monthly,professional,5,4
            S6,H2,2023-01-01,monthly,parent_carer,5,5
        """
    )
    # In period S1-S5; agree (4 or 5): S1, S2, S5 = 3/5. S6 is outside.
    assert rows(metrics.compute(con, "survey_agree_rate", FY)) == {"all": (3, 5, 0.6)}
    # The citywide team has no locality: its responses are reported as 'unknown'.
    by_locality = rows(metrics.compute(con, "survey_agree_rate", FY, "locality"))
    assert by_locality == {
        "L1": (2, 3, pytest.approx(2 / 3)),
        "L2": (0, 0, None),
        "unknown": (1, 2, 0.5),
    }


@pytest.mark.parametrize(
    ("child", "on", "band"),
    [
        ("C5", "2024-04-30", "unborn"),  # born 2024-05: the month starts after the event
        ("C5", "2024-05-01", "under_1"),  # first day of the birth month
        ("C5", "2025-04-30", "under_1"),
        ("C5", "2025-05-01", "1_4"),
        ("C1", "2020-05-31", "1_4"),  # born 2015-06
        ("C1", "2020-06-01", "5_9"),
        ("C4", "2026-08-31", "10_15"),  # born 2010-09
        ("C4", "2026-09-01", "16_plus"),
    ],
)
def test_age_band_at_request(load, child, on, band):
    con = load(
        requests__csv=f"""
            request_id,child_id,received_date,source,hub_id,decision
            X,{child},{on},health,H1,
        """
    )
    assert con.execute("select age_band from request_facts").fetchone()[0] == band


def test_compute_all_returns_every_metric_in_the_tidy_shape(con):
    df = metrics.compute_all(con, FY, "locality")
    assert list(df.columns) == ["metric", "group", "numerator", "denominator", "value"]
    ids = {m.split(":")[0] for m in df.metric}
    assert ids == set(metrics.REGISTRY)


def test_unknown_breakdown_is_refused(con):
    with pytest.raises(ValueError, match="breakdown"):
        metrics.compute(con, "requests", FY, "ward")


# --- Family metrics (domain.md "Family-level metrics") -----------------------------------------
# Families (conftest): F1 = C1, C2 (L1, decile 1); F2 = C3 (L1); F3 = C4 (L2, 9); F4 = C5 (L2, 5).


def test_families_with_requests_counts_each_family_once(con):
    # 2024-25: R02 C1 and R04 C2 (both F1), R06 C3 (F2), R07 and R08 C4 (F3): 3 families.
    assert rows(metrics.compute(con, "families_with_requests", FY)) == {"all": (3, None, 3.0)}
    assert rows(metrics.compute(con, "families_with_requests", FY, "locality")) == {
        "L1": (2, None, 2.0),
        "L2": (1, None, 1.0),
    }
    assert rows(metrics.compute(con, "families_with_requests", EMPTY))["all"] == (0, None, 0.0)


def test_families_supported_counts_families_with_an_episode_open_in_the_period(con):
    # Open at some time in 2024-25: E02, E04 (F1), E05 (ends on the first day), E06, E07 (F2),
    # E08, E09 (F3), E10 (F4, starts on the last day). E01 and E03 ended in 2023. 4 families.
    assert rows(metrics.compute(con, "families_supported", FY)) == {"all": (4, None, 4.0)}
    # One day, 2023-06-15: E01 closes that day (F1), E03 closed the day before: 1 family.
    day = periods.custom(date(2023, 6, 15), date(2023, 6, 15))
    assert rows(metrics.compute(con, "families_supported", day)) == {"all": (1, None, 1.0)}


def test_family_re_entry_on_the_base_episodes(con):
    # Families starting (non-transfer) in 2024-25 and their first start S:
    #   F1 S = 2024-06-15 (E02, E04 the same day: counted once). Earlier episodes of F1: E01
    #      closed 2023-06-15 = S minus exactly 12 months -> within; E03 closed a day too early;
    #      neither is open on S                                                   -> re-enters
    #   F2 S = 2024-04-01 (E05, E06): nothing of F2 started before S              -> no
    #   F3 S = 2024-05-01 (E08): nothing before                                   -> no
    #   F4 S = 2025-03-31 (E10): nothing before                                   -> no
    assert rows(metrics.compute(con, "family_re_entry_12m_rate", FY)) == {"all": (1, 4, 0.25)}
    assert rows(metrics.compute(con, "family_re_entry_12m_rate", FY, "locality")) == {
        "L1": (1, 2, 0.5),
        "L2": (0, 2, 0.0),
    }
    assert rows(metrics.compute(con, "family_re_entry_12m_rate", EMPTY))["all"] == (0, 0, None)


def test_family_re_entry_needs_no_earlier_episode_still_open_and_counts_siblings(load):
    con = load(
        requests__csv=REQUESTS,
        episodes__csv="""
            episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason
            A1,C1,,early_help,H1,2023-06-01,2024-02-29,new_request,outcomes_achieved
            A2,C2,,early_help,H1,2025-02-28,,new_request,
            B1,C4,,early_help,H2,2023-01-01,2024-01-10,new_request,outcomes_achieved
            B2,C4,,early_help,H2,2023-06-01,,new_request,
            B3,C4,,early_help,H2,2024-05-01,,new_request,
            D1,C3,,early_help,H1,2024-01-01,2024-07-01,new_request,other
            D2,C3,,early_help,H1,2024-07-01,,new_request,
            X1,C5,,early_help,H2,2024-03-01,2024-03-30,new_request,outcomes_achieved
            X2,C5,,early_help,H2,2025-03-31,,new_request,
        """,
    )
    # F1: S = 2025-02-28 (C2's start). C1's A1 closed 2024-02-29; S minus 12 months is
    #     2024-02-28 (no 29 February in 2025), so the closure is within -> re-enters, through
    #     a sibling's episode.
    # F3: S = 2024-05-01. B1 closed 2024-01-10 (within) but B2, started before S, is still
    #     open on S -> does not re-enter.
    # F2: S = 2024-07-01. D1 closed that same day (on or before S, not after it: not open)
    #     -> re-enters.
    # F4: S = 2025-03-31, whose 12 months reach back to 2024-03-31; X1 closed 2024-03-30, 12
    #     months and a day before -> does not re-enter.
    result = rows(metrics.compute(con, "family_re_entry_12m_rate", FY, "locality"))
    assert result == {"L1": (2, 2, 1.0), "L2": (0, 2, 0.0)}


# Assessments whose needs span several headline groups per family (tests/test_area_filter.py
# reads them too).
MULTIPLE_NEEDS = """
    assessment_id,episode_id,completed_date,thrive_group,needs
    S1,E02,2024-07-01,getting_help,parenting;child_behaviour
    S2,E04,2024-07-02,getting_help,school_attendance;domestic_abuse
    S3,E05,2024-04-01,getting_help,parenting;parental_conflict;young_carer;child_behaviour
    S4,E08,2024-06-01,getting_help,debt_or_poverty;housing_insecurity
    S5,E09,2025-04-01,getting_help,school_attendance
    S6,E10,2025-03-31,getting_help,
"""


def test_families_multiple_needs_rate_pools_the_familys_assessments(load):
    con = load(requests__csv=REQUESTS, episodes__csv=EPISODES, assessments__csv=MULTIPLE_NEEDS)
    # F1: S1 (C1) relationships twice + S2 (C2, a sibling) education and domestic abuse =
    #     3 groups across two children's assessments                               -> yes
    # F2: S3 four needs, all in relationships = 1 group                              -> no
    # F3: S4 financial, housing = 2 groups (S5 is after the period)                  -> no
    # F4: S6 lists no need = 0 groups                                                -> no
    assert rows(metrics.compute(con, "families_multiple_needs_rate", FY)) == {"all": (1, 4, 0.25)}
    assert rows(metrics.compute(con, "families_multiple_needs_rate", FY, "imd_decile"))["1"] == (
        1,
        1,
        1.0,
    )

    # Years and quarters read the groups counted at ingest (family_need_periods); any other
    # span groups the assessments in the query. Both follow the definition:
    # 2024-25-Q1 (April-June): F2 (S3) 1 group, F3 (S4) 2 groups -> 0 of 2; Q2: F1 (S1, S2) 3
    # groups -> 1 of 1; 2024-03-31 to 2025-03-31 is the year and a day with no assessment -> as FY.
    def rate(period):
        return rows(metrics.compute(con, "families_multiple_needs_rate", period))["all"]

    assert rate(periods.parse("2024-25-Q1")) == (0, 2, 0.0)
    assert rate(periods.parse("2024-25-Q2")) == (1, 1, 1.0)
    assert rate(periods.custom(date(2024, 3, 31), date(2025, 3, 31))) == (1, 4, 0.25)


def test_family_counts_with_a_hub_or_service_filter_take_only_those_rows(con):
    # With a filter the counts take another path (the unfiltered one reads precomputed
    # windows): both must follow the same definitions.
    def count(metric_id, **scope):
        return rows(metrics.compute(con, metric_id, FY, scope=metrics.Scope(**scope)))["all"]

    # Requests received by H1 in 2024-25: R02 (C1, F1), R06 (C3, F2) -> 2 families; by T1: R08
    # (C4, F3) -> 1. R04 (F1) has no hub.
    assert count("families_with_requests", hub="H1") == (2, None, 2.0)
    assert count("families_with_requests", hub="T1") == (1, None, 1.0)
    # Targeted support open in 2024-25: E07 (C3, F2), E10 (C5, F4) -> 2 families, 2 children.
    assert count("families_supported", service="targeted_support") == (2, None, 2.0)
    assert count("children_supported", service="targeted_support") == (2, None, 2.0)
    # Led by H1 and open: E02 (C1), E04 (C2), both F1 -> 1 family, 2 children.
    assert count("families_supported", hub="H1") == (1, None, 1.0)
    assert count("children_supported", hub="H1") == (2, None, 2.0)
    # Family re-entry led by H1: F1 starts on 2024-06-15 (E02, E04) and re-enters (E01 closed
    # exactly 12 months before) -> 1 of 1. Led by H2: F2 (E05, nothing before) and F3 (E08;
    # E09 starts later) -> 0 of 2. Early help led by T1: F2's E06 starts the same day as E05,
    # so nothing of F2 started before it -> 0 of 1.
    assert count("family_re_entry_12m_rate", hub="H1") == (1, 1, 1.0)
    assert count("family_re_entry_12m_rate", hub="H2") == (0, 2, 0.0)
    assert count("family_re_entry_12m_rate", hub="T1", service="early_help") == (0, 1, 0.0)


def test_children_supported_counts_each_child_once(con):
    # Open at some time in 2024-25: C1 (E02), C2 (E04), C3 (E05, E06, E07), C4 (E08, E09),
    # C5 (E10): 5 children in 4 families.
    assert rows(metrics.compute(con, "children_supported", FY)) == {"all": (5, None, 5.0)}
    assert rows(metrics.compute(con, "children_supported", FY, "locality")) == {
        "L1": (3, None, 3.0),
        "L2": (2, None, 2.0),
    }


# Periods read together (trends, sparklines) must give exactly what a query per period gives:
# 2024-25 (the worked examples above), 29 February alone, a day of exactly 12 months' look-back
# (2024-06-15), an empty year, and 2024-25 again (a period asked twice).
MANY = [
    FY,
    periods.custom(date(2024, 2, 29), date(2024, 2, 29)),
    periods.custom(date(2024, 6, 15), date(2024, 6, 15)),
    EMPTY,
    periods.parse("2024-25-Q1"),
    FY,
]


def _same_as_one_by_one(con, metric_ids, scope=metrics.ALL, by_all=True):
    for metric_id in metric_ids:
        metric = metrics.REGISTRY[metric_id]
        # A breakdown of each kind: none, places (by the family's area and by episode's hub)
        # and a child attribute.
        kinds = ("none", "locality", "hub", "area", "sex") if by_all else ("none",)
        for by in (b for b in kinds if b in metric.breakdowns):
            together = metrics.compute_periods(con, metric_id, MANY, by, scope)
            for period, got in zip(MANY, together, strict=True):
                want = metrics.compute(con, metric_id, period, by, scope)
                pd.testing.assert_frame_equal(got, want, obj=f"{metric_id}/{by}/{period.label}")


def test_periods_read_in_one_query_match_a_query_each(con):
    assert metrics._many_sql("requests") is not None  # the one-query path is the one tested
    _same_as_one_by_one(con, [m.id for m in metrics.METRICS])
    _same_as_one_by_one(con, ["re_entry_12m_rate", "requests"], metrics.Scope(locality="L1"))


def test_no_metric_query_uses_the_names_the_one_query_form_adds():
    # The form reads the periods as `asked` and the metric's rows as `found`, around the
    # query's own text: a name of the query's own would be taken for them.
    from ehts_data import store

    for metric in metrics.METRICS:
        words = set(re.findall(r"\w+", store.load_sql(metric.sql).lower()))
        assert not words & {"asked", "asked_index"}, metric.id


def test_periods_on_a_large_extract_are_read_a_query_each(con, monkeypatch):
    monkeypatch.setattr(metrics, "MANY_IN_ONE_QUERY_MAX_REQUESTS", 0)
    calls = []
    one = metrics.compute
    monkeypatch.setattr(metrics, "compute", lambda *a, **k: calls.append(a[2]) or one(*a, **k))
    found = metrics.compute_periods(con, "requests", MANY)
    assert sorted(p.label for p in calls) == sorted(p.label for p in MANY)  # two at a time
    # 2024-25: R02 R04 R06 R07 R08; 29 February: R05 R11; 2024-06-15: none; 2010-11: none;
    # 2024-25 Q1: R02 R04 R07 R08.
    assert [int(df.iloc[0]["value"]) for df in found] == [5, 2, 0, 0, 4, 5]


def test_need_prevalence_keeps_its_own_order_a_query_each(con):
    # Its rows are ordered by need before group, which the one-query form does not repeat.
    assert metrics._many_sql("need_prevalence") is None
    _same_as_one_by_one(con, ["need_prevalence"], by_all=False)


def test_periods_read_together_within_a_small_area(sample_db):
    from ehts_data import store

    con = store.connect(sample_db)
    area = con.execute("select area_code from areas order by 1 limit 1").fetchone()[0]
    _same_as_one_by_one(
        con, ["requests_per_10k", "families_supported"], metrics.Scope(area=area), by_all=False
    )
