"""Blocks of charts that several pages show the same way."""

from __future__ import annotations

import streamlit as st

from ehts_data import access, charts, explore, formatting, kinds, metrics
from ehts_data.contract import AGE_BANDS
from ehts_data.kinds import Col
from ehts_data.ui import auth
from ehts_data.ui.data import get
from ehts_data.ui.filters import filters
from ehts_data.ui.layout import chart, publish, published_value

# A share's numbers in its chart's table: what it counts, out of what, and the share.
SHARE_COLUMNS = (
    Col("numerator", "Count", kinds.COUNT),
    Col("denominator", "Out of", kinds.COUNT),
    Col("value", "Share", kinds.SHARE),
)
SHARE_KINDS = {"numerator": "count", "denominator": "denominator", "value": "share"}


# What a comparison of places within one locality is by, and its axis.
PLACE_AXES = {
    "locality": "Locality of residence",
    "catchment": "Hub catchment (where families live)",
    "hub": "Hub or team",
}


def sees_one_locality() -> bool:
    """True when the person sees one locality only: a coordinator (their authority-wide
    calls are narrowed to their own locality), or data of one locality."""
    grant = auth.grant()
    return (grant is not None and grant.scoped) or len(get(explore.localities)) <= 1


def locality_comparison() -> tuple[str, metrics.Scope, str | None]:
    """What a chart "by locality" compares: every locality over the whole authority (the
    chosen one in colour); or, for a person who sees one locality only, that locality's hub
    catchments (its hubs, for data without small areas), where a single locality bar would
    compare nothing — as the Demand page does. Returns the breakdown, its scope (catchments:
    the locality and service filters; families live where they live, whatever the hub or
    area chosen) and the group to colour (the chosen locality, hub or area's catchment)."""
    f = filters()
    if not sees_one_locality():
        return "locality", explore.authority(f.scope), f.scope.locality
    scope = metrics.Scope(f.scope.locality, None, f.scope.service)
    if get(explore.areas).empty:
        return "hub", scope, f.scope.hub
    return "catchment", scope, chosen_catchment()


def chosen_catchment() -> str | None:
    """The catchment to mark in a comparison of catchments: the one chosen, else the chosen
    hub's, else the chosen small area's (None when none is)."""
    f = filters()
    if f.scope.catchment or f.scope.hub:
        return f.scope.catchment or f.scope.hub
    if f.area is None:
        return None
    return get(explore.areas).set_index("area_code")["hub_id"].get(f.area)


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
    """Requests by a dimension (source, hub, ...) in the filters, each
    category labelled by `label_of(code)` in 'label', and, with a place chosen, the whole
    authority's: both published, with counts and each category's share ('share')."""
    f = filters()
    out = []
    for df in (
        get(explore.requests_by, dimension, f.period, f.scope),
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
    (the chosen one in colour), so a locality is seen beside the others; for a person who
    sees one locality, its hub catchments instead (locality_comparison).

    `rates` maps a metric id to (title, what its denominator counts).
    """
    f = filters()
    names = get(explore.group_names)
    whole = explore.authority(f.scope)
    compare_by, compare_scope, chosen = locality_comparison()
    rows = [(compare_by, compare_scope)]
    if compare_by != "hub":
        rows.append(("hub", f.scope))
    for by, scope in rows:
        axis = PLACE_AXES[by]
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
                        title=f"{title}, by {'hub catchment' if by == 'catchment' else by}",
                        horizontal=True,
                        reference=published_value(authority_value, "share"),
                        highlight=names[by].get(chosen) if by == compare_by else None,
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
