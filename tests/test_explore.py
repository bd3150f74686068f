"""Page breakdowns on hand-built extracts: the request-to-closure flow and the needs analysis.

Every expected number is worked out by hand from the rows below (financial year 2024-25,
1 April 2024 to 31 March 2025).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ehts_data import explore, periods, scorecard, store
from ehts_data.metrics import Scope

FY = periods.financial_year(2024)

# Children C1-C3 live in L1, C4-C5 in L2 (tests/conftest.py BASE).
REQUESTS = """
    request_id,child_id,received_date,source,hub_id,decision
    R1,C1,2024-05-01,school,H1,early_help
    R2,C2,2024-06-01,health,H1,targeted_support
    R3,C3,2024-07-01,police,H1,
    R4,C4,2024-03-31,school,H2,early_help
    R5,C5,2024-08-01,school,H2,early_help
    R6,C4,2025-03-31,school,H2,no_further_action
"""
# E2 and E3 both come from R2 (a transfer between teams); E4 comes from a request received the
# day before the year; E6 is a step-down with no request; E7 is a step-down after the year.
EPISODES = """
    episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason
    E1,C1,R1,early_help,H1,2024-05-10,2024-09-01,new_request,outcomes_achieved
    E2,C2,R2,targeted_support,T1,2024-06-05,2024-07-01,new_request,transfer
    E3,C2,R2,targeted_support,T1,2024-07-01,,transfer,
    E4,C4,R4,early_help,H2,2024-04-02,2024-06-01,new_request,moved_away
    E5,C5,R5,early_help,H2,2024-08-02,,new_request,
    E6,C4,,early_help,H2,2024-10-01,2025-01-01,step_down_from_social_care,step_up_to_social_care
    E7,C1,,early_help,H1,2025-04-01,,step_down_from_social_care,
"""


def _links(df, stage):
    rows = df[df["stage"] == stage]
    return {(r.source, r.target): int(r.children) for r in rows.itertuples()}


@pytest.fixture
def flow_con(load):
    return load(requests__csv=REQUESTS, episodes__csv=EPISODES)


def test_flow_follows_requests_in_the_period_to_their_episodes_and_closures(flow_con):
    df = explore.episode_flow(flow_con, FY)
    assert _links(df, 1) == {
        ("early_help", "early_help"): 2,  # R1→E1, R5→E5 (R4 was received before the year)
        ("targeted_support", "targeted_support"): 2,  # R2→E2 and R2→E3
        ("undecided", "no_episode"): 1,  # R3
        ("no_further_action", "no_episode"): 1,  # R6, on the year's last day
        ("step_down_from_social_care", "early_help"): 1,  # E6 (E7 starts after the year)
    }
    assert _links(df, 2) == {
        ("early_help", "outcomes_achieved"): 1,
        ("early_help", "still_open"): 1,
        ("early_help", "step_up_to_social_care"): 1,
        ("targeted_support", "transfer"): 1,
        ("targeted_support", "still_open"): 1,
    }


def test_flow_with_a_service_filter_shows_other_services_requests_as_no_episode(flow_con):
    df = explore.episode_flow(flow_con, FY, Scope(service="early_help"))
    assert _links(df, 1) == {
        ("early_help", "early_help"): 2,
        ("targeted_support", "no_episode"): 1,  # R2 counted once, its two episodes filtered out
        ("undecided", "no_episode"): 1,
        ("no_further_action", "no_episode"): 1,
        ("step_down_from_social_care", "early_help"): 1,
    }


def test_flow_filters_requests_by_their_own_hub_and_step_downs_by_the_episode_hub(flow_con):
    # R1-R3 came in at H1; R2's episodes are with the citywide team T1 and still count.
    # The step-down E6 is at H2, so it drops out.
    df = explore.episode_flow(flow_con, FY, Scope(hub="H1"))
    assert _links(df, 1) == {
        ("early_help", "early_help"): 1,
        ("targeted_support", "targeted_support"): 2,
        ("undecided", "no_episode"): 1,
    }
    df = explore.episode_flow(flow_con, FY, Scope(locality="L2"))
    assert _links(df, 1) == {
        ("early_help", "early_help"): 1,  # R5 (R4 is before the year)
        ("no_further_action", "no_episode"): 1,
        ("step_down_from_social_care", "early_help"): 1,
    }


def test_flow_of_an_empty_period_has_no_links(flow_con):
    assert explore.episode_flow(flow_con, periods.financial_year(2030)).empty


ASSESSMENTS = """
    assessment_id,episode_id,completed_date,thrive_group,needs
    A1,E1,2024-06-01,getting_help,parenting;school_attendance;exclusion_risk
    A2,E1,2024-08-01,getting_help,parenting
    A3,E5,2024-09-01,getting_advice,
    A4,E6,2024-12-01,getting_risk_support,domestic_abuse;parenting;parental_conflict
    A5,E6,2025-04-02,getting_risk_support,domestic_abuse
