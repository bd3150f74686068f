"""Statistics for small units: confidence intervals, comparison with a benchmark, funnel plot
limits and statistical process control (XmR with NHS "Making Data Count" rules).

Methods follow the public health profiles (OHID Fingertips technical guidance): Wilson score
intervals for proportions, Byar's method for counts and rates per population, and significance
judged by whether the benchmark lies outside the area's 95% or 99.8% interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ehts_data import kinds

Polarity = Literal["higher", "lower"] | None  # which way is better; None = no judgement

Z95 = 1.959963984540054  # two-sided 95%
Z998 = 3.090232306167813  # two-sided 99.8%
XMR_CONSTANT = 2.66  # 3 / d2 with d2 = 1.128 for moving ranges of two points
RUN_LENGTH = 7  # a shift: seven points in a row on one side of the mean
TREND_LENGTH = 7  # a trend: seven points in a row each higher (or lower) than the last


def wilson(numerator: int, denominator: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for numerator/denominator (None when the denominator is 0)."""
    if not denominator:
        return None
    n, p = denominator, numerator / denominator
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def byar(count: int, z: float = Z95) -> tuple[float, float]:
    """Byar's approximation to the exact Poisson interval for an observed count."""
    lower = 0.0
    if count > 0:
        lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    upper_n = count + 1
    upper = upper_n * (1 - 1 / (9 * upper_n) + z / (3 * math.sqrt(upper_n))) ** 3
    return lower, upper


def rate_interval(
    count: int, population: float, per: float = 10_000, z: float = Z95
) -> tuple[float, float] | None:
    """Byar interval of a rate per `per` of the population (None when the population is 0)."""
    if not population:
        return None
    lower, upper = byar(count, z)
    return lower / population * per, upper / population * per


def interval(kind: str, numerator, denominator, z: float = Z95) -> tuple[float, float] | None:
    """The interval for a metric kind (kinds.Kind.interval): Wilson for shares, Byar for rates
    per 10,000; None for counts and medians (no sampling interval is claimed for them) or
    missing parts."""
    if numerator is None or denominator is None:
        return None
    k = kinds.of(kind)
    if k.interval == "wilson":
        return wilson(int(numerator), int(denominator), z)
    if k.interval == "byar":
        return rate_interval(int(numerator), float(denominator), k.per, z)
    return None


@dataclass(frozen=True)
class Comparison:
    """How a value compares with a benchmark: `word` is better/similar/worse (polarity set)
    or higher/similar/lower (no polarity); `level` is 95 or 99.8 when significant."""

    word: str
    level: float | None = None

    @property
    def label(self) -> str:
        if self.level is None:
            return self.word.capitalize()
        return f"{self.word.capitalize()} ({self.level:g}%)"


NOT_COMPARED = Comparison("not compared")


def compare(
    value: float | None,
    ci95: tuple[float, float] | None,
    ci998: tuple[float, float] | None,
    benchmark: float | None,
    polarity: Polarity,
) -> Comparison:
    """Significance of the difference from the benchmark, as public health profiles judge it:
    significant when the benchmark lies outside the interval (inside it counts as similar)."""
    if value is None or benchmark is None or ci95 is None:
        return NOT_COMPARED
    if ci95[0] <= benchmark <= ci95[1]:
        return Comparison("similar")
    level = 99.8 if ci998 is not None and not (ci998[0] <= benchmark <= ci998[1]) else 95
    higher = value > benchmark
    if polarity is None:
        return Comparison("higher" if higher else "lower", level)
    better = higher == (polarity == "higher")
    return Comparison("better" if better else "worse", level)


