"""Publishing snapshots: dated, reproducible, self-contained, small numbers suppressed.

The storyboard (`publish`): open the store → build the tables from the metrics engine →
suppress (ehts_data.disclosure) → write CSVs, tables.xlsx, report.html and manifest.json into
one folder named for the period, audience, K and the data fingerprint. Raw counts never leave this module
unsuppressed.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import platform
import re
import shutil
import sqlite3
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from ehts_data import (
    charts,
    disclosure,
    equality,
    explore,
    export,
    kinds,
    metrics,
    scorecard,
    state,
    store,
    text,
)
from ehts_data.contract import AGE_BANDS, NEED_CODES
from ehts_data.formatting import label
from ehts_data.periods import Period

AUDIENCES = ("public", "partners")
DEFAULT_DIR = Path("data") / "snapshots"
TOTAL = "Total"

Progress = Callable[[str, float], None]


def _quiet(message: str, fraction: float) -> None:
    pass


def snapshots_dir(override: str | os.PathLike | None = None) -> Path:
    """Where snapshots go: an explicit folder, else $EHTS_SNAPSHOTS, else data/snapshots."""
    return Path(override or os.environ.get("EHTS_SNAPSHOTS") or DEFAULT_DIR)


@dataclass
class Table:
    """One published table: a name (file and sheet), a title, what it counts, the
    suppressed frame, and the chart drawn from the published numbers."""

    name: str
    title: str
    description: str
    frame: pd.DataFrame
    figure: go.Figure | None = None


# ---- building the tables: register every count once, suppress once, then render ----
# Each headline metric's numerator and denominator as base counts: (measure, extra groups).
# A step-up numerator is the step-up column of closures_by_reason, a share's denominator is
# another metric's count: one key each, so the same count is hidden in every table.
NUMERATORS = {
    "requests": ("requests", {}),
    "requests_per_10k": ("requests", {}),
    "re_referral_12m_rate": ("re_referrals", {}),
    "episodes_started": ("episodes_started", {}),
    "episodes_closed": ("episodes_closed", {}),
    "open_episodes": ("open_episodes", {}),
    "re_entry_12m_rate": ("re_entries", {}),
    "step_down_rate": ("episodes_started", {"start_reason": "step_down_from_social_care"}),
    "step_up_rate": ("episodes_closed", {"reason": "step_up_to_social_care"}),
    "outcomes_achieved_rate": ("episodes_closed", {"reason": "outcomes_achieved"}),
    "survey_agree_rate": ("survey_agree", {}),
}
DENOMINATORS = {
    "re_referral_12m_rate": "requests",
    "re_entry_12m_rate": "episodes_started",
    "step_down_rate": "episodes_started",
    "step_up_rate": "episodes_closed",
    "outcomes_achieved_rate": "episodes_closed",
    "median_episode_days": "episodes_closed",
    "survey_agree_rate": "survey_responses",
}
Render = Callable[[disclosure.Cells, disclosure.Tally], pd.DataFrame]


def _group_name(group, names: dict) -> str:
    return TOTAL if group == TOTAL else names.get(group, label(group))


def _register_line(cells: disclosure.Cells, measure: str, by: str, values: dict, extra: dict):
    """Counts of one measure over the groups of `by` and the whole authority (the line's
    total); returns {group or TOTAL: key}."""
    keys = {
        g: cells.count(disclosure.key(measure, **extra, **({} if g == TOTAL else {by: g})), v)
        for g, v in values.items()
    }
    cells.total(keys[TOTAL], [kk for g, kk in keys.items() if g != TOTAL])
    return keys


def _headline_table(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    by: str,
    names: dict,
    cells,
    *,
    families: bool = False,
) -> Render:
    """Every headline metric that breaks down by `by` (or, with `families`, every family
    measure) by group, with the whole authority as the Total row."""
    parts = []
    for metric in metrics.METRICS:
        chosen = metric.counts in ("families", "children") if families else metric.published
        if not chosen or by not in metric.breakdowns:
            continue
        groups = metrics.compute(con, metric.id, period, by)
        whole = metrics.compute(con, metric.id, period, "none")
        df = pd.concat([groups, whole.assign(group=TOTAL)], ignore_index=True)
        kind = kinds.of(metric.kind)
        num_keys = den_keys = {}
        if "numerator" in kind.rests_on:  # a median has no count above it
            # A metric not listed counts something no other table shows: its own key.
            measure, extra = NUMERATORS.get(metric.id, (metric.id, {}))
            num_keys = _register_line(
                cells, measure, by, dict(zip(df["group"], df["numerator"], strict=True)), extra
            )
        if "denominator" in kind.rests_on:  # population denominators are public
            den_keys = _register_line(
                cells,
                DENOMINATORS.get(metric.id, f"{metric.id}:denominator"),
                by,
                dict(zip(df["group"], df["denominator"], strict=True)),
                {},
            )
        parts.append((metric, df, num_keys, den_keys))

    def render(cells: disclosure.Cells, tally: disclosure.Tally) -> pd.DataFrame:
        rows, shown_keys, hidden_rates = [], [], 0
        for metric, df, num_keys, den_keys in parts:
            shown_keys += [*num_keys.values(), *den_keys.values()]
            for row in df.itertuples(index=False):
                num_key, den_key = num_keys.get(row.group), den_keys.get(row.group)
                num_hidden = num_key is not None and cells.hidden(num_key)
                den_hidden = den_key is not None and cells.hidden(den_key)
                kind = kinds.of(metric.kind)
                if kind.suppression == "count":
                    shown = cells.shown(num_key)
                elif kind.rests_on == ("numerator", "denominator"):  # a share
                    shown = disclosure.publish_rate(
                        row.value, num_hidden, den_hidden, row.denominator, scale=kind.scale
                    )
                elif kind.rests_on == ("numerator",):  # population denominators are public
                    shown = (
                        disclosure.NOT_APPLICABLE
                        if pd.isna(row.denominator)
                        else disclosure.publish_rate(
                            row.value, num_hidden, False, None, scale=kind.scale
                        )
                    )
                else:  # median days over n closed episodes: withheld with n
                    shown = (
                        disclosure.NOT_APPLICABLE
                        if row.denominator == 0
                        else disclosure.CONFIDENTIAL
                        if den_hidden
                        else round(float(row.value), kind.download_places)
                    )
                hidden_rates += kind.suppression != "count" and shown == disclosure.CONFIDENTIAL
                rows.append(
                    {
                        "measure": metric.title,
                        "metric_id": metric.id,
                        "unit": _unit(metric),
                        "group": _group_name(row.group, names),
                        "numerator": _cell(row.numerator, num_hidden),
                        "denominator": _cell(row.denominator, den_hidden),
                        "value": shown,
                    }
                )
        name = f"families_by_{by}" if families else f"headlines_by_{by}"
        tally.add(name, *cells.tally(shown_keys), hidden_rates)
        # object columns: a count stays an integer even where no cell of the table is c
        return pd.DataFrame(rows, dtype=object)

    return render


def _unit(metric: metrics.Metric) -> str:
    return kinds.of(metric.kind).measure_unit.format(counts=metric.counts)


def _cell(value, hidden: bool):
    if value is None or pd.isna(value):
        return disclosure.NOT_APPLICABLE  # a median has no count above it
    return disclosure.CONFIDENTIAL if hidden else int(value)


def _crosstab_table(
    raw: pd.DataFrame, value: str, measure: str, dim: str, names: dict, order, cells, name: str
) -> Render:
    """A locality × category table with margins; its row totals are the headline counts of
    the same measure by locality, and its grand total is theirs."""
    grid = raw.pivot_table(
        index="locality_id", columns="category", values=value, aggfunc="sum", fill_value=0
    )
    grid = grid.reindex(
        index=sorted(names) + [i for i in grid.index if i not in names], fill_value=0
    )
    columns = [c for c in order if c in grid.columns] + [c for c in grid.columns if c not in order]
    grid = grid.reindex(columns=columns, fill_value=0)
    keys = {}
    # By position: reading each cell by its labels took half a second nationally.
    values = grid.to_numpy()
    row_sums, column_sums = values.sum(axis=1), values.sum(axis=0)
    for i, r in enumerate([*grid.index, TOTAL]):
        for j, c in enumerate([*grid.columns, TOTAL]):
            dims = {} if r == TOTAL else {"locality": r}
            dims |= {} if c == TOTAL else {dim: c}
            if r == TOTAL and c == TOTAL:
                v = values.sum()
            elif r == TOTAL:
                v = column_sums[j]
            elif c == TOTAL:
                v = row_sums[i]
            else:
                v = values[i, j]
            keys[r, c] = cells.count(disclosure.key(measure, **dims), v)
    for r in [*grid.index, TOTAL]:
        cells.total(keys[r, TOTAL], [keys[r, c] for c in grid.columns])
    for c in [*grid.columns, TOTAL]:
        cells.total(keys[TOTAL, c], [keys[r, c] for r in grid.index])

    rows = [*grid.index, TOTAL]

    def render(cells: disclosure.Cells, tally: disclosure.Tally) -> pd.DataFrame:
        published = pd.DataFrame(
            [[cells.shown(keys[r, c]) for c in [*grid.columns, TOTAL]] for r in rows],
            columns=[label(c) for c in grid.columns] + [TOTAL],
            dtype=object,
        )
        published.insert(0, "Locality", [_group_name(r, names) for r in rows])
        tally.add(name, *cells.tally(keys.values()), 0)
        return published

    return render


def _needs_table(con: duckdb.DuckDBPyConnection, period: Period, names: dict, cells) -> Render:
    """Share of assessments listing each need by locality; a share with a published
    denominator gives its count away, so the counts are base cells like any other."""
    raw = explore.need_prevalence_by(con, "locality", period)
    whole = explore.need_prevalence_by(con, "all", period)
    localities = sorted(set(raw["category"]))
    denominators = raw.drop_duplicates("category").set_index("category")["assessments"]
    total_assessments = int(whole["assessments"].iloc[0]) if not whole.empty else 0
    den = {loc: denominators.get(loc, 0) for loc in localities} | {TOTAL: total_assessments}
    den_keys = _register_line(cells, "assessments", "locality", den, {})
    counts = {}
    for need in NEED_CODES:
        part = raw[raw.need == need].set_index("category")["assessments_listing"]
        total = whole.loc[whole.need == need, "assessments_listing"]
        values = {loc: part.get(loc, 0) for loc in localities}
        values[TOTAL] = total.iloc[0] if not total.empty else 0
        counts[need] = (
            values,
            _register_line(cells, "assessments", "locality", values, {"need": need}),
        )

    def render(cells: disclosure.Cells, tally: disclosure.Tally) -> pd.DataFrame:
        rows, hidden_rates = [], 0
        columns = [f"{_group_name(loc, names)} (%)" for loc in [*localities, TOTAL]]
        for need, (values, keys) in counts.items():
            row = {"Need": label(need)}
            for column, loc in zip(columns, [*localities, TOTAL], strict=True):
                share = values[loc] / den[loc] if den[loc] else None
                shown = disclosure.publish_rate(
                    share, cells.hidden(keys[loc]), cells.hidden(den_keys[loc]), den[loc]
                )
                hidden_rates += shown == disclosure.CONFIDENTIAL
                row[column] = shown
            rows.append(row)
        rows.append(
            {"Need": "Assessments (denominator)"}
            | {
                c: cells.shown(den_keys[loc])
                for c, loc in zip(columns, [*localities, TOTAL], strict=True)
            }
        )
        shown_keys = [*den_keys.values()] + [
            kk for _, keys in counts.values() for kk in keys.values()
        ]
        tally.add("needs_by_locality", *cells.tally(shown_keys), hidden_rates)
        return pd.DataFrame(rows, dtype=object)

    return render


def build_tables(
    con: duckdb.DuckDBPyConnection, period: Period, k: int, audience: str, tally
) -> list[Table]:
    """Every published table for the audience, suppressed together, with its chart.

    All tables register their counts in one `disclosure.Cells`, which is suppressed once,
    so no hidden count shows in another table or follows from totals published anywhere in
    the snapshot."""
    names = explore.group_names(con)
    cells = disclosure.Cells()
    plan = [
        (
            "headlines_by_locality",
            "Headline measures by locality",
            "Every headline measure for each locality of residence and the whole authority "
            "(Total). Shares are percentages to one decimal place.",
            _headline_table(con, period, "locality", names["locality"], cells),
        )
    ]
    if audience == "partners":
        plan.append(
            (
                "headlines_by_hub",
                "Headline measures by hub or team",
                "Every headline measure for each receiving or lead hub and team, and the whole "
                "authority (Total). For partners; not for public release.",
                _headline_table(con, period, "hub", names["hub"], cells),
            )
        )
        for by in metrics.EQUALITY_BREAKDOWNS:
            title = equality.BREAKDOWN_TITLES[by]
            plan.append(
                (
                    f"headlines_by_{by}",
                    f"Headline measures by {title[0].lower()}{title[1:]}",
                    f"Every headline measure that a child's {title.split(' (')[0].lower()} "
                    "divides (survey answers have no child), and the whole authority (Total); "
                    "the age band is the child's at the event counted. For partners.",
                    _headline_table(
                        con,
                        period,
                        by,
                        {g: equality.group_label(by, g) for g in (str(d) for d in range(1, 11))}
                        if by == "imd_decile"
                        else {},
                        cells,
                    ),
                )
            )
        plan.append(
            (
                "families_by_locality",
                "Families by locality",
                "Families (not children): families with a request, families and children "
                "supported, family re-entry within 12 months and families with needs in 3 or "
                "more headline groups, by the family's locality and the whole authority "
                "(Total). For partners.",
                _headline_table(con, period, "locality", names["locality"], cells, families=True),
            )
        )
    for dim, title, order in (
        ("source", "Requests by locality and source", []),
        ("age_band", "Requests by locality and age of child", list(AGE_BANDS)),
        ("decision", "Requests by locality and decision", []),
    ):
        raw = explore.requests_crosstab(con, dim, period)
        plan.append(
            (
                f"requests_by_{dim}",
                title,
                "Requests received in the period (counts requests), by the family's locality "
                "of residence.",
                _crosstab_table(
                    raw,
                    "requests",
                    "requests",
                    dim,
                    names["locality"],
                    order,
                    cells,
                    f"requests_by_{dim}",
                ),
            )
        )
    plan.append(
        (
            "closures_by_reason",
            "Episodes closed by locality and reason",
            "Episodes of early help and targeted support closed in the period (transfers left "
            "out), by the child's locality of residence.",
            _crosstab_table(
                explore.closures_crosstab(con, period),
                "episodes",
                "episodes_closed",
                "reason",
                names["locality"],
                [],
                cells,
                "closures_by_reason",
            ),
        )
    )
    plan.append(
        (
            "needs_by_locality",
            "Needs at assessment by locality",
            "Share of early help assessments completed in the period listing each need (an "
            "assessment can list several).",
            _needs_table(con, period, names["locality"], cells),
        )
    )
    cells.suppress(k)
    tables = [
        Table(name, title, description, render(cells, tally))
        for name, title, description, render in plan
    ]
    # Each count once, however many tables show it.
    tally.primary, tally.secondary = cells.primary, cells.secondary
    for table in tables:
        table.figure = _figure(table)
    return tables


# ---- charts from published numbers only ----
def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.where(~series.isin([*disclosure.SYMBOLS, ""])), errors="coerce")


def _figure(table: Table) -> go.Figure:
    df = table.frame
    if "metric_id" in df.columns:  # a table of measures by group (headlines, families)
        shares = df[df.unit.str.startswith("%") & (df.group != TOTAL)].copy()
        shares["value"] = _numeric(shares["value"])
        return charts.bar(
            shares,
            "group",
            "value",
            title=f"{table.title}: shares (%)",
            x_title="Group",
            y_title="Percent",
            color="measure",
            stacked=False,
            value_format=",.1f",
        )
    if table.name == "needs_by_locality":
        needs = df[df.Need != "Assessments (denominator)"].copy()
        needs["Total (%)"] = _numeric(needs["Total (%)"])
        return charts.bar(
            needs.sort_values("Total (%)", ascending=False),
            "Need",
            "Total (%)",
            title="Share of assessments listing each need (whole authority, %)",
            x_title="Percent of assessments",
            y_title="Need",
            horizontal=True,
            value_format=",.1f",
        )
    body = df[df.Locality != TOTAL].drop(columns=[TOTAL])
    long = body.melt(id_vars="Locality", var_name="Category", value_name="Count")
    long["Count"] = _numeric(long["Count"])
    return charts.bar(
        long,
        "Locality",
        "Count",
        title=f"{table.title} (suppressed cells left out)",
        x_title="Locality of residence",
        y_title="Count",
        color="Category",
    )


# ---- writing ----
def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return text.csv_bytes(frame)


def _council() -> scorecard.Council | None:
    """The council's name and contact from the scorecard registry (None when it cannot be
    read: a snapshot does not depend on the board's settings)."""
    try:
        return scorecard.load().council
    except (scorecard.RegistryError, FileNotFoundError):
        return None


