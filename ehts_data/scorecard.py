"""The board scorecard: the KPI registry (scorecard.toml) and each KPI's value, target, RAG,
change, trend, benchmarks, locality matrix, funnel plot and SPC series for a period.

Values come from the metrics engine (or indicators.csv), never from separate arithmetic, so the
scorecard always agrees with the rest of the dashboard.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ehts_data import (
    access,
    benchmarks,
    contract,
    formatting,
    kinds,
    metrics,
    periods,
    state,
    stats,
    store,
)
from ehts_data.benchmarks import Benchmark
from ehts_data.metrics import ALL, Scope
from ehts_data.periods import Period

RAG = Literal["green", "amber", "red"]
SPARK_QUARTERS = 8
SPC_MONTHS = 24
COMMENT_MAX = 2000


class RegistryError(ValueError):
    """scorecard.toml cannot be used; the message names the KPI and the field."""

    def shown_as(self, path: Path) -> str:
        """The message with the file named without its folder (the dashboard shows no server
        paths)."""
        return str(self).replace(str(path), path.name)


# --- The registry ------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManualBenchmark(_Strict):
    label: str = Field(min_length=1)
    value: float
    source: str = Field(min_length=1)
    year: str = Field(min_length=1)


class Kpi(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    metric: str | None = None
    indicator: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    unit: contract.Unit = "percent"
    polarity: stats.Polarity = None
    targets: dict[str, float] = {}
    tolerance: float = Field(default=0.0, ge=0)
    owner: str = ""
    description: str = Field(min_length=1)
    dfe: Literal["rereferral", "referrals_per_10k"] | None = None
    benchmarks: list[ManualBenchmark] = []

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        if value is None:
            return value
        base, _, need = value.partition(":")
        if base not in metrics.REGISTRY:
            raise ValueError(f"unknown metric {value!r}: use an id from docs/metrics.md")
        if base == "need_prevalence" and need not in contract.NEED_CODES:
            raise ValueError(
                "need_prevalence needs a need code, e.g. need_prevalence:domestic_abuse"
            )
        return value

    @field_validator("targets")
    @classmethod
    def _financial_years(cls, value: dict[str, float]) -> dict[str, float]:
        for label in value:
            try:
                ok = periods.parse(label).kind == "year"
            except periods.PeriodError:
                ok = False
            if not ok:
                raise ValueError(f"{label!r} is not a financial year like 2025-26")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Kpi:
        if (self.metric is None) == (self.indicator is None):
            raise ValueError("give exactly one of metric or indicator")
        if self.targets and self.polarity is None:
            raise ValueError("a KPI with targets needs a polarity ('higher' or 'lower')")
        if kinds.of(self.kind).scale != 1:  # a share: a fraction shown as a percentage
            wrong = [f"{k} = {v:g}" for k, v in self.targets.items() if not 0 <= v <= 1]
            if wrong:
                raise ValueError(
                    f"targets {', '.join(wrong)}: this KPI is a share, written as a fraction "
                    "(0.22 for 22%)"
                )
        return self

    @property
    def kind(self) -> str:
        """How values are shown (a kinds.KINDS name): the metric's kind, or the kind the
        indicator's unit is shown as."""
        if self.metric:
            return metrics.metric_of(self.metric).kind
        return kinds.of_unit(self.unit).name

    @property
    def has_interval(self) -> bool:
        return kinds.of(self.kind).interval is not None

    def target(self, period: Period) -> float | None:
        """The target for the financial year holding the period's end. A count's target is
        for a whole year, so a quarter or custom period has none."""
        if kinds.of(self.kind).yearly_target and period.kind != "year":
            return None
        return self.targets.get(periods.fy_label(periods.fy_start_year(period.end)))


class Council(_Strict):
    name: str = Field(min_length=1)
    old_la_code: str | None = Field(default=None, pattern=r"^\d{3}$")
    # Who readers of a published workbook or board pack ask (the cover sheet says it).
    contact: str = (
        "The council's early help performance team (set council.contact in scorecard.toml)"
    )
    # The Government Security Classification line printed on every board pack page.
    protective_marking: str = "OFFICIAL"


