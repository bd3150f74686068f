"""Breakdowns behind the dashboard pages: one function per query in queries/.

Every function takes an open store connection and returns a DataFrame; filters come as a
metrics.Scope. The headline figures themselves come from ehts_data.metrics.
"""

from __future__ import annotations

import json
import re
from datetime import date

import duckdb
import pandas as pd

from ehts_data import metrics, periods, state, stats, store
from ehts_data.formatting import label
from ehts_data.metrics import ALL, Scope
from ehts_data.periods import Period, quarters_between

REQUEST_DIMENSIONS = ("source", "age_band", "decision", "locality", "hub", "imd_decile")
NEED_DIMENSIONS = ("all", "locality", "age_band", "imd_decile", "thrive_group")


def _params(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> dict:
    return {"start": period.start, "end": period.end, **metrics.scope_params(con, scope)}


def authority(scope: Scope) -> Scope:
    """The whole authority, for the scope's service: what a chosen place is set against
    (every page's reference line, column or row comes from the same measure in this scope)."""
    return Scope(service=scope.service)


def without_places(scope: Scope) -> Scope:
    """The scope without its small area and catchment: where the places of a locality are
    compared (one place filtered would leave the others at zero)."""
    return Scope(scope.locality, scope.hub, scope.service)


# The dashboard filters a query may follow, and what a caption calls each.
SCOPE_FILTERS = {
    "locality": "Locality",
    "hub": "Hub",
    "service": "Service",
    "area": "Small area",
    "catchment": "Catchment",
}
# The parameter a query binds for each filter (metrics.scope_params), and what a record that
# does not follow it lacks.
_FILTER_PARAMETERS = {"area": "area_number", "catchment": "catchment_number"}
_LACKS = {"area": "small area", "catchment": "catchment"}
# What the records a query counts are called, by the table it reads them from.
RECORDS = {
    "request_facts": "requests",
    "requests": "requests",
    "survey_facts": "survey answers",
    "survey_responses": "survey answers",
}


def filters_followed(query: str) -> frozenset[str]:
    """The scope filters (locality, hub, service, small area, catchment) a query in queries/
    (or a metric's) binds: the ones its figures follow."""
    names = store.parameter_names(
        metrics.REGISTRY[query].sql if query in metrics.REGISTRY else query
    )
    return frozenset(f for f in SCOPE_FILTERS if _FILTER_PARAMETERS.get(f, f) in names)


def _records_of(query: str) -> str:
    sql = store.load_sql(metrics.REGISTRY[query].sql if query in metrics.REGISTRY else query)
    code = "\n".join(line.split("--")[0] for line in sql.splitlines())
    for table in re.findall(r"\b(?:from|join)\s+([a-z_]+)", code):
        if table in RECORDS:
            return RECORDS[table]
    return "its records"


def filters_not_applied(sources: tuple[str, ...] | list[str], scope: Scope) -> list[str]:
    """For a figure drawn from `sources` (queries or metric ids), a sentence for each filter
    chosen in `scope` that a source does not follow, e.g. 'Service filter not applied:
    requests have no service.' Reference data, which follows no filter, is left out."""
    notes = []
    for name in sources:
        followed = filters_followed(name)
        if not followed:
            continue
        for key, word in SCOPE_FILTERS.items():
            if getattr(scope, key) and key not in followed:
                lacks = _LACKS.get(key, key)
                note = f"{word} filter not applied: {_records_of(name)} have no {lacks}."
                if note not in notes:
                    notes.append(note)
    return notes


def localities(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Localities with their latest 0-19 population."""
    return store.run(con, "reference_localities")


def hubs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Hubs, satellite sites and teams with their locality names and coordinates."""
    return store.run(con, "reference_hubs")


def areas(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Small areas with their locality, catchment hub and decile (empty before contract 1.1)."""
    return store.run(con, "reference_areas")


def locality_geojson(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The locality boundaries as GeoJSON, or None when none were loaded."""
    df = store.run(con, "locality_geojson")
    return None if df.empty else json.loads(df.iloc[0, 0])


def features(geojson: dict | None, key: str, value: str | None) -> dict | None:
    """The features of a GeoJSON FeatureCollection whose property `key` is `value` (one
    locality's boundary, say), or None when there is no such value or no GeoJSON."""
    if geojson is None or value is None:
        return None
    kept = [f for f in geojson.get("features") or [] if f["properties"].get(key) == value]
    return {"type": "FeatureCollection", "features": kept} if kept else None


def area_geojson(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The small areas' boundaries as a GeoJSON FeatureCollection keyed by area_code, or None
    when none were loaded."""
    df = store.run(con, "area_geojson")
    if df.empty:
        return None
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(r.geometry),
                "properties": {"area_code": r.area_code},
            }
            for r in df.itertuples()
        ],
    }


def requests_by(
    con: duckdb.DuckDBPyConnection,
    dimension: str,
    period: Period,
    scope: Scope = ALL,
) -> pd.DataFrame:
    """Requests in the period counted by source, age band, decision, locality, hub or IMD,
    with each category's share of the requests."""
    if dimension not in REQUEST_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    df = store.run(con, "requests_by_dimension", dimension=dimension, **_params(con, period, scope))
    return _with_share(df, "requests")


def requests_monthly(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Requests per month and locality of residence."""
    return store.run(con, "requests_monthly", **_params(con, period, scope))


def metric_by_quarter(
    con: duckdb.DuckDBPyConnection,
    metric_ids: str | tuple[str, ...],
    first: Period,
    last: Period,
    scope: Scope = ALL,
) -> pd.DataFrame:
    """Metrics for every quarter from `first` to `last` (whole authority), with the quarter."""
    ids = (metric_ids,) if isinstance(metric_ids, str) else metric_ids
    quarters = quarters_between(first.start, last.end)
    frames = [
        df.assign(quarter=quarter.label, quarter_start=quarter.start)
        for metric_id in ids
        for quarter, df in zip(
            quarters, metrics.compute_periods(con, metric_id, quarters, "none", scope), strict=True
        )
    ]
    return pd.concat(frames, ignore_index=True)


def re_entry_by_previous_closure(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Episodes started, and re-entries among them, by how the previous episode closed.
    Episodes after a transfer closure are left out (docs/metrics.md, re_entry_12m_rate): a
    transfer hands the same support on, so the next episode starts at once and is always
    'within 12 months', which says nothing about families coming back."""
    df = store.run(con, "re_entry_by_previous_closure", **_params(con, period, scope))
    df = df[df["previous_closure_reason"] != "transfer"].reset_index(drop=True)
    df["share"] = df["re_entries"] / df["episodes"].where(df["episodes"] > 0)
    return df


def episode_flow(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Links from request decision to episode service to closure, for a Sankey diagram."""
    return store.run(con, "episode_flow", **_params(con, period, scope))


def episode_flow_shares(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """The Sankey's links, each with its share of the links leaving the same node at the same
    stage ('share'): where each decision, or each kind of episode, led."""
    flow = episode_flow(con, period, scope)
    out = flow.groupby(["stage", "source"])["children"].transform("sum")
    return flow.assign(share=(flow["children"] / out.where(out > 0)).astype("float64"))


def step_up_timing(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Step-ups in the period by how long the episode had run, with each band's share."""
    return _with_share(store.run(con, "step_up_timing", **_params(con, period, scope)), "step_ups")


def need_prevalence_by(
    con: duckdb.DuckDBPyConnection, dimension: str, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Share of assessments listing each need, by locality, age band, IMD decile or i-THRIVE."""
    if dimension not in NEED_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    return store.run(con, "need_prevalence_by", dimension=dimension, **_params(con, period, scope))


def need_prevalence_by_place(
    con: duckdb.DuckDBPyConnection, by: str, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """need_prevalence_by's columns (need, category, assessments_listing, assessments, share)
    by hub catchment or lead hub, from the need_prevalence metric: a locality's places, where
    need_prevalence_by has localities only. Places with no assessment are left out."""
    if by not in ("catchment", "hub"):
        raise ValueError(f"needs by place are by catchment or hub, not {by!r}")
    df = metrics.compute(con, "need_prevalence", period, by, scope)
    df = df[df["denominator"] > 0]
    return pd.DataFrame(
        {
            "need": df["metric"].str.removeprefix("need_prevalence:"),
            "category": df["group"],
            "assessments_listing": df["numerator"],
            "assessments": df["denominator"],
            "share": df["value"],
        }
    ).reset_index(drop=True)


def need_group_prevalence(
    con: duckdb.DuckDBPyConnection, dimension: str, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Share of assessments listing a need in each of the ten headline outcome groups."""
    if dimension not in NEED_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    return store.run(
        con, "need_group_prevalence", dimension=dimension, **_params(con, period, scope)
    )


def need_cooccurrence(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """For each pair of needs, the share of assessments with the first that list the second."""
    return store.run(con, "need_cooccurrence", **_params(con, period, scope))


def _with_share(df: pd.DataFrame, count: str) -> pd.DataFrame:
    """The rows with each one's share of the frame's total `count` (none when it is 0)."""
    total = df[count].sum()
    df["share"] = df[count] / total if total else None
    return df


def share_by(df: pd.DataFrame, by: str, count: str) -> pd.DataFrame:
    """A breakdown's total `count` and share per `by` category (over its other columns, such
    as service): the whole authority's mix beside a place's."""
    return _with_share(df.groupby(by, as_index=False, sort=False)[count].sum(), count)


def thrive_distribution(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Assessments by i-THRIVE group and service, with each row's share of the assessments."""
    return _with_share(
        store.run(con, "thrive_distribution", **_params(con, period, scope)), "assessments"
    )


def thrive_shares(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Each i-THRIVE group's share of the assessments, all services together."""
    return share_by(thrive_distribution(con, period, scope), "thrive_group", "assessments")


def closure_reasons(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Episodes closed in the period by closure reason and service, with each row's share."""
    return _with_share(store.run(con, "closure_reasons", **_params(con, period, scope)), "episodes")


def closure_reason_shares(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Each closure reason's share of the episodes closed, all services together."""
    return share_by(closure_reasons(con, period, scope), "closure_reason", "episodes")


def survey_agree_by_area(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, survey: str | None = None
) -> pd.DataFrame:
    """Survey agreement by hub and outcome framework area."""
    return store.run(con, "survey_agree_by_area", survey=survey, **_params(con, period, scope))


def survey_agree_by_outcome_area(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Survey agreement by outcome framework area, all hubs in the scope together."""
    df = survey_agree_by_area(con, period, scope)
    out = df.groupby("outcome_area", as_index=False)[["agree", "responses"]].sum()
    out["share"] = out["agree"] / out["responses"].where(out["responses"] > 0)
    return out


def survey_monthly_trend(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Agreement with the monthly engagement question, month by month."""
    return store.run(con, "survey_monthly_trend", **_params(con, period, scope))


def table_coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows and date range of each loaded table."""
    return store.run(con, "table_coverage")


def field_completeness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How often each optional field is filled in."""
    return store.run(con, "field_completeness")


def monthly_volumes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows per month in each dated file by source or hub (Data quality)."""
    return store.run(con, "monthly_volumes")


def unknown_share_monthly(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each month's share of requests with no hub and (with areas) no small area."""
    return store.run(con, "unknown_share_monthly")


def staleness(con: duckdb.DuckDBPyConnection, today: date) -> dict:
    """How current the data is: the last date of each dated file and the days from it to today."""
    coverage = table_coverage(con).dropna(subset=["last_date"])
    out = {}
    for row in coverage.itertuples():
        if row.table_name == "population":
            continue
        last = pd.Timestamp(row.last_date).date()
        out[row.table_name] = {"last_date": last, "days": (today - last).days}
    return out


def demand_by_place(
    con: duckdb.DuckDBPyConnection, by: str, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Requests per 10,000 children by hub catchment or small area for a coordinator: group,
    requests, population, rate with its 95% interval, the rate in the same period a year
    before and the change, and (areas) the area's deprivation decile; 'none': one row, the
    whole scope's (a reference row)."""
    if by not in ("catchment", "area", "none"):
        raise ValueError(f"demand by place is by catchment, area or none, not {by!r}")
    now = metrics.compute(con, "requests_per_10k", period, by, scope)
    before = metrics.compute(con, "requests_per_10k", period.a_year_before(), by, scope)
    out = now.rename(columns={"numerator": "requests", "denominator": "population"})
    out = out.merge(
        before[["group", "numerator", "value"]].rename(
            columns={"numerator": "requests_year_before", "value": "rate_year_before"}
        ),
        on="group",
        how="left",
    ).rename(columns={"value": "rate"})
    bounds = [
        stats.interval("per_10k", r.requests, None if pd.isna(r.population) else r.population)
        for r in out.itertuples()
    ]
    out["lower"] = [b[0] if b else None for b in bounds]
    out["upper"] = [b[1] if b else None for b in bounds]
    out["change"] = out["rate"] - out["rate_year_before"]
    if by == "area":
        deciles = areas(con).set_index("area_code")["imd_decile"]
        out["imd_decile"] = out["group"].map(deciles)
    return out.drop(columns="metric")


def request_to_start(
    con: duckdb.DuckDBPyConnection,
    by: str,
    period: Period,
    scope: Scope = ALL,
) -> pd.DataFrame:
    """Days from a request to the start of its episode (median, and the share within 4
    weeks) by lead hub or family's catchment hub ('none': one row, 'all'), for episodes
    started in the period."""
    if by not in ("hub", "catchment", "none"):
        raise ValueError(f"request to start is by hub, catchment or none, not {by!r}")
    return store.run(con, "request_to_start", by=by, **_params(con, period, scope))


def caseload_monthly(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Open episodes per lead hub at each month end of the period (the hubs' caseload)."""
    return store.run(con, "caseload_monthly", **_params(con, period, scope))


def requests_monthly_per_place(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, per: str
) -> pd.DataFrame:
    """Requests per month in the scope, divided by the number of localities or small areas
    in it ('locality' | 'area'): the average place's month, a reference for one place."""
    df = requests_monthly(con, period, scope).groupby("month", as_index=False)["requests"].sum()
    df["requests"] = df["requests"] / places_in(con, scope, per)
    return df


def places_in(con: duckdb.DuckDBPyConnection, scope: Scope, per: str) -> int:
    """The number of localities or small areas in the scope ('locality' | 'area'), at least
    one: what a total is divided by for the average place's."""
    if per not in ("locality", "area"):
        raise ValueError(f"an average per locality or area, not {per!r}")
    table = localities(con) if per == "locality" else areas(con)
    if scope.locality is not None:
        table = table[table["locality_id"] == scope.locality]
    return max(len(table), 1)


def requests_by_quarter_per_place(
    con: duckdb.DuckDBPyConnection, first: Period, last: Period, scope: Scope, per: str
) -> pd.DataFrame:
    """Requests in each quarter from `first` to `last`, divided by the number of localities
    or small areas in the scope: the average place's quarter, a reference for one place."""
    df = metric_by_quarter(con, "requests", first, last, scope)
    return df.assign(value=df["value"] / places_in(con, scope, per))


def caseload_per_hub(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """The average caseload of a hub at each month end: open episodes over the hubs with
    any open (a hub's caseload set against the authority's hubs)."""
    df = caseload_monthly(con, period, scope)
    out = df.groupby("month_end", as_index=False).agg(
        open_episodes=("open_episodes", "sum"), hubs=("hub_id", "nunique")
    )
    out["per_hub"] = out["open_episodes"] / out["hubs"]
    return out


def place_rate_by_quarter(
    con: duckdb.DuckDBPyConnection, by: str, first: Period, last: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Requests per 10,000 children by hub catchment, small area or locality ('none': the
    authority) for every quarter from `first` to `last`, with the same quarter a year before
    and the change on it: group, quarter, quarter_start, requests, population, rate,
    rate_year_before, change."""
    quarters = quarters_between(first.start, last.end)
    asked = quarters + [quarter.a_year_before() for quarter in quarters]
    found = metrics.compute_periods(con, "requests_per_10k", asked, by, scope)
    frames = []
    now_and_before = zip(found[: len(quarters)], found[len(quarters) :], strict=True)
    for quarter, (now, before) in zip(quarters, now_and_before, strict=True):
        part = now.rename(
            columns={"numerator": "requests", "denominator": "population", "value": "rate"}
        ).merge(
            before[["group", "value"]].rename(columns={"value": "rate_year_before"}),
            on="group",
            how="left",
        )
        frames.append(part.assign(quarter=quarter.label, quarter_start=quarter.start))
    out = pd.concat(frames, ignore_index=True).drop(columns="metric")
    out["change"] = out["rate"] - out["rate_year_before"]
    return out


def default_period(con: duckdb.DuckDBPyConnection) -> Period | None:
    """The financial year the dashboard opens on (periods.default_year over the requests'
    dates), or None for a store with no requests."""
    coverage = table_coverage(con).set_index("table_name")
    first, last = coverage.at["requests", "first_date"], coverage.at["requests", "last_date"]
    if pd.isna(first) or pd.isna(last):
        return None
    return periods.default_year(pd.Timestamp(first).date(), pd.Timestamp(last).date())


def ingest_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every ingest into the store this extract belongs to, newest first (state database)."""
    folder = store.store_of(con)
    if folder is None:
        return pd.DataFrame(columns=state.HISTORY_COLUMNS)
    return state.ingest_history(state.path_for(folder))


def headlines(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """The headline metrics for the period and the period before, one row per metric. A
    12-month rule without 12 months of data before a period is withheld for it (value and
    counts missing) and `note` says why."""
    latest = store.latest_ingest(con)
    first = None if not latest else pd.Timestamp(latest["date_from"]).date()
    rows = []
    previous = period.previous()
    for metric_id in metrics.HEADLINES:
        now, before = (
            df.iloc[0]
            for df in metrics.compute_periods(con, metric_id, [period, previous], "none", scope)
        )
        short = metrics.lacks_history(metric_id, period, first)
        short_before = metrics.lacks_history(metric_id, previous, first)
        rows.append(
            {
                "metric": metric_id,
                "numerator": None if short else now["numerator"],
                "denominator": None if short else now["denominator"],
                "value": None if short else now["value"],
                "previous_period": previous.label,
                "previous_value": None if short_before else before["value"],
                "previous_numerator": None if short_before else before["numerator"],
                "previous_denominator": None if short_before else before["denominator"],
                "note": metrics.HISTORY_NOTE if short else None,
            }
        )
    return pd.DataFrame(rows)


def group_names(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Display names of report groups: {'locality': {id: name}, 'hub': {id: name},
    'catchment': {hub id: name}, 'area': {code: name}}."""
    loc, hub, area = localities(con), hubs(con), areas(con)
    hub_names = distinct_names(hub, "hub_id", "hub_name")
    return {
        "locality": distinct_names(loc, "locality_id", "locality_name"),
        "hub": hub_names,
        "catchment": hub_names,
        # Area names repeat between localities (the filter bar adds the locality's name);
        # charts by area are drawn a locality at a time.
        "area": lookup(area, "area_code", "area_name"),
    }


def requests_crosstab(
    con: duckdb.DuckDBPyConnection, dimension: str, period: Period
) -> pd.DataFrame:
    """Requests by locality and source, age band or decision (for published cross-tables)."""
    if dimension not in ("source", "age_band", "decision"):
        raise ValueError(f"unknown dimension {dimension!r}")
    return store.run(
        con, "requests_crosstab", start=period.start, end=period.end, dimension=dimension
    )


def closures_crosstab(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Episodes closed by locality and closure reason, transfers left out."""
    return store.run(con, "closures_crosstab", start=period.start, end=period.end)


def monthly_volume_grid(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """monthly_volumes with every month from the data's first to its last for every series
    (file, dimension, group), a month with no rows as 0, so a gap shows as a gap: file,
    dimension, group, series (its label), month, month_name ('Apr 2025'), rows, and
    of_typical (rows as a share of the series' median month with rows)."""
    volumes = monthly_volumes(con)
    columns = ["file", "dimension", "group", "series", "month", "month_name", "rows"]
    if volumes.empty:
        return pd.DataFrame(columns=[*columns, "of_typical"])
    volumes["month"] = pd.to_datetime(volumes["month"])
    months = pd.date_range(volumes["month"].min(), volumes["month"].max(), freq="MS")
    hub_names = distinct_names(hubs(con), "hub_id", "hub_name")
    # Each series labelled once (thousands of hubs nationally), then given every month.
    keys = volumes[["file", "dimension", "group"]].drop_duplicates()
    keys["series"] = [
        f"{file}, all rows"
        if dimension == "all"
        else f"{file}, by {dimension}: "
        + (hub_names.get(group, label(group)) if dimension == "hub" else label(group))
        for file, dimension, group in zip(
            keys["file"].tolist(), keys["dimension"].tolist(), keys["group"].tolist(), strict=True
        )
    ]
    full = keys.merge(pd.DataFrame({"month": months}), how="cross")
    out = full.merge(volumes, on=["file", "dimension", "month", "group"], how="left")
    out["rows"] = out["rows"].fillna(0).astype(int)
    # Each month named once: strftime over every row took most of a second nationally.
    out["month_name"] = out["month"].map(dict(zip(months, months.strftime("%b %Y"), strict=True)))
    # Against the series' own typical month, so a gap stands out in a small series too.
    # The typical month is the median of the months with rows, so a sparse series has one.
    typical = out["rows"].where(out["rows"] > 0).groupby(out["series"]).transform("median")
    out["of_typical"] = out["rows"] / typical.where(typical > 0)
    return out[[*columns, "of_typical"]]


def lookup(table: pd.DataFrame, key: str, value: str) -> dict:
    """`value` by `key`, from the columns as lists: iterating an Arrow-backed column is slow
    (33,264 small areas nationally)."""
    return dict(zip(table[key].tolist(), table[value].tolist(), strict=True))


def distinct_names(table: pd.DataFrame, key: str, name: str) -> dict[str, str]:
    """Names by id, the id added to a name that two ids share: a chart's categories are
    names, and two hubs of one name would be drawn as one (stacked, or their months merged)."""
    names = table[name].where(
        ~table[name].duplicated(keep=False), table[name] + " (" + table[key] + ")"
    )
    return dict(zip(table[key].tolist(), names.tolist(), strict=True))


def volume_heatmap_rows(grid: pd.DataFrame, hubs_at_most: int) -> pd.DataFrame:
    """The monthly volume grid as its heatmap draws it: a file's series by hub, above
    `hubs_at_most` hubs, as one series whose month is the lowest hub's share of its typical
    month (a hub's missing month still shows), its rows that hub's."""
    by_hub = grid["dimension"] == "hub"
    hub_counts = grid[by_hub & (grid["group"] != "unknown")].groupby("file")["group"].nunique()
    many = hub_counts[hub_counts > hubs_at_most]
    if many.empty:
        return grid
    collapsed = grid["file"].isin(many.index) & by_hub
    parts = grid[collapsed]
    lowest = parts.loc[
        parts["of_typical"].fillna(float("inf")).groupby([parts["file"], parts["month"]]).idxmin()
    ].copy()
    lowest["group"] = None
    lowest["series"] = lowest["file"] + lowest["file"].map(
        lambda f: f", by hub: the lowest of {many[f]:,} hubs"
    )
    shown = pd.concat([grid[~collapsed], lowest], ignore_index=True)
    return shown.sort_values(["file", "dimension"], kind="stable", ignore_index=True)