"""


@pytest.fixture
def needs_con(load):
    return load(requests__csv=REQUESTS, episodes__csv=EPISODES, assessments__csv=ASSESSMENTS)


def test_need_group_prevalence_counts_an_assessment_once_per_group(needs_con):
    df = explore.need_group_prevalence(needs_con, "all", FY)
    got = {r.need_group: (int(r.assessments_listing), int(r.assessments)) for r in df.itertuples()}
    # A1 lists two education needs and A4 two relationship needs: each counts once.
    assert got["relationships"] == (3, 4)  # A1, A2, A4 of A1-A4 (A5 is after the year)
    assert got["education"] == (1, 4)
    assert got["domestic_abuse"] == (1, 4)
    assert got["housing"] == (0, 4)
    assert len(got) == 10
    by_locality = explore.need_group_prevalence(needs_con, "locality", FY)
    rel = by_locality[by_locality["need_group"] == "relationships"].set_index("category")
    assert int(rel.at["L1", "assessments_listing"]) == 2 and int(rel.at["L1", "assessments"]) == 2
    assert int(rel.at["L2", "assessments_listing"]) == 1 and int(rel.at["L2", "assessments"]) == 2


def test_need_cooccurrence_shares_are_of_assessments_listing_the_first_need(needs_con):
    df = explore.need_cooccurrence(needs_con, FY)
    got = {
        (r.need, r.also_need): (int(r.assessments_listing_both), int(r.assessments_listing_need))
        for r in df.itertuples()
    }
    assert got[("parenting", "parenting")] == (3, 3)
    assert got[("parenting", "school_attendance")] == (1, 3)
    assert got[("school_attendance", "parenting")] == (1, 1)
    assert got[("parenting", "domestic_abuse")] == (1, 3)
    assert got[("domestic_abuse", "parental_conflict")] == (1, 1)
    assert ("school_attendance", "domestic_abuse") not in got
    # 3 needs on A1 and 3 on A4 give 9 ordered pairs each; parenting-parenting is shared.
    assert len(got) == 17
    scoped = explore.need_cooccurrence(needs_con, FY, Scope(locality="L2"))
    assert set(scoped["need"]) == {"domestic_abuse", "parenting", "parental_conflict"}


def test_a_12_month_rule_is_withheld_where_the_data_has_no_12_months_before(sample_db):
    # The sample starts on 2021-04-01: 2021-22 has no look-back, 2022-23 has exactly 12 months.
    with store.connect(sample_db) as con:
        first = explore.headlines(con, periods.parse("2021-22")).set_index("metric")
        second = explore.headlines(con, periods.parse("2022-23")).set_index("metric")
        card = scorecard.load()
        kpi = card.get("re_entry")
        withheld = scorecard.evaluate_kpi(con, kpi, card, periods.parse("2021-22"), trend=False)
    for metric_id in ("re_entry_12m_rate", "re_referral_12m_rate"):
        assert pd.isna(first.at[metric_id, "value"]) and "12 months" in first.at[metric_id, "note"]
        assert not pd.isna(second.at[metric_id, "value"]) and second.at[metric_id, "note"] is None
        assert pd.isna(second.at[metric_id, "previous_value"])  # 2021-22 again
    assert first.at["requests", "value"] > 0  # counts need no look-back
    assert withheld.value is None and withheld.rag is None


def test_monthly_volumes_add_up_to_each_file_and_staleness_counts_days(sample_db):
    from datetime import date

    with store.connect(sample_db) as con:
        volumes = explore.monthly_volumes(con)
        coverage = explore.table_coverage(con).set_index("table_name")
        unknown = explore.unknown_share_monthly(con)
        stale = explore.staleness(con, date(2026, 4, 30))
    by_source = volumes[(volumes["file"] == "requests.csv") & (volumes["dimension"] == "source")]
    assert by_source["rows"].sum() == coverage.at["requests", "rows"]
    by_hub = volumes[(volumes["file"] == "requests.csv") & (volumes["dimension"] == "hub")]
    assert by_hub["rows"].sum() == coverage.at["requests", "rows"]
    hub_unknown = unknown[unknown["field"] == "hub"]
    assert hub_unknown["requests"].sum() == coverage.at["requests", "rows"]
    assert (hub_unknown["unknown"] / hub_unknown["requests"] == hub_unknown["share"]).all()
    assert stale["requests"] == {"last_date": date(2026, 3, 31), "days": 30}


def test_request_to_start_waits_and_caseload_on_hand_built_episodes(load):
    from tests.test_metrics import EPISODES, REQUESTS

    con = load(requests__csv=REQUESTS, episodes__csv=EPISODES)
    year = periods.parse("2024-25")
    # From a request, started in 2024-25: E02 (R02 2024-05-01 -> 2024-06-15: 45 days, H1),
    # E04 (R04, the same: 45 days, H1); E08 starts before its request R07 (left out).
    waits = explore.request_to_start(con, "hub", year).set_index("group")
    assert waits.loc["H1", ["episodes", "median_days", "within_28_days"]].tolist() == [2, 45, 0]
    assert list(waits.index) == ["H1"]
    # Open at the end of March 2025: E02, E04 (H1); E07 and E10 (T1, E10 starting that day).
    march = periods.custom(date(2025, 3, 1), date(2025, 3, 31))
    caseload = explore.caseload_monthly(con, march)
    assert caseload[["hub_id", "open_episodes"]].values.tolist() == [["H1", 2], ["T1", 2]]
    assert (caseload["month_end"].dt.date == date(2025, 3, 31)).all()


def test_the_monthly_volume_grid_shows_a_month_with_no_rows_as_zero(load):
    from tests.test_metrics import EPISODES, REQUESTS

    con = load(requests__csv=REQUESTS, episodes__csv=EPISODES)
    grid = explore.monthly_volume_grid(con)
    months = pd.date_range(grid["month"].min(), grid["month"].max(), freq="MS")
    for _, series in grid.groupby("series"):
        assert list(series["month"]) == list(months)  # every month, in order, once
    school = grid[grid["series"] == "requests.csv, by source: School"].set_index("month")
    # R01 (May 2023) and R02, R04 (May 2024), R07 (Jun 2024): nothing in between.
    assert school.at[pd.Timestamp("2024-05-01"), "rows"] == 2
    assert school.at[pd.Timestamp("2023-12-01"), "rows"] == 0
    assert school.at[pd.Timestamp("2023-12-01"), "of_typical"] == 0
    volumes = explore.monthly_volumes(con)
    assert grid["rows"].sum() == volumes["rows"].sum()
    assert "requests.csv, by hub: Unknown" in set(grid["series"])  # R04 has no hub


# --- Filters a figure does not follow, read from its query -------------------------------------


def test_which_filters_a_query_follows_is_read_from_the_parameters_it_binds():
    places = {"locality", "hub", "area", "catchment"}
    assert explore.filters_followed("requests") == places
    assert explore.filters_followed("step_up_rate") == places | {"service"}
    assert explore.filters_followed("survey_monthly_trend") == {"locality", "hub"}
    assert explore.filters_followed("reference_localities") == frozenset()


@pytest.mark.parametrize(
    ("sources", "scope", "notes"),
    [
        (["requests"], Scope(service="targeted_support"), ["requests have no service"]),
        (["survey_agree_rate"], Scope(service="early_help"), ["survey answers have no service"]),
        (["requests_monthly", "requests"], Scope(service="x"), ["requests have no service"]),
        (["requests"], Scope(locality="L1", hub="H1"), []),  # both followed
        (["step_up_rate"], Scope(service="targeted_support"), []),
        (["reference_localities"], Scope(service="targeted_support"), []),  # reference data
        (["requests"], Scope(), []),
    ],
)
def test_a_figure_says_which_chosen_filter_its_query_does_not_follow(sources, scope, notes):
    shown = explore.filters_not_applied(sources, scope)
    assert [n.removeprefix("Service filter not applied: ").rstrip(".") for n in shown] == notes


def test_episodes_after_a_transfer_closure_are_left_out_of_re_entry_by_previous_closure(
    sample_db,
):
    period = periods.parse("2025-26")
    with store.connect(sample_db) as con:
        raw = store.run(
            con, "re_entry_by_previous_closure", **explore._params(con, period, explore.ALL)
        )
        shown = explore.re_entry_by_previous_closure(con, period)
    transfers = raw[raw["previous_closure_reason"] == "transfer"]
    assert not transfers.empty  # the sample has them: every one a "re-entry"
    assert (transfers["re_entries"] == transfers["episodes"]).all()
    assert "transfer" not in set(shown["previous_closure_reason"])
    assert shown["episodes"].sum() == raw["episodes"].sum() - transfers["episodes"].sum()


def test_a_files_hubs_above_the_limit_are_one_heatmap_row_the_lowest_hub_each_month():
    months = pd.to_datetime(["2025-04-01", "2025-05-01"])
    rows = [
        ("requests.csv", "hub", hub, f"requests.csv, by hub: {hub}", month, rows, share)
        for hub, shares in {"H1": (1.0, 0.2), "H2": (0.5, 1.0), "H3": (0.9, 0.9)}.items()
        for month, rows, share in zip(months, (10, 20), shares, strict=True)
    ] + [
        ("requests.csv", "source", "school", "requests.csv, by source: School", m, 5, 1.0)
        for m in months
    ]
    grid = pd.DataFrame(
        rows, columns=["file", "dimension", "group", "series", "month", "rows", "of_typical"]
    )
    assert explore.volume_heatmap_rows(grid, hubs_at_most=3) is grid
    shown = explore.volume_heatmap_rows(grid, hubs_at_most=2)
    assert shown["series"].drop_duplicates().tolist() == [
        "requests.csv, by hub: the lowest of 3 hubs",
        "requests.csv, by source: School",
    ]
    # April: H2 at 50% of its typical month; May: H1 at 20%.
    assert shown["of_typical"].tolist() == [0.5, 0.2, 1.0, 1.0]


def test_hubs_that_share_a_name_are_kept_apart_in_monthly_volumes_and_charts(load):
    from tests.test_metrics import EPISODES, REQUESTS

    hubs = """
        hub_id,hub_name,hub_type,locality_id,latitude,longitude
        H1,Family Hub,family_hub,L1,50.1,-4.1
        H2,Family Hub,satellite_site,L2,,
        T1,Citywide Targeted Support,targeted_support_team,,,
    """
    con = load(requests__csv=REQUESTS, episodes__csv=EPISODES, hubs__csv=hubs)
    grid = explore.monthly_volume_grid(con)
    by_hub = grid[grid["dimension"] == "hub"]
    assert by_hub.groupby(["file", "group"]).ngroups == by_hub["series"].nunique()
    named = set(by_hub.loc[by_hub["group"].isin(["H1", "H2"]), "series"])
    assert {
        "requests.csv, by hub: Family Hub (H1)",
        "requests.csv, by hub: Family Hub (H2)",
    } <= named
    # Charts name their categories the same way: two hubs of one name are not drawn as one.
    assert explore.group_names(con)["hub"] == {
        "H1": "Family Hub (H1)",
        "H2": "Family Hub (H2)",
        "T1": "Citywide Targeted Support",
    }
    assert set(grid["month_name"]) == set(grid["month"].dt.strftime("%b %Y"))
