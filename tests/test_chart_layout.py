"""Chart layout rules seen in screenshots: titles wrap instead of being cut, legends stay
clear of axis titles, every bar keeps its label, count axes tick on whole numbers, and the
benchmark spine shows each row's scale."""

from __future__ import annotations

import pandas as pd

from ehts_data import board, charts, periods, scorecard, store
from ehts_data.kinds import Col


def _bars(n: int, value=1) -> pd.DataFrame:
    return pd.DataFrame({"c": [f"Category {i}" for i in range(n)], "n": [value] * n})


def test_a_long_title_is_written_on_lines_a_half_width_chart_can_show():
    title = "Monthly engagement question: share agreeing (this period and the one before)"
    fig = charts.bar(_bars(3), "c", "n", title=title, x_title="", y_title="")
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) > 1 and all(len(line) <= charts.TITLE_WIDTH for line in lines)
    assert " ".join(lines) == title
    assert fig.layout.margin.t > 60  # room for the second line
    assert fig.layout.title.font.weight == 700 and "<b>" not in fig.layout.title.text


def test_the_legend_sits_at_the_figures_foot_below_axis_titles_and_slanted_labels():
    trend = pd.DataFrame(
        {
            "q": [f"2025-26-Q{i}" for i in range(1, 5)] * 2,
            "v": [0.1] * 8,
            "m": ["a"] * 4 + ["b"] * 4,
        }
    )
    fig = charts.line(trend, "q", "v", title="t", x_title="Quarter", y_title="", color="m")
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert fig.layout.legend.yanchor == "bottom"


def test_every_horizontal_bar_keeps_its_label_with_the_height_to_write_it():
    few = charts.bar(_bars(5), "c", "n", title="t", x_title="", y_title="", horizontal=True)
    many = charts.bar(_bars(25), "c", "n", title="t", x_title="", y_title="", horizontal=True)
    assert many.layout.yaxis.dtick == 1 and many.layout.yaxis.tickmode == "linear"
    assert few.layout.height is None and many.layout.height >= 25 * 20


def test_a_line_of_small_counts_ticks_on_whole_numbers_only():
    months = pd.DataFrame({"m": ["Jan", "Feb", "Mar"], "n": [1, 3, 2]})
    small = charts.line(months, "m", "n", title="t", x_title="", y_title="")
    assert small.layout.yaxis.dtick == 1
    large = charts.line(
        months.assign(n=[100, 300, 200]), "m", "n", title="t", x_title="", y_title=""
    )
    assert large.layout.yaxis.dtick is None


def test_the_benchmark_spine_writes_each_rows_own_scale_at_its_ends(sample_db):
    card = scorecard.load()
    year = periods.parse("2025-26")
    with store.connect(sample_db) as con:
        results = scorecard.evaluate(con, card, year)
    rows = board.spine_rows(results)
    fig = board.spine_figure(results, year, 6)
    (ends,) = [t for t in fig.data if t.mode == "text"]
    assert len(ends.text) == 2 * rows["title"].nunique()
    assert ends.x[0] < 0 and ends.x[1] > 1  # beyond a value drawn at an edge
    assert "each row's scale is written at its ends" in fig.layout.xaxis.title.text
    # Re-referral is better lower: its higher end is on the left (worse).
    title = scorecard.load().get("re_referral").title
    left, right = (ends.text[i] for i, y in enumerate(ends.y) if y == title)
    assert float(left.rstrip("%")) > float(right.rstrip("%"))


def test_a_long_x_axis_title_takes_two_lines():
    axis = "Per 10,000 children aged 0-19, with 95% intervals around each value"
    fig = charts.bar(_bars(3), "c", "n", title="t", x_title=axis, y_title="")
    lines = fig.layout.xaxis.title.text.split("<br>")
    assert len(lines) == 2 and " ".join(lines) == axis
    # Seen cut short beside long category labels at 44 characters; never broken at a hyphen.
    cut = "Per 10,000 children aged 0-19 (95% interval)"
    wrapped = charts.bar(_bars(3), "c", "n", title="t", x_title=cut, y_title="")
    assert wrapped.layout.xaxis.title.text == "Per 10,000 children aged 0-19 (95%<br>interval)"
    hyphen = charts.bar(
        _bars(3), "c", "n", title="t", x_title="Time from start of episode to step-up", y_title=""
    )
    assert hyphen.layout.xaxis.title.text.split("<br>")[-1] == "step-up"
    # A y axis title runs up a short plot: it breaks sooner.
    y = "Requests per 10,000 children aged 0-19"
    tall = charts.bar(_bars(3), "c", "n", title="t", x_title="", y_title=y)
    assert tall.layout.yaxis.title.text == "Requests per 10,000 children<br>aged 0-19"
    short = charts.bar(_bars(3), "c", "n", title="t", x_title="Requests", y_title="")
    assert short.layout.xaxis.title.text == "Requests"


