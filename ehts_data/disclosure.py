"""Small-number suppression for everything published (shared/domain.md, "Publishing").

The default follows DfE's Children in need statistics: counts from 1 to K-1 are replaced by
`c` (K = 6, so 1 to 5; zero stays 0); a rate is `c` when its numerator or denominator is
suppressed or its denominator is below 10; and where a suppressed cell could be recovered from
a total (the only suppressed cell of its line), the next smallest non-zero cell of that line is
suppressed too, repeatedly, until no line has exactly one suppressed cell.

A *line* is a set of cells whose sum is published (or known) as its total: a row or a column of
a table with margins, the total itself included as a cell of the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CONFIDENTIAL = "c"  # GSS symbols
NOT_APPLICABLE = "z"
NOT_AVAILABLE = "x"
DEFAULT_K = 6
RATE_MIN_DENOMINATOR = 10
RULE = (
    "Counts from 1 to K-1 are replaced by 'c' (zero stays 0). A rate is 'c' when its numerator "
    "or denominator is suppressed or its denominator is below {rate_min}. Where a suppressed "
    "cell is the only one in a row or column with a published total, the next smallest "
    "non-zero cell of that row or column is also suppressed, until no suppressed cell can be "
    "recovered from a total (DfE Children in need convention; GSS symbols c, z, x)."
)


@dataclass
class Tally:
    """How many cells each step suppressed (recorded in the snapshot manifest)."""

    primary: int = 0
    secondary: int = 0
    rates: int = 0
    by_table: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, table: str, primary: int, secondary: int, rates: int) -> None:
        self.primary += primary
        self.secondary += secondary
        self.rates += rates
        self.by_table[table] = {"primary": primary, "secondary": secondary, "rates": rates}


def suppress_lines(
    values: np.ndarray, lines: Iterable[Iterable[int]], k: int = DEFAULT_K
) -> tuple[np.ndarray, int, int]:
    """Which cells of a flat array of counts to suppress.

    `lines` lists index sets whose sum is known (each including its total's index). Returns
    (mask, primary count, secondary count). Missing values (NaN) are never suppressed and do
    not count as suppressed.
    """
    values = np.asarray(values, dtype=float)
    lines = [list(line) for line in lines]
    known = ~np.isnan(values)
    mask = known & (values >= 1) & (values <= k - 1)
    primary = int(mask.sum())
    secondary = 0
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [i for i in line if mask[i]]
            if len(hidden) != 1:
                continue
            # The next smallest non-zero cell of the line; ties go to the earliest.
            candidates = [i for i in line if not mask[i] and known[i] and values[i] > 0]
            if not candidates:
                continue  # every other cell is zero or missing: nothing more can hide it
            pick = min(candidates, key=lambda i: (values[i], line.index(i)))
            mask[pick] = True
            secondary += 1
            changed = True
    return mask, primary, secondary


def recoverable(mask: np.ndarray, lines: Iterable[Iterable[int]]) -> list[int]:
    """Suppressed cells that single-cell differencing recovers: the only hidden cell of a
    line, whose value is its total less the published rest."""
    out = []
    for line in lines:
        hidden = [i for i in line if mask[i]]
        if len(hidden) == 1:
            out.append(hidden[0])
    return out


def crosstab_lines(n_rows: int, n_cols: int) -> list[list[int]]:
    """Lines of an (n_rows + 1) × (n_cols + 1) table whose last row and column are totals,
    flattened row by row."""
    width = n_cols + 1
    rows = [[r * width + c for c in range(width)] for r in range(n_rows + 1)]
    cols = [[r * width + c for r in range(n_rows + 1)] for c in range(width)]
    return rows + cols


def suppress_crosstab(
    table: pd.DataFrame, k: int = DEFAULT_K, total_label: str = "Total"
) -> tuple[pd.DataFrame, int, int]:
    """Suppress a table of counts (index × columns, no margins); returns it with margins and
    'c' for hidden cells, plus the primary and secondary counts."""
    counts = table.astype(float)
    with_totals = counts.copy()
    with_totals[total_label] = counts.sum(axis=1)
    with_totals.loc[total_label] = with_totals.sum(axis=0)
    flat = with_totals.to_numpy().ravel()
    mask, primary, secondary = suppress_lines(
        flat, crosstab_lines(len(counts.index), len(counts.columns)), k
    )
    published = with_totals.astype(object)
    grid = mask.reshape(with_totals.shape)
    for (r, c), hidden in np.ndenumerate(grid):
        published.iat[r, c] = CONFIDENTIAL if hidden else int(with_totals.iat[r, c])
    return published, primary, secondary


def publish_rate(
    value,
    numerator_hidden: bool,
    denominator_hidden: bool,
    denominator,
    places: int = 1,
    rate_min: int = RATE_MIN_DENOMINATOR,
    scale: float = 100.0,
):
    """A rate as published: 'c' if its parts are hidden or the denominator is under rate_min,
    'z' when the denominator is zero, else rounded (to one decimal place of a percentage)."""
    if denominator is not None and not pd.isna(denominator) and denominator == 0:
        return NOT_APPLICABLE
    if numerator_hidden or denominator_hidden:
        return CONFIDENTIAL
    if denominator is not None and not pd.isna(denominator) and denominator < rate_min:
        return CONFIDENTIAL
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return round(float(value) * scale, places)


def withheld(kind: str, value, numerator=None, denominator=None, k: int = DEFAULT_K) -> str | None:
    """The symbol a single published figure shows instead of its value, or None to show it.

    Counts from 1 to K-1 are 'c'; a share, rate or median is 'c' when its numerator or
    denominator is from 1 to K-1 or its denominator is under 10. Indicators published by
    others (percent, score) are shown as published."""

    def small(n) -> bool:
        return n is not None and not pd.isna(n) and 1 <= n <= k - 1

    if kind == "count":
        return CONFIDENTIAL if small(value) else None
    if kind in ("share", "per_10k", "days"):
        if small(numerator) or small(denominator):
            return CONFIDENTIAL
        if (
            denominator is not None
            and not pd.isna(denominator)
            and 0 < denominator < RATE_MIN_DENOMINATOR
        ):
            return CONFIDENTIAL
    return None


def suppress_frame(df: pd.DataFrame, kinds: dict[str, str], k: int = DEFAULT_K) -> pd.DataFrame:
    """A dashboard table made safe to download in publication mode.

    Each count column is treated as a line whose total is published elsewhere on the
    dashboard, so it gets primary and secondary suppression; shares and rates in a row with a
    suppressed count, or whose 'Out of' count is under 10, become 'c'. Other columns pass.
    """
    out = df.copy().astype(object)
    hidden_rows = np.zeros(len(df), dtype=bool)
    for col, kind in kinds.items():
        if kind != "count" or col not in df:
            continue
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        total = np.nansum(values)
        flat = np.append(values, total)
        mask, _, _ = suppress_lines(flat, [list(range(len(flat)))], k)
        mask = mask[:-1]
        hidden_rows |= mask
        out.loc[mask, col] = CONFIDENTIAL
    small = np.zeros(len(df), dtype=bool)
    if "Out of" in df:
        denominators = pd.to_numeric(df["Out of"], errors="coerce").to_numpy(dtype=float)
        small = denominators < RATE_MIN_DENOMINATOR
    for col, kind in kinds.items():
        if kind in ("share", "per_10k", "days") and col in df:
            out.loc[hidden_rows | small, col] = CONFIDENTIAL
    return out
