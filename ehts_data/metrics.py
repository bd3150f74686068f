"""The metrics engine: the metric registry and `compute`, which runs a metric's one
queries/<id>.sql over an open store connection for a Period, a breakdown ('none', 'locality'
or 'hub') and a Scope, and returns the tidy result shape: metric, group, numerator,
denominator, value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehts_data import contract, kinds, store
from ehts_data.periods import Period, add_months

Breakdown = Literal[
    "none",
    "locality",
    "hub",
    "catchment",
    "area",
    "sex",
    "ethnic_group",
    "send",
    "age_band",
    "imd_decile",
]
BREAKDOWNS: tuple[str, ...] = (
    "none",
    "locality",
    "hub",
    "catchment",
    "area",
    "sex",
    "ethnic_group",
    "send",
    "age_band",
    "imd_decile",
)
# The breakdowns of the child's or family's characteristics that equality analysis compares
# (disparity ratios, domain.md "Disparity").
EQUALITY_BREAKDOWNS: tuple[str, ...] = ("sex", "ethnic_group", "send", "age_band", "imd_decile")
# Survey responses have no child or family; family metrics have no hub or child attribute.
PLACE_BREAKDOWNS: tuple[str, ...] = ("none", "locality", "hub")
FAMILY_BREAKDOWNS: tuple[str, ...] = ("none", "locality", "catchment", "area", "imd_decile")
RESULT_COLUMNS = ["metric", "group", "numerator", "denominator", "value"]


@dataclass(frozen=True)
class Metric:
    """A metric's registry entry: the one place that says what it is, how it is shown and
    where it is computed. Adding a metric is one entry here, one queries/<sql>.sql, one
    section in docs/metrics.md and one test (tests/test_registry.py checks all four)."""

    id: str
    title: str
    kind: Literal["count", "share", "per_10k", "days"]
    counts: str  # what is counted: requests, episodes, assessments, responses, families
    description: str
    polarity: Literal["higher", "lower"] | None = None  # which way is better, where it is clear
    look_back_months: int = 0  # history needed before the period (the 12-month rules)
    breakdowns: tuple[str, ...] = BREAKDOWNS  # others return no rows
    headline: int | None = None  # place among the headline tiles (Overview); None: not one
    published: bool = True  # in snapshots' headline tables (need prevalence has its own table)

    @property
    def sql(self) -> str:
        """The queries/ file that computes it."""
        return self.id


METRICS: tuple[Metric, ...] = (
    Metric(
        "requests",
        "Requests for support",
        "count",
        "requests",
        "Requests received in the period.",
        headline=1,
    ),
    Metric(
        "requests_per_10k",
        "Requests per 10,000 children aged 0-19",
        "per_10k",
        "requests",
        "Requests received per 10,000 resident children aged 0-19 (ONS mid-year estimate).",
        headline=2,
    ),
    Metric(
        "re_referral_12m_rate",
        "Re-referral within 12 months",
        "share",
        "requests",
        "Share of requests whose child had another request in the 12 months before "
        "(referral to referral, DfE rule).",
        polarity="lower",
        look_back_months=12,
        headline=3,
    ),
    Metric(
        "episodes_started",
        "Episodes started",
        "count",
        "episodes",
        "Early help and targeted support episodes started (transfers excluded).",
        headline=4,
    ),
    Metric(
        "episodes_closed",
        "Episodes closed",
        "count",
        "episodes",
        "Episodes closed (transfers excluded).",
        headline=9,
    ),
    Metric(
        "open_episodes",
        "Open episodes at period end",
        "count",
        "episodes",
        "Episodes open on the last day of the period.",
        headline=5,
    ),
    Metric(
        "re_entry_12m_rate",
        "Re-entry within 12 months",
        "share",
        "episodes",
        "Share of episodes started whose child had another episode close in the 12 months "
        "before (closure to start).",
        polarity="lower",
        look_back_months=12,
        headline=6,
    ),
    Metric(
        "step_down_rate",
        "Step-down from social care",
        "share",
        "episodes",
        "Share of episodes started that were step-downs from children's social care.",
        headline=7,
    ),
    Metric(
        "step_up_rate",
        "Step-up to social care",
        "share",
        "episodes",
        "Share of episodes closed that were stepped up to children's social care.",
        headline=8,
    ),
    Metric(
        "outcomes_achieved_rate",
        "Closed with outcomes achieved",
        "share",
        "episodes",
        "Share of episodes closed with outcomes achieved.",
        polarity="higher",
        headline=10,
    ),
    Metric(
        "median_episode_days",
        "Median episode length",
        "days",
        "episodes",
        "Median days from start to end of episodes closed in the period.",
        headline=11,
    ),
    Metric(
        "need_prevalence",
        "Need at assessment",
        "share",
        "assessments",
        "Share of assessments completed in the period that list each need.",
        published=False,
    ),
    Metric(
        "survey_agree_rate",
        "Survey answers agreeing (4 or 5 of 5)",
        "share",
        "responses",
        "Share of survey responses scoring 4 or 5 (agree or strongly agree).",
        polarity="higher",
        breakdowns=PLACE_BREAKDOWNS,
        headline=12,
    ),
    Metric(
        "families_with_requests",
        "Families with a request",
        "count",
        "families",
        "Distinct families with at least one request received in the period.",
        breakdowns=FAMILY_BREAKDOWNS,
        published=False,
    ),
    Metric(
        "families_supported",
        "Families supported",
        "count",
        "families",
        "Distinct families with at least one episode open at some time in the period.",
        breakdowns=FAMILY_BREAKDOWNS,
        published=False,
    ),
    Metric(
        "children_supported",
        "Children supported",
        "count",
        "children",
        "Distinct children with at least one episode open at some time in the period.",
        breakdowns=FAMILY_BREAKDOWNS,
        published=False,
    ),
    Metric(
        "family_re_entry_12m_rate",
        "Families re-entering within 12 months",
        "share",
        "families",
        "Of families starting support in the period, the share whose earlier support had "
        "closed in the 12 months before, with none still open.",
        polarity="lower",
        look_back_months=12,
        breakdowns=FAMILY_BREAKDOWNS,
        published=False,
    ),
    Metric(
        "families_multiple_needs_rate",
        "Families with multiple needs",
        "share",
        "families",
        "Of families assessed in the period, the share whose assessments list needs in 3 or "
        "more of the 10 Supporting Families headline groups.",
        breakdowns=FAMILY_BREAKDOWNS,
        published=False,
    ),
)
REGISTRY: dict[str, Metric] = {m.id: m for m in METRICS}
HEADLINES: tuple[str, ...] = tuple(
    m.id for m in sorted((m for m in METRICS if m.headline is not None), key=lambda m: m.headline)
)


@dataclass(frozen=True)
class Scope:
    """Dashboard filters: one locality, one hub, one service, one small area and one
    catchment (None = all).

    The service filter applies to episodes and assessments; requests and survey responses
    have no service. The small area and the catchment (the hub whose catchment holds the
    family's area) are the family's, like the locality; survey responses have neither.
    """

    locality: str | None = None
    hub: str | None = None
    service: str | None = None
    area: str | None = None
    catchment: str | None = None


ALL = Scope()


def lacks_history(metric_id: str, period: Period, first_day: date | None) -> bool:
    """True when the store's data, starting on first_day, does not reach back far enough
    before the period for the metric's look-back (a 12-month rule in the store's first year):
    such a value would be too low and is withheld (docs/metrics.md "12 calendar months")."""
    months = metric_of(metric_id).look_back_months
    if not months or first_day is None:
        return False
    return period.start < add_months(first_day, months)


HISTORY_NOTE = "not shown: the data does not reach 12 months before this period"


def _check_breakdown(by: str) -> None:
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}: use one of {', '.join(BREAKDOWNS)}")


def scope_params(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict:
    """The filters a query binds: $locality, $hub and $service by id; the small area and the
    catchment by code ($area, $catchment: population tables) and by the number the fact tables
    carry ($area_number, $catchment_number; 0, which no place has, for a code the store lacks)."""
    return {
        "locality": scope.locality,
        "hub": scope.hub,
        "service": scope.service,
        "area": scope.area,
        "catchment": scope.catchment,
        "area_number": _place_number(con, "area", scope.area),
        "catchment_number": _place_number(con, "hub", scope.catchment),
    }


def _place_number(con: duckdb.DuckDBPyConnection, dimension: str, code: str | None) -> int | None:
    if code is None:
        return None
    found = store.records(con, "place_number", dimension=dimension, code=code)
    return found[0]["number"] if found else 0


def _params(con: duckdb.DuckDBPyConnection, period: Period, by: Breakdown, scope: Scope) -> dict:
    return {"start": period.start, "end": period.end, "by": by, **scope_params(con, scope)}


def compute(
    con: duckdb.DuckDBPyConnection,
    metric_id: str,
    period: Period,
    by: Breakdown = "none",
    scope: Scope = ALL,
) -> pd.DataFrame:
    """One metric by id, in the tidy result shape."""
    metric = _metric(metric_id)
    _check_breakdown(by)
    if by not in metric.breakdowns:
        return _frame({c: [] for c in RESULT_COLUMNS})
    return _frame(_tidy(store.arrow(con, metric.sql, **_params(con, period, by, scope))))


# A query per period plans the whole metric again: on a small extract planning is most of its
# cost (about 7 of 9 ms at council scale), so there one query reads every period and scope
# asked for (a lateral join over them). On a large extract that join reads the whole table,
# where a query per period reads only its own dates: 3-9 times slower at 30 million requests,
# 2-4 times faster at half a million (bench/design-measurements.md).
MANY_IN_ONE_QUERY_MAX_REQUESTS = 2_000_000
# The order every metric query but need prevalence ends with; the query over many periods
# repeats it, so each one's rows come back exactly as `compute` gives them.
_RESULT_ORDER = """order by "group" = 'unknown', report_order($by, "group")"""


def compute_periods(
    con: duckdb.DuckDBPyConnection,
    metric_id: str,
    periods: Sequence[Period],
    by: Breakdown = "none",
    scope: Scope = ALL,
) -> list[pd.DataFrame]:
    """`compute` for each of the periods, in their order (trends, sparklines, SPC months)."""
    return compute_many(con, metric_id, [(period, scope) for period in periods], by)


def compute_many(
    con: duckdb.DuckDBPyConnection,
    metric_id: str,
    asked: Sequence[tuple[Period, Scope]],
    by: Breakdown = "none",
) -> list[pd.DataFrame]:
    """`compute` for each (period, scope) asked for, in their order."""
    metric = _metric(metric_id)
    cursor = _many(con, metric, asked, by)
    if cursor is None:
        return store.two_at_a_time(
            con, list(asked), lambda c, one: compute(c, metric_id, one[0], by, one[1])
        )
    found = cursor.to_arrow_table()
    index = found["asked_index"].to_numpy()
    whole = _frame(found)
    return [whole[index == i].reset_index(drop=True) for i in range(len(asked))]


def _many(
    con: duckdb.DuckDBPyConnection,
    metric: Metric,
    asked: Sequence[tuple[Period, Scope]],
    by: Breakdown,
) -> duckdb.DuckDBPyConnection | None:
    """The one query over everything asked, run; None where a query each is the better way."""
    _check_breakdown(by)
    sql = _many_sql(metric.sql)
    if by not in metric.breakdowns or len(asked) < 2 or sql is None or _large(con):
        return None
    columns: dict[str, list] = {}
    for period, scope in asked:
        for name, value in _params(con, period, by, scope).items():
            columns.setdefault(name, []).append(value)
    names = store.parameter_names(metric.sql)
    params = {f"asked_{k}": v for k, v in columns.items() if k != "by" and k in names}
    return con.cursor().execute(sql, {**params, "by": by})


def _metric(metric_id: str) -> Metric:
    try:
        return REGISTRY[metric_id]
    except KeyError:
        raise ValueError(f"unknown metric {metric_id!r}") from None


@cache
def _many_sql(name: str) -> str | None:
    """queries/<name>.sql for many periods and scopes in one query: its $start, $end and filter
    parameters become the columns of a list bound as $asked_start, $asked_end, … (values stay
    bound; only the query's own text is rearranged). None for a query whose rows it could not
    put back in the query's own order."""
    text = store.load_sql(name).rstrip().rstrip(";").rstrip()
    if not text.endswith(_RESULT_ORDER):
        return None
    body = text.removesuffix(_RESULT_ORDER)
    names = sorted(store.parameter_names(name) - {"by"})
    for param in names:
        body = re.sub(rf"\${param}\b", f"asked.{param}", body)
    unnested = "".join(f",\n        unnest($asked_{p}) as {p}" for p in names)
    return (
        "select asked.asked_index, found.*\n"
        "from (\n"
        f"    select\n        unnest(range(len($asked_{names[0]}))) as asked_index{unnested}\n"
        ") as asked,\n"
        f"lateral (\n{body}\n) as found\n"
        f"{_RESULT_ORDER.replace('order by', 'order by asked.asked_index,', 1)}"
    )


def _large(con: duckdb.DuckDBPyConnection) -> bool:
    return store.records(con, "request_rows")[0]["requests"] > MANY_IN_ONE_QUERY_MAX_REQUESTS


def _tidy(found: pa.Table) -> pa.Table:
    """A query's result in the tidy columns. need_prevalence's query gives a row per report
    group with its need counts as a list in need order (queries/need_prevalence.sql); its tidy
    rows are each need over every group, in need order, and each value the count over the
    group's assessments (none when it had none)."""
    if "numerators" not in found.column_names:
        return found
    groups, needs = found.num_rows, len(contract.NEED_CODES)
    if pc.any(pc.not_equal(pc.list_value_length(found["numerators"]), needs)).as_py():
        raise ValueError(f"need_prevalence: every group must list {needs} needs")
    # the counts as a groups × needs table, read need by need
    counts = pc.list_flatten(found["numerators"]).to_numpy().reshape(groups, needs).T.ravel()
    assessments = np.tile(found["denominator"].to_numpy(), needs)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / assessments
    return pa.table(
        {
            "metric": pa.concat_arrays(
                [pa.repeat(f"need_prevalence:{need}", groups) for need in contract.NEED_CODES]
            ),
            "group": pa.concat_arrays([found["group"].combine_chunks()] * needs),
            "numerator": pa.array(counts),
            "denominator": pa.array(assessments),
            "value": pa.array(shares, mask=assessments == 0),
        }
    )


def _frame(found: pa.Table | dict[str, list]) -> pd.DataFrame:
    """The tidy result shape from a query's Arrow columns (or lists): cheaper than retyping
    DuckDB's frame."""
    return pd.DataFrame(
        {
            "metric": pd.Series(found["metric"], dtype="str"),
            "group": pd.Series(found["group"], dtype="str"),
            "numerator": pd.array(found["numerator"], dtype="Int64"),
            "denominator": pd.array(found["denominator"], dtype="Int64"),
            "value": pd.array(found["value"], dtype="Float64"),
        }
    )


def compute_all(
    con: duckdb.DuckDBPyConnection, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Every metric in registry order, stacked in the tidy shape."""
    return pd.concat([compute(con, m.id, period, by, scope) for m in METRICS], ignore_index=True)


def rows(
    con: duckdb.DuckDBPyConnection,
    result_metric: str,
    period: Period,
    by: Breakdown = "none",
    scope: Scope = ALL,
) -> list[dict]:
    """The rows of one result metric (a metric id, or 'need_prevalence:<need>') as dicts of the
    result columns: the query `compute` runs, read without a DataFrame (the scorecard reads
    over a hundred small results)."""
    _check_breakdown(by)
    metric = metric_of(result_metric)
    if by not in metric.breakdowns:
        return []
    found = _tidy(store.arrow(con, metric.sql, **_params(con, period, by, scope)))
    return [row for row in found.to_pylist() if row["metric"] == result_metric]


def readings(
    con: duckdb.DuckDBPyConnection,
    result_metric: str,
    asked: Sequence[tuple[Period, Scope]],
) -> list[dict | None]:
    """`reading` for each (period, scope) asked for, in their order (read without DataFrames,
    as `rows` is)."""
    metric = metric_of(result_metric)
    cursor = _many(con, metric, asked, "none")
    if cursor is None:
        return store.two_at_a_time(
            con, list(asked), lambda c, one: reading(c, result_metric, one[0], one[1])
        )
    names = [column[0] for column in cursor.description]
    found: list[dict | None] = [None] * len(asked)
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        at = row.pop("asked_index")
        if row["metric"] == result_metric and found[at] is None:
            found[at] = row
    return found


def reading(
    con: duckdb.DuckDBPyConnection,
    result_metric: str,
    period: Period,
    scope: Scope = ALL,
) -> dict | None:
    """The 'all' row of one result metric for the period within the scope (None if absent)."""
    found = rows(con, result_metric, period, "none", scope)
    return found[0] if found else None


def metric_of(result_metric: str) -> Metric:
    """The registry entry of a result row's metric ('need_prevalence:x' → need_prevalence)."""
    return REGISTRY[result_metric.split(":", 1)[0]]


def to_records(df: pd.DataFrame) -> list[dict]:
    """Result rows as plain dicts: counts as ints, missing values as None (for JSON)."""
    out = []
    for row in df[RESULT_COLUMNS].itertuples(index=False):
        value = None if pd.isna(row.value) else float(row.value)
        if value is not None and kinds.of(metric_of(row.metric).kind).whole:
            value = int(value)
        out.append(
            {
                "metric": row.metric,
                "group": row.group,
                "numerator": None if pd.isna(row.numerator) else int(row.numerator),
                "denominator": None if pd.isna(row.denominator) else int(row.denominator),
                "value": value,
            }
        )
    return out