class Registry(_Strict):
    council: Council
    kpi: list[Kpi] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Registry:
        seen = set()
        for k in self.kpi:
            if k.id in seen:
                raise ValueError(f"KPI id {k.id!r} is used twice")
            seen.add(k.id)
        if self.council.old_la_code and any(k.dfe for k in self.kpi):
            benchmarks.council(self.council.old_la_code)  # an unknown code fails here
        return self

    def get(self, kpi_id: str) -> Kpi:
        for k in self.kpi:
            if k.id == kpi_id:
                return k
        raise KeyError(f"no KPI {kpi_id!r} in the scorecard")


def default_path() -> Path:
    """scorecard.toml inside the package when installed, beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "scorecard.toml", here.parent / "scorecard.toml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("scorecard.toml not found beside or inside the ehts_data package")


def registry_path(override: str | os.PathLike | None = None) -> Path:
    """An explicit path, else $EHTS_SCORECARD, else the shipped scorecard.toml."""
    if override:
        return Path(override)
    env = os.environ.get("EHTS_SCORECARD")
    return Path(env) if env else default_path()


def _where(raw: dict, loc: tuple) -> str:
    """'KPI 're_referral', field 'targets.2025-26'' from a pydantic error location."""
    if loc[:1] == ("kpi",) and len(loc) > 1 and isinstance(loc[1], int):
        kpis = raw.get("kpi", [])
        name = kpis[loc[1]].get("id") if loc[1] < len(kpis) else None
        who = f"KPI {name!r}" if name else f"KPI number {loc[1] + 1}"
        rest = ".".join(str(p) for p in loc[2:])
        return f"{who}, field {rest!r}" if rest else who
    return "field " + repr(".".join(str(p) for p in loc)) if loc else "the file"


REGISTRY_MAX_BYTES = 1024 * 1024  # a KPI registry is a few KB; /dev/zero must not be read whole


def _read_registry(target: Path) -> str:
    try:
        with target.open("rb") as handle:
            data = handle.read(REGISTRY_MAX_BYTES + 1)
    except FileNotFoundError:
        raise RegistryError(f"{target}: no such scorecard file") from None
    except IsADirectoryError:
        raise RegistryError(f"{target}: is a folder, not a scorecard file") from None
    except OSError as exc:
        raise RegistryError(f"{target}: cannot be read ({exc.strerror})") from None
    if len(data) > REGISTRY_MAX_BYTES:
        raise RegistryError(
            f"{target}: larger than {REGISTRY_MAX_BYTES // 1024:,} KB; not a scorecard file"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RegistryError(f"{target}: not a text file (not UTF-8)") from None


def load(path: str | os.PathLike | None = None) -> Registry:
    """Read and check the KPI registry; RegistryError lists every problem with its place."""
    target = registry_path(path)
    try:
        raw = tomllib.loads(_read_registry(target))
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{target}: not valid TOML: {exc}") from None
    try:
        return Registry.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{target}: {_where(raw, tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise RegistryError("\n".join(lines)) from None
    except benchmarks.BenchmarkError as exc:
        raise RegistryError(f"{target}: field 'council.old_la_code': {exc}") from None


# --- RAG and change ----------------------------------------------------------------------------


def rag(
    value: float | None, target: float | None, tolerance: float, polarity: stats.Polarity
) -> RAG | None:
    """Green on or beyond the target; amber short of it by no more than the tolerance; red
    beyond that. None without a value, a target or a polarity."""
    if value is None or target is None or polarity is None:
        return None
    shortfall = target - value if polarity == "higher" else value - target
    if shortfall <= 0:
        return "green"
    # Rounding noise must not push a value exactly on the boundary into red.
    return "amber" if shortfall <= tolerance + 1e-9 else "red"


def direction(change: float | None, polarity: stats.Polarity) -> str | None:
    """'better'/'worse'/'no change' by polarity, or 'up'/'down' where polarity is not set."""
    if change is None:
        return None
    if change == 0:
        return "no change"
    if polarity is None:
        return "up" if change > 0 else "down"
    return "better" if (change > 0) == (polarity == "higher") else "worse"


# --- Evaluating KPIs ---------------------------------------------------------------------------


@dataclass
class Reading:
    """One KPI value with what it was computed from."""

    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    period: str = ""  # the period the value covers (indicators may lag the requested one)
    source: str = ""


@dataclass
class KpiResult:
    kpi: Kpi
    period: str
    current: Reading
    previous: Reading
    target: float | None
    rag: RAG | None
    change: float | None
    direction: str | None
    ci95: tuple[float, float] | None
    ci998: tuple[float, float] | None
    benchmarks: list[Benchmark] = field(default_factory=list)
    versus_authority: stats.Comparison | None = None
    # The whole authority's value for the period (the current value when nothing is chosen).
    authority: float | None = None
    trend: list[tuple[str, float | None]] = field(default_factory=list)
    # What each trend value rests on (metric KPIs), so a published sparkline can leave out
    # the quarters resting on small numbers.
    trend_readings: list[Reading] = field(default_factory=list)
    # The same period a year before (seasonality), for a quarter or custom period; None for
    # a year, whose period before is already the year before.
    year_before: Reading | None = None
    # The board's targets from the period's financial year on: (year, target), in order.
    trajectory: list[tuple[str, float]] = field(default_factory=list)

    @property
    def value(self) -> float | None:
        return self.current.value

    @property
    def empty(self) -> bool:
        """True when the period has nothing to count: no requests, episodes or answers."""
        if self.kpi.metric is None:
            return self.value is None
        if kinds.of(self.kpi.kind).counted_by != "denominator":  # a count, a rate
            return self.current.numerator in (None, 0) and not self.value
        return self.current.denominator in (None, 0)

    def to_record(self) -> dict:
        """The JSON row of `ehts scorecard --format json`."""
        value = self.value
        if value is not None and kinds.of(self.kpi.kind).whole:
            value = int(value)
        return {
            "kpi": self.kpi.id,
            "title": self.kpi.title,
            "period": self.current.period or self.period,
            "value": value,
            "numerator": self.current.numerator,
            "denominator": self.current.denominator,
            "ci95": list(self.ci95) if self.ci95 else None,
            "target": self.target,
            "rag": self.rag,
            "previous_value": self.previous.value,
            "previous_period": self.previous.period or None,
            "change": self.change,
            "direction": self.direction,
            "polarity": self.kpi.polarity,
            "unit": self.kpi.kind,
            "benchmarks": [b.to_dict() for b in self.benchmarks],
            "versus_authority": self.versus_authority.label if self.versus_authority else None,
        }


def _clean(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


@dataclass(frozen=True)
class Coverage:
    """The days the store's data covers (from the latest ingest)."""

    first: date | None
    last: date | None

    def allows(self, kpi: Kpi, period: Period) -> bool:
        """True when the data covers the period, with the look-back a 12-month rule needs."""
        if self.first is None or self.last is None or kpi.metric is None:
            return True
        return self.has_history(kpi, period) and period.end <= self.last

    def has_history(self, kpi: Kpi, period: Period) -> bool:
        """False when a 12-month rule has too little data before the period."""
        return kpi.metric is None or not metrics.lacks_history(kpi.metric, period, self.first)


def coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    latest = store.latest_ingest(con)
    if not latest:
        return Coverage(None, None)
    first, last = latest.get("date_from"), latest.get("date_to")
    return Coverage(
        None if first is None or pd.isna(first) else pd.Timestamp(first).date(),
        None if last is None or pd.isna(last) else pd.Timestamp(last).date(),
    )


def _metric_reading(
    con: duckdb.DuckDBPyConnection, kpi: Kpi, period: Period, scope: Scope
) -> Reading:
    return _as_reading(metrics.reading(con, kpi.metric, period, scope), period)


def _metric_readings(
    con: duckdb.DuckDBPyConnection, kpi: Kpi, asked: list[tuple[Period, Scope]]
) -> list[Reading]:
    found = metrics.readings(con, kpi.metric, asked)
    return [_as_reading(r, p) for r, (p, _) in zip(found, asked, strict=True)]


def _as_reading(r: dict | None, period: Period) -> Reading:
    if r is None:
        return Reading(None, period=period.label)
    return Reading(_clean(r["value"]), _int(r["numerator"]), _int(r["denominator"]), period.label)


def _indicator_rows(con: duckdb.DuckDBPyConnection, kpi: Kpi, scope: Scope) -> pd.DataFrame:
    if scope.hub is not None:
        return pd.DataFrame(columns=["period", "value", "unit", "source", "end"])
    rows = store.run(con, "indicator_values", indicator=kpi.indicator, area=scope.locality or "all")
    rows["end"] = [periods.parse(p).end for p in rows["period"]]
    return rows.sort_values("end", kind="stable").reset_index(drop=True)


