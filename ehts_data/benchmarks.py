"""Published social care benchmarks (DfE Children in need, ONS populations) for a council, its
region, England and the mean of its ten DfE statistical neighbours.

The files in benchmark_data/ are small and read once with pandas. DfE's symbols (c, x, z, k, u)
mean "no value" and are kept as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "benchmark_data"
REFERRALS_SOURCE = "DfE Children in need, table C1 (social care referrals)"
RATE_SOURCE = (
    "DfE Children in need, table C1 referrals ÷ ONS mid-year estimate of children aged 0-17"
)
FACTORS_SOURCE = "DfE Children in need, table C3 (factors at the end of social care assessment)"
SYMBOLS = {
    "c": "confidential",
    "x": "not available",
    "z": "not applicable",
    "k": "fewer than 0.5",
    "u": "low reliability",
}


class BenchmarkError(ValueError):
    """A council code the benchmark files do not know."""


@dataclass(frozen=True)
class Benchmark:
    """One published comparator: `value` is None when DfE withheld it (`note` says why)."""

    label: str
    value: float | None
    source: str
    year: str  # the financial year the figure covers, e.g. 2024-25
    note: str = ""

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "value": self.value,
            "source": self.source,
            "year": self.year,
            "note": self.note,
        }


@dataclass(frozen=True)
class Council:
    old_la_code: str
    name: str
    region_code: str
    region_name: str
    neighbours: tuple[str, ...]


@cache
def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


def _number(text: str) -> tuple[float | None, str]:
    """A published cell as (value, reason it is missing)."""
    text = text.strip()
    if text in SYMBOLS:
        return None, f"{text}: {SYMBOLS[text]}"
    if not text:
        return None, "not published"
    return float(text), ""


def year_label(time_period: int) -> str:
    """DfE's reporting year (ending 31 March) as a financial year: 2025 → 2024-25."""
    return f"{time_period - 1}-{time_period % 100:02d}"


def council(old_la_code: str) -> Council:
    """The council with this DfE code (three digits, e.g. 879 for Plymouth)."""
    rows = _table("dfe_referrals.csv")
    rows = rows[rows["old_la_code"] == str(old_la_code)]
    if rows.empty:
        raise BenchmarkError(f"no council with DfE code {old_la_code!r} in the benchmark files")
    latest = rows.sort_values("time_period").iloc[-1]
    sn = _table("dfe_statistical_neighbours.csv")
    sn = sn[sn["old_la_code"] == str(old_la_code)]
    neighbours = tuple(sn.iloc[0][[f"SN_{i}" for i in range(1, 11)]]) if not sn.empty else ()
    return Council(
        str(old_la_code),
        latest["la_name"],
        latest["region_code"],
        latest["region_name"],
        neighbours,
    )


def _year(frame: pd.DataFrame, fy_end_year: int | None) -> int | None:
    """The latest reporting year at or before the one ending in fy_end_year."""
    years = frame["time_period"].astype(int)
    if fy_end_year is not None:
        years = years[years <= fy_end_year]
    return int(years.max()) if len(years) else None


def _places(frame: pd.DataFrame, home: Council, year: int) -> dict[str, pd.DataFrame]:
    frame = frame[frame["time_period"] == str(year)]
    return {
        "england": frame[frame["geographic_level"] == "National"],
        "region": frame[
            (frame["geographic_level"] == "Regional") & (frame["region_code"] == home.region_code)
        ],
        "council": frame[frame["old_la_code"] == home.old_la_code],
        "neighbours": frame[frame["old_la_code"].isin(home.neighbours)],
    }