def test_more_lines_than_colours_are_drawn_as_their_spread_and_median():
    # A national extract's 792 localities were 792 traces (1.3 MB a chart), unreadable.
    n = charts.LINES_AT_MOST + 1
    trend = pd.DataFrame(
        {
            "q": ["Q1", "Q2"] * n,
            "v": [float(i) for i in range(2 * n)],
            "m": [f"<b>Place {i}</b>" for i in range(n) for _ in range(2)],
        }
    )
    trend.loc[trend.index[-1], "v"] = None  # a hidden (suppressed) value is left out
    first = trend["m"].isin(trend["m"].unique()[:3])
    assert len(charts.line(trend[first], "q", "v", title="t", color="m").data) == 3
    highest, lowest, median = charts.line(trend, "q", "v", title="t", color="m").data
    # Q1: places 0..24 have 0, 2, .., 48; Q2: 1, 3, .., 47 (place 24's Q2 hidden).
    assert list(highest.y) == [48, 47] and list(lowest.y) == [0, 1]
    assert highest.customdata[0] == "&lt;b&gt;Place 24&lt;/b&gt;"  # names as text
    assert lowest.fill == "tonexty" and f"of the {n:,}" in lowest.name
    assert list(median.y) == [24.0, 24.0]


def test_a_matrix_of_more_units_than_fit_is_coloured_only_with_its_text_in_the_hover():
    def cells(units: int) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"title": kpi, "unit": f"U{u}", "rag": "green", "text": "12% ✓"}
                for kpi in ("A", "B")
                for u in range(units)
            ]
        )

    def matrix(units: int):
        names = [f"U{u}" for u in range(units)]
        return charts.rag_matrix(
            cells(units), title="t", x_title=None, x_order=names, y_order=["A", "B"]
        )

    few, many = matrix(4), matrix(charts.CELL_TEXT_AT_MOST + 1)
    assert few.data[0].texttemplate == "%{text}" and few.layout.xaxis.dtick == 1
    assert many.data[0].texttemplate is None and many.layout.xaxis.dtick is None
    assert "%{text}" in many.data[0].hovertemplate


def test_published_lines_drawn_as_their_spread_have_no_median():
    # A median of published counts can fall from 1 to 5 and read as a small count.
    from ehts_data import disclosure

    n = charts.LINES_AT_MOST + 1
    trend = pd.DataFrame(
        {"q": ["Q1"] * n, "requests": [0] + [10] * (n - 1), "m": [f"P{i}" for i in range(n)]}
    )
    published = disclosure.publish(trend, {"requests": "count"})
    traces = charts.line(published, "q", "requests", title="t", color="m").data
    assert [t.name for t in traces][1:] == [f"Lowest to highest of the {n:,}"]


def test_more_bars_than_fit_are_ranked_upright_with_the_chosen_one_named():
    # 792 localities drew a chart 16,000 px tall; ranked, it keeps the default height.
    n = charts.BARS_AT_MOST + 1
    shares = pd.DataFrame(
        {"place": [f"L{i:03}" for i in range(n)], "share": [i / n for i in range(n)]}
    )
    place, share = Col("place", "Locality"), Col("share", "Share", axis="Share (%)")
    fig = charts.bar(shares, place, share, title="t", horizontal=True, highlight="L007")
    bars = fig.data[0]
    assert bars.orientation == "v" and fig.layout.height is None
    assert list(bars.x[:2]) == ["L060", "L059"] and bars.y[0] == shares.share.max()
    assert fig.layout.xaxis.showticklabels is False
    assert fig.layout.xaxis.title.text.startswith(f"Locality: {n:,}, highest to lowest")
    assert fig.layout.yaxis.title.text == "Share (%)"
    assert [a.text for a in fig.layout.annotations] == ["L007"]
    assert list(bars.marker.color).count(charts.MUTED) == n - 1
    few = charts.bar(shares.head(charts.BARS_AT_MOST), "place", "share", title="t", horizontal=True)
    assert few.data[0].orientation == "h"


def test_more_interval_rows_than_fit_are_ranked_with_the_chosen_one_written_by_its_ring():
    n = charts.BARS_AT_MOST + 1
    rates = pd.DataFrame(
        {"hub": [f"H{i:03}" for i in range(n)], "rate": [float(i) for i in range(n)]}
    )
    rates = rates.assign(lower=rates.rate - 1, upper=rates.rate + 1)
    fig = charts.intervals(
        rates, Col("hub", "Catchment"), "rate", "lower", "upper", title="t", highlight="H007"
    )
    assert list(fig.layout.yaxis.categoryarray[:2]) == ["H060", "H059"]
    assert fig.layout.yaxis.showticklabels is False
    title = fig.layout.yaxis.title.text.replace("<br>", " ")
    assert title.startswith(f"Catchment: {n:,}, highest to lowest")
    ring = fig.data[-1]
    assert ring.name == "Chosen: H007" and list(ring.text) == ["H007"]
    few = charts.intervals(rates.head(5), "hub", "rate", "lower", "upper", title="t")
    assert few.layout.yaxis.showticklabels is None
