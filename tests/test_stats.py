"""Confidence intervals, benchmark comparison, funnel limits and SPC rules on worked examples."""

from __future__ import annotations

import math

import pytest

from ehts_data import stats


def test_wilson_interval_matches_the_worked_example():
    # 81 of 263, z = 1.96: p = 0.30798; 1 + z²/n = 1.014607;
    # centre = (0.30798 + 3.8415/526) / 1.014607 = 0.310744;
    # half = 1.96/1.014607 × √(0.30798 × 0.69202/263 + 3.8415/(4 × 263²)) = 0.055461
    # → 0.2553 to 0.3662 (as Newcombe 1998 and the Fingertips Wilson calculator give).
    lower, upper = stats.wilson(81, 263)
    assert lower == pytest.approx(0.2553, abs=1e-4)
    assert upper == pytest.approx(0.3662, abs=1e-4)


def test_wilson_interval_at_zero_and_at_all():
    # 0 of 10: upper = z² / (n + z²) = 3.8415 / 13.8415 = 0.2775; 10 of 10 mirrors it.
    assert stats.wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert stats.wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)


def test_wilson_interval_is_none_without_a_denominator():
    assert stats.wilson(0, 0) is None
    assert stats.interval("share", 3, 0) is None
    assert stats.interval("share", None, 10) is None


def test_wilson_interval_at_998_is_wider_than_at_95():
    lo95, hi95 = stats.wilson(81, 263)
    lo998, hi998 = stats.wilson(81, 263, stats.Z998)
    assert lo998 < lo95 and hi998 > hi95


def test_byar_interval_matches_the_worked_example():
    # O = 10: lower = 10 × (1 − 1/90 − 1.96/(3√10))³ = 10 × 0.78229³ = 4.787;
    # upper = 11 × (1 − 1/99 + 1.96/(3√11))³ = 11 × 1.186888³ = 18.391 (exact Poisson 4.795–18.390).
    lower, upper = stats.byar(10)
    assert lower == pytest.approx(4.787, abs=1e-3)
    assert upper == pytest.approx(18.391, abs=1e-3)


def test_rate_interval_scales_the_count_interval_to_per_10000():
    # 10 requests among 2,000 children: 50 per 10,000, interval 4.787/2000 × 10,000 = 23.94
    # to 18.391/2000 × 10,000 = 91.96.
    lower, upper = stats.interval("per_10k", 10, 2000)
    assert lower == pytest.approx(23.94, abs=0.01)
    assert upper == pytest.approx(91.96, abs=0.01)
    assert stats.byar(0)[0] == 0.0
    assert stats.interval("count", 5, None) is None
    assert stats.interval("days", 100, 30) is None


@pytest.mark.parametrize(
    ("benchmark", "polarity", "word", "level"),
    [
        (0.20, "higher", "better", 99.8),  # outside both intervals
        (0.24, "higher", "better", 95),  # outside 95% (0.25-0.35), inside 99.8% (0.22-0.38)
        (0.25, "higher", "similar", None),  # on the 95% boundary counts as inside
        (0.20, "lower", "worse", 99.8),
        (0.37, "lower", "better", 95),
        (0.20, None, "higher", 99.8),
        (0.40, None, "lower", 99.8),
        (0.30, None, "similar", None),
    ],
)
def test_comparison_with_a_benchmark(benchmark, polarity, word, level):
    got = stats.compare(0.30, (0.25, 0.35), (0.22, 0.38), benchmark, polarity)
    assert (got.word, got.level) == (word, level)


def test_comparison_needs_a_value_an_interval_and_a_benchmark():
    assert stats.compare(None, (0.1, 0.2), None, 0.1, "higher") == stats.NOT_COMPARED
    assert stats.compare(0.3, None, None, 0.1, "higher") == stats.NOT_COMPARED
    assert stats.compare(0.3, (0.2, 0.4), None, None, "higher") == stats.NOT_COMPARED
    assert stats.Comparison("worse", 99.8).label == "Worse (99.8%)"