def _indicator_readings(rows: pd.DataFrame, period: Period) -> tuple[Reading, Reading, int | None]:
    """The value for the period (or the latest published before its end), the one before it,
    and its row position."""
    exact = rows.index[rows["period"] == period.label]
    if len(exact):
        at = int(exact[0])
    else:
        earlier = rows.index[rows["end"] <= period.end]
        if not len(earlier):
            return Reading(None), Reading(None), None
        at = int(earlier[-1])

    def reading(i: int) -> Reading:
        r = rows.iloc[i]
        return Reading(_clean(r["value"]), period=r["period"], source=r["source"])

    same_kind = [
        i for i in range(at) if ("-Q" in rows.at[i, "period"]) == ("-Q" in rows.at[at, "period"])
    ]
    return reading(at), reading(same_kind[-1]) if same_kind else Reading(None), at


def _benchmarks(kpi: Kpi, card: Registry, period: Period) -> list[Benchmark]:
    out = [Benchmark(b.label, b.value, b.source, b.year) for b in kpi.benchmarks]
    code = card.council.old_la_code
    if kpi.dfe and code:
        fy_end = periods.fy_start_year(period.end) + 1
        fetch = benchmarks.rereferral if kpi.dfe == "rereferral" else benchmarks.referrals_per_10k
        out += fetch(code, fy_end)
    return [pro_rata(b, kpi.kind, period) for b in out]


def pro_rata(benchmark: Benchmark, kind: str, period: Period) -> Benchmark:
    """A published annual rate per 10,000 set against a shorter period: scaled to the period's
    days (docs/metrics.md "Benchmarks"), so a quarter is not compared with a whole year.
    Shares and periods of a year or more are compared as published."""
    year_days = (
        periods.financial_year(periods.fy_start_year(period.start)).end
        - periods.financial_year(periods.fy_start_year(period.start)).start
    ).days + 1
    days = (period.end - period.start).days + 1
    if not kinds.of(kind).pro_rata_benchmark or days >= year_days or benchmark.value is None:
        return benchmark
    return dataclasses.replace(
        benchmark,
        label=(
            benchmark.label[:-1] + ", pro rata)"
            if benchmark.label.endswith(")")
            else f"{benchmark.label} (pro rata)"
        ),
        value=benchmark.value * days / year_days,
        note=(benchmark.note + " " if benchmark.note else "")
        + f"annual rate pro rata to this period ({days} of {year_days} days)",
    )


def _intervals(kpi: Kpi, reading: Reading):
    if not kpi.has_interval:
        return None, None
    return (
        stats.interval(kpi.kind, reading.numerator, reading.denominator, stats.Z95),
        stats.interval(kpi.kind, reading.numerator, reading.denominator, stats.Z998),
    )


def last_quarters(period: Period, count: int = SPARK_QUARTERS) -> list[Period]:
    """The `count` financial quarters ending with the one that holds the period's end."""
    return periods.last_quarters(period.end, count)