def workbook_bytes(
    tables: list[Table], meta: dict, stamp: datetime, council: scorecard.Council | None = None
) -> bytes:
    """tables.xlsx: the GSS layout (ehts_data.export.workbook) with the tables, the
    definitions of every measure and the snapshot's metadata, dated `stamp` throughout."""
    council = council or _council()
    period = f"{meta['period']} ({meta['period_start']} to {meta['period_end']})"
    cover = export.Cover(
        title=(f"{council.name}: " if council else "")
        + f"Early Help and Targeted Support, {meta['period']}",
        about=(
            "Requests for early help, episodes of support, needs at assessment and outcomes "
            f"for the period, for a {meta['audience']} audience, with small numbers suppressed."
        ),
        period=period,
        source=(
            f"The council's early help case records from {meta['data_from']} to "
            f"{meta['data_to']} (source fingerprint {meta['fingerprint']}); populations from "
            "ONS mid-year estimates. Produced by EHTS Insight "
            f"{meta['versions'].get('ehts-insight', '')}."
        ),
        contact=council.contact if council else scorecard.Council.model_fields["contact"].default,
        extra=[
            ("Small numbers", meta["suppression_rule"] + f" Threshold K = {meta['threshold']}.")
        ],
    )
    sheets = [export.Sheet(t.name, t.title, t.description, t.frame) for t in tables]
    sheets += [
        export.Sheet(
            "definitions",
            "Definitions of every measure",
            "What each measure counts and its unit (docs/metrics.md has the full definitions).",
            _definitions(),
        ),
        export.Sheet(
            "metadata",
            "About this snapshot",
            "The period, audience, suppression rule and threshold, cells suppressed and the "
            "versions of the software that produced it.",
            pd.DataFrame(
                [
                    (key, value if isinstance(value, str | int | float) else json.dumps(value))
                    for key, value in meta.items()
                ],
                columns=["field", "value"],
            ),
        ),
    ]
    notes = [
        "Withheld cells are shown as [c] in this workbook (c in the CSV files). "
        + meta["suppression_rule"]
        + f" Threshold K = {meta['threshold']}.",
        "Shares are percentages of the denominator named in the unit column, rounded to one "
        "decimal place from unrounded counts. Rates per 10,000 use resident children aged 0-19 "
        "(ONS mid-year estimates), to one decimal place.",
        "Measures counted over 12 months before each request or episode (re-referral and "
        "re-entry) are withheld for periods without 12 months of earlier data.",
        "Locality is the family's locality of residence; hub is the receiving or lead hub.",
    ]
    wb = export.workbook(cover, sheets, notes, stamp)
    return _fixed_zip(wb, stamp)


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The same zip with every entry dated `stamp`, so identical content is identical bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time as "modified"; use the data's time instead.
                content = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                    rb"<dcterms:modified\1>"
                    + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                    + rb"</dcterms:modified>",
                    content,
                )
            dst.writestr(fixed, content)
    return out.getvalue()


