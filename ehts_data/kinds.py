"""Kinds of value (a count, a share, a rate per 10,000, days, an indicator's percent or score):
the one table saying how each is printed, drawn, tabled, downloaded, given an interval and
suppressed. formatting, charts, ui.layout, stats, disclosure, export, snapshot, the scorecard
and the board read it; indicators.csv's units (`contract.Unit`) map onto it here and nowhere
else.

`Col` is a column as a chart and its table show it: the frame's column, its label (axis
title and table header) and its kind (formats).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ehts_data import contract

# How a kind of column passes disclosure control (disclosure.publish):
# count: a count of people or events, suppressed with the others (primary and secondary);
# denominator: a count that is also a rate's base (withholds its row's rates under 10);
# rate: resting on its row's counts, withheld with them; public: published by others (ONS
# populations, DfE benchmarks) or already withheld; summary: a statistic over every row (a
# mean, limits), withheld in every row when any count of the frame is hidden.
Suppression = Literal["count", "denominator", "rate", "public", "summary"]
# The 95% interval claimed for a value: Wilson for a proportion, Byar (Poisson) for a count
# per population; None where no sampling interval is claimed (counts, medians, indicators).
Interval = Literal["wilson", "byar"] | None
Part = Literal["value", "numerator", "denominator"]


@dataclass(frozen=True)
class Kind:
    """Everything that depends on a kind of value. No field has a default: a new kind states
    every one (tests/test_kinds.py)."""

    name: str
    unit: contract.Unit | None  # the indicators.csv unit shown as this kind (None: none is)
    words: str  # the unit in words, beside a value in a mixed column (downloads, the pack)
    # Text: f"{value * scale:{text_format}}{suffix}"; a tile whose title names the unit
    # uses tile_suffix instead.
    scale: float  # the multiplier shown: a share (0 to 1) is printed as a percentage
    text_format: str
    suffix: str
    tile_suffix: str
    # A change: f"{diff * scale:+,.{change_places}f}{change_suffix}" (and, for a count, the
    # relative change).
    change_places: int  # a change that rounds to zero at these places is "no change"
    change_suffix: str  # " pp" for percentage points
    relative_change: bool  # a count's change also as a share of before: +148 (+2%)
    # Charts (plotly d3 formats) and on-screen tables (Streamlit NumberColumn formats).
    axis_format: str
    axis_suffix: str  # written after a scale's end labels (the spine chart)
    hover_format: str
    table_format: str
    # Downloads: the column name's unit suffix and the decimal places (None: a whole number;
    # -1: no unit of its own, whole when every value is, else kept to 4 places).
    column_unit: str
    download_places: int | None
    # Statistics.
    interval: Interval
    per: int  # a rate's multiplier: numerator / denominator × per
    # Disclosure control and "nothing to count".
    suppression: Suppression
    rests_on: tuple[Part, ...]  # the counts a published value is withheld with
    counted_by: Part  # the part that is 0 when a period has nothing to count
    # Publications and the scorecard.
    measure_unit: str  # a snapshot's unit column; {counts}: what the metric counts
    size_words: str | None  # a funnel plot's x axis when it is not what the metric counts
    yearly_target: bool  # a board's target is for a whole year (a quarter has none)
    pro_rata_benchmark: bool  # a published annual figure is scaled to a shorter period

    @property
    def whole(self) -> bool:
        """Values are whole numbers (counts): JSON writes them as integers."""
        return self.download_places is None

    @property
    def per_population(self) -> bool:
        """A rate per resident population: a hub, which has no residents, has none."""
        return self.per != 1

    @property
    def free(self) -> bool:
        """No unit of its own: a download keeps its detail (FREE_PLACES)."""
        return self.download_places == FREE

    def text(self, value) -> str:
        """A value (not missing) as a report prints it: 1,234 · 18.4% · 312.5 per 10,000."""
        return f"{value * self.scale:{self.text_format}}{self.suffix}"

    def tile(self, value) -> str:
        """A value for a tile whose title already names the unit."""
        return f"{value * self.scale:{self.text_format}}{self.tile_suffix}"

    def change(self, diff, before) -> str:
        """A change as a report prints it: +1.2 pp, +148 (+2%), -3.0 per 10,000."""
        out = f"{diff * self.scale:+,.{self.change_places}f}{self.change_suffix}"
        if self.relative_change and before:
            out += f" ({diff / before:+.0%})"
        return out

    def rounds_to_zero(self, diff: float) -> bool:
        return float(f"{diff * self.scale:.{self.change_places}f}") == 0


FREE = -1  # download_places of a kind with no unit of its own

COUNT = Kind(
    name="count",
    unit="count",
    words="count",
    scale=1,
    text_format=",.0f",
    suffix="",
    tile_suffix="",
    change_places=0,
    change_suffix="",
    relative_change=True,
    axis_format=",.0f",
    axis_suffix="",
    hover_format=",.0f",
    table_format="localized",
    column_unit="",
    download_places=None,
    interval=None,
    per=1,
    suppression="count",
    rests_on=("numerator",),
    counted_by="value",
    measure_unit="{counts}",
    size_words=None,
    yearly_target=True,
    pro_rata_benchmark=False,
)
DENOMINATOR = Kind(
    **{
        **COUNT.__dict__,
        "name": "denominator",
        "unit": None,
        "suppression": "denominator",
        "rests_on": ("denominator",),
        "counted_by": "denominator",
    }
)
SHARE = Kind(
    name="share",
    unit=None,  # indicators.csv gives percentages (0-100): PERCENT
    words="percent",
    scale=100,
    text_format=".1f",
    suffix="%",
    tile_suffix="%",
    change_places=1,
    change_suffix=" pp",
    relative_change=False,
    axis_format=".0%",
    axis_suffix="",
    hover_format=".1%",
    table_format="percent",
    column_unit="percent",
    download_places=1,
    interval="wilson",
    per=1,
    suppression="rate",
    rests_on=("numerator", "denominator"),
    counted_by="denominator",
    measure_unit="% of {counts}",
    size_words=None,
    yearly_target=False,
    pro_rata_benchmark=False,
)
PER_10K = Kind(
    name="per_10k",
    unit="rate_per_10k",
    words="per 10,000 children aged 0-19",
    scale=1,
    text_format=",.1f",
    suffix=" per 10,000",
    tile_suffix="",
    change_places=1,
    change_suffix=" per 10,000",
    relative_change=False,
    axis_format=",.0f",
    axis_suffix="",
    hover_format=",.1f",
    table_format="%.1f",
    column_unit="per_10k_children",
    download_places=1,
    interval="byar",
    per=10_000,
    suppression="rate",
    # The population under a rate is published by ONS: only the count is withheld.
    rests_on=("numerator",),
    counted_by="numerator",
    measure_unit="{counts} per 10,000 children aged 0-19",
    size_words="resident children aged 0-19",
    yearly_target=False,
    pro_rata_benchmark=True,
)
DAYS = Kind(
    name="days",
    unit="days",
    words="days",
    scale=1,
    text_format=",.0f",
    suffix=" days",
    tile_suffix=" days",
    change_places=0,
    change_suffix=" days",
    relative_change=False,
    axis_format=",.0f",
    axis_suffix="",
    hover_format=",.0f",
    table_format="%.0f",
    column_unit="days",
    download_places=1,
    interval=None,
    per=1,
    suppression="rate",
    # A median over n closed episodes: withheld with n (it has no count above it).
    rests_on=("denominator",),
    counted_by="denominator",
    measure_unit="days (median)",
    size_words=None,
    yearly_target=False,
    pro_rata_benchmark=False,
)
PERCENT = Kind(
    name="percent",
    unit="percent",
    words="percent",
    scale=1,
    text_format=".1f",
    suffix="%",
    tile_suffix="%",
    change_places=1,
    change_suffix=" pp",
    relative_change=False,
    axis_format=".1f",
    axis_suffix="%",
    hover_format=".1f",
    table_format="%.1f",
    column_unit="percent",
    download_places=1,
    interval=None,
    per=1,
    suppression="public",  # published by others: shown as published
    rests_on=(),
    counted_by="denominator",
    measure_unit="%",
    size_words=None,
    yearly_target=False,
    pro_rata_benchmark=False,
)
SCORE = Kind(
    **{
        **PERCENT.__dict__,
        "name": "score",
        "unit": "score",
        "words": "score",
        "text_format": ",.1f",
        "suffix": "",
        "tile_suffix": "",
        "change_suffix": "",
        "axis_suffix": "",
        "column_unit": "",
        "measure_unit": "score",
    }
)
# Disclosure's two roles for numbers with no unit of their own: shown as plain numbers.
PUBLIC = Kind(
    **{
        **SCORE.__dict__,
        "name": "public",
        "unit": None,
        "words": "",
        "text_format": ",.4g",
        "axis_format": ",.4g",
        "hover_format": ",.4g",
        "table_format": "%.4g",
        "download_places": FREE,
        "measure_unit": "",
    }
)
SUMMARY = Kind(**{**PUBLIC.__dict__, "name": "summary", "suppression": "summary"})

KINDS: tuple[Kind, ...] = (
    COUNT,
    DENOMINATOR,
    SHARE,
    PER_10K,
    DAYS,
    PERCENT,
    SCORE,
    PUBLIC,
    SUMMARY,
)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}


def of(kind: str | Kind) -> Kind:
    """A kind by name ('share'), or the kind itself."""
    if isinstance(kind, Kind):
        return kind
    try:
        return BY_NAME[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(BY_NAME)}") from None


def of_unit(unit: contract.Unit) -> Kind:
    """The kind an indicators.csv unit is shown as ('rate_per_10k' → per_10k)."""
    for kind in KINDS:
        if kind.unit == unit:
            return kind
    raise ValueError(f"no kind for the indicators.csv unit {unit!r}")


@dataclass(frozen=True)
class Col:
    """A column as a chart and its table show it: `name` in the frame, `label` as the table
    header and axis title, `kind` for its formats (None: a category or text column), `axis`
    an axis title that says more than the header."""

    name: str
    label: str
    kind: Kind | None = None
    axis: str | None = None

    @property
    def axis_title(self) -> str:
        return self.label if self.axis is None else self.axis

    def __post_init__(self) -> None:
        if isinstance(self.kind, str):
            object.__setattr__(self, "kind", of(self.kind))


def renames(columns) -> dict[str, str]:
    """Frame column → label, for Published.rename."""
    return {c.name: c.label for c in columns}


def formats(columns) -> dict[str, str]:
    """Label → kind name, for the table's number formats and the download's units."""
    return {c.label: c.kind.name for c in columns if c.kind is not None}
