"""The small-area and catchment filters (metrics.Scope.area, .catchment) on every metric, on the
hand-built city of tests/test_breakdowns.py (financial year 2024-25), with the arithmetic in the
comments, and on the sample: a filtered metric equals its row of the unfiltered breakdown.

Families: F1 (C1, C2) lives in A1 (L1, catchment H1), F2 (C3) in A2 (L1, no catchment hub),
F3 (C4) has no area (L2), F4 (C5) in A3 (L2, catchment H2). Requests and episodes are
tests/test_metrics.py's; the assessments are its multiple-needs example's.
"""

from __future__ import annotations

from datetime import date

import pytest

from ehts_data import explore, metrics, periods, store
from ehts_data.metrics import Scope
from tests.test_breakdowns import CITY
from tests.test_metrics import FY, MULTIPLE_NEEDS, rows


@pytest.fixture
def city(load):
    return load(**CITY, assessments__csv=MULTIPLE_NEEDS)


def value(con, metric_id, period=FY, **scope):
    """The 'all' row of a metric within the scope: (numerator, denominator, value)."""
    return rows(metrics.compute(con, metric_id, period, scope=Scope(**scope)))["all"]


def test_a_family_without_an_area_is_left_out_under_an_area_filter(city):
    # L2's requests in 2024-25 are R07 and R08, both C4's: F3 has no area. C5 (F4, A3) has
    # R11 (2024-02-29) and R09 (2025-04-01), both outside the year.
    assert value(city, "requests", locality="L2") == (2, None, 2.0)
    assert value(city, "requests", locality="L2", area="A3") == (0, None, 0.0)
    assert value(city, "requests", catchment="H2") == (0, None, 0.0)
    # Families supported in L2: F3 (E08, E09) and F4 (E10); within A3 only F4.
    assert value(city, "families_supported", locality="L2") == (2, None, 2.0)
    assert value(city, "families_supported", locality="L2", area="A3") == (1, None, 1.0)
    # An area the store does not have matches nothing, never everything.
    assert value(city, "requests", area="NOPE") == (0, None, 0.0)


def test_an_area_filter_inside_a_locality(city):
    # L1's requests: R02, R04 (F1, A1) and R06 (F2, A2) = 3; A1's = 2, A2's = 1.
    assert value(city, "requests", locality="L1") == (3, None, 3.0)
    assert value(city, "requests", locality="L1", area="A1") == (2, None, 2.0)
    assert value(city, "requests", locality="L1", area="A2") == (1, None, 1.0)
    # An area of another locality: nothing.
    assert value(city, "requests", locality="L2", area="A1") == (0, None, 0.0)
    # By area within A1: A1 alone, with its 2 (the locality's other area, A2, is not listed).
    by_area = rows(metrics.compute(city, "requests", FY, "area", Scope("L1", area="A1")))
    assert by_area == {"A1": (2, None, 2.0)}


def groups(con, metric_id, by, **scope):
    """{group: value} of a metric's breakdown within the scope."""
    found = rows(metrics.compute(con, metric_id, FY, by, Scope(**scope)))
    return {group: value for group, (_, _, value) in found.items()}


def test_a_breakdown_by_area_lists_the_areas_of_the_area_and_catchment_filters(city):
    # Requests in 2024-25: R02, R04 (F1, A1), R06 (F2, A2). Unfiltered every area is listed:
    # A1 2, A2 1, A3 0 (R07, R08 are F3's, who has no area: unknown).
    assert groups(city, "requests", "area") == {"A1": 2, "A2": 1, "A3": 0, "unknown": 2}
    # An area filter: that area alone.
    assert groups(city, "requests", "area", area="A2") == {"A2": 1}
    # A catchment filter: the areas of that catchment, H1's is A1 (A2 has no hub); H2's is
    # A3, listed at 0.
    assert groups(city, "requests", "area", catchment="H1") == {"A1": 2}
    assert groups(city, "requests", "area", catchment="H2") == {"A3": 0}
    # Families supported, H2's catchment: F4 (A3) has E10 open at the year's end = 1.
    assert groups(city, "families_supported", "area", catchment="H2") == {"A3": 1}


def test_a_breakdown_by_catchment_lists_the_catchment_of_the_area_and_catchment_filters(city):
    # Unfiltered: H1 (A1) 2, H2 (A3) 0; R06 (A2, no hub) and R07, R08 (no area) unknown = 3.
    assert groups(city, "requests", "catchment") == {"H1": 2, "H2": 0, "unknown": 3}
    assert groups(city, "requests", "catchment", catchment="H1") == {"H1": 2}
    # An area filter: that area's catchment (A3's is H2, no requests) ...
    assert groups(city, "requests", "catchment", area="A1") == {"H1": 2}
    assert groups(city, "requests", "catchment", area="A3") == {"H2": 0}
    # ... and none for an area without a hub: A2's one request (R06) is unknown.
    assert groups(city, "requests", "catchment", area="A2") == {"unknown": 1}