def evaluate_kpi(
    con: duckdb.DuckDBPyConnection,
    kpi: Kpi,
    card: Registry,
    period: Period,
    scope: Scope = ALL,
    *,
    trend: bool = True,
    cover: Coverage | None = None,
) -> KpiResult:
    """One KPI for the period (and scope): value, interval, target, RAG, change, benchmarks,
    the comparison with the authority when scoped, and the last eight quarters."""
    cover = cover or coverage(con)
    series: list[tuple[str, float | None]] = []
    readings: list[Reading] = []
    year_before = None
    authority: float | None = None
    if kpi.metric:
        before = period.previous()
        earlier = period.a_year_before() if period.kind != "year" else None
        quarters = last_quarters(period) if trend else []
        # Every period this KPI shows, read together: the period, the one before, the same
        # period a year before, the sparkline's quarters (none the data cannot cover) and,
        # for a locality (or other scope), the whole authority's value for the period.
        wanted = [
            (period, scope, cover.has_history(kpi, period)),
            (before, scope, cover.allows(kpi, before)),
            *([(earlier, scope, cover.allows(kpi, earlier))] if earlier else []),
            *((q, scope, cover.allows(kpi, q)) for q in quarters),
            *([(period, ALL, cover.has_history(kpi, period))] if scope != ALL else []),
        ]
        read = iter(_metric_readings(con, kpi, [(p, s) for p, s, ok in wanted if ok]))
        found = [next(read) if ok else None for _, _, ok in wanted]
        if scope != ALL:
            whole = found.pop()
            authority = None if whole is None else whole.value
        current = found[0] or Reading(None, period=period.label)
        previous = found[1] or Reading(None, period=before.label)
        target = kpi.target(period)
        if earlier:
            year_before = found[2] or Reading(None, period=earlier.label)
        for q, reading in zip(quarters, found[len(found) - len(quarters) :], strict=True):
            readings.append(reading or Reading(None))
            series.append((q.label, readings[-1].value))
    else:
        rows = _indicator_rows(con, kpi, scope)
        current, previous, at = _indicator_readings(rows, period)
        target = kpi.target(periods.parse(current.period)) if current.period else None
        if trend and at is not None:
            series = [
                (rows.at[i, "period"], _clean(rows.at[i, "value"]))
                for i in range(max(0, at - SPARK_QUARTERS + 1), at + 1)
            ]
    ci95, ci998 = _intervals(kpi, current)
    change = (
        None if current.value is None or previous.value is None else current.value - previous.value
    )
    # A change too small to show is no change, in words and arrows alike.
    shown = None if change is None or formatting.rounds_to_zero(kpi.kind, change) else change
    if scope == ALL:
        authority = current.value
    elif not kpi.metric:
        authority = _indicator_readings(_indicator_rows(con, kpi, ALL), period)[0].value
    versus = (
        None
        if scope == ALL or current.value is None
        else stats.compare(current.value, ci95, ci998, authority, kpi.polarity)
    )
    return KpiResult(
        kpi=kpi,
        period=period.label,
        current=current,
        previous=previous,
        target=target,
        rag=rag(current.value, target, kpi.tolerance, kpi.polarity),
        change=change,
        direction=direction(0.0 if change is not None and shown is None else change, kpi.polarity),
        ci95=ci95,
        ci998=ci998,
        benchmarks=_benchmarks(kpi, card, period),
        versus_authority=versus,
        authority=authority,
        trend=series,
        trend_readings=readings,
        year_before=year_before,
        # From the year of the target in use: an indicator's latest published period.
        trajectory=_trajectory(kpi, period if kpi.metric else periods.parse(current.period))
        if target is not None
        else [],
    )


def _trajectory(kpi: Kpi, period: Period) -> list[tuple[str, float]]:
    year = periods.fy_label(periods.fy_start_year(period.end))
    return sorted((y, t) for y, t in kpi.targets.items() if y >= year)


def polarities(card: Registry) -> dict[str, stats.Polarity]:
    """Which way is better for each metric the board has a KPI on (the board's judgement,
    which the Overview follows too)."""
    return {kpi.metric: kpi.polarity for kpi in card.kpi if kpi.metric}


def evaluate(
    con: duckdb.DuckDBPyConnection,
    card: Registry,
    period: Period,
    scope: Scope = ALL,
    *,
    trend: bool = True,
) -> list[KpiResult]:
    """Every KPI of the registry, in registry order."""
    cover = coverage(con)
    return store.two_at_a_time(
        con,
        card.kpi,
        lambda cursor, kpi: evaluate_kpi(
            cursor, kpi, card, period, scope, trend=trend, cover=cover
        ),
    )


def records(results: list[KpiResult]) -> list[dict]:
    return [r.to_record() for r in results]


# --- Localities ------------------------------------------------------------------------------


MATRIX_COLUMNS = [
    "kpi",
    "title",
    "locality_id",
    "value",
    "numerator",
    "denominator",
    "rag",
    "versus",
    "level",
]


def locality_matrix(
    con: duckdb.DuckDBPyConnection,
    card: Registry,
    period: Period,
    authority: dict[str, float | None] | None = None,
) -> pd.DataFrame:
    """Every KPI by locality: value, RAG against the KPI's target, and the comparison with
    the authority's own value at 95% and 99.8% (one row per KPI and locality). `authority`:
    the whole authority's value of each KPI id when already read (`authority_values` of the
    scorecard's results), so it is not read again."""
    localities = store.run(con, "reference_localities")["locality_id"].tolist()
    known = authority or {}
    by_kpi = store.two_at_a_time(
        con, card.kpi, lambda cursor, kpi: _matrix_rows(cursor, kpi, period, localities, known)
    )
    rows = [row for kpi_rows in by_kpi for row in kpi_rows]
    out = pd.DataFrame(rows, columns=MATRIX_COLUMNS)
    out["numerator"] = out["numerator"].astype("Int64")
    out["denominator"] = out["denominator"].astype("Int64")
    return out


