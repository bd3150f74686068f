"""Blocks of charts that several pages show the same way."""

from __future__ import annotations

import streamlit as st

from ehts_data import charts, explore, formatting, metrics
from ehts_data.ui.data import get
from ehts_data.ui.filters import filters
from ehts_data.ui.layout import chart, publish

SHARE_FORMATS = {"Share": "share", "Count": "count", "Out of": "count"}
SHARE_COLUMNS = {"numerator": "Count", "denominator": "Out of", "value": "Share"}
GROUP_AXES = {"locality": "Locality of residence", "hub": "Hub or team"}
SHARE_KINDS = {"numerator": "count", "denominator": "denominator", "value": "share"}


def authority(fn, *args, **kwargs):
    """fn's result for the whole authority (the same period and service, no place) when a
    locality, hub or area is chosen, else None: the reference every chart carries then."""
    f = filters()
    if not f.place_chosen:
        return None
    return get(fn, *args, scope=explore.authority(f.scope), **kwargs)


def shares_by_group(rates: dict[str, tuple[str, str]], key: str) -> None:
    """For each breakdown (locality, hub), the rate metrics side by side as bar charts.

    `rates` maps a metric id to (title, what its denominator counts).
    """
    f = filters()
    names = get(explore.group_names)
    for by, axis in GROUP_AXES.items():
        for col, (metric_id, (title, counted)) in zip(
            st.columns(len(rates)), rates.items(), strict=True
        ):
            with col:
                df = get(metrics.compute, metric_id, f.period, by, f.scope)
                df[axis] = df["group"].map(lambda g, n=names[by]: n.get(g, formatting.label(g)))
                df = publish(df, SHARE_KINDS)
                chart(
                    charts.bar(
                        df,
                        axis,
                        "value",
                        title=f"{title}, by {by}",
                        x_title=f"Share of {counted} (%)",
                        y_title=axis,
                        horizontal=True,
                        value_format=".0%",
                    ),
                    df.rename(columns=SHARE_COLUMNS)[[axis, "Count", "Out of", "Share"]],
                    f"{key}_{metric_id}_{by}",
                    formats=SHARE_FORMATS,
                )


def shares_by_quarter(rates: dict[str, tuple[str, str]], title: str, key: str) -> None:
    """The rate metrics quarter by quarter over the period and the two before it."""
    f = filters()
    trend = get(
        explore.metric_by_quarter, tuple(rates), f.period.previous().previous(), f.period, f.scope
    )
    trend["Measure"] = trend["metric"].map(lambda m: rates[m][0])
    trend = publish(trend.drop(columns="quarter_start"), SHARE_KINDS, lines=["metric"])
    chart(
        charts.line(
            trend,
            "quarter",
            "value",
            title=title,
            x_title="Financial quarter",
            y_title="Share (%)",
            color="Measure",
            value_format=".0%",
        ),
        trend.rename(columns={**SHARE_COLUMNS, "quarter": "Quarter"})[
            ["Measure", "Quarter", "Count", "Out of", "Share"]
        ],
        key,
        formats=SHARE_FORMATS,
    )