def test_a_breakdown_by_locality_or_hub_lists_the_locality_of_the_area_or_catchment(city):
    # By locality: the locality the area or catchment lies in. A1 (L1) 2 requests; H2's
    # catchment (A3, L2) none.
    assert groups(city, "requests", "locality", area="A1") == {"L1": 2}
    assert groups(city, "requests", "locality", catchment="H2") == {"L2": 0}
    # By hub: the hubs of that locality, as with a locality filter (L1: H1), and any other
    # hub with events. H1's catchment (A1): R02 received by H1, R04 by no hub (unknown).
    assert groups(city, "requests", "hub", catchment="H1") == {"H1": 1, "unknown": 1}
    assert groups(city, "requests", "hub", locality="L1") == {"H1": 2, "unknown": 1}
    # Episodes started by A2's C3: E05 led by H2 and E06 by the citywide T1 (E07 is a
    # transfer start, not counted): 1 each, listed beside L1's own H1 at 0.
    assert groups(city, "episodes_started", "hub", area="A2") == {"H1": 0, "H2": 1, "T1": 1}
    # H2's catchment (A3, L2): L2's hub H2 at 0; C5's E10 (2025-03-31) is led by T1.
    assert groups(city, "episodes_started", "hub", catchment="H2") == {"H2": 0, "T1": 1}


@pytest.mark.parametrize("by", ["area", "catchment", "locality", "hub"])
def test_an_unknown_area_lists_no_place_groups(city, by):
    # No area is NOPE: no family lives there, and no place is listed at 0 either.
    assert groups(city, "requests", by, area="NOPE") == {}
    assert groups(city, "requests", by, catchment="NOPE") == {}
    # The whole (by none) is still a row: 0.
    assert groups(city, "requests", "none", area="NOPE") == {"all": 0}


def test_survey_breakdowns_ignore_the_area_filter(city):
    # Survey answers have no family: by locality within an area they list every locality,
    # as unfiltered (none answered here: 0 of 0, no value).
    found = rows(metrics.compute(city, "survey_agree_rate", FY, "locality", Scope(area="A1")))
    assert found == {"L1": (0, 0, None), "L2": (0, 0, None)}


def test_rates_per_10k_under_an_area_filter_use_that_areas_population(city):
    # A1: 2 requests / 2,000 children x 10,000 = 10.0; A2: its 2023 row (500): 1 / 500 = 20.0;
    # catchment H1 is A1 alone; A3: 0 / 1,000 = 0.0.
    assert value(city, "requests_per_10k", area="A1") == (2, 2000, pytest.approx(10.0))
    assert value(city, "requests_per_10k", locality="L1", area="A2") == (
        1,
        500,
        pytest.approx(20.0),
    )
    assert value(city, "requests_per_10k", catchment="H1") == (2, 2000, pytest.approx(10.0))
    assert value(city, "requests_per_10k", locality="L2", area="A3") == (0, 1000, 0.0)
    # By locality within A1: L1's row takes A1's population, not the locality's.
    by_locality = rows(metrics.compute(city, "requests_per_10k", FY, "locality", Scope(area="A1")))
    assert by_locality["L1"] == (2, 2000, pytest.approx(10.0))
    # Areas have no population by age: no rate by age band within an area.
    by_age = rows(metrics.compute(city, "requests_per_10k", FY, "age_band", Scope(area="A1")))
    assert by_age["5_9"] == (2, None, None)


def test_an_area_and_a_hub_filter_together(city):
    # A1's requests received by H1: R02 (R04 has no hub) = 1; A2's: R06 = 1.
    assert value(city, "requests", locality="L1", area="A1", hub="H1") == (1, None, 1.0)
    assert value(city, "requests", area="A2", hub="H1") == (1, None, 1.0)
    assert value(city, "families_with_requests", area="A2", hub="H1") == (1, None, 1.0)
    # Episodes led by H1 started in the year by A1's children: E02, E04.
    assert value(city, "episodes_started", area="A1", hub="H1") == (2, None, 2.0)
    # F1 (E02, E04 led by H1): 1 family, 2 children; F2's episodes are led by H2 and T1.
    assert value(city, "families_supported", area="A1", hub="H1") == (1, None, 1.0)
    assert value(city, "children_supported", area="A1", hub="H1") == (2, None, 2.0)
    assert value(city, "families_supported", area="A2", hub="H1") == (0, None, 0.0)
    # A hub has no resident population: no rate.
    assert value(city, "requests_per_10k", area="A1", hub="H1") == (1, None, None)