def authority_values(results: list[KpiResult]) -> dict[str, float | None]:
    """Each KPI's whole-authority value for `locality_matrix`, from results for any scope:
    the same for a locality's scorecard as for the authority's, so the matrix's cached
    result serves both."""
    return {r.kpi.id: r.authority for r in results}


def _matrix_rows(
    con: duckdb.DuckDBPyConnection,
    kpi: Kpi,
    period: Period,
    localities: list[str],
    known: dict[str, float | None],
) -> list[tuple]:
    if kpi.metric:
        # One pass over the rows, not a lookup per cell: a national store has hundreds of
        # localities.
        found = {
            row["group"]: Reading(
                _clean(row["value"]), _int(row["numerator"]), _int(row["denominator"])
            )
            for row in metrics.rows(con, kpi.metric, period, "locality")
        }
        authority = (
            known[kpi.id] if kpi.id in known else _metric_reading(con, kpi, period, ALL).value
        )
        target = kpi.target(period)
        cells = {loc: found.get(loc, Reading(None)) for loc in localities}
    else:
        current, _, _ = _indicator_readings(_indicator_rows(con, kpi, ALL), period)
        authority = current.value
        target = kpi.target(periods.parse(current.period)) if current.period else None
        values = (
            store.run(con, "indicator_areas", indicator=kpi.indicator, period=current.period)
            if current.period
            else pd.DataFrame(columns=["area", "value"])
        )
        found = dict(zip(values["area"], values["value"], strict=True))
        cells = {loc: Reading(_clean(found.get(loc))) for loc in localities}
    rows = []
    for loc, reading in cells.items():
        ci95, ci998 = _intervals(kpi, reading)
        versus = stats.compare(reading.value, ci95, ci998, authority, kpi.polarity)
        rows.append(
            (
                kpi.id,
                kpi.title,
                loc,
                reading.value,
                reading.numerator,
                reading.denominator,
                rag(reading.value, target, kpi.tolerance, kpi.polarity),
                versus.word,
                versus.level,
            )
        )
    return rows


# --- Funnel plot -------------------------------------------------------------------------------


def funnel(
    con: duckdb.DuckDBPyConnection, kpi: Kpi, period: Period, by: Literal["locality", "hub"]
) -> dict:
    """Units (localities or hubs) of a rate KPI against the authority's value with 95% and
    99.8% control limits: {'points': DataFrame, 'limits': DataFrame, 'centre': float|None,
    'centre_numerator', 'centre_denominator'}."""
    if not (kpi.metric and kpi.has_interval):
        raise ValueError(f"{kpi.title}: a funnel plot needs a share or a rate per 10,000")
    reading = _metric_reading(con, kpi, period, ALL)
    plot = stats.funnel(
        metrics.compute(con, kpi.metric.split(":")[0], period, by),
        kpi.metric,
        reading.value,
        kpi.kind,
    )
    # What the centre rests on, for publication (board.funnel_centre).
    return plot | {"centre_numerator": reading.numerator, "centre_denominator": reading.denominator}


# --- Statistical process control ---------------------------------------------------------------


def months_before(period: Period, count: int = SPC_MONTHS) -> list[Period]:
    """The `count` calendar months ending with the one that holds the period's end."""
    return periods.last_months(period.end, count)


def monthly(
    con: duckdb.DuckDBPyConnection,
    kpi: Kpi,
    period: Period,
    scope: Scope = ALL,
    months: int = SPC_MONTHS,
) -> pd.DataFrame:
    """A metric KPI by calendar month up to the period's end, only months the data covers
    (with the look-back a 12-month rule needs): month, start, value, numerator, denominator."""
    if not kpi.metric:
        raise ValueError(f"{kpi.title} comes from indicators.csv, which has no monthly values")
    cover = coverage(con)
    covered = [m for m in months_before(period, months) if cover.allows(kpi, m)]
    readings = _metric_readings(con, kpi, [(m, scope) for m in covered])
    rows = [
        (m.label, m.start, r.value, r.numerator, r.denominator)
        for m, r in zip(covered, readings, strict=True)
    ]
    return pd.DataFrame(rows, columns=["month", "start", "value", "numerator", "denominator"])


@dataclass
class SpcResult:
    series: pd.DataFrame  # month, start, value, … plus mean, upper, lower, special, reasons
    chart: stats.XmR | None
    variation: stats.Icon | None
    assurance: stats.Icon | None


