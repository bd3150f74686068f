"""DataFrame → plotly figure, one factory per chart type. Never calls streamlit.

Colours come from the Okabe–Ito palette and the cividis scale, which stay distinct for the
common forms of colour blindness; no chart relies on red against green.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from ehts_data import kinds
from ehts_data.contract import minimal_geojson
from ehts_data.disclosure import Checked, Published
from ehts_data.kinds import Col
from ehts_data.text import for_plotly

Data = pd.DataFrame | Published

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SEQUENTIAL = "cividis"
FONT = dict(family="Arial, Helvetica, sans-serif", size=14, color="#1f1f1f")
# Every figure's template, given as plotly's default: a new figure takes the default without
# validating it, where `update_layout(template=...)` validates the whole template again (about
# 15 ms a figure, a third of building the board pack's figures). The figures are the same.
TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE


def _data(df: Data) -> tuple[pd.DataFrame, bool]:
    """The frame to draw, and whether it passed disclosure control (hidden cells missing)."""
    if isinstance(df, Published):
        return df.frame, df.k is not None
    return df, False


def _mark(fig: go.Figure, published: bool) -> go.Figure:
    # Publication mode draws only figures built from published frames (ui.chart checks).
    fig.update_layout(meta={"ehts_published": published})
    return fig


def is_published(fig: go.Figure) -> bool:
    """True when the figure was drawn from frames that passed ehts_data.disclosure."""
    meta = fig.layout.meta
    return isinstance(meta, dict) and meta.get("ehts_published") is True


def _shown(values):
    """Labels from the data as text: plotly would render <b> or <a href> in them."""
    return [for_plotly(v) for v in values]


def _name(name) -> str | None:
    return None if name is None else for_plotly(str(name))


# The trace's own (escaped) name in the hover box; never pasted into the template, where a
# name holding %{...} would be read as a placeholder.
_EXTRA = "<extra>%{fullData.name}</extra>"


def _col(col: str | Col) -> tuple[str, str | None, kinds.Kind | None]:
    """A column given by name or as a Col spec: (name, axis title, kind)."""
    if isinstance(col, Col):
        return col.name, col.axis_title, col.kind
    return col, None, None


def _formats(kind: kinds.Kind | None, value_format: str | None, default: str) -> tuple[str, str]:
    """(axis format, hover format): given ones win; else the column's kind's; else `default`
    for both."""
    axis = value_format or (kind.axis_format if kind else default)
    hover = value_format or (kind.hover_format if kind else default)
    return axis, hover


# A title longer than this is written on more lines: plotly never wraps a title, and a chart
# in half the page's width (two columns at 1280 px) cuts it off after about 45 characters.
TITLE_WIDTH = 42
# Horizontal bars that fit a chart of plotly's default height with every label readable.
BARS_IN_DEFAULT_HEIGHT = 14
# More bars or interval rows than this (792 localities nationally: a bar chart 16,000 px tall
# that took seconds to draw) are ranked instead, highest first (bars upright), without labels:
# each name is in its hover and the table.
BARS_AT_MOST = 60


def _title_lines(title: str) -> list[str]:
    return textwrap.wrap(title, TITLE_WIDTH, break_long_words=False, break_on_hyphens=False) or [""]


# An x axis title longer than this (wider than a half-width chart's plot beside long category
# labels: "(95% interval)" lost its end at 44) takes two lines; a y axis title runs up a plot
# about 200 px high under a two-line title and a long legend (one longer ran up into the
# chart's title).
AXIS_TITLE_WIDTH = 36
Y_AXIS_TITLE_WIDTH = 28


def _wrapped_axis_title(text: str | None, width: int = AXIS_TITLE_WIDTH) -> str | None:
    if not text or "<br>" in text or len(text) <= width:
        return text
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


def _layout(fig: go.Figure, title: str, x_title: str | None, y_title: str | None, **extra):
    """The figure with the common layout (title, font, margins, legend, axis titles) and
    `extra`, as a new figure: plotly validates a layout given to its constructor in about 2 ms,
    where update_layout walks every key path again (about 12 ms a figure)."""
    lines = _title_lines(title)
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)  # the new figure takes the same default (TEMPLATE)
    if pio.templates.default != TEMPLATE:
        # Importing streamlit after this module makes its own theme plotly's default.
        pio.templates.default = TEMPLATE
    common = dict(
        title=dict(
            text="<br>".join(for_plotly(line) for line in lines),
            x=0,
            xanchor="left",
            font=dict(size=17, weight=700),
        ),
        font=FONT,
        margin=dict(l=10, r=10, t=38 + 22 * len(lines), b=10),
        colorway=PALETTE,
        # At the foot of the figure, below the axis title and slanted labels whatever the
        # figure's height (the container's foot, with the plot pushed up to make room), so
        # a long legend never runs into the title or the axis.
        legend=dict(
            orientation="h",
            yref="container",
            yanchor="bottom",
            y=0,
            xanchor="left",
            x=0,
            title=None,
        ),
        **extra,
    )
    # Every x and y axis of the figure (subplots have several), as update_xaxes would.
    for axis, text in (
        ("xaxis", _wrapped_axis_title(x_title)),
        ("yaxis", _wrapped_axis_title(y_title, Y_AXIS_TITLE_WIDTH)),
    ):
        for key in sorted(k for k in layout if k.rstrip("0123456789") == axis) or [axis]:
            common[key] = _merged(common.get(key, {}), dict(title=dict(text=text), automargin=True))
    return go.Figure(data=fig.data, layout=go.Layout(_merged(layout, common)), _validate=False)


def _merged(base: dict, update: dict) -> dict:
    """`base` updated by `update` as update_layout does: dicts merged key by key, anything
    else replaced."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


# A chosen place is set against the whole authority everywhere: one look for the reference.
AUTHORITY = "Whole authority"
REFERENCE_COLOUR = "#1F1F1F"
MUTED = "#B8B8B8"  # bars of the places not chosen, beside the chosen one in colour
CHOSEN = "#B0006E"  # the ring or outline round the place chosen (not on the cividis scale)


def _reference_line(
    fig: go.Figure,
    value,
    name: str,
    *,
    axis: str,
    value_format: str,
    dash: str = "dash",
    annotate: bool = True,
) -> None:
    """A reference value across the plot (a vertical line for axis 'x'), its name and value
    in the legend (a trace named for it) and, with `annotate`, written at its end (one
    line's only: two labels at the top could overlap)."""
    if value is None or pd.isna(value):
        return
    text = for_plotly(f"{name}: {value:{value_format}}")
    line = dict(color=REFERENCE_COLOUR, dash=dash, width=1.5)
    if axis == "x":
        label = dict(annotation_text=text, annotation_position="top") if annotate else {}
        fig.add_vline(x=value, line=line, **label)
    else:
        label = dict(annotation_text=text, annotation_position="top right") if annotate else {}
        fig.add_hline(y=value, line=line, **label)
    fig.add_trace(
        go.Scatter(x=[None], y=[None], mode="lines", name=text, line=line, hoverinfo="skip")
    )


def _reference_marks(
    fig: go.Figure, cats, values, name: str, *, horizontal: bool, value_format: str
) -> None:
    """The reference's value for each category, as a black tick across the category's bar
    (or point), named in the legend."""
    fig.add_trace(
        go.Scatter(
            x=values if horizontal else cats,
            y=cats if horizontal else values,
            mode="markers",
            name=_name(name),
            marker=dict(
                symbol="line-ns-open" if horizontal else "line-ew-open",
                size=26 if len(cats) <= 12 else 14,
                line=dict(width=3, color=REFERENCE_COLOUR),
                color=REFERENCE_COLOUR,
            ),
            hovertemplate=f"%{{{'y' if horizontal else 'x'}}}: "
            f"%{{{'x' if horizontal else 'y'}:{value_format}}}" + _EXTRA,
        )
    )


def _ring(fig: go.Figure, xs, ys, name, label=None) -> None:
    """A ring round the point of the place chosen (none when it is not shown), named in the
    legend and, with `label`, written under it."""
    if len(xs) == 0:
        return
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers" if label is None else "markers+text",
            name=_name(f"Chosen: {name}"),
            text=label,
            textposition="bottom center",
            textfont=dict(color=CHOSEN, size=15),
            marker=dict(symbol="circle-open", size=26, color=CHOSEN, line=dict(width=3)),
            hoverinfo="skip",
        )
    )


def _reference_frame(reference) -> tuple[pd.DataFrame | None, bool]:
    """A reference given as a frame (published or not); a number is no frame, and counts as
    published only when it is a disclosure.Checked one (or there is none)."""
    if isinstance(reference, Published | pd.DataFrame):
        return _data(reference)
    return None, _checked(reference)


def _checked(value) -> bool:
    return value is None or isinstance(value, Checked)


def bar(
    df: pd.DataFrame,
    x: str | Col,
    y: str | Col,
    *,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    color: str | None = None,
    horizontal: bool = False,
    text: str | None = None,
    customdata: str | None = None,
    value_format: str | None = None,
    stacked: bool = True,
    reference=None,
    reference_label: str = AUTHORITY,
    highlight: str | None = None,
) -> go.Figure:
    """Bars of y by x (horizontal: categories on the y axis), optionally split by `color`.

    x and y are column names or Col specs, whose labels are the axis titles (x along the
    bottom, y up the side, as seen) and whose kind gives the value's axis and hover formats.
    `reference`: the authority's value, as a number (a dashed line across the bars) or a
    frame with the same x and y columns (a tick on each category's bar), named
    `reference_label`. `highlight`: the category chosen (in colour; the others grey)."""
    (x, x_label, _), (y, y_label, kind) = _col(x), _col(y)
    value_format, hover_format = _formats(kind, value_format, ",.0f")
    df, published = _data(df)
    ref_frame, ref_published = _reference_frame(reference)
    bars = df[x].nunique()
    ranked = horizontal and color is None and ref_frame is None and bars > BARS_AT_MOST
    if ranked:
        df = df.sort_values(y, ascending=False, na_position="last", kind="stable")
        horizontal, text = False, None
        # Titles are as seen: the value now goes up the side.
        x_title, y_title = (
            f"{x_label or x}: {bars:,}, highest to lowest (names in the hover and the table)",
            x_title or y_label,
        )
    if x_title is None:
        x_title = y_label if horizontal else x_label
    if y_title is None:
        y_title = x_label if horizontal else y_label
    extra_legend = None
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    for i, (name, part) in enumerate(groups):
        cats, vals = _shown(part[x]), part[y]
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Bar(
                x=vals if horizontal else cats,
                y=cats if horizontal else vals,
                orientation="h" if horizontal else "v",
                name=_name(name),
                marker_color=colour
                if highlight is None
                else [colour if c == highlight else MUTED for c in part[x]],
                text=None if text is None else _shown(part[text]),
                textposition="auto" if text else None,
                customdata=None if customdata is None else part[customdata],
                hovertemplate=(
                    f"%{{{'y' if horizontal else 'x'}}}: "
                    f"%{{{'x' if horizontal else 'y'}:{hover_format}}}"
                    + ("<extra></extra>" if name is None else _EXTRA)
                ),
                showlegend=name is not None,
            )
        )
    if ref_frame is not None:
        shown = ref_frame[ref_frame[x].isin(set(df[x]))]
        if not horizontal:
            # Category labels under upright bars may be slanted: the legend goes above.
            extra_legend = dict(yref="paper", y=1.0, yanchor="bottom", x=1, xanchor="right")
        _reference_marks(
            fig,
            _shown(shown[x]),
            shown[y],
            reference_label,
            horizontal=horizontal,
            value_format=hover_format,
        )
    elif reference is not None:
        _reference_line(
            fig,
            reference,
            reference_label,
            axis="x" if horizontal else "y",
            value_format=hover_format,
        )
    # Axis titles are as seen on screen: x along the bottom, y up the side.
    fig = _layout(fig, title, x_title, y_title, barmode="stack" if stacked else "group")
    if extra_legend:
        fig.update_layout(legend=extra_legend)
    if horizontal:
        # Every bar keeps its label (plotly would drop every other one when crowded), with
        # the height to write them.
        fig.update_yaxes(autorange="reversed", tickmode="linear", dtick=1)
        if bars > BARS_IN_DEFAULT_HEIGHT:
            fig.update_layout(height=160 + 20 * bars)
        fig.update_xaxes(tickformat=value_format)
    else:
        fig.update_yaxes(tickformat=value_format)
    if ranked:
        # No gaps: hundreds of hairline bars with gaps between them draw pale.
        fig.update_layout(bargap=0)
        fig.update_xaxes(showticklabels=False, type="category")
        chosen = df[df[x] == highlight]
        if not chosen.empty:
            fig.add_annotation(
                x=_shown(chosen[x])[0],
                y=chosen[y].iloc[0] if pd.notna(chosen[y].iloc[0]) else 0,
                text=_shown(chosen[x])[0],
                font=dict(color=CHOSEN),
                arrowcolor=CHOSEN,
            )
    _whole_ticks(fig, df, x if stacked else None, y, horizontal, value_format)
    return _mark(fig, published and ref_published)


def _whole_ticks(fig, df: pd.DataFrame, by: str | None, y: str, horizontal: bool, fmt: str):
    """Whole numbers up to 10 get a tick at each whole number: plotly's own half steps
    printed without decimals read "0 1 1 2 2"."""
    if not fmt.endswith(".0f"):
        return
    values = pd.to_numeric(df[y], errors="coerce")
    top = (values.groupby(df[by]).sum() if by else values).abs().max()
    if pd.notna(top) and top <= 10:
        (fig.update_xaxes if horizontal else fig.update_yaxes)(dtick=1)


# More lines than this cannot be told apart (the palette has eight colours), and each is a
# trace to build, send and draw (a national extract's 792 localities by month: 1.3 MB). Their
# spread is drawn instead: a grey band from the lowest to the highest at each point (named in
# the hover) and their median; the chart's table keeps every line.
LINES_AT_MOST = 24


def _spread(
    df: pd.DataFrame, color: str, x: str, y: str, hover_format: str, *, median: bool
) -> list:
    # Published frames (hidden cells missing) get no median: a median of published counts
    # can fall from 1 to 5 and read as a small count; the lowest and highest are published.
    shown = df.dropna(subset=[y])
    at = shown.groupby(x, sort=False)[y]
    highest, lowest = shown.loc[at.idxmax()], shown.loc[at.idxmin()]
    count = df[color].nunique()
    band = dict(mode="lines", line=dict(width=0, color=MUTED))
    traces = [
        go.Scatter(
            x=_shown(highest[x]),
            y=highest[y],
            customdata=_shown(highest[color]),
            showlegend=False,
            hovertemplate=f"Highest: %{{customdata}}<br>%{{x}}: %{{y:{hover_format}}}"
            "<extra></extra>",
            **band,
        ),
        go.Scatter(
            x=_shown(lowest[x]),
            y=lowest[y],
            customdata=_shown(lowest[color]),
            fill="tonexty",
            fillcolor="rgba(184, 184, 184, 0.45)",
            name=f"Lowest to highest of the {count:,}",
            hovertemplate=f"Lowest: %{{customdata}}<br>%{{x}}: %{{y:{hover_format}}}"
            "<extra></extra>",
            **band,
        ),
    ]
    if median:
        traces.append(
            go.Scatter(
                x=_shown(at.median().index),
                y=at.median().to_numpy(),
                mode="lines",
                name=f"Median of the {count:,}",
                line=dict(color="#595959", width=2),
                hovertemplate=f"Median: %{{y:{hover_format}}}<extra>%{{x}}</extra>",
            )
        )
    return traces


def line(
    df: pd.DataFrame,
    x: str | Col,
    y: str | Col,
    *,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    color: str | None = None,
    value_format: str | None = None,
    reference=None,
    reference_label: str = AUTHORITY,
    series_name: str | None = None,
) -> go.Figure:
    """Lines of y over x, one per `color` group, with markers so single points show. x and y
    are column names or Col specs (labels as axis titles, y's kind for the formats).

    `reference`: the authority's values, a frame with the same x and y (and, for one line
    per group, `color`) columns, drawn as dashed black lines named `reference_label` (and
    the group);
    `series_name` names a line with no `color` (the place chosen) in the legend."""
    (x, x_label, _), (y, y_label, kind) = _col(x), _col(y)
    value_format, hover_format = _formats(kind, value_format, ",.0f")
    x_title = x_label if x_title is None else x_title
    y_title = y_label if y_title is None else y_title
    df, published = _data(df)
    ref_frame, ref_published = _reference_frame(reference)
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    symbols = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon"]
    if ref_frame is not None:
        ref_groups = (
            list(ref_frame.groupby(color, sort=False))
            if color is not None and color in ref_frame
            else [(None, ref_frame)]
        )
        # A group's reference is dashed in the group's colour; a single one in black.
        colours = {name: PALETTE[i % len(PALETTE)] for i, (name, _) in enumerate(groups)}
        for name, part in ref_groups:
            label = reference_label if name is None else f"{reference_label}: {name}"
            fig.add_trace(
                go.Scatter(
                    x=_shown(part[x]),
                    y=part[y],
                    mode="lines",
                    name=_name(label),
                    line=dict(
                        color=colours.get(name, REFERENCE_COLOUR) if name else REFERENCE_COLOUR,
                        width=1.5,
                        dash="dash",
                    ),
                    hovertemplate=f"%{{x}}: %{{y:{hover_format}}}" + _EXTRA,
                )
            )
    if len(groups) > LINES_AT_MOST:
        fig.add_traces(_spread(df, str(color), x, y, hover_format, median=not published))
        groups = []
    for i, (name, part) in enumerate(groups):
        fig.add_trace(
            go.Scatter(
                x=_shown(part[x]),
                y=part[y],
                mode="lines+markers",
                name=_name(series_name if name is None else name),
                line=dict(color=PALETTE[i % len(PALETTE)], width=2.5),
                marker=dict(symbol=symbols[i % len(symbols)], size=7),
                hovertemplate=f"%{{x}}: %{{y:{hover_format}}}"
                + ("<extra></extra>" if name is None else _EXTRA),
                showlegend=name is not None or (ref_frame is not None and series_name is not None),
            )
        )
    fig = _layout(fig, title, x_title, y_title)
    fig.update_yaxes(tickformat=value_format, rangemode="tozero")
    _whole_ticks(fig, df, None, y, False, value_format)
    return _mark(fig, published and ref_published)


def intervals(
    df: Data,
    y: str | Col,
    value: str | Col,
    lower: str,
    upper: str,
    *,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    flag: str | None = None,
    reference: float | None = None,
    reference_label: str = AUTHORITY,
    value_format: str | None = None,
    place_reference: tuple[str, float] | None = None,
    highlight: str | None = None,
    customdata: str | None = None,
) -> go.Figure:
    """Dots with 95% interval whiskers, one row per category, optionally marked by `flag`
    ('higher' / 'lower' / missing: shape and colour, never colour alone), a dashed line at
    a reference value (the authority's) and a dotted one at `place_reference` (name, value:
    the chosen locality's). `highlight`: the category chosen, ringed and in bold. y and value
    are column names or Col specs (labels as axis titles, value's kind for the formats)."""
    (y, y_label, _), (value, value_label, kind) = _col(y), _col(value)
    # Intervals sit close together: ticks as precise as the values (the hover format).
    value_format, hover_format = _formats(
        kind, value_format or (kind and kind.hover_format), ",.1f"
    )
    x_title = value_label if x_title is None else x_title
    y_title = y_label if y_title is None else y_title
    df, published = _data(df)
    rows = df[y].nunique()
    ranked = rows > BARS_AT_MOST
    if ranked:
        df = df.sort_values(value, ascending=False, na_position="last", kind="stable")
        y_title = f"{y_title or y}: {rows:,}, highest to lowest (names in the hover and the table)"
    fig = go.Figure()
    marks = {
        "higher": ("triangle-right", PALETTE[5], "Significantly higher than the rest"),
        "lower": ("triangle-left", PALETTE[0], "Significantly lower than the rest"),
        None: ("circle", "#5f5f5f", "Not significantly different"),
    }
    states = [None] if flag is None else [None, "higher", "lower"]
    for state in states:
        if flag is None:
            part = df
        elif state is None:
            part = df[df[flag].isna()]
        else:
            part = df[df[flag] == state]
        if part.empty:
            continue
        symbol, colour, name = marks[state]
        fig.add_trace(
            go.Scatter(
                x=part[value],
                y=_shown(part[y]),
                mode="markers",
                name=name,
                marker=dict(symbol=symbol, size=12, color=colour),
                error_x=dict(
                    type="data",
                    symmetric=False,
                    array=part[upper] - part[value],
                    arrayminus=part[value] - part[lower],
                    color=colour,
                    thickness=1.5,
                ),
                hovertemplate=f"%{{y}}: %{{x:{hover_format}}}" + _EXTRA,
                customdata=None if customdata is None else part[customdata],
                showlegend=flag is not None,
            )
        )
    chosen = df[df[y] == highlight] if highlight is not None else df.iloc[0:0]
    # Ranked rows have no labels: the chosen one is written beside its ring.
    _ring(fig, chosen[value], _shown(chosen[y]), highlight, _shown(chosen[y]) if ranked else None)
    published = published and _checked(reference)
    _reference_line(fig, reference, reference_label, axis="x", value_format=hover_format)
    if place_reference is not None:
        published = published and _checked(place_reference[1])
        _reference_line(
            fig,
            place_reference[1],
            place_reference[0],
            axis="x",
            value_format=hover_format,
            dash="dot",
            annotate=False,
        )
    fig = _layout(fig, title, x_title, y_title)
    # Rows in the frame's order (the traces split them by flag, which would reorder them).
    fig.update_yaxes(categoryorder="array", categoryarray=_shown(df[y]), autorange="reversed")
    if ranked:
        fig.update_yaxes(showticklabels=False)
    fig.update_xaxes(tickformat=value_format)
    return _mark(fig, published)


def heatmap(
    df: pd.DataFrame,
    x: str | Col,
    y: str | Col,
    z: str | Col,
    *,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    colorbar_title: str | None = None,
    value_format: str | None = None,
    x_order: list | None = None,
    y_order: list | None = None,
    z_range: tuple[float, float] | None = None,
    name: str | None = None,
) -> go.Figure:
    """A grid of z by x and y, values written in the cells; `z_range` fixes the colour
    scale's ends (grids set side by side), `name` names the grid (the place it is of). x, y
    and z are column names or Col specs (labels as axis and colour bar titles, z's kind for
    the formats)."""
    (x, x_label, _), (y, y_label, _), (z, z_label, kind) = _col(x), _col(y), _col(z)
    value_format, hover_format = _formats(kind, value_format, ".0%")
    x_title = x_label if x_title is None else x_title
    y_title = y_label if y_title is None else y_title
    colorbar_title = z_label if colorbar_title is None else colorbar_title
    df, published = _data(df)
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
            x=_shown(str(c) for c in grid.columns),
            y=_shown(str(r) for r in grid.index),
            colorscale=SEQUENTIAL,
            colorbar=dict(title=colorbar_title, tickformat=value_format),
            texttemplate=f"%{{z:{value_format}}}" if show_values else None,
            hovertemplate=f"%{{y}} × %{{x}}: %{{z:{hover_format}}}<extra></extra>",
            xgap=1,
            ygap=1,
            name=_name(name),
            **({} if z_range is None else dict(zmin=z_range[0], zmax=z_range[1])),
        )
    )
    fig = _layout(fig, title, x_title, y_title)
    # One readable row per category: every label shown.
    fig.update_layout(height=max(360, 170 + 24 * grid.shape[0]))
    fig.update_yaxes(autorange="reversed", dtick=1)
    fig.update_xaxes(dtick=1)
    return _mark(fig, published)


def sankey(links: pd.DataFrame, *, title: str, source: str, target: str, value: str) -> go.Figure:
    """A flow diagram from links (source, target, value); node names are the labels. Links
    withheld by disclosure control are left out (so node totals are of the links shown)."""
    links, published = _data(links)
    links = links[links[value].notna()]
    nodes = list(dict.fromkeys([*links[source], *links[target]]))
    index = {name: i for i, name in enumerate(nodes)}
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node=dict(
                label=_shown(nodes),
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
    return _mark(_layout(fig, title, None, None), published)


# Each drawn area's boundary goes to the browser: at national scale (33,264 areas) one map was
# 23 MB and took over a minute to draw. Above this many, a map draws one locality's areas.
MAP_AREAS_AT_MOST = 2_000


def locality_map(
    geojson: dict | None,
    areas: pd.DataFrame,
    hubs: pd.DataFrame,
    *,
    title: str,
    value: str | Col,
    value_title: str | None = None,
    label_col: str,
    key: str = "locality_id",
    focus: list | None = None,
    highlight: str | list[str] | None = None,
    outline: dict | None = None,
    reference: float | None = None,
    reference_label: str = AUTHORITY,
    value_format: str | None = None,
) -> go.Figure:
    """A choropleth of `value` (a column name or a Col spec, its label the colour bar's
    title and its kind the formats) by locality (or by small area: key 'area_code') with hub
    markers. Uses a blank map style, so it needs no tile server, token or network. Hubs are
    reference data (names and places). `focus`: the keys the view fits (the chosen
    locality's areas), the others drawn faded around them as context; `highlight`: the key
    chosen (or the keys: a catchment's areas), outlined thickly; `outline`: GeoJSON whose
    boundaries are drawn as thick lines (the chosen locality's, say); `reference`: the
    authority's value, marked and named on the colour bar (and the bar's range reaches it).
    Clicking a shape or hub selects its key or hub id."""
    value, value_label, kind = _col(value)
    value_title = value_label if value_title is None else value_title
    value_format, _ = _formats(kind, value_format, ",.0f")
    hover_format = kind.hover_format if kind else ",.1f"
    areas, published = _data(areas)
    published = published and _checked(reference)
    # A store loaded before ingest stripped GeoJSON properties may still hold them.
    geojson = None if geojson is None else minimal_geojson(geojson.get("features") or [], key)
    if geojson is not None and key != "locality_id":
        # Only the areas shown, so the map fits them (one locality's areas, say).
        shown = set(areas[key].astype(str))
        geojson["features"] = [f for f in geojson["features"] if f["properties"][key] in shown]
    focused = set(areas[key] if focus is None else focus)
    chosen = {highlight} if isinstance(highlight, str) else set(highlight or ())
    fig = go.Figure()
    if geojson is not None and not areas.empty:
        inside = areas[key].isin(focused)
        scale = _colour_range(areas[value], reference, reference_label, value_format)
        scale["colorbar"] = dict(title=value_title, **scale.get("colorbar", {}))
        fig.add_trace(
            go.Choroplethmap(
                geojson=geojson,
                featureidkey=f"properties.{key}",
                locations=areas[key],
                z=areas[value],
                text=_shown(areas[label_col]),
                colorscale=SEQUENTIAL,
                # One colour range for every view, so a colour means the same rate whichever
                # locality is shown; context outside the focus is faded behind thin lines.
                **scale,
                marker=dict(
                    opacity=0.8,
                    line=dict(
                        width=[
                            4.5 if k in chosen else 1.5 if i else 0.5
                            for k, i in zip(areas[key], inside, strict=True)
                        ],
                        color=[
                            CHOSEN if k in chosen else "#333" if i else "#999"
                            for k, i in zip(areas[key], inside, strict=True)
                        ],
                    ),
                ),
                hovertemplate=f"%{{text}}: %{{z:{hover_format}}}<extra></extra>",
                customdata=areas[key],
                name="Localities" if key == "locality_id" else "Small areas",
            )
        )
        if reference is not None and pd.notna(reference):
            # Named like every other chart's reference (the map has no legend to show it).
            fig.add_trace(
                go.Scattermap(
                    lat=[None],
                    lon=[None],
                    mode="markers",
                    name=for_plotly(f"{reference_label}: {reference:{value_format}}"),
                    hoverinfo="skip",
                )
            )
    if outline:
        lons, lats = [], []
        for feature in outline.get("features") or []:
            for ring in _rings(feature.get("geometry") or {}):
                lons += [p[0] for p in ring] + [None]
                lats += [p[1] for p in ring] + [None]
        # Lines, not shapes: a click inside still reaches the area under them.
        fig.add_trace(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                line=dict(width=4, color="#1F1F1F"),
                hoverinfo="skip",
                name="Locality boundary",
            )
        )
    located = hubs.dropna(subset=["latitude", "longitude"])
    if not located.empty:
        # Dark hubs in a white ring: dark on the light (yellow) end of the scale, the ring
        # on the dark (blue) end; white hubs were lost on yellow areas.
        fig.add_trace(
            go.Scattermap(
                lat=located["latitude"],
                lon=located["longitude"],
                mode="markers",
                marker=dict(
                    size=[20 if t == "family_hub" else 15 for t in located["hub_type"]],
                    color="#FFFFFF",
                ),
                hoverinfo="skip",
                name="Hub outlines",
            )
        )
        fig.add_trace(
            go.Scattermap(
                lat=located["latitude"],
                lon=located["longitude"],
                mode="markers",
                text=_shown(located["hub_name"]),
                customdata=located["hub_id"],
                marker=dict(
                    size=[14 if t == "family_hub" else 9 for t in located["hub_type"]],
                    color="#1F1F1F",
                    symbol="circle",
                ),
                hovertemplate="%{text}<extra></extra>",
                name="Hubs",
            )
        )
    points = [
        (lon, lat)
        for f in (geojson or {}).get("features", [])
        if f["properties"][key] in focused
        for ring in _rings(f.get("geometry") or {})
        for lon, lat in ring
    ] or list(zip(located["longitude"], located["latitude"], strict=True))
    view = dict(style="white-bg")
    if points:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        # Zoom so the whole area fits: a zoom-z map (MapLibre's 512-pixel tiles) shows
        # 360 / 2^z degrees of longitude per 512 pixels; latitude degrees look longer away
        # from the equator. The plot is about 330 pixels high: 200 leaves a margin round it.
        mid_lat = (max(lats) + min(lats)) / 2
        span = max(max(lons) - min(lons), (max(lats) - min(lats)) / math.cos(math.radians(mid_lat)))
        view["center"] = dict(lat=mid_lat, lon=(max(lons) + min(lons)) / 2)
        view["zoom"] = max(1.0, min(15.0, math.log2(200 * 360 / 512 / max(span, 1e-4))))
    fig.update_layout(map=view, showlegend=False)
    fig = _layout(fig, title, None, None)
    fig.update_layout(height=460)
    return _mark(fig, published)


def _colour_range(values, reference, reference_label: str, value_format: str) -> dict:
    """A choropleth's colour range: from the lowest to the highest value shown, stretched to
    take in the reference, which gets its own named tick on the colour bar. One value and no
    reference is no scale at all (a range of one number would be drawn as 1,708.0-1,708.8)."""
    values = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    has_reference = reference is not None and pd.notna(reference)
    ends = [*values, *([reference] if has_reference else [])]
    if not ends:
        return {}
    low, high = min(ends), max(ends)
    if high - low <= 1e-9 * max(1.0, abs(high)):
        return dict(zmin=low, zmax=high, showscale=False)
    out = dict(zmin=low, zmax=high)
    if has_reference:
        # The range's ends and the reference, an end left out when it would crowd the label.
        ticks = [(reference, f"{reference_label}: {reference:{value_format}}")] + [
            (v, f"{v:{value_format}}")
            for v in (low, high)
            if abs(v - reference) > 0.12 * (high - low)
        ]
        ticks.sort()
        out["colorbar"] = dict(
            tickvals=[t[0] for t in ticks], ticktext=[for_plotly(t[1]) for t in ticks]
        )
    return out


def _rings(geometry: dict):
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coords
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon


# --- The board scorecard ---------------------------------------------------------------------

# RAG keeps its conventional colours for boards, but every use also carries a word and a symbol.
RAG_COLOURS = {"green": "#1E7B34", "amber": "#F0B400", "red": "#C0392B", None: "#666666"}
RAG_TEXT_COLOURS = {"green": "#FFFFFF", "amber": "#1F1F1F", "red": "#FFFFFF", None: "#FFFFFF"}
RAG_SYMBOLS = {"green": "✓", "amber": "!", "red": "✕", None: "–"}
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", None: "No target"}
# Comparisons and SPC: blue is better/improving, orange worse/concerning (NHS Making Data Count).
JUDGEMENT_COLOURS = {
    "better": "#0072B2",
    "improving": "#0072B2",
    "worse": "#D55E00",
    "concerning": "#D55E00",
    "similar": "#8C8C8C",
    "none": "#8C8C8C",
    "higher": "#CC79A7",
    "lower": "#56B4E9",
    "neutral": "#CC79A7",
    "not compared": "#FFFFFF",
}
# The same judgements as text on white, dark enough for WCAG AA contrast (4.5:1).
JUDGEMENT_TEXT = {"better": "#005A8C", "worse": "#A23E00"}
NEUTRAL_TEXT = "#4D4D4D"


def _guide_lines(fig, frame: pd.DataFrame, x: str, specs, *, colour: str, width: float) -> None:
    """Limit or centre lines, one per (column, legend name, dash); lines sharing a dash share
    one legend entry (the one with a name)."""
    for col, name, dash in specs:
        fig.add_trace(
            go.Scatter(
                x=frame[x],
                y=frame[col],
                mode="lines",
                name=name,
                legendgroup=dash,
                showlegend=name is not None,
                line=dict(color=colour, width=width, dash=dash),
                hoverinfo="skip",
            )
        )


def spine(rows: pd.DataFrame, *, title: str) -> go.Figure:
    """A public-health-profile spine chart: one row per KPI, each on its own scale centred on
    England, better to the right. `rows`: title, series, value, text, polarity, local (bool),
    judgement (the local value's comparison word, for its colour)."""
    rows, published = _data(rows)
    fig = go.Figure()
    titles = list(dict.fromkeys(rows["title"]))
    placed, ends = [], []
    for t in titles:
        part = rows[rows["title"] == t].copy()
        england = part.loc[part["series"].str.startswith("England"), "value"]
        centre = float(england.iloc[0]) if len(england) else float(part["value"].median())
        # The benchmarks' spread sets the scale (at least ±10% of England), so a small
        # difference does not look large; a value beyond it sits at the edge, labelled.
        spread = (part.loc[~part["local"], "value"] - centre).abs().max()
        span = max(float(spread) * 1.5, abs(centre) * 0.1) or 1.0
        flip = -1 if part["polarity"].iloc[0] == "lower" else 1
        position = 0.5 + flip * (part["value"] - centre) / (2 * span)
        part["position"] = position.clip(0.0, 1.0)
        placed.append(part)
        if "kind" in part:
            ends.append((t, centre - flip * span, centre + flip * span, part["kind"].iloc[0]))
    placed = pd.concat(placed, ignore_index=True) if placed else rows.assign(position=[])
    bench = placed[~placed["local"]]
    for t in titles:  # the benchmarks' range as a grey band
        part = bench[bench["title"] == t]
        if len(part):
            fig.add_trace(
                go.Scatter(
                    x=[part["position"].min(), part["position"].max()],
                    y=_shown([t, t]),
                    mode="lines",
                    line=dict(color="#D9D9D9", width=14),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
    if ends:  # each row's own scale, written at its two ends
        fig.add_trace(
            go.Scatter(
                # Beyond the ends, where a value past the scale (drawn at the edge) is not.
                x=[x for _ in ends for x in (-0.1, 1.1)],
                y=_shown([t for t, *_ in ends for _ in range(2)]),
                mode="text",
                text=[
                    _scale_label(v, kind) for _, left, right, kind in ends for v in (left, right)
                ],
                textposition="middle center",
                textfont=dict(size=11, color="#595959"),
                hoverinfo="skip",
                showlegend=False,
            )
        )
    symbols = ["line-ns-open", "diamond", "square", "triangle-up", "star", "x"]
    for i, (series, part) in enumerate(bench.groupby("series", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=part["position"],
                y=_shown(part["title"]),
                mode="markers",
                name=_name(series),
                marker=dict(
                    symbol=symbols[i % len(symbols)],
                    size=14,
                    color="#1F1F1F",
                    line=dict(width=2, color="#1F1F1F"),
                ),
                customdata=_shown(part["text"]),
                hovertemplate="%{y}<br>%{fullData.name}: %{customdata}<extra></extra>",
            )
        )
    local = placed[placed["local"]]
    fig.add_trace(
        go.Scatter(
            x=local["position"],
            y=_shown(local["title"]),
            mode="markers+text",
            name="This council (early help)",
            marker=dict(
                size=18,
                color=[JUDGEMENT_COLOURS.get(j, "#0072B2") for j in local["judgement"]],
                line=dict(width=1.5, color="#1F1F1F"),
            ),
            text=_shown(local["text"]),
            # Labels lean inwards at the edges so they stay on the chart.
            textposition=[
                "top left" if x > 0.8 else "top right" if x < 0.2 else "top center"
                for x in local["position"]
            ],
            customdata=_shown(local["text"]),
            hovertemplate="%{y}<br>This council: %{customdata}<extra></extra>",
        )
    )
    fig = _layout(
        fig,
        title,
        "← worse · England at the centre · better →<br>(no polarity: higher to the right"
        + ("; each row's scale is written at its ends)" if ends else ")"),
        None,
    )
    fig.update_xaxes(
        range=[-0.18, 1.18] if ends else [-0.05, 1.05],
        showticklabels=False,
        showgrid=False,
        zeroline=False,
    )
    fig.add_vline(x=0.5, line=dict(color="#1F1F1F", width=1, dash="dot"))
    # Reversed, with room above the first row for its value label.
    fig.update_yaxes(range=[len(titles) - 0.5, -0.8])
    fig.update_layout(height=max(300, 150 + 80 * len(titles)))
    return _mark(fig, published)


def _scale_label(value: float, kind: str) -> str:
    k = kinds.of(kind)
    return f"{value:{k.axis_format}}{k.axis_suffix}"


def funnel(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    centre: float,
    *,
    title: str,
    x_title: str,
    y_title: str,
    kind: str | kinds.Kind,
    customdata: str | None = None,
    highlight: str | None = None,
    centre_label: str = AUTHORITY,
) -> go.Figure:
    """A funnel plot: units by size against the authority's value with 95% and 99.8% limits.
    `points`: name, denominator, value, position (and `customdata`: the key a click selects).
    `highlight`: the name of the unit chosen, ringed and labelled."""
    points, published = _data(points)
    points = points[points["value"].notna() & points["denominator"].notna()]
    fmt, hover = kinds.of(kind).axis_format, kinds.of(kind).hover_format
    fig = go.Figure()
    _guide_lines(
        fig,
        limits,
        "size",
        [
            ("upper998", "99.8% limits", "dot"),
            ("lower998", None, "dot"),
            ("upper95", "95% limits", "dash"),
            ("lower95", None, "dash"),
        ],
        colour="#555555",
        width=1.5,
    )
    published = published and _checked(centre)
    _reference_line(fig, centre, centre_label, axis="y", value_format=fmt, dash="solid")
    marks = {
        "within limits": ("circle", "#8C8C8C"),
        "outside 95% limits": ("diamond", "#E69F00"),
        "outside 99.8% limits": ("square", "#D55E00"),
    }
    for position, (symbol, colour) in marks.items():
        part = points[points["position"] == position]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["denominator"],
                y=part["value"],
                # Names on the chart only while they stay readable; always in the hover.
                mode="markers+text" if len(points) <= 15 else "markers",
                name=position.capitalize(),
                text=_shown(part["name"]),
                textposition="top center",
                marker=dict(
                    symbol=symbol, size=12, color=colour, line=dict(width=1, color="#1F1F1F")
                ),
                hovertemplate=f"%{{text}}: %{{y:{hover}}} (n = %{{x:,}})<extra></extra>",
                customdata=None if customdata is None else part[customdata],
            )
        )
    chosen = points[points["name"] == highlight] if highlight is not None else points.iloc[0:0]
    _ring(fig, chosen["denominator"], chosen["value"], highlight, label=_shown(chosen["name"]))
    fig = _layout(fig, title, x_title, y_title)
    fig.update_yaxes(tickformat=fmt)
    fig.update_xaxes(tickformat=",.0f")
    return _mark(fig, published)


