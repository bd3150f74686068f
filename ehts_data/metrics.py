"""The metrics engine: one function per metric id, each running one queries/<id>.sql.

Every function takes an open store connection, a Period and a breakdown ('none', 'locality'
or 'hub') and returns the tidy result shape: metric, group, numerator, denominator, value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd

from ehts_data import store
from ehts_data.periods import Period

Breakdown = Literal["none", "locality", "hub"]
BREAKDOWNS: tuple[str, ...] = ("none", "locality", "hub")
RESULT_COLUMNS = ["metric", "group", "numerator", "denominator", "value"]


@dataclass(frozen=True)
class Metric:
    """A metric's registry entry: what it is and how it is shown."""

    id: str
    title: str
    kind: Literal["count", "share", "per_10k", "days"]
    counts: str  # what is counted: requests, episodes, assessments, responses
    description: str
    polarity: Literal["higher", "lower"] | None = None  # which way is better, where it is clear


METRICS: tuple[Metric, ...] = (
    Metric(
        "requests", "Requests for support", "count", "requests", "Requests received in the period."
    ),
    Metric(
        "requests_per_10k",
        "Requests per 10,000 children aged 0-19",
        "per_10k",
        "requests",
        "Requests received per 10,000 resident children aged 0-19 (ONS mid-year estimate).",
    ),
    Metric(
        "re_referral_12m_rate",
        "Re-referral within 12 months",
        "share",
        "requests",
        "Share of requests whose child had another request in the 12 months before "
        "(referral to referral, DfE rule).",
        polarity="lower",
    ),
    Metric(
        "episodes_started",
        "Episodes started",
        "count",
        "episodes",
        "Early help and targeted support episodes started (transfers excluded).",
    ),
    Metric(
        "episodes_closed",
        "Episodes closed",
        "count",
        "episodes",
        "Episodes closed (transfers excluded).",
    ),
    Metric(
        "open_episodes",
        "Open episodes at period end",
        "count",
        "episodes",
        "Episodes open on the last day of the period.",
    ),
    Metric(
        "re_entry_12m_rate",
        "Re-entry within 12 months",
        "share",
        "episodes",
        "Share of episodes started whose child had another episode close in the 12 months "
        "before (closure to start).",
        polarity="lower",
    ),
    Metric(
        "step_down_rate",
        "Step-down from social care",
        "share",
        "episodes",
        "Share of episodes started that were step-downs from children's social care.",
    ),
    Metric(
        "step_up_rate",
        "Step-up to social care",
        "share",
        "episodes",
        "Share of episodes closed that were stepped up to children's social care.",
    ),
    Metric(
        "outcomes_achieved_rate",
        "Closed with outcomes achieved",
        "share",
        "episodes",
        "Share of episodes closed with outcomes achieved.",
        polarity="higher",
    ),
    Metric(
        "median_episode_days",
        "Median episode length",
        "days",
        "episodes",
        "Median days from start to end of episodes closed in the period.",
    ),
    Metric(
        "need_prevalence",
        "Need at assessment",
        "share",
        "assessments",
        "Share of assessments completed in the period that list each need.",
    ),
    Metric(
        "survey_agree_rate",
        "Family survey agreement",
        "share",
        "responses",
        "Share of survey responses scoring 4 or 5 (agree or strongly agree).",
        polarity="higher",
    ),
)
REGISTRY: dict[str, Metric] = {m.id: m for m in METRICS}


@dataclass(frozen=True)
class Scope:
    """Dashboard filters: one locality, one hub, one service (None = all).

    The service filter applies to episodes and assessments; requests and survey responses
    have no service.
    """

    locality: str | None = None
    hub: str | None = None
    service: str | None = None


ALL = Scope()


def _check_breakdown(by: str) -> None:
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}: use one of {', '.join(BREAKDOWNS)}")


def _params(period: Period, by: Breakdown, scope: Scope) -> dict:
    return {
        "start": period.start,
        "end": period.end,
        "by": by,
        "locality": scope.locality,
        "hub": scope.hub,
        "service": scope.service,
    }