def spc(con: duckdb.DuckDBPyConnection, kpi: Kpi, period: Period, scope: Scope = ALL) -> SpcResult:
    """The XmR chart of a KPI by month with the Making Data Count variation and assurance."""
    series = monthly(con, kpi, period, scope)
    series = series[series["value"].notna()].reset_index(drop=True)
    if len(series) < 2:
        return SpcResult(series, None, None, None)
    chart = stats.xmr([float(v) for v in series["value"]])
    reasons = []
    for o, s, t in zip(chart.outside, chart.shift, chart.trend, strict=True):
        words = [w for w, flag in (("outside limits", o), ("shift", s), ("trend", t)) if flag]
        reasons.append(", ".join(words))
    series = series.assign(
        mean=chart.mean,
        upper=chart.upper,
        lower=chart.lower,
        special=chart.special,
        reasons=reasons,
    )
    return SpcResult(
        series,
        chart,
        stats.variation_icon(chart, kpi.polarity),
        stats.assurance_icon(chart, kpi.target(period), kpi.polarity),
    )


# --- Commentary --------------------------------------------------------------------------------


def commentary(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """The newest commentary per KPI for the period, from the state database of the store the
    connection's extract belongs to (empty for an extract outside a store)."""
    folder = store.store_of(con)
    if folder is None:
        return pd.DataFrame(columns=state.COMMENTARY_COLUMNS)
    return state.commentary(state.path_for(folder), period.label)


def add_commentary(
    db: str | os.PathLike | None,
    kpi: str,
    period: Period,
    comment: str,
    author: str,
    *,
    card: Registry | None = None,
    now: datetime | None = None,
    grant: access.Grant | None = None,
) -> int:
    """Store a commentary entry in the state database (every edit is a new entry, kept with
    who and when); returns its id. Never blocked by an ingest or another dashboard. With a
    signed-in person's `grant`, access.Refused unless they may comment on the KPI (a board
    member: only on the KPIs of the owners they speak for)."""
    if grant is not None:
        owned = (card or load()).get(kpi)
        grant.check_commentary(owned.id, owned.owner)
    comment, author = comment.strip(), author.strip()
    if not comment:
        raise ValueError("the commentary is empty")
    if len(comment) > COMMENT_MAX:
        raise ValueError(
            f"the commentary is {len(comment):,} characters; the limit is {COMMENT_MAX:,}"
        )
    if not author:
        raise ValueError("say who wrote the commentary")
    if card is not None:
        card.get(kpi)
    if store.current_version(db) is None:
        raise RuntimeError("there is no store to keep commentary in yet: load data first")
    try:
        return state.add_commentary(
            state.path_for(db),
            kpi,
            period.label,
            comment,
            author,
            now or datetime.now().replace(microsecond=0),
        )
    except (sqlite3.Error, OSError) as exc:
        raise RuntimeError(f"the commentary could not be saved ({exc})") from None


# --- The national needs profile ----------------------------------------------------------------


def needs_beside_dfe(
    con: duckdb.DuckDBPyConnection, card: Registry, period: Period, scope: Scope = ALL
) -> pd.DataFrame:
    """Local early help need prevalence beside the matching DfE social care assessment factor
    (England, region, council): need, factor_label, place, share, year, and the local
    share's numerator and denominator (assessments; none for DfE's). Local shares are of
    early help assessments; DfE's are of social care assessments with a factor recorded."""
    code = card.council.old_la_code
    columns = ["need", "factor_label", "place", "share", "year", "numerator", "denominator"]
    if not code:
        return pd.DataFrame(columns=columns)
    dfe = benchmarks.needs_profile(code, periods.fy_start_year(period.end) + 1)
    if dfe.empty:
        return pd.DataFrame(columns=columns)
    local = metrics.compute(con, "need_prevalence", period, "none", scope)
    local = local.assign(need=local["metric"].str.split(":").str[1])
    local = local.set_index("need")
    pairs = dfe[["need", "factor_label"]].drop_duplicates()
    ours = pairs.assign(
        place="This council (early help)",
        share=[_clean(local["value"].get(n)) for n in pairs["need"]],
        year=period.label,
        numerator=[_clean(local["numerator"].get(n)) for n in pairs["need"]],
        denominator=[_clean(local["denominator"].get(n)) for n in pairs["need"]],
    )
    return pd.concat([ours, dfe.reindex(columns=columns)], ignore_index=True)[columns]