def funnel(result, result_metric: str, centre: float | None, kind: str) -> dict:
    """A funnel plot's parts from one metric's result rows by group (a pandas frame of the
    tidy shape): the groups with a denominator and a value, each with its position against
    the 95% and 99.8% limits around `centre` (the authority's value), and the limit lines on
    a grid of sizes: {'points', 'limits', 'centre'}."""
    import pandas as pd  # stats is otherwise free of pandas

    points = result[(result["metric"] == result_metric) & result["denominator"].fillna(0).gt(0)]
    points = points[points["value"].notna()]
    points = points.reset_index(drop=True)
    columns = ["size", "lower95", "upper95", "lower998", "upper998"]
    if centre is None or points.empty:
        return {
            "points": points.assign(position=pd.Series(dtype=str)),
            "limits": pd.DataFrame(columns=columns),
            "centre": centre,
        }
    largest = float(points["denominator"].max())
    smallest = max(1.0, float(points["denominator"].min()) / 2)
    # Limits on a log-spaced grid from half the smallest unit to beyond the largest.
    steps = 120
    sizes = [smallest * (largest * 1.1 / smallest) ** (i / (steps - 1)) for i in range(steps)]
    limits = pd.DataFrame(
        [
            (n, *funnel_limits(kind, centre, n, Z95), *funnel_limits(kind, centre, n, Z998))
            for n in sizes
        ],
        columns=columns,
    )
    positions = []
    for r in points.itertuples():
        lo95, hi95 = funnel_limits(kind, centre, float(r.denominator), Z95)
        lo998, hi998 = funnel_limits(kind, centre, float(r.denominator), Z998)
        if r.value > hi998 or r.value < lo998:
            positions.append("outside 99.8% limits")
        elif r.value > hi95 or r.value < lo95:
            positions.append("outside 95% limits")
        else:
            positions.append("within limits")
    return {"points": points.assign(position=positions), "limits": limits, "centre": centre}


def funnel_limits(kind: str, centre: float, size: float, z: float) -> tuple[float, float]:
    """Control limits of a funnel plot at one unit size (Spiegelhalter 2005, normal
    approximation): shares p0 ± z·√(p0(1−p0)/n), clipped to 0..1; rates per 10,000
    r0 ± z·√(r0·10,000/n), where n is the population, clipped at 0."""
    if size <= 0:
        raise ValueError("a funnel limit needs a positive size")
    k = kinds.of(kind)
    if k.interval == "wilson":  # a proportion: binomial
        spread = z * math.sqrt(centre * (1 - centre) / size)
        return max(0.0, centre - spread), min(1.0, centre + spread)
    if k.interval == "byar":  # a count per population: Poisson
        spread = z * math.sqrt(centre * k.per / size)
        return max(0.0, centre - spread), centre + spread
    raise ValueError(f"no funnel limits for a {kind} measure")


# --- Statistical process control -------------------------------------------------------------


@dataclass(frozen=True)
class XmR:
    """An XmR (individuals) chart: centre line, process limits and special-cause flags."""

    values: list[float]
    mean: float
    mean_moving_range: float
    upper: float
    lower: float
    outside: list[bool]  # beyond a process limit
    shift: list[bool]  # part of a run of RUN_LENGTH on one side of the mean
    trend: list[bool]  # part of a run of TREND_LENGTH rising or falling

    @property
    def special(self) -> list[bool]:
        return [a or b or c for a, b, c in zip(self.outside, self.shift, self.trend, strict=True)]


def _mark_runs(flags: list[int], length: int) -> list[bool]:
    """Mark every member of a run of at least `length` equal non-zero flags."""
    out = [False] * len(flags)
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            if flags[start] != 0 and i - start >= length:
                out[start:i] = [True] * (i - start)
            start = i
    return out


def xmr(values: list[float]) -> XmR:
    """XmR chart of a series (at least two points). Limits: mean ± 2.66 × mean moving range.

    A point exactly on the mean breaks a shift; an unchanged value breaks a trend.
    """
    if len(values) < 2:
        raise ValueError("an XmR chart needs at least two points")
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    mr = sum(ranges) / len(ranges)
    upper, lower = mean + XMR_CONSTANT * mr, mean - XMR_CONSTANT * mr
    outside = [v > upper or v < lower for v in values]
    side = [(v > mean) - (v < mean) for v in values]
    shift = _mark_runs(side, RUN_LENGTH)
    # A trend of 7 points is 6 steps in one direction; mark the points at both ends of them.
    steps = [(b > a) - (b < a) for a, b in zip(values, values[1:], strict=False)]
    step_runs = _mark_runs(steps, TREND_LENGTH - 1)
    trend = [False] * len(values)
    for i, in_run in enumerate(step_runs):
        if in_run:
            trend[i] = trend[i + 1] = True
    return XmR(list(values), mean, mr, upper, lower, outside, shift, trend)