def _series(home: Council, year: int, values: dict[str, list], source: str) -> list[Benchmark]:
    """England, region, neighbour mean and the council itself from per-place value lists."""
    label = year_label(year)
    out = []
    for place, name in (
        ("england", "England"),
        ("region", home.region_name),
    ):
        value, note = values[place][0] if values[place] else (None, "not published")
        out.append(Benchmark(f"{name} (social care)", value, source, label, note))
    present = [v for v, _ in values["neighbours"] if v is not None]
    out.append(
        Benchmark(
            "Statistical neighbours, mean (social care)",
            sum(present) / len(present) if present else None,
            source,
            label,
            f"mean of {len(present)} of {len(home.neighbours)} neighbours with a published value",
        )
    )
    value, note = values["council"][0] if values["council"] else (None, "not published")
    out.append(Benchmark(f"{home.name} (social care)", value, source, label, note))
    return out


def rereferral(old_la_code: str, fy_end_year: int | None = None) -> list[Benchmark]:
    """Social care re-referrals within 12 months, as a share of referrals (0-1)."""
    return list(_rereferral(old_la_code, fy_end_year))


def referrals_per_10k(old_la_code: str, fy_end_year: int | None = None) -> list[Benchmark]:
    """Social care referrals per 10,000 children aged 0-17; the population is ONS's mid-year
    estimate inside the reporting year (mid-2024 for the year ending March 2025)."""
    return list(_referrals_per_10k(old_la_code, fy_end_year))


# The published files do not change while the program runs; the scorecard asks again for
# every KPI and period.
@cache
def _rereferral(old_la_code: str, fy_end_year: int | None) -> tuple[Benchmark, ...]:
    home = council(old_la_code)
    table = _table("dfe_referrals.csv")
    year = _year(table, fy_end_year)
    if year is None:
        return ()
    values = {}
    for place, rows in _places(table, home, year).items():
        values[place] = []
        for cell in rows["rereferral_percent"]:
            value, note = _number(cell)
            values[place].append((None if value is None else value / 100, note))
    return tuple(_series(home, year, values, REFERRALS_SOURCE))


@cache
def _referrals_per_10k(old_la_code: str, fy_end_year: int | None) -> tuple[Benchmark, ...]:
    home = council(old_la_code)
    referrals = _table("dfe_referrals.csv")
    year = _year(referrals, fy_end_year)
    if year is None:
        return ()
    population = _table("ons_children_0_17.csv")
    pop_year = _year(population, year - 1)
    key = ["geographic_level", "region_code", "old_la_code"]
    merged = referrals[referrals["time_period"] == str(year)].merge(
        population[population["time_period"] == str(pop_year)][[*key, "population_estimate"]],
        on=key,
        how="left",
    )
    values = {}
    for place, rows in _places(merged, home, year).items():
        values[place] = []
        for count, pop in zip(rows["referral_count"], rows["population_estimate"], strict=True):
            value, note = _number(count)
            people, pop_note = _number(pop if isinstance(pop, str) else "")
            if value is None or not people:
                values[place].append((None, note or pop_note))
            else:
                values[place].append((value / people * 10_000, ""))
    return tuple(_series(home, year, values, RATE_SOURCE))


def needs_profile(old_la_code: str, fy_end_year: int | None = None) -> pd.DataFrame:
    """Share of social care assessments with each factor (England, region, council), one row
    per factor with the early help need it sits beside."""
    home = council(old_la_code)
    table = _table("dfe_assessment_factors.csv")
    year = _year(table, fy_end_year)
    mapping = _table("need_factor_map.csv")
    rows = []
    if year is None:
        return pd.DataFrame(columns=["need", "factor", "factor_label", "place", "share", "year"])
    places = _places(table, home, year)
    for place, name in (
        ("england", "England"),
        ("region", home.region_name),
        ("council", home.name),
    ):
        if places[place].empty:
            continue
        row = places[place].iloc[0]
        total, _ = _number(row["Episodes_with_assessment_factor"])
        for m in mapping.itertuples(index=False):
            count, _ = _number(row[m.factor])
            share = count / total if count is not None and total else None
            rows.append(
                (m.need, m.factor, m.factor_label, f"{name} (social care)", share, year_label(year))
            )
    return pd.DataFrame(rows, columns=["need", "factor", "factor_label", "place", "share", "year"])
