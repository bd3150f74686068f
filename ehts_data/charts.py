"""DataFrame → plotly figure, one factory per chart type. Never calls streamlit.

Colours come from the Okabe–Ito palette and the cividis scale, which stay distinct for the
common forms of colour blindness; no chart relies on red against green.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SEQUENTIAL = "cividis"
FONT = dict(family="Arial, Helvetica, sans-serif", size=14, color="#1f1f1f")


def _layout(fig: go.Figure, title: str, x_title: str | None, y_title: str | None, **extra):
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=17)),
        font=FONT,
        template="plotly_white",
        margin=dict(l=10, r=10, t=60, b=10),
        colorway=PALETTE,
        # Below the plot, so a long legend never runs into the title.
        legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0, title=None),
        **extra,
    )
    fig.update_xaxes(title_text=x_title, automargin=True)
    fig.update_yaxes(title_text=y_title, automargin=True)
    return fig


def bar(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    color: str | None = None,
    horizontal: bool = False,
    text: str | None = None,
    customdata: str | None = None,
    value_format: str = ",.0f",
    stacked: bool = True,
) -> go.Figure:
    """Bars of y by x (horizontal: categories on the y axis), optionally split by `color`."""
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    for i, (name, part) in enumerate(groups):
        cats, vals = part[x], part[y]
        fig.add_trace(
            go.Bar(
                x=vals if horizontal else cats,
                y=cats if horizontal else vals,
                orientation="h" if horizontal else "v",
                name=None if name is None else str(name),
                marker_color=PALETTE[i % len(PALETTE)],
                text=None if text is None else part[text],
                textposition="auto" if text else None,
                customdata=None if customdata is None else part[customdata],
                hovertemplate=(
                    f"%{{{'y' if horizontal else 'x'}}}: "
                    f"%{{{'x' if horizontal else 'y'}:{value_format}}}<extra>"
                    + ("" if name is None else str(name))
                    + "</extra>"
                ),
                showlegend=name is not None,
            )
        )
    # Axis titles are as seen on screen: x along the bottom, y up the side.
    fig = _layout(fig, title, x_title, y_title, barmode="stack" if stacked else "group")
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        fig.update_xaxes(tickformat=value_format)
    else:
        fig.update_yaxes(tickformat=value_format)
    return fig


def line(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    color: str | None = None,
    value_format: str = ",.0f",
) -> go.Figure:
    """Lines of y over x, one per `color` group, with markers so single points show."""
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    symbols = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon"]
    for i, (name, part) in enumerate(groups):
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="lines+markers",
                name=None if name is None else str(name),
                line=dict(color=PALETTE[i % len(PALETTE)], width=2.5),
                marker=dict(symbol=symbols[i % len(symbols)], size=7),
                hovertemplate=f"%{{x}}: %{{y:{value_format}}}<extra>"
                + ("" if name is None else str(name))
                + "</extra>",
                showlegend=name is not None,
            )
        )
    fig = _layout(fig, title, x_title, y_title)
    fig.update_yaxes(tickformat=value_format, rangemode="tozero")
    return fig


def heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    z: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    colorbar_title: str,
    value_format: str = ".0%",
    x_order: list | None = None,
    y_order: list | None = None,
) -> go.Figure:
    """A grid of z by x and y, values written in the cells."""
    grid = df.pivot_table(index=y, columns=x, values=z, aggfunc="first", sort=False)
    if x_order is not None:
        grid = grid.reindex(columns=[c for c in x_order if c in grid.columns])
    if y_order is not None:
        grid = grid.reindex(index=[r for r in y_order if r in grid.index])
    # Values are written in the cells only while they stay readable.
    show_values = grid.shape[0] * grid.shape[1] <= 160
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=[str(c) for c in grid.columns],
            y=[str(r) for r in grid.index],
            colorscale=SEQUENTIAL,
            colorbar=dict(title=colorbar_title, tickformat=value_format),
            texttemplate=f"%{{z:{value_format}}}" if show_values else None,
            hovertemplate=f"%{{y}} × %{{x}}: %{{z:{value_format}}}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig = _layout(fig, title, x_title, y_title)
    # One readable row per category: every label shown.
    fig.update_layout(height=max(360, 170 + 24 * grid.shape[0]))
    fig.update_yaxes(autorange="reversed", dtick=1)
    fig.update_xaxes(dtick=1)
    return fig


def sankey(links: pd.DataFrame, *, title: str, source: str, target: str, value: str) -> go.Figure:
    """A flow diagram from links (source, target, value); node names are the labels."""
    nodes = list(dict.fromkeys([*links[source], *links[target]]))
    index = {name: i for i, name in enumerate(nodes)}
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node=dict(
                label=nodes,
                color=[PALETTE[i % len(PALETTE)] for i in range(len(nodes))],
                pad=18,
                thickness=16,
                line=dict(color="#444", width=0.5),
            ),
            link=dict(
                source=[index[s] for s in links[source]],
                target=[index[t] for t in links[target]],
                value=links[value],
                color="rgba(120,120,120,0.35)",
                hovertemplate="%{source.label} → %{target.label}: %{value:,}<extra></extra>",
            ),
        )
    )
    return _layout(fig, title, None, None)


def locality_map(
    geojson: dict | None,
    areas: pd.DataFrame,
    hubs: pd.DataFrame,
    *,
    title: str,
    value: str,
    value_title: str,
    label_col: str,
) -> go.Figure:
    """A choropleth of `value` by locality with hub markers. Uses a blank map style, so it
    needs no tile server, token or network."""
    fig = go.Figure()
    if geojson is not None and not areas.empty:
        fig.add_trace(
            go.Choroplethmap(
                geojson=geojson,
                featureidkey="properties.locality_id",
                locations=areas["locality_id"],
                z=areas[value],
                text=areas[label_col],
                colorscale=SEQUENTIAL,
                marker=dict(opacity=0.75, line=dict(width=1.5, color="#333")),
                colorbar=dict(title=value_title),
                hovertemplate="%{text}: %{z:,.1f}<extra></extra>",
                name="Localities",
            )
        )
    located = hubs.dropna(subset=["latitude", "longitude"])
    if not located.empty:
        fig.add_trace(
            go.Scattermap(
                lat=located["latitude"],
                lon=located["longitude"],
                mode="markers",
                text=located["hub_name"],
                customdata=located["hub_id"],
                marker=dict(
                    size=[15 if t == "family_hub" else 10 for t in located["hub_type"]],
                    color="#E69F00",
                ),
                hovertemplate="%{text}<extra></extra>",
                name="Hubs",
            )
        )
    points = [
        (lon, lat)
        for f in (geojson or {}).get("features", [])
        for ring in _rings(f.get("geometry") or {})
        for lon, lat in ring
    ] or list(zip(located["longitude"], located["latitude"], strict=True))
    view = dict(style="white-bg")
    if points:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        # Zoom so the whole area fits: a zoom-z map shows about 360 / 2^z degrees of
        # longitude per 256 pixels; latitude degrees look longer away from the equator.
        mid_lat = (max(lats) + min(lats)) / 2
        span = max(max(lons) - min(lons), (max(lats) - min(lats)) / math.cos(math.radians(mid_lat)))
        view["center"] = dict(lat=mid_lat, lon=(max(lons) + min(lons)) / 2)
        view["zoom"] = max(1.0, min(15.0, math.log2(360 * 1.5 / max(span, 1e-4)) - 0.6))
    fig.update_layout(map=view, showlegend=False)
    fig = _layout(fig, title, None, None)
    fig.update_layout(height=460)
    return fig


def _rings(geometry: dict):
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coords
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon
