"""HTML for the board: KPI tiles (shared by the Scorecard page and the board pack), RAG
badges, Making Data Count icons, and the printable board pack (HTML and PDF, A4 landscape).

The board pack may be published with committee papers, so its figures follow the
small-number rule (ehts_data.disclosure): a KPI resting on 1 to K-1 cases shows `c`.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import os
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pandas as pd
import plotly.graph_objects
import plotly.io
import plotly.offline

from ehts_data import (
    charts,
    disclosure,
    explore,
    export,
    formatting,
    metrics,
    scorecard,
    stats,
    store,
)
from ehts_data import kinds as value_kinds
from ehts_data.periods import Period
from ehts_data.scorecard import KpiResult, Registry

CSS = """
.ehts-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
  gap: 12px; font-family: Arial, Helvetica, sans-serif; color: #1f1f1f; }
.ehts-tile { border: 1px solid #c8c8c8; border-radius: 6px; padding: 10px 12px; background: #fff;
  break-inside: avoid; page-break-inside: avoid; }
.ehts-tile h3 { font-size: 15px; margin: 0 0 6px; line-height: 1.25; font-weight: 700; }
.ehts-tile .value { font-size: 26px; font-weight: 700; margin: 2px 0; }
.ehts-tile .ci, .ehts-tile .small { font-size: 13px; color: #3d3d3d; margin: 2px 0; }
.ehts-tile .row { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin: 4px 0; }
.rag { display: inline-block; border-radius: 4px; padding: 2px 8px; font-size: 13px;
  font-weight: 700; }
.judgement { font-weight: 700; }
.ehts-tile h3 a.drill { color: #00558C; text-decoration: underline; }
.ehts-tile .nothing { font-size: 17px; color: #3d3d3d; margin: 8px 0; }
.ehts-tile .comment { font-size: 13px; margin: 6px 0 0; padding: 4px 6px; background: #f3f6f9;
  border-left: 3px solid #00558C; }
.ehts-exceptions { font-family: Arial, Helvetica, sans-serif; color: #1f1f1f; margin: 0 0 12px; }
.ehts-exceptions table { border-collapse: collapse; width: 100%; font-size: 14px; }
.ehts-exceptions th, .ehts-exceptions td { border: 1px solid #c8c8c8; padding: 4px 8px;
  text-align: left; vertical-align: top; }
.ehts-exceptions th { background: #eef2f6; }
"""


def _fmt(kind: str, value, symbol: str | None = None) -> str:
    return symbol if symbol else formatting.of_kind(kind, value)


def rag_badge(rag: str | None) -> str:
    """A RAG status as colour, symbol and word, so it never depends on colour alone."""
    return (
        f'<span class="rag" style="background:{charts.RAG_COLOURS[rag]};'
        f'color:{charts.RAG_TEXT_COLOURS[rag]}">'
        f"{charts.RAG_SYMBOLS[rag]} {charts.RAG_WORDS[rag]}</span>"
    )


def _svg_image(svg: str, label: str, width: int, height: int) -> str:
    """An SVG as an <img> with alt text: Streamlit's st.html drops inline SVG, images stay."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}" width="{width}" height="{height}" '
        f'alt="{html.escape(label)}" title="{html.escape(label)}">'
    )


def icon_svg(icon: stats.Icon | None, size: int = 34) -> str:
    """A Making Data Count icon: a circle in the icon's tone with its letter."""
    if icon is None:
        return ""
    colour = charts.JUDGEMENT_COLOURS["none" if icon.tone == "none" else icon.tone]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 34 34">'
        f'<circle cx="17" cy="17" r="15" fill="#fff" stroke="{colour}" stroke-width="3"/>'
        f'<text x="17" y="22.5" text-anchor="middle" font-family="Arial" font-size="16" '
        f'font-weight="700" fill="{colour}">{html.escape(icon.letter)}</text></svg>'
    )
    return _svg_image(svg, icon.label, size, size)


def sparkline_svg(
    points: list[tuple[str, float | None]], width: int = 150, height: int = 34
) -> str:
    """The trend as a small line (gaps where there is no value), titled with its range."""
    known = [(i, v) for i, (_, v) in enumerate(points) if v is not None]
    if len(known) < 2:
        return '<span class="small">Not enough history for a trend</span>'
    low, high = min(v for _, v in known), max(v for _, v in known)
    spread = (high - low) or 1.0
    step = (width - 8) / max(1, len(points) - 1)

    def xy(i: int, v: float) -> str:
        return f"{4 + i * step:.1f},{height - 4 - (v - low) / spread * (height - 8):.1f}"

    segments, current = [], []
    for i, (_, v) in enumerate(points):
        if v is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(xy(i, v))
    if current:
        segments.append(current)
    lines = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="#00558C" stroke-width="2"/>'
        for s in segments
    )
    last_i, last_v = known[-1]
    first_label, last_label = points[known[0][0]][0], points[last_i][0]
    dot = xy(last_i, last_v).split(",")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'{lines}<circle cx="{dot[0]}" cy="{dot[1]}" r="3" fill="#00558C"/></svg>'
    )
    return _svg_image(svg, f"Trend from {first_label} to {last_label}", width, height)


def _symbol(result: KpiResult, k: int | None, reading: str = "current") -> str | None:
    """'c' when the reading (current or previous) rests on 1 to K-1 cases, else None."""
    if k is None:
        return None
    r = getattr(result, reading)
    return disclosure.withheld(result.kpi.kind, r.value, r.numerator, r.denominator, k)


def _change(result: KpiResult, k: int | None) -> str | None:
    """The change on the period before, unless either end is withheld: with one end shown,
    the change would give the other away."""
    if _symbol(result, k) or _symbol(result, k, "previous"):
        return None
    return formatting.change(result.kpi.kind, result.value, result.previous.value)


# The analysis page behind each metric: a tile links there with the same filters.
DRILL_PAGES = {
    "requests": "demand",
    "requests_per_10k": "demand",
    "re_referral_12m_rate": "reentry",
    "re_entry_12m_rate": "reentry",
    "step_down_rate": "steps",
    "step_up_rate": "steps",
    "outcomes_achieved_rate": "outcomes",
    "median_episode_days": "outcomes",
    "survey_agree_rate": "outcomes",
    "need_prevalence": "needs",
    "families_supported": "equality",
    "families_with_requests": "equality",
    "children_supported": "equality",
    "family_re_entry_12m_rate": "equality",
    "families_multiple_needs_rate": "equality",
}


def drill_link(kpi, period: Period, scope: scorecard.Scope = scorecard.ALL) -> str | None:
    """The relative address of the analysis page behind a KPI, with the same period and
    filters in its query (the filter bar reads them), or None for an indicator."""
    page = DRILL_PAGES.get((kpi.metric or "").split(":")[0])
    if page is None:
        return None
    query = (
        {"period": period.label}
        if period.kind != "custom"
        else {"start": period.start.isoformat(), "end": period.end.isoformat()}
    )
    query |= {
        k: v
        for k, v in (("locality", scope.locality), ("area", scope.area), ("hub", scope.hub))
        if v
    }
    query |= {"service": scope.service} if scope.service else {}
    return f"./{page}?{urlencode(query)}"


def comment_byline(comment: dict) -> str:
    """Who wrote a KPI's latest commentary and when; for an edited one, that it was edited
    (the latest version's author and time are the edit's) and how many versions there are."""
    when = pd.Timestamp(comment["written_at"])
    edits = int(comment.get("edits") or 1)
    if edits < 2:
        return f"{comment['author']}, {when:%d %b %Y}"
    return f"{comment['author']}, {when:%d %b %Y %H:%M}; edited, version {edits}"


def _comment_html(comment: dict | None) -> str:
    if not comment:
        return ""
    return (
        f'<p class="comment"><strong>Commentary</strong> ({html.escape(comment_byline(comment))})'
        f": {html.escape(str(comment['comment']))}</p>"
    )


def commentary_table(comments: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """The latest commentary per KPI as the Scorecard shows it: KPI title, text, who and when
    it was last written, and whether it was edited (with how many versions are kept)."""
    return pd.DataFrame(
        {
            "KPI": comments["kpi"].map(titles).fillna(comments["kpi"]),
            "Commentary": comments["comment"],
            "By": comments["author"],
            "When": comments["written_at"],
            "Edited": [
                f"edited: {n} versions" if n > 1 else "" for n in comments["edits"].astype(int)
            ],
        }
    )


def commentary_history_table(versions: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """Every version of the commentary for a period (state.commentary_versions), newest first
    within each KPI, as a table with KPI titles."""
    return pd.DataFrame(
        {
            "KPI": versions["kpi"].map(titles).fillna(versions["kpi"]),
            "Version": versions["version"].astype(int),
            "Commentary": versions["comment"],
            "By": versions["author"],
            "When": versions["written_at"],
        }
    )


def _year_before_html(result: KpiResult, k: int | None) -> str:
    before = result.year_before
    if before is None:
        return ""
    kind = result.kpi.kind
    hidden = (
        disclosure.withheld(kind, before.value, before.numerator, before.denominator, k)
        if k
        else None
    )
    shown = "no value" if before.value is None and not hidden else _fmt(kind, before.value, hidden)
    return (
        f'<p class="small">Same period a year before ({html.escape(before.period)}): '
        f"{html.escape(shown)}</p>"
    )


def _trajectory_html(result: KpiResult, hidden: str | None) -> str:
    """Where the KPI stands against its target and the targets the board set after it."""
    if not result.trajectory or result.value is None or hidden:
        return ""
    kind = result.kpi.kind
    gap = result.target - result.value
    short = gap > 0 if result.kpi.polarity == "higher" else gap < 0
    distance = formatting.change(kind, result.target, result.value) or ""
    now = (
        f"{distance.lstrip('+-')} to go to the target"
        if short and distance != "no change"
        else "target met"
    )
    path = " → ".join(f"{html.escape(_fmt(kind, t))} ({y})" for y, t in result.trajectory)
    return f'<p class="small">Trajectory: {html.escape(now)}; targets {path}</p>'


def tile_html(
    result: KpiResult,
    k: int | None = None,
    *,
    comment: dict | None = None,
    link: str | None = None,
) -> str:
    """One KPI as a tile: value, interval, target with RAG, change judged by polarity, the
    same period a year before, the trajectory to the target, the comparison with the
    authority when scoped, the trend, the latest commentary and a link to the analysis
    behind it. With `k`, small numbers show c. A period with nothing to count says so."""
    kpi, kind = result.kpi, result.kpi.kind
    hidden = _symbol(result, k)
    title = html.escape(kpi.title)
    heading = (
        f'<h3><a class="drill" href="{html.escape(link)}" target="_self" '
        f'title="Open the analysis behind this figure, with the same filters">{title}</a></h3>'
        if link
        else f"<h3>{title}</h3>"
    )
    nothing = _nothing(result)
    if nothing and not hidden:
        return (
            f'<div class="ehts-tile empty" data-kpi="{html.escape(kpi.id)}">{heading}'
            f'<p class="nothing">{html.escape(nothing)}</p>{_comment_html(comment)}</div>'
        )
    value = _fmt(kind, result.value, hidden)
    parts = [heading, f'<p class="value">{html.escape(value)}</p>']
    if result.ci95 and not hidden:
        lo, hi = (formatting.of_kind(kind, v, short=True) for v in result.ci95)
        parts.append(f'<p class="ci">95% confidence interval {lo} to {hi}</p>')
    if result.current.period and result.current.period != result.period:
        parts.append(f'<p class="small">Latest published: {html.escape(result.current.period)}</p>')
    target = "no target" if result.target is None else _fmt(kind, result.target)
    parts.append(
        f'<div class="row">{rag_badge(None if hidden else result.rag)}'
        f'<span class="small">Target: {html.escape(target)}</span></div>'
    )
    delta = _change(result, k)
    if delta == "no change":
        parts.append(
            f'<p class="small">► no change against '
            f"{html.escape(result.previous.period or 'the period before')}</p>"
        )
    elif delta:
        word = result.direction or ""
        colour = charts.JUDGEMENT_TEXT.get(word, charts.NEUTRAL_TEXT)
        arrow = "▲" if result.change and result.change > 0 else "▼" if result.change else "►"
        parts.append(
            f'<p class="small">{arrow} {html.escape(delta)} '
            f'<span class="judgement" style="color:{colour}">{html.escape(word)}</span> '
            f"against {html.escape(result.previous.period or 'the period before')}</p>"
        )
    else:
        parts.append('<p class="small">No earlier value to compare</p>')
    parts.append(_year_before_html(result, k))
    parts.append(_trajectory_html(result, hidden))
    if result.versus_authority is not None and not hidden:
        parts.append(
            f'<p class="small">Against the authority: <span class="judgement">'
            f"{html.escape(result.versus_authority.label)}</span></p>"
        )
    trend_label = "last 8 quarters" if kpi.metric else "by year"
    parts.append(
        f'<div class="row">{sparkline_svg(_published_trend(result, k))}'
        f'<span class="small">{trend_label}</span></div>'
    )
    parts.append(_comment_html(comment))
    return f'<div class="ehts-tile" data-kpi="{html.escape(kpi.id)}">{"".join(parts)}</div>'


def _published_trend(result: KpiResult, k: int | None) -> list[tuple[str, float | None]]:
    """The sparkline's points, with a gap for each quarter resting on 1 to K-1 cases."""
    if k is None or not result.trend_readings:
        return result.trend
    kind = result.kpi.kind
    return [
        (label, None if disclosure.withheld(kind, r.value, r.numerator, r.denominator, k) else v)
        for (label, v), r in zip(result.trend, result.trend_readings, strict=True)
    ]


def _nothing(result: KpiResult) -> str | None:
    """'No requests in this period' (etc.) when the period has nothing to count."""
    if not result.kpi.metric or not result.empty:
        return None
    counts = metrics.metric_of(result.kpi.metric).counts
    return f"No {counts} in this period"


def _latest(comments: pd.DataFrame | None) -> dict[str, dict]:
    if comments is None or comments.empty:
        return {}
    return {row["kpi"]: row for row in comments.to_dict("records")}


def tiles_html(
    results: list[KpiResult],
    k: int | None = None,
    *,
    comments: pd.DataFrame | None = None,
    links: dict[str, str] | None = None,
) -> str:
    """Every KPI's tile; `comments` (newest per KPI) are shown on their tiles, `links` (KPI
    id → address) make each title a link to the analysis behind it."""
    notes, links = _latest(comments), links or {}
    tiles = "".join(
        tile_html(r, k, comment=notes.get(r.kpi.id), link=links.get(r.kpi.id)) for r in results
    )
    return f'<style>{CSS}</style><div class="ehts-tiles">{tiles}</div>'


def exceptions(results: list[KpiResult], k: int | None = None) -> list[KpiResult]:
    """The KPIs off target (red first, then amber), leaving out a withheld value."""
    off = [r for r in results if r.rag in ("red", "amber") and not _symbol(r, k)]
    return sorted(off, key=lambda r: r.rag != "red")


def exceptions_html(
    results: list[KpiResult], k: int | None = None, comments: pd.DataFrame | None = None
) -> str:
    """The board's exceptions at a glance: how many KPIs are red and amber, and for each its
    value against target, owner and latest commentary."""
    off = exceptions(results, k)
    red = sum(r.rag == "red" for r in off)
    amber = len(off) - red
    targeted = sum(r.rag is not None and not _symbol(r, k) for r in results)
    if not off:
        summary = (
            f"No exceptions: all {targeted} KPIs with a target are on target."
            if targeted
            else "No KPI has a target for this period, so there are no exceptions."
        )
        return (
            f'<style>{CSS}</style><div class="ehts-exceptions" data-red="0" data-amber="0">'
            f"<p><strong>{html.escape(summary)}</strong></p></div>"
        )
    notes = _latest(comments)
    rows = []
    for r in off:
        kind = r.kpi.kind
        note = notes.get(r.kpi.id)
        rows.append(
            f'<tr data-kpi="{html.escape(r.kpi.id)}"><td>{rag_badge(r.rag)}</td>'
            f"<td>{html.escape(r.kpi.title)}</td>"
            f"<td>{html.escape(_fmt(kind, r.value))}</td>"
            f"<td>{html.escape(_fmt(kind, r.target))}</td>"
            f"<td>{html.escape(r.kpi.owner or '–')}</td>"
            f"<td>{html.escape(str(note['comment'])) if note else 'No commentary yet'}</td></tr>"
        )
    words = f"{red} red, {amber} amber of {targeted} KPIs with a target"
    words += f" ({targeted - red - amber} green)"
    return (
        f'<style>{CSS}</style><div class="ehts-exceptions" data-red="{red}" data-amber="{amber}">'
        f"<p><strong>Exceptions: {html.escape(words)}.</strong></p>"
        '<table class="exceptions"><thead><tr><th>RAG</th><th>KPI</th><th>Value</th>'
        "<th>Target</th><th>Owner</th><th>Latest commentary</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


# --- Chart inputs shared by the page and the pack ---------------------------------------------


def spine_rows(results: list[KpiResult], k: int | None = None) -> pd.DataFrame:
    """The spine chart's rows: each KPI with benchmarks, its value and every comparator."""
    rows = []
    for r in results:
        present = [b for b in r.benchmarks if b.value is not None]
        if r.value is None or not present or _symbol(r, k):
            continue  # a withheld value is left off the chart
        kind = r.kpi.kind
        # Coloured by the significance test against the authority when the scorecard is
        # scoped to a locality or hub; the published benchmarks have no denominators to test.
        judgement = r.versus_authority.word if r.versus_authority else "not compared"
        rows.append(
            (
                r.kpi.title,
                "This council (early help)",
                r.value,
                _fmt(kind, r.value),
                r.kpi.polarity,
                True,
                judgement,
                kind,
            )
        )
        for b in present:
            text = f"{_fmt(kind, b.value)} ({b.year}; {b.source})"
            rows.append((r.kpi.title, b.label, b.value, text, r.kpi.polarity, False, "", kind))
    return pd.DataFrame(
        rows,
        columns=["title", "series", "value", "text", "polarity", "local", "judgement", "kind"],
    )


def benchmark_table(
    results: list[KpiResult], k: int | None = None, *, numbers: bool = False
) -> pd.DataFrame:
    """Every benchmark beside its KPI, with source and year (the spine chart as a table);
    with `k`, a value resting on 1 to K-1 cases is c. With `numbers` (a download), values
    are numbers in the unit a unit column names, not formatted text."""
    rows = []
    for r in results:
        for b in r.benchmarks:
            if numbers:
                kind = r.kpi.kind
                rows.append(
                    (
                        r.kpi.title,
                        value_kinds.of(kind).words,
                        _symbol(r, k) or export.in_unit(kind, r.value),
                        b.label,
                        export.in_unit(kind, b.value) if b.value is not None else None,
                        b.note or "",
                        b.year,
                        b.source,
                    )
                )
                continue
            rows.append(
                (
                    r.kpi.title,
                    _fmt(r.kpi.kind, r.value, _symbol(r, k)),
                    b.label,
                    formatting.of_kind(r.kpi.kind, b.value) if b.value is not None else b.note,
                    b.year,
                    b.source,
                )
            )
    if numbers:
        return pd.DataFrame(
            rows,
            columns=[
                "KPI",
                "Unit",
                "This council value (early help)",
                "Benchmark",
                "Benchmark value",
                "Note",
                "Year",
                "Source",
            ],
        )
    return pd.DataFrame(
        rows, columns=["KPI", "This council (early help)", "Benchmark", "Value", "Year", "Source"]
    )


def matrix_download(matrix: disclosure.Published, card: Registry) -> disclosure.Published:
    """The locality matrix as its table and download: each value a number in the unit its
    unit column names (KPIs differ in kind), withheld where the matrix withholds it."""
    kinds = {kpi.id: kpi.kind for kpi in card.kpi}
    frame = matrix.frame.copy()
    frame["value"] = pd.Series(  # objects: a count stays whole beside a rate
        [
            None if pd.isna(v) else export.in_unit(kinds[i], v)
            for i, v in zip(frame["kpi"], frame["value"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
    frame.insert(
        frame.columns.get_loc("value"),
        "unit",
        frame["kpi"].map(lambda i: value_kinds.of(kinds[i]).words),
    )
    columns = [
        "title",
        "locality",
        "unit",
        "value",
        "numerator",
        "denominator",
        "rag",
        "versus",
        "level",
    ]
    kinds = {c: kind for c, kind in matrix.kinds.items() if c != "value"}  # mixed: see unit
    published = disclosure.Published(frame, matrix.hidden, kinds, matrix.k)[columns]
    # A RAG rating or a comparison would narrow a withheld value to a band.
    return published.derived(["rag", "versus", "level"])


def matrix_published(
    matrix: pd.DataFrame, k: int | None, names: dict[str, str]
) -> disclosure.Published:
    """The locality matrix, with locality names, through disclosure control: each KPI's
    numerators (and denominators) over the localities add up to the authority's, which the
    tiles show."""
    matrix = matrix.assign(locality=matrix["locality_id"].map(lambda i: names.get(i, i)))
    return disclosure.publish(
        matrix[["locality", *scorecard.MATRIX_COLUMNS]],
        {"numerator": "count", "denominator": "denominator", "value": "share", "level": "public"},
        k,
        lines=["kpi"],
    )


def matrix_cells(
    matrix: disclosure.Published, card: Registry, names: dict[str, str]
) -> disclosure.Published:
    """The locality matrix's cells as text: value, RAG symbol, and ▲/▼ where the locality
    differs significantly from the authority (95%; ▲▲/▼▼ at 99.8%); a withheld value is c,
    with no RAG or comparison."""
    kinds = {kpi.id: kpi.kind for kpi in card.kpi}
    marks = {"better": "▲", "worse": "▼", "higher": "▲", "lower": "▼"}
    rows = []
    # Plain lists, not rows of the frame: a national matrix has 11,000 cells.
    frame = matrix.frame
    columns = ("kpi", "title", "locality_id", "value", "rag", "versus", "level")
    for withheld, kpi, title, locality, value, rag, versus, level in zip(
        matrix.row_hidden().tolist(), *(frame[c].tolist() for c in columns), strict=True
    ):
        hidden = disclosure.CONFIDENTIAL if withheld else None
        value = None if pd.isna(value) else value
        # Short: a rate's row title already says per 10,000, and the cell must fit its width.
        text = hidden or formatting.of_kind(kinds[kpi], value, short=True)
        rag = None if hidden or pd.isna(rag) else rag
        if rag:
            text += f" {charts.RAG_SYMBOLS[rag]}"
        if not hidden and versus in marks:
            text += " " + marks[versus] * (2 if level == 99.8 else 1)
        rows.append((title, names.get(locality, locality), rag, text, versus))
    cells = pd.DataFrame(rows, columns=["title", "unit", "rag", "text", "versus"])
    return disclosure.publish(cells, {}, matrix.k)


MATRIX_KEY = (
    "Cell colour and symbol: ✓ green (on target), ! amber (within tolerance), ✕ red; grey = no "
    "target. ▲/▼: significantly higher or lower than the authority (95%); ▲▲/▼▼ at 99.8%."
)


def spine_figure(results: list[KpiResult], period: Period, k: int | None = None):
    rows = spine_rows(results, k)
    if rows.empty:
        return None
    return charts.spine(
        # Values resting on small numbers were left out above; benchmarks are DfE's.
        disclosure.publish(rows, {"value": "public"}, k),
        title=f"Early help figures beside published benchmarks, {period.label} (each row on its "
        "own scale)",
    )


def matrix_figure(
    matrix: disclosure.Published, card: Registry, names: dict[str, str], period: Period
):
    cells = matrix_cells(matrix, card, names)
    return charts.rag_matrix(
        cells,
        title=f"KPIs by locality of residence, {period.label}: RAG against target, ▲▼ against "
        "the authority",
        x_title=None,
        x_order=list(dict.fromkeys(cells.frame["unit"])),
        y_order=[kpi.title for kpi in card.kpi],
    )


FUNNEL_KINDS = {"numerator": "count", "denominator": "denominator", "value": "share"}


def funnel_published(
    points: pd.DataFrame, matrix: disclosure.Published, kpi_id: str, by: str
) -> disclosure.Published:
    """The funnel plot's points (name, numerator, denominator, value, position). Compared by
    locality they are the locality matrix's counts for the KPI, shown on the same page, so
    they take the matrix's decisions: a count hidden there is hidden here, and a group the
    matrix does not show is withheld. Compared by hub they are published on their own."""
    frame = points[["name", "numerator", "denominator", "value", "position"]].reset_index(drop=True)
    if by != "locality" or matrix.k is None:
        # A position against the limits would narrow a withheld value to a band.
        return disclosure.publish(frame, FUNNEL_KINDS, matrix.k).derived(["position"], "value")
    rows = (matrix.frame["kpi"] == kpi_id).to_numpy()
    ids = matrix.frame.loc[rows, "locality_id"]
    hidden = pd.DataFrame(index=frame.index)
    for col in FUNNEL_KINDS:
        decided = dict(zip(ids, matrix.hidden.loc[rows, col], strict=True))
        hidden[col] = [bool(decided.get(g, True)) for g in points["group"]]
        frame[col] = frame[col].astype(float).where(~hidden[col])
    published = disclosure.Published(frame, hidden, dict(FUNNEL_KINDS), matrix.k)
    return published.derived(["position"], "value")


def funnel_points(
    plot: dict, names: dict[str, str], matrix: disclosure.Published, kpi_id: str, by: str
) -> disclosure.Published:
    """A funnel plot's (scorecard.funnel) points named and published (funnel_published)."""
    points = plot["points"].assign(name=lambda d: d["group"].map(names).fillna(d["group"]))
    return funnel_published(points, matrix, kpi_id, by)


def funnel_unit(kpi) -> str:
    """What a funnel plot's x axis counts for a KPI."""
    return value_kinds.of(kpi.kind).size_words or metrics.metric_of(kpi.metric).counts


SPC_COLUMNS = ["month", "value", "numerator", "denominator", "mean", "upper", "lower", "reasons"]
# Mean and limits are taken over every month: withheld if any month is.
SPC_KINDS = {
    "value": "share",
    "numerator": "count",
    "denominator": "denominator",
    "mean": "summary",
    "upper": "summary",
    "lower": "summary",
}


def spc_figure(series: disclosure.Published, result: scorecard.SpcResult, kpi, period: Period):
    """The SPC (XmR) chart of a KPI by month from its published series (SPC_COLUMNS through
    disclosure with SPC_KINDS), as the Scorecard and the board pack draw it."""
    return charts.spc(
        series,
        title=f"{kpi.title} by month, with process limits (XmR)",
        y_title=kpi.title,
        kind=kpi.kind,
        target=kpi.target(period),
        tones=spc_tones(result, kpi),
    )


def funnel_centre(plot: dict, kpi, k: int | None) -> disclosure.Checked | None:
    """The authority's value a funnel plot is centred on, as the KPI's tile publishes it: None
    when withheld (its limits, centred on it, would give it away too)."""
    return disclosure.checked(
        kpi.kind, plot["centre"], plot["centre_numerator"], plot["centre_denominator"], k
    )


def funnel_figure(points: disclosure.Published, plot: dict, kpi, by: str, period: Period):
    """The funnel plot of a rate KPI's localities or hubs (funnel_published points) against
    the authority, as the Scorecard and the board pack draw it (only with a funnel_centre)."""
    centre = funnel_centre(plot, kpi, points.k)
    return charts.funnel(
        points,
        plot["limits"],
        centre,
        title=f"{kpi.title} by {by}, {period.label}, against the authority "
        f"({formatting.of_kind(kpi.kind, centre)})",
        x_title=f"Size ({funnel_unit(kpi)})",
        y_title=kpi.title,
        kind=kpi.kind,
    )


FUNNEL_NOTE = (
    "A point outside the dotted 99.8% limits differs from the authority by more than chance "
    "would explain; between the dashed 95% and dotted lines, possibly. Small units sit in the "
    "wide mouth of the funnel, so a high value there may be chance."
)


def spc_tones(result: scorecard.SpcResult, kpi) -> list[str]:
    """Each month's colour on the SPC chart: improving, concerning, neutral or none."""
    tones = []
    for value, special in zip(result.series["value"], result.series["special"], strict=True):
        if not special:
            tones.append("none")
        elif kpi.polarity is None:
            tones.append("neutral")
        else:
            high = value > result.chart.mean
            tones.append("improving" if high == (kpi.polarity == "higher") else "concerning")
    return tones


def spc_icons_html(result: scorecard.SpcResult) -> str:
    """The variation and assurance icons with their meaning in words."""
    parts = []
    for heading, icon in (("Variation", result.variation), ("Assurance", result.assurance)):
        if icon is None:
            text = "no target, so no assurance" if heading == "Assurance" else "not enough data"
            parts.append(f"<div><strong>{heading}:</strong> {text}</div>")
        else:
            parts.append(
                f'<div style="display:flex;align-items:center;gap:8px">{icon_svg(icon)}'
                f"<span><strong>{heading}:</strong> {html.escape(icon.label)}</span></div>"
            )
    return (
        '<div style="display:flex;gap:32px;flex-wrap:wrap;font-family:Arial,Helvetica,'
        f'sans-serif;margin:4px 0">{"".join(parts)}</div>'
    )


# --- The board pack ----------------------------------------------------------------------------

PACK_CSS = """
@page { size: A4 landscape; margin: 14mm 12mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
    font: 11px Arial, Helvetica, sans-serif; } }
.marking { text-align: center; font-weight: 700; font-size: 13px; letter-spacing: 0.05em;
  margin: 0 0 6px; }
@media print { .marking { display: none; } }
body { font-family: Arial, Helvetica, sans-serif; color: #1f1f1f; margin: 0 auto; max-width: 1060px; }
h1 { font-size: 24px; margin: 0 0 4px; color: #00558C; }
h2 { font-size: 18px; margin: 18px 0 6px; color: #00558C; }
.meta { background: #f3f6f9; border-left: 4px solid #00558C; padding: 8px 12px; font-size: 13px; }
table.pack { border-collapse: collapse; width: 100%; font-size: 12px; margin: 6px 0; }
table.pack th, table.pack td { border: 1px solid #bdbdbd; padding: 3px 6px; text-align: left;
  vertical-align: top; }
table.pack th { background: #eef2f6; }
.page { break-before: page; page-break-before: always; }
.note { font-size: 12px; color: #3d3d3d; }
.chart { break-inside: avoid; page-break-inside: avoid; }
body .ehts-tiles { grid-template-columns: repeat(4, 1fr); }
section.page { break-before: page; page-break-before: always; }
"""


def marking_css(marking: str) -> str:
    """The protective marking at the top and foot of every printed page (CSS page margin
    boxes), written as a CSS string so no character of it can end the rule."""
    if not marking:
        return ""
    quoted = (
        '"'
        + "".join(c if c.isalnum() or c in " -_.,:;()/" else f"\\{ord(c):x} " for c in marking)
        + '"'
    )
    box = f"content: {quoted}; font: 700 11px Arial, Helvetica, sans-serif;"
    return f"@page {{ @top-center {{ {box} }} @bottom-center {{ {box} }} }}"


# Every figure in the pack uses this template; it is written into the pack once, not once per
# figure (it is most of a small figure's JSON).
PACK_TEMPLATE = charts.TEMPLATE
PACK_TITLE_MARGIN = 60  # room above the plot for a one-line title (charts: 22 px a line)


def _json_in_script(value) -> str:
    """JSON that can sit inside a <script> element: no '<' that could close it."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


@functools.cache
def _template_json() -> dict:
    figure = plotly.io.to_json(plotly.graph_objects.Figure(layout={"template": PACK_TEMPLATE}))
    return json.loads(figure)["layout"]["template"]


def _figure_html(fig, div_id: str, height: int | None = None) -> str:
    """A figure as an empty placeholder and its JSON; the pack's loader (PACK_LOADER) draws
    it once plotly.js is unpacked."""
    # A fixed size that fits an A4 landscape page, so nothing reflows when printed; at that
    # width a title wrapped for a half-width chart on screen fits on one line.
    fig.update_layout(width=1020, autosize=False, **({"height": height} if height else {}))
    title = fig.layout.title.text or ""
    if "<br>" in title:
        extra_lines = title.count("<br>")
        fig.update_layout(
            title_text=title.replace("<br>", " "),
            margin_t=max(PACK_TITLE_MARGIN, (fig.layout.margin.t or 0) - 22 * extra_lines),
        )
    spec = json.loads(plotly.io.to_json(fig))
    layout = spec.setdefault("layout", {})
    shared = layout.get("template") == _template_json()
    if shared:
        del layout["template"]
    figure = {
        "data": spec.get("data", []),
        "layout": layout,
        "config": {"displaylogo": False, "staticPlot": True},
        "sharedTemplate": shared,
    }
    return (
        f'<div class="chart"><div id="{html.escape(div_id)}" class="ehts-plot"></div>'
        f'<script type="application/json" class="ehts-figure" data-target="'
        f'{html.escape(div_id)}">{_json_in_script(figure)}</script></div>'
    )


def packed_plotly() -> str:
    """plotly.js gzipped and base64-encoded: a third of its size in the pack, unpacked by the
    browser (DecompressionStream) when the pack opens."""
    raw = plotly.offline.get_plotlyjs().encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


# Unpacks plotly.js (once) and draws every figure; says so on the page if the browser cannot.
PACK_LOADER = """
(async () => {
  try {
    const packed = document.getElementById('ehts-plotly').textContent.trim();
    const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    const script = document.createElement('script');
    script.text = await new Response(stream).text();
    document.head.appendChild(script);
    const template = JSON.parse(document.getElementById('ehts-template').textContent);
    for (const element of document.querySelectorAll('script.ehts-figure')) {
      const figure = JSON.parse(element.textContent);
      if (figure.sharedTemplate) figure.layout.template = template;
      await Plotly.newPlot(element.dataset.target, figure.data, figure.layout, figure.config);
    }
  } catch (error) {
    const note = document.getElementById('ehts-no-charts');
    note.hidden = false;
    note.textContent += ' (' + error + ')';
  }
})();
"""


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="pack", escape=True, na_rep="–")


def _summary_table(results: list[KpiResult], comments: pd.DataFrame, k: int) -> pd.DataFrame:
    notes = dict(zip(comments["kpi"], comments["comment"], strict=True))
    rows = []
    for r in results:
        kind = r.kpi.kind
        hidden = _symbol(r, k)
        ci = (
            ""
            if hidden or not r.ci95
            else " (" + " to ".join(formatting.of_kind(kind, v, short=True) for v in r.ci95) + ")"
        )
        rows.append(
            (
                r.kpi.title,
                _fmt(kind, r.value, hidden) + ci,
                "–" if r.target is None else _fmt(kind, r.target),
                f"{charts.RAG_SYMBOLS[None if hidden else r.rag]} {charts.RAG_WORDS[None if hidden else r.rag]}",
                _fmt(kind, r.previous.value, _symbol(r, k, "previous")),
                _change_words(r, k),
                r.kpi.owner,
                notes.get(r.kpi.id, ""),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "KPI",
            "Value (95% CI)",
            "Target",
            "RAG",
            "Previous",
            "Change",
            "Owner",
            "Commentary",
        ],
    )


def _change_words(result: KpiResult, k: int | None) -> str:
    """'+0.4 pp worse', 'no change' or '–' (the summary table's change column)."""
    delta = _change(result, k)
    if not delta or delta == "no change":
        return delta or "–"
    return f"{delta} {result.direction}" if result.direction else delta


def _definitions(card: Registry) -> pd.DataFrame:
    rows = []
    for kpi in card.kpi:
        source = (
            f"metric {kpi.metric}" if kpi.metric else f"indicator {kpi.indicator} (indicators.csv)"
        )
        polarity = {"higher": "higher is better", "lower": "lower is better", None: "no polarity"}[
            kpi.polarity
        ]
        tolerance = formatting.tolerance(kpi.kind, kpi.tolerance) if kpi.polarity else "–"
        rows.append((kpi.title, kpi.description, source, polarity, tolerance))
    return pd.DataFrame(
        rows, columns=["KPI", "Definition", "Computed from", "Polarity", "Amber band"]
    )


def _coverage_text(con: duckdb.DuckDBPyConnection) -> str:
    latest = store.latest_ingest(con)
    if not latest:
        return "no data loaded"
    return (
        f"case data from {pd.Timestamp(latest['date_from']):%d %B %Y} to "
        f"{pd.Timestamp(latest['date_to']):%d %B %Y}, loaded "
        f"{pd.Timestamp(latest['ingested_at']):%d %B %Y %H:%M} (ingest {latest['ingest_id']})"
    )


def _pack_funnels(
    con: duckdb.DuckDBPyConnection,
    card: Registry,
    period: Period,
    matrix: disclosure.Published,
    names: dict[str, str],
) -> list[str]:
    """The board pack's funnel plots: each share or rate KPI by locality against the
    authority, its points withheld as the locality matrix withholds them."""
    parts = []
    for kpi in card.kpi:
        if not (kpi.metric and kpi.has_interval):
            continue
        plot = scorecard.funnel(con, kpi, period, "locality")
        points = funnel_points(plot, names, matrix, kpi.id, "locality")
        if funnel_centre(plot, kpi, points.k) is None or points.empty:
            parts.append(
                f'<p class="note">{html.escape(kpi.title)}: no values to compare (or the '
                "authority's value is withheld).</p>"
            )
            continue
        figure = funnel_figure(points, plot, kpi, "locality", period)
        parts.append(_figure_html(figure, f"pack-funnel-{kpi.id}", height=300))
    if not parts:
        return []
    return [
        '<section class="page"><h2>Comparing localities fairly: funnel plots</h2>',
        f'<p class="note">{html.escape(FUNNEL_NOTE)}</p>',
        *parts,
        "</section>",
    ]


def _pack_spc(con: duckdb.DuckDBPyConnection, card: Registry, period: Period, k: int) -> list[str]:
    """The board pack's SPC charts: each KPI by month with its process limits and Making
    Data Count icons; a month resting on 1 to K-1 cases is withheld, and with it the mean
    and limits taken over every month."""
    parts = []
    for kpi in card.kpi:
        if not kpi.metric:
            continue
        result = scorecard.spc(con, kpi, period)
        if result.chart is None:
            parts.append(
                f'<p class="note">{html.escape(kpi.title)}: fewer than two months with data, '
                "so no SPC chart.</p>"
            )
            continue
        series = disclosure.publish(result.series[SPC_COLUMNS], SPC_KINDS, k)
        figure = spc_figure(series, result, kpi, period)
        parts.append(
            '<div class="chart">'
            + spc_icons_html(result)
            + _figure_html(figure, f"pack-spc-{kpi.id}", height=270)
            + "</div>"
        )
    if not parts:
        return []
    return [
        '<section class="page"><h2>Over time: statistical process control</h2>',
        '<p class="note">Each KPI by month with its mean and process limits (XmR). Points '
        "coloured and shaped as special causes are signals (outside the limits, a shift of "
        f"{stats.RUN_LENGTH} or more in a row on one side of the mean, or a trend of "
        f"{stats.TREND_LENGTH} rising or falling); the icons say whether the process is improving and whether it can be expected to meet "
        "its target.</p>",
        *parts,
        "</section>",
    ]


def pack_html(
    con: duckdb.DuckDBPyConnection,
    card: Registry,
    period: Period,
    *,
    k: int = disclosure.DEFAULT_K,
    generated: datetime | None = None,
) -> str:
    """The board pack for a period as one self-contained HTML page (plotly.js inline once,
    packed)."""
    if k < 2:
        raise ValueError("the threshold K must be at least 2")
    generated = generated or datetime.now()
    results = scorecard.evaluate(con, card, period)
    comments = scorecard.commentary(con, period)
    matrix = scorecard.locality_matrix(con, card, period, scorecard.authority_values(results))
    names = explore.group_names(con)["locality"]
    spine = spine_figure(results, period, k)
    marking = card.council.protective_marking.strip()
    line = f'<p class="marking">{html.escape(marking)}</p>' if marking else ""
    sections = [
        line,
        f"<h1>{html.escape(card.council.name)}: early help scorecard, {html.escape(period.label)}</h1>",
        '<div class="meta">',
        f"<p>Period {period.start:%d %B %Y} to {period.end:%d %B %Y}. Generated "
        f"{generated:%d %B %Y %H:%M}. Data: {html.escape(_coverage_text(con))}.</p>",
        f"<p>Small numbers: a figure resting on 1 to {k - 1} children or cases is shown as &quot;c&quot; "
        f"(threshold K = {k}). Shares are of requests, episodes or survey responses as each "
        "definition says; rates per 10,000 use resident children aged 0-19.</p></div>",
        "<h2>RAG summary and exceptions</h2>",
        exceptions_html(results, k, comments),
        "<h2>Headline indicators</h2>",
        tiles_html(results, k, comments=comments),
        '<h2 class="page">Scorecard</h2>',
        _table(_summary_table(results, comments, k)),
        '<p class="note">RAG: ✓ green on or beyond target; ! amber short of target by no more '
        "than the amber band; ✕ red beyond it; – no target. Change is judged by polarity.</p>",
    ]
    if spine is not None:
        sections += [
            '<h2 class="page">Benchmarks</h2>',
            _figure_html(spine, "pack-spine"),
            '<p class="note">Social care benchmarks (DfE) are not early help figures: they show '
            "pressure at the front door. DfE rates per 10,000 use children aged 0-17; ours use "
            "0-19.</p>",
            _table(benchmark_table(results, k)),
        ]
    published_matrix = matrix_published(matrix, k, names)
    sections += [
        '<section class="page"><h2>Localities</h2>',
        _figure_html(
            matrix_figure(published_matrix, card, names, period), "pack-matrix", height=590
        ),
        f'<p class="note">{html.escape(MATRIX_KEY)}</p></section>',
        *_pack_funnels(con, card, period, published_matrix, names),
        *_pack_spc(con, card, period, k),
        '<h2 class="page">Definitions</h2>',
        _table(_definitions(card)),
        '<p class="note">95% confidence intervals: Wilson score for shares, Byar\'s method for '
        "rates per 10,000. Localities are compared with the authority as public health "
        "profiles do: significant when the authority's value lies outside the locality's 95% "
        "(or 99.8%) interval. Benchmarks: DfE Children in need (tables C1, C3), DfE statistical "
        "neighbour model 2025, ONS mid-year population estimates. Contains public sector "
        "information licensed under the Open Government Licence v3.0.</p>",
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Early help scorecard {html.escape(period.label)}</title>
<style>{CSS}{PACK_CSS}{marking_css(marking)}</style>
<script type="application/octet-stream" id="ehts-plotly">{packed_plotly()}</script>
<script type="application/json" id="ehts-template">{_json_in_script(_template_json())}</script>
</head><body>
<p id="ehts-no-charts" class="note" hidden>This browser cannot draw the pack's charts: open
the PDF, or this file in a current version of Edge, Chrome, Firefox or Safari.</p>
{"".join(sections)}
{line}
<script>{PACK_LOADER}</script>
</body></html>
"""


class PdfError(RuntimeError):
    """The PDF could not be printed (no Chromium, or it failed)."""


def chromium() -> str:
    """The Chromium (or Chrome) executable that prints the PDF."""
    for name in (os.environ.get("EHTS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (found := shutil.which(name)):
            return found
    raise PdfError(
        "printing the board pack to PDF needs Chromium: install Debian's chromium package "
        "(or set EHTS_CHROMIUM); the HTML board pack prints from any browser"
    )


# Headless Chromium on these machines: without the background-networking flags it keeps
# trying to reach the internet (../shared/engineering-notes.md). The browser tests use them too.
HEADLESS_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def html_to_pdf(source: Path, target: Path, timeout: int = 120) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4 landscape from the page's CSS)."""
    exe = chromium()
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            *HEADLESS_ARGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=15000",
            f"--print-to-pdf={target}",
            source.resolve().as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        raise PdfError(f"Chromium could not print the board pack: {done.stderr.strip()[-500:]}")
    return target


def pack_stem(period: Period) -> str:
    """The board pack's file name without its suffix."""
    return f"board-pack-{period.label.replace(' ', '_')}"


def write_pack(
    con: duckdb.DuckDBPyConnection,
    card: Registry,
    period: Period,
    out: str | os.PathLike,
    *,
    pdf: bool = True,
    k: int = disclosure.DEFAULT_K,
) -> dict[str, Path]:
    """Write board-pack-<period>.html (and .pdf) into `out`; returns their paths."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = pack_stem(period)
    page = folder / f"{stem}.html"
    page.write_text(pack_html(con, card, period, k=k), encoding="utf-8")
    paths = {"html": page}
    if pdf:
        paths["pdf"] = html_to_pdf(page, folder / f"{stem}.pdf")
    return paths