def test_funnel_limits_for_a_share():
    # p0 = 0.2, n = 100: 0.2 ± 1.96 × √(0.2 × 0.8/100) = 0.2 ± 0.0784.
    assert stats.funnel_limits("share", 0.2, 100, 1.96) == pytest.approx((0.1216, 0.2784))
    # p0 = 0.5, n = 4 at 99.8%: 0.5 ± 3.09 × 0.25 runs past 0 and 1, so it is clipped.
    assert stats.funnel_limits("share", 0.5, 4, 3.09) == (0.0, 1.0)


def test_funnel_limits_for_a_rate_per_10000():
    # r0 = 500 per 10,000, population 10,000: expected count 500, sd 10,000 × √500/10,000
    # = 22.36 per 10,000; 500 ± 1.96 × 22.36 = 456.17 to 543.83.
    lower, upper = stats.funnel_limits("per_10k", 500, 10_000, 1.96)
    assert lower == pytest.approx(456.17, abs=0.01)
    assert upper == pytest.approx(543.83, abs=0.01)
    with pytest.raises(ValueError):
        stats.funnel_limits("days", 100, 10, 1.96)


def test_xmr_limits_are_the_mean_plus_or_minus_266_moving_ranges():
    # mean 11.6; moving ranges 2, 1, 2, 1 → 1.5; limits 11.6 ± 2.66 × 1.5 = 7.61 to 15.59.
    chart = stats.xmr([10, 12, 11, 13, 12])
    assert chart.mean == pytest.approx(11.6)
    assert chart.mean_moving_range == pytest.approx(1.5)
    assert (chart.lower, chart.upper) == pytest.approx((7.61, 15.59))
    assert not any(chart.special)


def test_xmr_flags_a_point_outside_the_limits():
    # nine 10s then 30: mean 12, moving ranges 0 × 8 and 20 → 2.222; upper 12 + 5.91 = 17.91.
    chart = stats.xmr([10] * 9 + [30])
    assert chart.outside == [False] * 9 + [True]


def test_xmr_flags_a_run_of_seven_on_one_side_of_the_mean_as_a_shift():
    # eight 5s then seven 6s: mean 5.47; the 5s are eight below, the 6s seven above.
    chart = stats.xmr([5] * 8 + [6] * 7)
    assert chart.shift == [True] * 15


def test_xmr_does_not_flag_six_in_a_row_and_a_point_on_the_mean_breaks_a_run():
    # mean 5; six 6s, one 5 (on the mean), six 4s: no run reaches seven.
    chart = stats.xmr([6] * 6 + [5] + [4] * 6)
    assert chart.mean == 5
    assert not any(chart.shift)


def test_xmr_flags_seven_points_each_higher_than_the_last_as_a_trend():
    chart = stats.xmr([1, 2, 3, 4, 5, 6, 7, 3, 3])
    assert chart.trend == [True] * 7 + [False, False]


def test_xmr_six_rising_points_or_a_repeated_value_is_no_trend():
    assert not any(stats.xmr([1, 2, 3, 4, 5, 6, 2, 2, 2]).trend)
    assert not any(stats.xmr([1, 2, 3, 3, 4, 5, 6, 7]).trend)  # the repeat breaks it
    falling = stats.xmr([9, 8, 7, 6, 5, 4, 3, 8])
    assert falling.trend == [True] * 7 + [False]


def test_xmr_needs_two_points():
    with pytest.raises(ValueError):
        stats.xmr([1.0])


@pytest.mark.parametrize(
    ("polarity", "code", "tone"),
    [
        ("higher", "special_improving_high", "improving"),
        ("lower", "special_concerning_high", "concerning"),
        (None, "special_neither_high", "neutral"),
    ],
)
def test_variation_icon_for_a_high_special_cause_point(polarity, code, tone):
    icon = stats.variation_icon(stats.xmr([10] * 9 + [30]), polarity)
    assert (icon.code, icon.tone, icon.letter) == (code, tone, "H")


def test_variation_icon_is_common_cause_when_the_latest_point_is_not_special():
    icon = stats.variation_icon(stats.xmr([10, 12, 11, 13, 12]), "higher")
    assert icon.code == "common_cause"


