"""Blocks of charts that several pages show the same way."""

from __future__ import annotations

import streamlit as st

from ehts_data import access, charts, explore, formatting, kinds, metrics
from ehts_data.contract import AGE_BANDS
from ehts_data.kinds import Col
from ehts_data.ui import auth
from ehts_data.ui.data import get
from ehts_data.ui.filters import filters
from ehts_data.ui.layout import chart, publish

# A share's numbers in its chart's table: what it counts, out of what, and the share.
SHARE_COLUMNS = (
    Col("numerator", "Count", kinds.COUNT),
    Col("denominator", "Out of", kinds.COUNT),
    Col("value", "Share", kinds.SHARE),
)
GROUP_AXES = {"locality": "Locality of residence", "hub": "Hub or team"}
SHARE_KINDS = {"numerator": "count", "denominator": "denominator", "value": "share"}


def whole_authority(fn, *args, **kwargs):
    """fn's result for the whole authority (the same period and service, no place), or None
    for a coordinator when it is more than a metric's total (access.sees_authority)."""
    if not access.sees_authority(auth.grant(), fn, args):
        return None
    return get(fn, *args, scope=explore.authority(filters().scope), **kwargs)


def authority(fn, *args, **kwargs):
    """fn's result for the whole authority when a locality, hub or area is chosen, else
    None: the reference every chart carries then (see whole_authority)."""
    return whole_authority(fn, *args, **kwargs) if filters().place_chosen else None


def authority_mix(code: str, label: str, kinds: dict[str, str], fn, *args):
    """fn(*args) for the whole authority when a place is chosen (else None), each row's
    `code` labelled in column `label`, published with `kinds`: a chart's reference ticks."""
    df = authority(fn, *args)
    if df is None:
        return None
    df[label] = df[code].map(formatting.label)
    return publish(df, kinds)


def request_mix(dimension: str, label_of) -> tuple:
    """Requests by a dimension (source, hub, ...) in the filters (and small area), each
    category labelled by `label_of(code)` in 'label', and, with a place chosen, the whole
    authority's: both published, with counts and each category's share ('share')."""
    f = filters()
    out = []
    for df in (
        get(explore.requests_by, dimension, f.period, f.scope, f.area),
        authority(explore.requests_by, dimension, f.period),
    ):
        if df is not None:
            df["label"] = df["category"].map(label_of)
            if dimension == "age_band":  # youngest first
                df = df.set_index("category").reindex(AGE_BANDS).dropna().reset_index()
            df = publish(df, {"requests": "count", "share": "share"})
        out.append(df)
    return tuple(out)


def shares_by_group(rates: dict[str, tuple[str, str]], key: str) -> None:
    """For each breakdown (locality, hub), the rate metrics side by side as bar charts, each
    with the whole authority's value as a dashed line. By locality every locality is shown
    (the chosen one in colour), so a locality is seen beside the others.

    `rates` maps a metric id to (title, what its denominator counts).
    """
    f = filters()
    names = get(explore.group_names)
    whole = explore.authority(f.scope)
    for by, axis in GROUP_AXES.items():
        scope = whole if by == "locality" else f.scope
        for col, (metric_id, (title, counted)) in zip(
            st.columns(len(rates)), rates.items(), strict=True
        ):
            with col:
                df = get(metrics.compute, metric_id, f.period, by, scope)
                df[axis] = df["group"].map(lambda g, n=names[by]: n.get(g, formatting.label(g)))
                df = publish(df, SHARE_KINDS)
                authority_value = get(metrics.compute, metric_id, f.period, "none", whole)
                share = Col("value", "Share", kinds.SHARE, axis=f"Share of {counted} (%)")
                chart(
                    charts.bar(
                        df,
                        Col(axis, axis),
                        share,
                        title=f"{title}, by {by}",
                        horizontal=True,
                        reference=authority_value["value"].iloc[0],
                        highlight=names["locality"].get(f.scope.locality)
                        if by == "locality"
                        else None,
                    ),
                    df,
                    f"{key}_{metric_id}_{by}",
                    sources=(metric_id,),
                    columns=(Col(axis, axis), *SHARE_COLUMNS),
                )


def shares_by_quarter(rates: dict[str, tuple[str, str]], title: str, key: str) -> None:
    """The rate metrics quarter by quarter over the period and the two before it; with a
    place chosen, the whole authority's as dashed lines."""
    f = filters()
    first = f.period.previous().previous()
    frames = []
    for trend in (
        get(explore.metric_by_quarter, tuple(rates), first, f.period, f.scope),
        authority(explore.metric_by_quarter, tuple(rates), first, f.period),
    ):
        if trend is not None:
            trend["Measure"] = trend["metric"].map(lambda m: rates[m][0])
            trend = publish(trend.drop(columns="quarter_start"), SHARE_KINDS, lines=["metric"])
        frames.append(trend)
    trend, whole = frames
    quarter = Col("quarter", "Quarter", axis="Financial quarter")
    chart(
        charts.line(
            trend,
            quarter,
            Col("value", "Share", kinds.SHARE, axis="Share (%)"),
            title=title,
            color="Measure",
            reference=whole,
        ),
        trend,
        key,
        sources=tuple(rates),
        columns=(Col("Measure", "Measure"), quarter, *SHARE_COLUMNS),
    )