def _run(
    con: duckdb.DuckDBPyConnection,
    metric_id: str,
    period: Period,
    by: Breakdown,
    scope: Scope = ALL,
):
    _check_breakdown(by)
    found = store.arrays(con, metric_id, **_params(period, by, scope))
    # Built from the columns: converting and retyping DuckDB's own frame took about a fifth of
    # a small metric's time.
    return pd.DataFrame(
        {
            "metric": pd.Series(found["metric"], dtype="str"),
            "group": pd.Series(found["group"], dtype="str"),
            "numerator": pd.array(found["numerator"], dtype="Int64"),
            "denominator": pd.array(found["denominator"], dtype="Int64"),
            "value": pd.array(found["value"], dtype="Float64"),
        }
    )


def requests(con, period: Period, by: Breakdown = "none", scope: Scope = ALL) -> pd.DataFrame:
    """Requests received in the period."""
    return _run(con, "requests", period, by, scope)


def requests_per_10k(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Requests per 10,000 children aged 0-19 (no rate by hub)."""
    return _run(con, "requests_per_10k", period, by, scope)


def re_referral_12m_rate(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Share of requests that are re-referrals within 12 months."""
    return _run(con, "re_referral_12m_rate", period, by, scope)


def episodes_started(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Episodes started in the period, transfers excluded."""
    return _run(con, "episodes_started", period, by, scope)


def episodes_closed(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Episodes closed in the period, transfers excluded."""
    return _run(con, "episodes_closed", period, by, scope)


def open_episodes(con, period: Period, by: Breakdown = "none", scope: Scope = ALL) -> pd.DataFrame:
    """Episodes open at the end of the period."""
    return _run(con, "open_episodes", period, by, scope)


def re_entry_12m_rate(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Share of episodes started that re-enter within 12 months of a closure."""
    return _run(con, "re_entry_12m_rate", period, by, scope)


def step_down_rate(con, period: Period, by: Breakdown = "none", scope: Scope = ALL) -> pd.DataFrame:
    """Share of episodes started that were step-downs from social care."""
    return _run(con, "step_down_rate", period, by, scope)


def step_up_rate(con, period: Period, by: Breakdown = "none", scope: Scope = ALL) -> pd.DataFrame:
    """Share of episodes closed that were step-ups to social care."""
    return _run(con, "step_up_rate", period, by, scope)


def outcomes_achieved_rate(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Share of episodes closed with outcomes achieved."""
    return _run(con, "outcomes_achieved_rate", period, by, scope)


def median_episode_days(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Median length in days of episodes closed in the period."""
    return _run(con, "median_episode_days", period, by, scope)


def need_prevalence(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Share of assessments listing each need (metric 'need_prevalence:<need>')."""
    return _run(con, "need_prevalence", period, by, scope)


def survey_agree_rate(
    con, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """Share of survey responses scoring 4 or 5."""
    return _run(con, "survey_agree_rate", period, by, scope)


FUNCTIONS: dict[str, Callable[..., pd.DataFrame]] = {m.id: globals()[m.id] for m in METRICS}


def compute(
    con, metric_id: str, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> pd.DataFrame:
    """One metric by id."""
    try:
        function = FUNCTIONS[metric_id]
    except KeyError:
        raise ValueError(f"unknown metric {metric_id!r}") from None
    return function(con, period, by, scope)


def compute_all(con, period: Period, by: Breakdown = "none", scope: Scope = ALL) -> pd.DataFrame:
    """Every metric in registry order, stacked in the tidy shape."""
    return pd.concat([compute(con, m.id, period, by, scope) for m in METRICS], ignore_index=True)


def rows(
    con, result_metric: str, period: Period, by: Breakdown = "none", scope: Scope = ALL
) -> list[dict]:
    """The rows of one result metric (a metric id, or 'need_prevalence:<need>') as dicts of the
    result columns: the query `compute` runs, read without a DataFrame (the scorecard reads
    over a hundred small results)."""
    _check_breakdown(by)
    found = store.records(con, metric_of(result_metric).id, **_params(period, by, scope))
    return [row for row in found if row["metric"] == result_metric]


def reading(con, result_metric: str, period: Period, scope: Scope = ALL) -> dict | None:
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
        if value is not None and metric_of(row.metric).kind == "count":
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