def spc(
    series: pd.DataFrame,
    *,
    title: str,
    y_title: str,
    kind: str | kinds.Kind,
    target: float | None,
    tones: list[str],
) -> go.Figure:
    """An XmR chart: the monthly values, mean, process limits, target, and special-cause
    points coloured by `tones` (improving, concerning, neutral or none for each point)."""
    series, published = _data(series)
    fmt, hover = kinds.of(kind).axis_format, kinds.of(kind).hover_format
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=series["month"],
            y=series["value"],
            mode="lines",
            line=dict(color="#8C8C8C", width=2),
            showlegend=False,
            hoverinfo="skip",
        )
    )
    names = {
        "none": "Common cause",
        "improving": "Special cause: improving",
        "concerning": "Special cause: concerning",
        "neutral": "Special cause",
    }
    symbols = {
        "none": "circle",
        "improving": "diamond",
        "concerning": "square",
        "neutral": "triangle-up",
    }
    frame = series.assign(tone=tones)
    for tone, part in frame.groupby("tone", sort=False):
        fig.add_trace(
            go.Scatter(
                x=part["month"],
                y=part["value"],
                mode="markers",
                name=names[tone],
                marker=dict(symbol=symbols[tone], size=10, color=JUDGEMENT_COLOURS[tone]),
                customdata=part["reasons"],
                hovertemplate=f"%{{x}}: %{{y:{hover}}} %{{customdata}}<extra></extra>",
            )
        )
    _guide_lines(
        fig,
        series,
        "month",
        [("mean", "Mean", "solid"), ("upper", "Process limits", "dash"), ("lower", None, "dash")],
        colour="#1F1F1F",
        width=1.2,
    )
    if target is not None:
        fig.add_trace(
            go.Scatter(
                x=series["month"],
                y=[target] * len(series),
                mode="lines",
                name="Target",
                line=dict(color="#CC79A7", width=2, dash="dot"),
                hoverinfo="skip",
            )
        )
    fig = _layout(fig, title, "Month", y_title)
    fig.update_yaxes(tickformat=fmt)
    return _mark(fig, published)


# More units (columns) than this leave a cell no room to write in, and thousands of cell labels
# (a national extract's 792 localities by 14 KPIs) took the browser seconds to draw: the cells
# are then coloured only, each cell's text in its hover and in the table.
CELL_TEXT_AT_MOST = 30


def rag_matrix(
    cells: pd.DataFrame, *, title: str, x_title: str | None, x_order: list[str], y_order: list[str]
) -> go.Figure:
    """KPIs (rows) by unit (columns) coloured by RAG, each cell writing its value, RAG symbol
    and how it compares with the authority. `cells`: title, unit, rag, text."""
    cells, published = _data(cells)
    code = {"red": 0, "amber": 1, "green": 2}
    # Each cell put in its place by position (a national matrix has 11,000 cells; a pivot
    # table took a tenth of a second); a (title, unit) given twice keeps its first cell.
    rows = pd.Categorical(cells["title"], categories=list(dict.fromkeys(y_order))).codes
    cols = pd.Categorical(cells["unit"], categories=list(dict.fromkeys(x_order))).codes
    at = np.flatnonzero((rows >= 0) & (cols >= 0))[::-1]
    grid = np.full((len(y_order), len(x_order)), np.nan)
    text = np.full(grid.shape, "", dtype=object)
    grid[rows[at], cols[at]] = cells["rag"].map(code).to_numpy(dtype=float)[at]
    text[rows[at], cols[at]] = np.array(_shown(cells["text"].fillna("").tolist()), dtype=object)[at]
    scale = [
        [0.0, RAG_COLOURS["red"]],
        [0.333, RAG_COLOURS["red"]],
        [0.334, RAG_COLOURS["amber"]],
        [0.666, RAG_COLOURS["amber"]],
        [0.667, RAG_COLOURS["green"]],
        [1.0, RAG_COLOURS["green"]],
    ]
    many = len(x_order) > CELL_TEXT_AT_MOST
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=_shown(x_order),
            y=_shown(y_order),
            zmin=0,
            zmax=2,
            colorscale=scale,
            showscale=False,
            text=text.tolist(),  # a list: JSON as plain as before
            texttemplate=None if many else "%{text}",
            textfont=dict(size=13),
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    # Cells with no target have no colour: a light grey plot background shows through.
    fig = _layout(fig, title, x_title, None, plot_bgcolor="#EDEDED")
    fig.update_layout(height=max(360, 170 + 40 * len(y_order)), margin=dict(t=90))
    fig.update_yaxes(autorange="reversed", dtick=1)
    fig.update_xaxes(side="top", dtick=None if many else 1)
    return _mark(fig, published)
