"""Breakdowns behind the dashboard pages: one function per query in queries/.

Every function takes an open store connection and returns a DataFrame; filters come as a
metrics.Scope. The headline figures themselves come from ehts_data.metrics.
"""

from __future__ import annotations

import json

import pandas as pd

from ehts_data import metrics, state, store
from ehts_data.metrics import ALL, Scope
from ehts_data.periods import Period, quarters_between

REQUEST_DIMENSIONS = ("source", "age_band", "decision", "locality", "hub", "imd_decile")
NEED_DIMENSIONS = ("all", "locality", "age_band", "imd_decile", "thrive_group")


def _params(period: Period, scope: Scope) -> dict:
    return {
        "start": period.start,
        "end": period.end,
        "locality": scope.locality,
        "hub": scope.hub,
        "service": scope.service,
    }


def localities(con) -> pd.DataFrame:
    """Localities with their latest 0-19 population."""
    return store.run(con, "reference_localities")


def hubs(con) -> pd.DataFrame:
    """Hubs, satellite sites and teams with their locality names and coordinates."""
    return store.run(con, "reference_hubs")


def locality_geojson(con) -> dict | None:
    """The locality boundaries as GeoJSON, or None when none were loaded."""
    df = store.run(con, "locality_geojson")
    return None if df.empty else json.loads(df.iloc[0, 0])


def requests_by(con, dimension: str, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Requests in the period counted by source, age band, decision, locality, hub or IMD."""
    if dimension not in REQUEST_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    return store.run(con, "requests_by_dimension", dimension=dimension, **_params(period, scope))


def requests_monthly(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Requests per month and locality of residence."""
    return store.run(con, "requests_monthly", **_params(period, scope))


def metric_by_quarter(
    con, metric_ids: str | tuple[str, ...], first: Period, last: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Metrics for every quarter from `first` to `last` (whole authority), with the quarter."""
    ids = (metric_ids,) if isinstance(metric_ids, str) else metric_ids
    frames = []
    for metric_id in ids:
        for quarter in quarters_between(first.start, last.end):
            df = metrics.compute(con, metric_id, quarter, "none", scope)
            frames.append(df.assign(quarter=quarter.label, quarter_start=quarter.start))
    return pd.concat(frames, ignore_index=True)


def re_entry_by_previous_closure(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Episodes started, and re-entries among them, by how the previous episode closed."""
    df = store.run(con, "re_entry_by_previous_closure", **_params(period, scope))
    df["share"] = df["re_entries"] / df["episodes"].where(df["episodes"] > 0)
    return df


def episode_flow(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Links from request decision to episode service to closure, for a Sankey diagram."""
    return store.run(con, "episode_flow", **_params(period, scope))


def step_up_timing(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Step-ups in the period by how long the episode had run."""
    return store.run(con, "step_up_timing", **_params(period, scope))


def need_prevalence_by(con, dimension: str, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Share of assessments listing each need, by locality, age band, IMD decile or i-THRIVE."""
    if dimension not in NEED_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    return store.run(con, "need_prevalence_by", dimension=dimension, **_params(period, scope))


def need_group_prevalence(con, dimension: str, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Share of assessments listing a need in each of the ten headline outcome groups."""
    if dimension not in NEED_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    return store.run(con, "need_group_prevalence", dimension=dimension, **_params(period, scope))


def need_cooccurrence(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """For each pair of needs, the share of assessments with the first that list the second."""
    return store.run(con, "need_cooccurrence", **_params(period, scope))


def thrive_distribution(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Assessments by i-THRIVE group and service."""
    return store.run(con, "thrive_distribution", **_params(period, scope))


def closure_reasons(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Episodes closed in the period by closure reason and service."""
    return store.run(con, "closure_reasons", **_params(period, scope))


def survey_agree_by_area(
    con, period: Period, scope: Scope = ALL, survey: str | None = None
) -> pd.DataFrame:
    """Survey agreement by hub and outcome framework area."""
    return store.run(con, "survey_agree_by_area", survey=survey, **_params(period, scope))


def survey_monthly_trend(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Agreement with the monthly engagement question, month by month."""
    return store.run(con, "survey_monthly_trend", **_params(period, scope))


def table_coverage(con) -> pd.DataFrame:
    """Rows and date range of each loaded table."""
    return store.run(con, "table_coverage")


def field_completeness(con) -> pd.DataFrame:
    """How often each optional field is filled in."""
    return store.run(con, "field_completeness")


def ingest_history(con) -> pd.DataFrame:
    """Every ingest into the store this extract belongs to, newest first (state database)."""
    folder = store.store_of(con)
    if folder is None:
        return pd.DataFrame(columns=state.HISTORY_COLUMNS)
    return state.ingest_history(state.path_for(folder))


def headlines(con, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """The headline metrics for the period and the period before, one row per metric."""
    rows = []
    previous = period.previous()
    for metric_id in metrics.HEADLINES:
        now = metrics.compute(con, metric_id, period, "none", scope).iloc[0]
        before = metrics.compute(con, metric_id, previous, "none", scope).iloc[0]
        rows.append(
            {
                "metric": metric_id,
                "numerator": now["numerator"],
                "denominator": now["denominator"],
                "value": now["value"],
                "previous_period": previous.label,
                "previous_value": before["value"],
            }
        )
    return pd.DataFrame(rows)


def group_names(con) -> dict[str, dict[str, str]]:
    """Display names of report groups: {'locality': {id: name}, 'hub': {id: name}}."""
    loc, hub = localities(con), hubs(con)
    return {
        "locality": dict(zip(loc.locality_id, loc.locality_name, strict=True)),
        "hub": dict(zip(hub.hub_id, hub.hub_name, strict=True)),
    }


def requests_crosstab(con, dimension: str, period: Period) -> pd.DataFrame:
    """Requests by locality and source, age band or decision (for published cross-tables)."""
    if dimension not in ("source", "age_band", "decision"):
        raise ValueError(f"unknown dimension {dimension!r}")
    return store.run(
        con, "requests_crosstab", start=period.start, end=period.end, dimension=dimension
    )


def closures_crosstab(con, period: Period) -> pd.DataFrame:
    """Episodes closed by locality and closure reason, transfers left out."""
    return store.run(con, "closures_crosstab", start=period.start, end=period.end)