def test_the_family_metrics_under_an_area_or_catchment_filter(city):
    # Families with a request in the year: A1 F1 (R02, R04); A3 none (C5's are outside it).
    assert value(city, "families_with_requests", area="A1") == (1, None, 1.0)
    assert value(city, "families_with_requests", area="A3") == (0, None, 0.0)
    # Supported: A1 F1 (E02, E04) = 1 family, 2 children; A2 F2 (E05, E06, E07): 1 family;
    # catchment H2 is A3: F4 (E10).
    assert value(city, "families_supported", area="A1") == (1, None, 1.0)
    assert value(city, "children_supported", area="A1") == (2, None, 2.0)
    assert value(city, "families_supported", area="A2") == (1, None, 1.0)
    assert value(city, "families_supported", catchment="H2") == (1, None, 1.0)
    # Re-entry: F1 re-enters on 2024-06-15 (E01 closed exactly 12 months before) -> A1 1 of 1;
    # F2 starts with nothing before -> A2 0 of 1.
    assert value(city, "family_re_entry_12m_rate", area="A1") == (1, 1, 1.0)
    assert value(city, "family_re_entry_12m_rate", area="A2") == (0, 1, 0.0)
    # Multiple needs: F1 (S1, S2) spans relationships, education and domestic abuse = 3
    # groups -> A1 1 of 1; F4 (S6, no need) -> A3 0 of 1; F3 (S4, 2 groups) has no area: L2
    # has F3 and F4 (0 of 2), L2's area A3 only F4.
    assert value(city, "families_multiple_needs_rate", area="A1") == (1, 1, 1.0)
    assert value(city, "families_multiple_needs_rate", locality="L2") == (0, 2, 0.0)
    assert value(city, "families_multiple_needs_rate", locality="L2", area="A3") == (0, 1, 0.0)
    # A span that is neither a year nor a quarter groups the assessments in the query (no
    # stored periods): the same answer.
    longer = periods.custom(date(2024, 3, 31), date(2025, 3, 31))
    assert value(city, "families_multiple_needs_rate", longer, area="A1") == (1, 1, 1.0)


def test_needs_under_an_area_filter(city):
    # A1's assessments in the year: S1 (C1: parenting, child behaviour) and S2 (C2: school
    # attendance, domestic abuse) -> parenting 1 of 2. L2: S4 (C4, no area) and S6 (C5, A3);
    # within A3 only S6, which lists no need -> 0 of 1.
    def parenting(period=FY, **scope):
        found = metrics.compute(city, "need_prevalence", period, scope=Scope(**scope))
        return rows(found[found.metric == "need_prevalence:parenting"])["all"]

    assert parenting(area="A1") == (1, 2, 0.5)
    assert parenting(locality="L2") == (0, 2, 0.0)
    assert parenting(locality="L2", area="A3") == (0, 1, 0.0)
    # A day, no whole month: S1 alone.
    assert parenting(periods.custom(date(2024, 7, 1), date(2024, 7, 1)), area="A1") == (1, 1, 1.0)
    # The needs page's table follows the area too: 1 of A1's 2 assessments list parenting.
    by = explore.need_prevalence_by(city, "all", FY, Scope(area="A1")).set_index("need")
    assert (by.loc["parenting", "assessments_listing"], by.loc["parenting", "assessments"]) == (
        1,
        2,
    )


def test_a_figure_from_survey_answers_says_they_have_no_small_area():
    assert explore.filters_not_applied(["survey_agree_rate"], Scope(area="A1")) == [
        "Small area filter not applied: survey answers have no small area."
    ]
    assert explore.filters_not_applied(["requests"], Scope(area="A1", catchment="H1")) == []


PERIODS = (periods.parse("2024-25"), periods.custom(date(2024, 5, 10), date(2025, 2, 3)))


@pytest.mark.parametrize("metric_id", [m.id for m in metrics.METRICS if "area" in m.breakdowns])
@pytest.mark.parametrize("place", ["area", "catchment"])
def test_a_filtered_metric_equals_its_row_of_the_breakdown_on_the_sample(
    sample_db, metric_id, place
):
    # Filtering to one area (or catchment) and reading the whole must give the same numbers
    # as breaking the authority down by area (catchment) and reading that area's row: the
    # filtered and the grouped queries take different paths (stored windows, monthly counts).
    with store.connect(sample_db) as con:
        table = explore.areas(con)
        codes = sorted(
            (table["area_code"] if place == "area" else table["hub_id"]).dropna().unique()
        )
        chosen = codes[:: max(len(codes) // 4, 1)][:4]
        for period in PERIODS:
            grouped = metrics.compute(con, metric_id, period, place)
            for code in chosen:
                alone = metrics.compute(con, metric_id, period, "none", Scope(**{place: code}))
                expected = grouped[grouped["group"] == code].drop(columns="group")
                got = alone.drop(columns="group")
                assert metrics.to_records(got.assign(group="x")) == metrics.to_records(
                    expected.assign(group="x")
                ), (metric_id, place, code, period)