@dataclass(frozen=True)
class Icon:
    """A Making Data Count icon: `code` names it, `letter` is what the circle shows."""

    code: str
    label: str
    letter: str
    tone: Literal["improving", "concerning", "neutral", "none"]


def variation_icon(chart: XmR, polarity: Polarity) -> Icon:
    """The variation icon for the latest point: special cause (improving, concerning or
    neither, high or low) when it is flagged, else common cause."""
    last = len(chart.values) - 1
    if not chart.special[last]:
        return Icon("common_cause", "Common cause variation", "~", "none")
    high = chart.values[last] > chart.mean
    side = "high" if high else "low"
    letter = "H" if high else "L"
    if polarity is None:
        return Icon(f"special_neither_{side}", f"Special cause ({side})", letter, "neutral")
    if high == (polarity == "higher"):
        return Icon(
            f"special_improving_{side}",
            f"Special cause: improving ({side})",
            letter,
            "improving",
        )
    return Icon(
        f"special_concerning_{side}",
        f"Special cause: concerning ({side})",
        letter,
        "concerning",
    )


def assurance_icon(chart: XmR, target: float | None, polarity: Polarity) -> Icon | None:
    """Whether the process will meet the target: consistently pass or fail when the target lies
    outside the process limits, hit and miss when it lies between them (None without a target
    or polarity)."""
    if target is None or polarity is None:
        return None
    if chart.lower <= target <= chart.upper:
        return Icon(
            "hit_and_miss", "Hit and miss: the target lies within the limits", "?", "neutral"
        )
    passes = target < chart.lower if polarity == "higher" else target > chart.upper
    if passes:
        return Icon("consistently_pass", "Consistently passing the target", "P", "improving")
    return Icon("consistently_fail", "Consistently failing the target", "F", "concerning")


# --- Disparity (domain.md "Disparity") ---------------------------------------------------------
DISPARITY_COLUMNS = [
    "group",
    "numerator",
    "denominator",
    "value",
    "rest_numerator",
    "rest_denominator",
    "rest_value",
    "ratio",
    "lower",
    "upper",
    "differs",
]


def disparity(
    rows: list[dict], kind: str, z: float = Z95, threshold: int | None = None
) -> list[dict]:
    """Each group's value against all other known groups together, for a share or a rate per
    10,000 by an equality breakdown: the ratio, its 95% interval (Katz log for shares, Poisson
    log for rates) and `differs` ('higher' or 'lower' when the interval excludes 1, else None).
    `rows` are one metric's result rows (group, numerator, denominator). 'unknown' is left out
    of both sides, and so is a group with no denominator (no population) from the rest. No
    ratio when either side has a zero numerator, or, given a suppression threshold K, when
    either side rests on a count from 1 to K-1."""
    known = [r for r in rows if r["group"] != "unknown" and r.get("denominator")]
    out = []
    for row in rows:
        if row["group"] == "unknown":
            continue
        a, n1 = row["numerator"], row.get("denominator")
        rest = [r for r in known if r["group"] != row["group"]]
        c = sum(int(r["numerator"] or 0) for r in rest)
        n2 = sum(int(r["denominator"]) for r in rest)
        result = {
            "group": row["group"],
            "numerator": a,
            "denominator": n1,
            "value": _ratio_value(kind, a, n1),
            "rest_numerator": c,
            "rest_denominator": n2,
            "rest_value": _ratio_value(kind, c, n2),
            "ratio": None,
            "lower": None,
            "upper": None,
            "differs": None,
        }
        hidden = threshold is not None and any(
            0 < count < threshold for count in (a or 0, n1 or 0, c, n2)
        )
        if a and n1 and c and n2 and not hidden:
            ratio = (a / n1) / (c / n2)
            if kinds.of(kind).interval == "wilson":  # a proportion: Katz log
                spread = math.sqrt(max(1 / a - 1 / n1 + 1 / c - 1 / n2, 0.0))
            else:
                spread = math.sqrt(1 / a + 1 / c)
            lower, upper = ratio * math.exp(-z * spread), ratio * math.exp(z * spread)
            differs = "higher" if lower > 1 else "lower" if upper < 1 else None
            result.update(ratio=ratio, lower=lower, upper=upper, differs=differs)
        out.append(result)
    return out


def _ratio_value(kind: str, numerator, denominator) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator * kinds.of(kind).per
