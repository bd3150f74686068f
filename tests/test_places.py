"""A chosen place against the whole authority: the small-area filter of the Demand page's views,
the catchments' quarterly rates and the authority's references, on the hand-built city of
tests/test_breakdowns.py (financial year 2024-25), with the arithmetic in the comments.

Families: F1 (C1, C2) lives in A1 (L1, catchment H1), F2 (C3) in A2 (L1, no catchment hub),
F3 (C4) has no area (L2), F4 (C5) in A3 (L2, catchment H2). Requests and episodes are
tests/test_metrics.py's.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ehts_data import equality, explore, periods
from ehts_data.metrics import ALL, Scope
from tests.test_breakdowns import city  # noqa: F401 (the hand-built city fixture)

FY = periods.parse("2024-25")


def test_request_views_follow_a_small_area(city):  # noqa: F811
    # A1's families' requests in 2024-25: R02 (C1, school, H1) and R04 (C2, school, no hub).
    by_source = explore.requests_by(city, "source", FY, Scope(area="A1"))
    assert by_source[["category", "requests", "share"]].values.tolist() == [["school", 2, 1.0]]
    by_hub = explore.requests_by(city, "hub", FY, Scope(area="A1")).set_index("category")
    assert by_hub["requests"].to_dict() == {"H1": 1, "unknown": 1}
    assert by_hub["share"].to_dict() == {"H1": 0.5, "unknown": 0.5}
    # Monthly: both in May 2024; A2 (C3): R06 in February 2025.
    monthly = explore.requests_monthly(city, FY, Scope(area="A2"))
    assert monthly[["locality_id", "requests"]].values.tolist() == [["L1", 1]]
    assert monthly["month"].iloc[0].date() == date(2025, 2, 1)


def test_request_to_start_in_all_and_for_a_small_area(city):  # noqa: F811
    # From a request, started in 2024-25: E02 (R02 2024-05-01 -> 2024-06-15: 45 days) and
    # E04 (R04, the same), both A1's; E08 starts before its request R07 (left out).
    whole = explore.request_to_start(city, "none", FY)
    assert whole[["group", "episodes", "median_days", "within_28_days"]].values.tolist() == [
        ["all", 2, 45, 0]
    ]
    assert explore.request_to_start(city, "none", FY, Scope(area="A1"))["episodes"].tolist() == [2]
    assert explore.request_to_start(city, "none", FY, Scope(area="A3")).empty


def test_caseload_per_hub_is_the_open_episodes_over_the_hubs_carrying_any(city):  # noqa: F811
    # Open at the end of March 2025: E02, E04 (H1); E07 and E10 (T1): 4 over 2 hubs.
    march = periods.custom(date(2025, 3, 1), date(2025, 3, 31))
    per_hub = explore.caseload_per_hub(city, march)
    assert per_hub[["open_episodes", "hubs", "per_hub"]].values.tolist() == [[4, 2, 2.0]]
    # A3's family (C5) has E10 open at T1 then.
    assert explore.caseload_monthly(city, march, Scope(area="A3"))["hub_id"].tolist() == ["T1"]


def test_monthly_requests_of_the_average_locality_or_area(city):  # noqa: F811
    # 2024-25 requests: May 2024 R02, R04; June R07, R08; February 2025 R06.
    per_locality = explore.requests_monthly_per_place(city, FY, ALL, "locality")
    assert per_locality["requests"].tolist() == [1.0, 1.0, 0.5]  # over L1 and L2
    # Within L1 (C1, C2, C3): May R02, R04; February R06; over its areas A1 and A2.
    per_area = explore.requests_monthly_per_place(city, FY, Scope(locality="L1"), "area")
    assert per_area["requests"].tolist() == [1.0, 0.5]


def test_catchment_rates_by_quarter_with_the_same_quarter_a_year_before(city):  # noqa: F811
    q1, q4 = periods.parse("2024-25-Q1"), periods.parse("2024-25-Q4")
    trend = explore.place_rate_by_quarter(city, "catchment", q1, q4).set_index(["quarter", "group"])
    assert list(trend.index.get_level_values("quarter").unique()) == [
        "2024-25-Q1",
        "2024-25-Q2",
        "2024-25-Q3",
        "2024-25-Q4",
    ]
    # Q1: H1 (A1, 2,000 children in 2024) has R02 and R04: 2 / 2,000 x 10,000 = 10.0. A year
    # before (Q1 2023-24) R01 and R03, but A1 has no population for 2023 or earlier: no rate.
    h1 = trend.loc[("2024-25-Q1", "H1")]
    assert (h1["requests"], h1["population"], h1["rate"]) == (2, 2000, pytest.approx(10.0))
    assert pd.isna(h1["rate_year_before"]) and pd.isna(h1["change"])
    # H2 (A3, 1,000 children) has no request in Q1: 0.0; Q4's only request (R06, A2) has no hub.
    assert trend.loc[("2024-25-Q1", "H2"), "rate"] == 0.0
    assert trend.loc[("2024-25-Q4", "unknown"), "requests"] == 1
    # The authority, quarter by quarter: Q1 R02, R04, R07, R08 = 4.
    whole = explore.place_rate_by_quarter(city, "none", q1, q4).set_index("quarter")
    assert whole.loc["2024-25-Q1", "requests"] == 4


def test_demand_by_place_for_the_whole_scope_is_one_reference_row(city):  # noqa: F811
    # L1's 2024-25 requests: R02, R04 (A1), R06 (A2) = 3; population 2,000 + 500 (A2's 2023).
    row = explore.demand_by_place(city, "none", FY, Scope(locality="L1"))
    assert row[["group", "requests"]].values.tolist() == [["all", 3]]


def test_the_authority_of_a_scope_keeps_only_its_service():
    assert explore.authority(Scope("L1", "H1", "early_help")) == Scope(service="early_help")
    # A comparison of a locality's places drops the small area and catchment chosen.
    chosen = Scope("L1", "H1", "early_help", area="A1", catchment="H1")
    assert explore.without_places(chosen) == Scope("L1", "H1", "early_help")


def test_features_picks_one_localitys_boundary():
    geo = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"locality_id": "L1"}},
            {"type": "Feature", "geometry": None, "properties": {"locality_id": "L2"}},
        ],
    }
    kept = explore.features(geo, "locality_id", "L2")
    assert [f["properties"]["locality_id"] for f in kept["features"]] == ["L2"]
    assert explore.features(geo, "locality_id", "L9") is None
    assert explore.features(None, "locality_id", "L1") is None
    assert explore.features(geo, "locality_id", None) is None


def test_a_chart_carries_the_authority_as_a_line_a_tick_or_dashed_lines():
    from ehts_data import charts

    place = pd.DataFrame({"label": ["School", "Health"], "share": [0.6, 0.4]})
    whole = pd.DataFrame({"label": ["Health", "School", "Police"], "share": [0.5, 0.3, 0.2]})
    line = charts.bar(
        place,
        "label",
        "share",
        title="t",
        x_title="x",
        y_title="y",
        value_format=".0%",
        reference=0.5,
    )
    assert [t.name for t in line.data] == [None, "Whole authority: 50%"]
    assert len(line.layout.shapes) == 1 and line.layout.shapes[0].y0 == 0.5
    # A tick on each category shown, at the authority's value (Police is not shown).
    ticks = charts.bar(
        place,
        "label",
        "share",
        title="t",
        x_title="x",
        y_title="y",
        horizontal=True,
        reference=whole,
    )
    tick = ticks.data[-1]
    assert tick.name == "Whole authority"
    assert dict(zip(tick.y, tick.x, strict=True)) == {"Health": 0.5, "School": 0.3}
    trend = pd.DataFrame({"q": ["Q1", "Q2"] * 2, "v": [1, 2, 3, 4], "m": ["A", "A", "B", "B"]})
    lines = charts.line(
        trend, "q", "v", title="t", x_title="x", y_title="y", color="m", reference=trend
    )
    dashed = [t for t in lines.data if t.line.dash == "dash"]
    assert [t.name for t in dashed] == ["Whole authority: A", "Whole authority: B"]
    assert [t.line.color for t in dashed] == charts.PALETTE[:2]  # each in its measure's colour


def test_a_chart_with_a_reference_from_a_raw_frame_is_not_published():
    from ehts_data import charts, disclosure

    place = disclosure.publish(pd.DataFrame({"c": ["a"], "n": [20]}), {"n": "count"}, 6)
    assert charts.is_published(charts.bar(place, "c", "n", title="t", x_title="", y_title=""))
    raw = pd.DataFrame({"c": ["a"], "n": [30]})
    chart = charts.bar(place, "c", "n", title="t", x_title="", y_title="", reference=raw)
    assert not charts.is_published(chart)


def test_each_flow_link_is_a_share_of_the_links_leaving_its_node(city):  # noqa: F811
    shares = explore.episode_flow_shares(city, FY).set_index(["stage", "source", "target"])
    # Stage 1, early help decisions: 3 went on to an early help episode, 1 to none: 3/4, 1/4.
    assert shares.loc[(1, "early_help", "early_help"), "share"] == pytest.approx(0.75)
    assert shares.loc[(1, "early_help", "no_episode"), "share"] == pytest.approx(0.25)
    # Stage 2, early help episodes: 2 still open, 1 stepped up: 2/3 and 1/3. The same node
    # at stage 1 (a decision) is not mixed with it (an episode).
    assert shares.loc[(2, "early_help", "still_open"), "share"] == pytest.approx(2 / 3)
    assert shares.loc[(2, "early_help", "step_up_to_social_care"), "share"] == pytest.approx(1 / 3)
    assert shares.loc[(1, "targeted_support", "no_episode"), "share"] == 1.0


def test_the_authoritys_average_group_of_families(city):  # noqa: F811
    # 2024-25 by locality: families with a request L1 2, L2 1 (mean 1.5); supported 2 and 2.
    average = equality.family_view_per_group(city, FY, "locality")
    assert average[["families_with_requests", "families_supported", "groups"]].values.tolist() == [
        [1.5, 2.0, 2]
    ]


def test_families_by_quarter_of_the_average_locality_or_area(city):  # noqa: F811
    # The authority's families supported by quarter of 2024-25: 3, 3, 3, 4; over L1 and L2.
    per_locality = equality.family_trend_per_place(city, FY, FY, ALL, "locality")
    supported = per_locality[per_locality["metric"] == "families_supported"]
    assert supported["numerator"].tolist() == [1.5, 1.5, 1.5, 2.0]
    assert set(per_locality["metric"]) == {"families_with_requests", "families_supported"}
    with pytest.raises(ValueError, match="per locality or area"):
        equality.family_trend_per_place(city, FY, FY, ALL, "hub")


def test_a_map_names_the_authoritys_rate_on_its_colour_bar_and_never_a_scale_of_one_value():
    from ehts_data import charts

    one = pd.DataFrame({"locality_id": ["L1"], "rate": [1708.4], "name": ["North"]})
    hubs = pd.DataFrame(columns=["hub_id", "hub_name", "hub_type", "latitude", "longitude"])
    geo = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"locality_id": "L1"},
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            }
        ],
    }
    kwargs = dict(title="t", value="rate", value_title="per 10,000", label_col="name")
    alone = charts.locality_map(geo, one, hubs, **kwargs).data[0]
    assert alone.showscale is False  # one value: no colour bar from 1,708.0 to 1,708.8
    shown = charts.locality_map(geo, one, hubs, reference=1200.0, **kwargs)
    shape = shown.data[0]
    # The range runs from the authority's 1,200 to the locality's 1,708, both marked.
    assert (shape.zmin, shape.zmax) == (1200.0, 1708.4)
    assert list(shape.colorbar.ticktext) == ["Whole authority: 1,200", "1,708"]
    assert shape.colorbar.title.text == "per 10,000"
    assert shown.data[1].name == "Whole authority: 1,200"


def test_a_map_outlines_the_chosen_area_or_every_area_of_the_chosen_catchment():
    from ehts_data import charts

    areas = pd.DataFrame(
        {"area_code": ["A1", "A2", "A3"], "rate": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]}
    )
    hubs = pd.DataFrame(columns=["hub_id", "hub_name", "hub_type", "latitude", "longitude"])
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    geo = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"area_code": a}, "geometry": square}
            for a in ["A1", "A2", "A3"]
        ],
    }
    kwargs = dict(title="t", value="rate", label_col="name", key="area_code")

    def widths(highlight):
        shape = charts.locality_map(geo, areas, hubs, highlight=highlight, **kwargs).data[0]
        return dict(zip(shape.locations, shape.marker.line.width, strict=True))

    # One area chosen: it alone is drawn thickly; a catchment (A1 and A3): both are.
    assert widths("A2") == {"A1": 1.5, "A2": 4.5, "A3": 1.5}
    assert widths(["A1", "A3"]) == {"A1": 4.5, "A2": 1.5, "A3": 4.5}
    assert widths([]) == {"A1": 1.5, "A2": 1.5, "A3": 1.5}


def test_published_rows_then_a_published_reference_row_keep_each_ones_withheld_cells():
    from ehts_data import disclosure

    kinds = {"n": "count"}
    groups = disclosure.publish(pd.DataFrame({"g": ["a", "b"], "n": [3, 40]}), kinds, 6)
    whole = disclosure.publish(pd.DataFrame({"g": ["all"], "n": [43]}), kinds, 6)
    joined = groups.then(whole)
    # 3 is small and 40 would give it back from the line's total: both withheld; the
    # authority's 43 was published on its own and stays.
    assert joined.table()["n"].tolist() == ["c", "c", 43]
    assert joined.kinds == kinds and joined.k == 6
    with pytest.raises(ValueError, match="same kinds"):
        groups.then(disclosure.publish(pd.DataFrame({"g": ["x"], "n": [9]}), kinds, None))


def test_requests_by_quarter_of_the_average_locality(city):  # noqa: F811
    # 2024-25 requests: Q1 R02, R04, R07, R08 (4); Q4 R06 (1); over L1 and L2: 2.0 and 0.5.
    per_locality = explore.requests_by_quarter_per_place(city, FY, FY, ALL, "locality")
    assert per_locality.set_index("quarter")["value"].to_dict() == {
        "2024-25-Q1": 2.0,
        "2024-25-Q2": 0.0,
        "2024-25-Q3": 0.0,
        "2024-25-Q4": 0.5,
    }
    # Within L1, one locality: its own requests, R02 and R04 in Q1 and R06 in Q4.
    within = explore.requests_by_quarter_per_place(city, FY, FY, Scope(locality="L1"), "locality")
    assert within["value"].tolist() == [2.0, 0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="per locality or area"):
        explore.places_in(city, ALL, "hub")


def test_needs_by_a_localitys_catchments_read_the_need_prevalence_metric(load):
    from tests.test_breakdowns import CITY
    from tests.test_metrics import MULTIPLE_NEEDS

    assessed = load(**CITY, assessments__csv=MULTIPLE_NEEDS)
    # L1's assessments in 2024-25: S1, S2 (F1 in A1: catchment H1) and S3 (F2 in A2, no
    # catchment hub: unknown). H1: parenting in S1 -> 1 of 2; unknown: S3 -> 1 of 1. L1 has no
    # other catchment (H2's areas are L2's), and places with no assessment are left out.
    by = explore.need_prevalence_by_place(assessed, "catchment", FY, Scope(locality="L1"))
    parenting = by[by["need"] == "parenting"].set_index("category")
    assert parenting[["assessments_listing", "assessments", "share"]].to_dict("index") == {
        "H1": {"assessments_listing": 1, "assessments": 2, "share": 0.5},
        "unknown": {"assessments_listing": 1, "assessments": 1, "share": 1.0},
    }
    assert list(by.columns) == ["need", "category", "assessments_listing", "assessments", "share"]
    with pytest.raises(ValueError):
        explore.need_prevalence_by_place(assessed, "locality", FY)


def _heads(**values) -> pd.DataFrame:
    row = {
        "metric": "step_up_rate",
        "numerator": 12,
        "denominator": 40,
        "value": 0.3,
        "previous_period": "2023-24",
        "previous_value": 0.25,
        "previous_numerator": 10,
        "previous_denominator": 40,
        "note": None,
    }
    return pd.DataFrame([row | values])


def test_a_headline_tile_carries_the_whole_authoritys_value_withheld_like_the_tile():
    from ehts_data import formatting

    whole = {"step_up_rate": {"numerator": 123, "denominator": 1000, "value": 0.123}}
    (tile,) = formatting.headline_tiles(_heads(), None, None, whole)
    assert tile["reference"] == "Whole authority: 12.3%"
    # Published (K = 6): an authority share resting on 3 step-ups is withheld, as the tile's
    # own would be; one on 123 is shown.
    small = {"step_up_rate": {"numerator": 3, "denominator": 1000, "value": 0.003}}
    (tile,) = formatting.headline_tiles(_heads(), 6, None, small)
    assert tile["reference"] == "Whole authority: c"
    (tile,) = formatting.headline_tiles(_heads(), 6, None, whole)
    assert tile["reference"] == "Whole authority: 12.3%"
    # No place chosen, or a 12-month rule the data cannot reach back for: no reference.
    assert formatting.headline_tiles(_heads())[0]["reference"] is None
    short = _heads(numerator=None, denominator=None, value=None, note="not shown")
    assert formatting.headline_tiles(short, None, None, whole)[0]["reference"] is None