def _definitions() -> pd.DataFrame:
    return pd.DataFrame(
        [(m.id, m.title, m.description, _unit(m)) for m in metrics.METRICS],
        columns=["metric_id", "measure", "definition", "unit"],
    )


def _report_html(tables: list[Table], meta: dict, generated: str) -> str:
    sections = []
    for table in tables:
        figure = table.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{table.name}",
            config={"displaylogo": False, "responsive": True},
        )
        sections.append(
            f'<section id="{table.name}"><h2>{html.escape(table.title)}</h2>'
            f"<p>{html.escape(table.description)}</p>{figure}"
            f"<h3>Table: {html.escape(table.title)}</h3>"
            + table.frame.astype(str).to_html(index=False, border=0, classes="data")
            + "</section>"
        )
    rule = html.escape(meta["suppression_rule"])
    symbols = html.escape("; ".join(f"{s} {m}" for s, m in disclosure.SYMBOLS.items()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>EHTS Insight snapshot {html.escape(meta["period"])}</title>
<style>
body {{ font-family: Arial, Helvetica, sans-serif; color: #1f1f1f; margin: 2rem auto; max-width: 1100px; }}
table.data {{ border-collapse: collapse; margin: 0.5rem 0 2rem; font-size: 0.9rem; }}
table.data th, table.data td {{ border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: right; }}
table.data th {{ background: #eef2f6; }}
table.data td:first-child, table.data td:nth-child(2) {{ text-align: left; }}
.meta {{ background: #f6f6f6; padding: 0.75rem 1rem; border-left: 4px solid #00558C; }}
</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head><body>
<h1>Early Help and Targeted Support: {html.escape(meta["period"])}</h1>
<div class="meta">
<p>Period {html.escape(meta["period_start"])} to {html.escape(meta["period_end"])} ·
audience: {html.escape(meta["audience"])} · data from {html.escape(str(meta["data_from"]))} to
{html.escape(str(meta["data_to"]))} · source fingerprint {html.escape(meta["fingerprint"])}</p>
<p>Small numbers: {rule} Threshold K = {meta["threshold"]}: counts 1 to {meta["threshold"] - 1}
are shown as c. Symbols: {symbols}.</p>
<p class="generated">Generated {html.escape(generated)} by EHTS Insight {html.escape(meta["versions"]["ehts-insight"])}.</p>
</div>
{"".join(sections)}
</body></html>
"""


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("ehts-insight", "duckdb", "pandas", "plotly", "pydantic", "openpyxl"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "unknown"
    return out


class PublishError(ValueError):
    """A snapshot cannot be written as asked (the message says why)."""


class SnapshotExists(PublishError):
    """A complete snapshot with the same name is already there; it is never overwritten."""

    def __init__(self, folder: Path, how: str = "is already published"):
        super().__init__(f"{folder} {how}; it is not overwritten")
        self.folder = folder


def folder_name(period: Period, audience: str, threshold: int, fingerprint: str) -> str:
    """A snapshot's folder: period, audience, K and the data's fingerprint."""
    return f"{period.label}_{audience}_K{threshold}_{fingerprint}"


def publish(
    period: Period,
    db: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    *,
    threshold: int = disclosure.DEFAULT_K,
    audience: str = "public",
    progress: Progress = _quiet,
    now: datetime | None = None,
    who: tuple[str, str | None] | None = None,
) -> Path:
    """Write a snapshot for the period; returns its folder. It is written into a private
    folder and renamed into place when complete (manifest last), so a killed run leaves
    nothing that looks published; an existing snapshot is never overwritten. `who` (the
    signed-in person and role) goes into the audit log; without it, the command's user."""
    if audience not in AUDIENCES:
        raise PublishError(f"audience must be one of {', '.join(AUDIENCES)}")
    if threshold < 2:
        raise PublishError("the threshold K must be at least 2")
    parent = snapshots_dir(out)
    if parent.exists() and not parent.is_dir():
        raise PublishError(f"{parent} is a file, not a folder for snapshots")
    progress("opening the store", 0.02)
    with store.connect(db) as con:
        ingest = store.latest_ingest(con)
        if ingest is None:
            raise store.StoreMissing(Path(db or ""))
        folder = parent / folder_name(period, audience, threshold, ingest["fingerprint"])
        if folder.exists():
            raise SnapshotExists(folder)
        tally = disclosure.Tally()
        progress("building and suppressing tables", 0.1)
        tables = build_tables(con, period, threshold, audience, tally)
    parent.mkdir(parents=True, exist_ok=True)
    _clean_partials(parent)
    partial = parent / f"{PARTIAL_PREFIX}{folder.name}.{uuid.uuid4().hex[:8]}"
    # The lock beside it marks the partial folder as being written; a later run removes it only
    # when no live process holds the lock (a killed run's lock is released by the system).
    lock = partial.with_name(partial.name + ".lock")
    with store.held_lock(lock):
        try:
            partial.mkdir()
            manifest = _write(
                partial, tables, tally, period, audience, threshold, ingest, now, progress
            )
            try:
                os.rename(partial, folder)
            except OSError:
                if folder.exists():
                    raise SnapshotExists(folder, "was published by another run meanwhile") from None
                raise
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        finally:
            lock.unlink(missing_ok=True)
    _register(db, folder, manifest, who)
    progress("done", 1.0)
    return folder


PARTIAL_PREFIX = ".partial-"


def _clean_partials(parent: Path) -> None:
    """Remove the partial folders (and their locks) that killed runs left behind."""
    for leftover in parent.glob(f"{PARTIAL_PREFIX}*"):
        if not leftover.is_dir():
            continue
        lock = leftover.with_name(leftover.name + ".lock")
        if not store.held(lock):
            shutil.rmtree(leftover, ignore_errors=True)
            lock.unlink(missing_ok=True)


def _write(folder, tables, tally, period, audience, threshold, ingest, now, progress) -> dict:
    generated = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    stamp = _stamp(ingest)
    files = {}
    for i, table in enumerate(tables):
        progress(f"writing {table.name}.csv", 0.2 + 0.4 * i / len(tables))
        data = _csv_bytes(table.frame)
        (folder / f"{table.name}.csv").write_bytes(data)
        files[f"{table.name}.csv"] = hashlib.sha256(data).hexdigest()
    meta = _meta(tables, tally, period, audience, threshold, ingest)
    progress("writing tables.xlsx", 0.65)
    xlsx = workbook_bytes(tables, meta, stamp)
    (folder / "tables.xlsx").write_bytes(xlsx)
    files["tables.xlsx"] = hashlib.sha256(xlsx).hexdigest()
    progress("writing report.html", 0.8)
    report = _report_html(tables, meta, generated).encode("utf-8")
    (folder / "report.html").write_bytes(report)
    files["report.html"] = hashlib.sha256(report).hexdigest()
    manifest = {**meta, "generated_at": generated, "files": files}
    progress("writing manifest.json", 0.95)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _stamp(ingest: dict) -> datetime:
    return pd.Timestamp(ingest["ingested_at"]).to_pydatetime().replace(microsecond=0, tzinfo=None)


def _meta(tables, tally, period: Period, audience: str, threshold: int, ingest: dict) -> dict:
    """What a snapshot says about itself (manifest.json and the workbook's metadata)."""
    return {
        "period": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "audience": audience,
        "fingerprint": ingest["fingerprint"],
        "ingest_id": ingest["ingest_id"],
        "data_from": str(pd.Timestamp(ingest["date_from"]).date()),
        "data_to": str(pd.Timestamp(ingest["date_to"]).date()),
        "suppression_rule": disclosure.RULE.format(rate_min=disclosure.RATE_MIN_DENOMINATOR),
        "threshold": threshold,
        "rate_min_denominator": disclosure.RATE_MIN_DENOMINATOR,
        "suppressed_cells": {
            "primary": tally.primary,
            "secondary": tally.secondary,
            "rates": tally.rates,
            "by_table": tally.by_table,
        },
        "tables": [t.name for t in tables],
        "versions": _versions(),
    }


def _register(db, folder: Path, manifest: dict, who: tuple[str, str | None] | None) -> None:
    """Record the snapshot in the store's register (it is published whatever happens here)."""
    cells = manifest["suppressed_cells"]
    try:
        state.register_snapshot(
            state.path_for(db),
            {
                "folder": folder.name,
                "path": str(folder.resolve()),
                "period": manifest["period"],
                "audience": manifest["audience"],
                "threshold": manifest["threshold"],
                "fingerprint": manifest["fingerprint"],
                "ingest_id": manifest["ingest_id"],
                "generated_at": manifest["generated_at"],
                "suppressed": sum(cells[k] for k in ("primary", "secondary", "rates")),
            },
        )
        person, role = who or (state.command_user(), None)
        state.audit(state.path_for(db), person, role, "snapshot published", folder.name)
    except (sqlite3.Error, OSError):
        pass  # the folder and its manifest are the record; the register is an index of them


def zip_folder(folder: Path) -> bytes:
    """The snapshot folder as one zip (for the dashboard's download button)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.iterdir()):
            z.write(path, f"{folder.name}/{path.name}")
    return out.getvalue()


def published(db: str | os.PathLike | None = None) -> pd.DataFrame:
    """The store's snapshot register, newest first."""
    return state.snapshots(state.path_for(db))


def preview(
    con: duckdb.DuckDBPyConnection, period: Period, threshold: int, audience: str
) -> tuple[list[Table], pd.DataFrame]:
    """The suppressed tables a snapshot would publish, and how many cells each step hid in
    each table (table, step, cells), without writing anything."""
    tally = disclosure.Tally()
    tables = build_tables(con, period, threshold, audience, tally)
    counts = pd.DataFrame(
        [(t, step, n) for t, steps in tally.by_table.items() for step, n in steps.items()],
        columns=["table", "step", "cells"],
    )
    return tables, counts


def preview_workbook(
    tables: list[Table],
    hidden: pd.DataFrame,
    period: Period,
    threshold: int,
    audience: str,
    ingest: dict,
) -> bytes:
    """The workbook (tables.xlsx) a snapshot would publish, from its preview (the tables and
    the cells each step hid: `preview`) and the latest ingest, without writing anything."""
    tally = disclosure.Tally()
    for table, steps in hidden.groupby("table", sort=False):
        tally.add(
            table, **dict(zip(steps["step"], steps["cells"].astype(int).tolist(), strict=True))
        )
    meta = _meta(tables, tally, period, audience, threshold, ingest)
    return workbook_bytes(tables, meta, _stamp(ingest))
