"""Equality and whole-family analysis: who is reached and who is not (domain.md "More
breakdowns", "Family-level metrics", "Disparity"). Plain functions over a store connection,
built on the metrics engine; the "Equality and families" page only lays them out."""

from __future__ import annotations

import duckdb
import pandas as pd

from ehts_data import explore, formatting, metrics, stats
from ehts_data.metrics import ALL, EQUALITY_BREAKDOWNS, Scope
from ehts_data.periods import Period, quarters_between

# The measures the page compares across groups (shares and rates: each has an interval).
MEASURES: tuple[str, ...] = (
    "requests_per_10k",
    "re_referral_12m_rate",
    "re_entry_12m_rate",
    "step_up_rate",
    "step_down_rate",
    "outcomes_achieved_rate",
    # Shares of families: a family has a deprivation decile but no one sex, ethnic group,
    # SEND or age, so these have a disparity by decile only.
    "family_re_entry_12m_rate",
    "families_multiple_needs_rate",
)
BREAKDOWN_TITLES = {
    "sex": "Sex",
    "ethnic_group": "Ethnic group",
    "send": "SEND",
    "age_band": "Age band",
    "imd_decile": "Deprivation decile (1 = most deprived)",
}
FAMILY_MEASURES: tuple[str, ...] = (
    "families_with_requests",
    "families_supported",
    "family_re_entry_12m_rate",
    "families_multiple_needs_rate",
)
PROFILE_COLUMNS = [
    "breakdown",
    "group",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "ratio",
    "ratio_lower",
    "ratio_upper",
    "differs",
]


def group_label(by: str, group: str, names: dict | None = None) -> str:
    """How a group is shown: a name where one is known, 'Decile 3' for a deprivation decile
    (never a bare number that reads as a count), else the code as words."""
    if names and group in names:
        return names[group]
    if by == "imd_decile" and group != "unknown":
        return f"Decile {group}" + (" (most deprived)" if group == "1" else "")
    return formatting.label(group)


def profile(
    con: duckdb.DuckDBPyConnection,
    metric_id: str,
    period: Period,
    scope: Scope = ALL,
    threshold: int | None = None,
) -> pd.DataFrame:
    """The measure by every equality breakdown: one row per breakdown and group with its value,
    95% interval and disparity ratio against the rest (with its interval and whether it differs).
    With a threshold K, ratios resting on a count from 1 to K-1 are withheld. Breakdowns the
    measure has no rows for (a family's sex) are left out."""
    metric = metrics.REGISTRY[metric_id]
    kind = metric.kind
    frames = []
    for by in (b for b in EQUALITY_BREAKDOWNS if b in metric.breakdowns):
        result = metrics.compute(con, metric_id, period, by, scope)
        rows = [
            {
                "group": r.group,
                "numerator": None if pd.isna(r.numerator) else int(r.numerator),
                "denominator": None if pd.isna(r.denominator) else int(r.denominator),
            }
            for r in result.itertuples()
        ]
        ratios = {d["group"]: d for d in stats.disparity(rows, kind, threshold=threshold)}
        for row, r in zip(rows, result.itertuples(), strict=True):
            interval = stats.interval(kind, row["numerator"], row["denominator"])
            ratio = ratios.get(row["group"], {})
            frames.append(
                {
                    "breakdown": by,
                    **row,
                    "value": None if pd.isna(r.value) else float(r.value),
                    "lower": interval[0] if interval else None,
                    "upper": interval[1] if interval else None,
                    "ratio": ratio.get("ratio"),
                    "ratio_lower": ratio.get("lower"),
                    "ratio_upper": ratio.get("upper"),
                    "differs": ratio.get("differs"),
                }
            )
    return pd.DataFrame(frames, columns=PROFILE_COLUMNS)


def summary(frame: pd.DataFrame, metric_id: str) -> list[str]:
    """Plain-words sentences for the groups whose disparity interval excludes 1."""
    metric = metrics.REGISTRY[metric_id]
    sentences = []
    frame = frame.assign(
        group=[group_label(b, g) for b, g in zip(frame["breakdown"], frame["group"], strict=True)]
    )
    for row in frame[frame["differs"].notna()].itertuples():
        title = BREAKDOWN_TITLES[row.breakdown].split(" (")[0].lower()
        # A decile's label names its breakdown already ("Decile 1 (most deprived)").
        group = row.group if row.breakdown == "imd_decile" else f"{row.group} ({title})"
        sentences.append(
            f"{group}: {row.ratio:.2f} times the rest (95% interval "
            f"{row.ratio_lower:.2f} to {row.ratio_upper:.2f}), significantly {row.differs}."
        )
    return sentences or [
        f"No group differs significantly from the rest in {metric.title.lower()} (every "
        "disparity interval includes 1)."
    ]


def representation(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Each group's share of requests beside its share of the 0-19 population, by sex, ethnic
    group and age band, where the population is supplied (breakdown, group, requests,
    population, request_share, population_share)."""
    frames = []
    for by in ("sex", "ethnic_group", "age_band"):
        rates = metrics.compute(con, "requests_per_10k", period, by, scope)
        known = rates[rates["group"] != "unknown"]
        with_population = known[known["denominator"].notna()]
        if with_population.empty:
            continue
        requests = known["numerator"].astype("Int64").sum()
        population = with_population["denominator"].astype("Int64").sum()
        frames.append(
            pd.DataFrame(
                {
                    "breakdown": by,
                    "group": with_population["group"],
                    "requests": with_population["numerator"].astype("Int64"),
                    "population": with_population["denominator"].astype("Int64"),
                    "request_share": with_population["numerator"] / requests if requests else None,
                    "population_share": with_population["denominator"] / population,
                }
            )
        )
    columns = ["breakdown", "group", "requests", "population", "request_share", "population_share"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def family_view(
    con: duckdb.DuckDBPyConnection, period: Period, by: str, scope: Scope = ALL
) -> pd.DataFrame:
    """The family measures side by side for one breakdown (none, locality, catchment, area,
    imd_decile): one row per group, a column per measure, and children per family supported."""
    merged = None
    for metric_id in (*FAMILY_MEASURES, "children_supported"):
        result = metrics.compute(con, metric_id, period, by, scope)
        part = result[["group", "value"]].rename(columns={"value": metric_id})
        merged = part if merged is None else merged.merge(part, on="group", how="outer")
    merged["children_per_family"] = merged["children_supported"] / merged[
        "families_supported"
    ].where(merged["families_supported"] > 0)
    return merged


def family_trend(
    con: duckdb.DuckDBPyConnection, first: Period, last: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """The family measures for every quarter from `first` to `last` (metric, quarter, value)."""
    quarters = quarters_between(first.start, last.end)
    found = {
        metric_id: metrics.compute_periods(con, metric_id, quarters, "none", scope)
        for metric_id in FAMILY_MEASURES
    }
    frames = [
        found[metric_id][i].assign(quarter=quarter.label, quarter_start=quarter.start)
        for i, quarter in enumerate(quarters)
        for metric_id in FAMILY_MEASURES
    ]
    return pd.concat(frames, ignore_index=True)


def family_view_per_group(
    con: duckdb.DuckDBPyConnection, period: Period, by: str, scope: Scope = ALL
) -> pd.DataFrame:
    """The average group's families with a request and families supported over the known
    groups of a breakdown (one row): the reference for one locality, catchment or decile."""
    view = family_view(con, period, by, scope)
    known = view[view["group"] != "unknown"]
    counts = ["families_with_requests", "families_supported"]
    return known[counts].mean().to_frame().T.assign(groups=len(known))


def family_trend_per_place(
    con: duckdb.DuckDBPyConnection, first: Period, last: Period, scope: Scope, per: str
) -> pd.DataFrame:
    """family_trend's counts (families with a request, families supported) divided by the
    number of localities or small areas in the scope ('locality' | 'area'): the average
    place's quarter, a reference for one place."""
    places = explore.places_in(con, scope, per)
    trend = family_trend(con, first, last, scope)
    trend = trend[trend["metric"].isin(["families_with_requests", "families_supported"])]
    per_place = trend["numerator"] / places
    return trend.assign(numerator=per_place, value=per_place).reset_index(drop=True)