@pytest.mark.parametrize(
    ("target", "polarity", "code"),
    [
        (20, "higher", "consistently_fail"),  # above the upper limit 15.59
        (5, "higher", "consistently_pass"),  # below the lower limit 7.61
        (20, "lower", "consistently_pass"),
        (5, "lower", "consistently_fail"),
        (12, "higher", "hit_and_miss"),
        (15.59, "lower", "hit_and_miss"),
    ],
)
def test_assurance_icon(target, polarity, code):
    chart = stats.xmr([10, 12, 11, 13, 12])
    assert stats.assurance_icon(chart, target, polarity).code == code


def test_no_assurance_without_a_target_or_a_polarity():
    chart = stats.xmr([10, 12, 11, 13, 12])
    assert stats.assurance_icon(chart, None, "higher") is None
    assert stats.assurance_icon(chart, 12, None) is None


# --- Disparity ratios (domain.md "Disparity"), worked by hand -----------------------------------
def _row(group, numerator, denominator):
    return {"group": group, "numerator": numerator, "denominator": denominator}


def test_disparity_of_a_share_uses_the_katz_log_interval_against_the_rest():
    rows = [_row("a", 20, 100), _row("b", 10, 100), _row("c", 30, 200), _row("unknown", 9, 9)]
    result = {r["group"]: r for r in stats.disparity(rows, "share")}
    assert "unknown" not in result
    a = result["a"]
    # rest of a = b + c = 40 / 300 (unknown left out); RR = 0.2 / 0.1333 = 1.5
    assert (a["rest_numerator"], a["rest_denominator"]) == (40, 300)
    assert a["ratio"] == pytest.approx(1.5)
    # √(1/20 − 1/100 + 1/40 − 1/300) = 0.248328; 1.5 × e^(∓1.96 × 0.248328)
    assert a["lower"] == pytest.approx(0.92196, abs=1e-4)
    assert a["upper"] == pytest.approx(2.44045, abs=1e-4)
    assert a["differs"] is None  # the interval holds 1
    # b: 10/100 against 50/300: RR 0.6, √(1/10 − 1/100 + 1/50 − 1/300) = 0.326599
    b = result["b"]
    assert b["ratio"] == pytest.approx(0.6)
    assert b["upper"] == pytest.approx(0.6 * math.exp(1.959964 * 0.326599), abs=1e-4)


def test_disparity_of_a_rate_uses_the_poisson_log_interval_and_flags_when_it_excludes_one():
    rows = [_row("female", 50, 10_000), _row("male", 100, 40_000), _row("other", 3, None)]
    result = {r["group"]: r for r in stats.disparity(rows, "per_10k")}
    female = result["female"]
    # rest = male only ('other' has no population): 100 / 40,000; RR = 50 / 25 = 2
    assert (female["value"], female["rest_value"]) == (pytest.approx(50.0), pytest.approx(25.0))
    assert female["ratio"] == pytest.approx(2.0)
    # √(1/50 + 1/100) = 0.173205; lower 2 × e^(−0.339482) = 1.42426
    assert female["lower"] == pytest.approx(1.42426, abs=1e-4)
    assert female["differs"] == "higher"
    assert result["male"]["differs"] == "lower"
    assert result["other"]["ratio"] is None  # no population, no rate


def test_no_disparity_ratio_with_a_zero_or_a_suppressed_count():
    rows = [_row("a", 0, 100), _row("b", 10, 100), _row("c", 4, 50)]
    plain = {r["group"]: r for r in stats.disparity(rows, "share")}
    assert plain["a"]["ratio"] is None
    assert plain["b"]["ratio"] is not None
    # with K = 6, c's 4 is a suppressed count: c has no ratio, nor does any group whose rest
    # would let it be worked out (b's rest is a + c = 4 of 150)
    published = {r["group"]: r for r in stats.disparity(rows, "share", threshold=6)}
    assert published["c"]["ratio"] is None
    assert published["b"]["ratio"] is None
