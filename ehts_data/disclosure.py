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
from fractions import Fraction

import numpy as np
import pandas as pd

from ehts_data import kinds as value_kinds

# The Government Statistical Service's symbols, as domain.md writes them (a workbook shows
# them in brackets, as the GSS spreadsheet guidance asks: export.py).
CONFIDENTIAL = "c"
NOT_APPLICABLE = "z"
NOT_AVAILABLE = "x"
SYMBOLS = {
    CONFIDENTIAL: "confidential: withheld because it rests on small numbers",
    NOT_APPLICABLE: "not applicable: there is nothing to count it over (a denominator of 0)",
    NOT_AVAILABLE: "not available: the data do not give a value",
}
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
    values: np.ndarray,
    lines: Iterable[Iterable[int]],
    k: int = DEFAULT_K,
    fixed: Iterable[int] = (),
) -> tuple[np.ndarray, int, int]:
    """Which cells of a flat array of counts to suppress.

    `lines` lists index sets whose sum is known (each including its total's index). Returns
    (mask, primary count, secondary count). Missing values (NaN) are never suppressed and do
    not count as suppressed; nor are `fixed` cells (totals published elsewhere).
    """
    values = np.asarray(values, dtype=float)
    lines = [list(line) for line in lines]
    known = ~np.isnan(values)
    known[list(fixed)] = False
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

    suppression = value_kinds.of(kind).suppression
    if suppression == "count":
        return CONFIDENTIAL if small(value) else None
    if suppression == "rate":
        if small(numerator) or small(denominator):
            return CONFIDENTIAL
        if (
            denominator is not None
            and not pd.isna(denominator)
            and 0 < denominator < RATE_MIN_DENOMINATOR
        ):
            return CONFIDENTIAL
    return None


class Checked(float):
    """One figure that may be shown: it passed `withheld`, or was read from a published
    frame. A chart drawn in publication mode takes a single reference value (a whole
    authority's line) only as a Checked number: a raw one could be a count from 1 to K-1, or
    give one back (a share times its published denominator)."""


def checked(
    kind: str, value, numerator=None, denominator=None, k: int | None = DEFAULT_K
) -> Checked | None:
    """The figure as it may be shown (k None: everything may), or None when it is withheld
    or missing."""
    if value is None or pd.isna(value):
        return None
    if k is not None and withheld(kind, value, numerator, denominator, k):
        return None
    return Checked(value)


# ---- One set of base cells per publication, suppressed once (cross-table consistency) ----
Key = tuple  # (measure, (dimension, value), ...) with the pairs sorted by dimension


def key(measure: str, **dims) -> Key:
    """The key of one base count: what it counts and the groups it is within. The same count
    has the same key in every table of a publication, so it is hidden everywhere or nowhere."""
    return (measure, *sorted((d, str(v)) for d, v in dims.items()))


class Cells:
    """Every count one publication shows, each once, and the sums that tie them together.

    Tables register the counts they show (`count`) and the totals they publish (`total`:
    a total equals the sum of its parts). `suppress` then decides once, over all tables
    together, which counts are hidden; tables read the decision back with `shown`.
    """

    def __init__(self) -> None:
        self.index: dict[Key, int] = {}
        self.values: list[float] = []
        self.relations: list[tuple[int, list[int]]] = []
        self.mask: np.ndarray | None = None
        self.fixed: set[int] = set()  # known to everyone, never hidden (totals shown elsewhere)
        self.primary = self.secondary = 0

    def count(self, k: Key, value) -> Key:
        """Register a count (again, if another table shows it too: it must agree)."""
        value = 0.0 if value is None or pd.isna(value) else float(value)
        if k in self.index:
            if self.values[self.index[k]] != value:
                raise ValueError(f"{k} is {self.values[self.index[k]]} and {value} in one output")
        else:
            self.index[k] = len(self.values)
            self.values.append(value)
        return k

    def published_elsewhere(self, k: Key, value) -> Key:
        """A total the reader already knows (a tile, another chart): it binds its parts but
        is never hidden here."""
        self.count(k, value)
        self.fixed.add(self.index[k])
        return k

    def total(self, total: Key, parts: Iterable[Key]) -> None:
        """Record that `total` is the sum of `parts` (all registered already)."""
        relation = (self.index[total], sorted({self.index[p] for p in parts}))
        if relation not in self.relations:
            self.relations.append(relation)

    def suppress(self, k: int = DEFAULT_K) -> np.ndarray:
        """Primary, secondary along every relation, then the exact audit until no hidden count
        can be worked out from the published ones; returns the mask (also kept)."""
        values = np.asarray(self.values, dtype=float)
        lines = [[t, *parts] for t, parts in self.relations]
        mask, self.primary, self.secondary = suppress_lines(values, lines, k, self.fixed)
        while found := determined(values, mask, self.relations) or pinned(
            values, mask, self.relations
        ):
            cell = found[0]
            # Hide the smallest published count of a line through the cell; when all of
            # those are hidden already, of a line joined to it through hidden counts. Prefer
            # one whose hiding leaves the cell undetermined.
            open_ = [i for i in range(len(values)) if not mask[i] and values[i] > 0]
            open_ = [i for i in open_ if i not in self.fixed]
            near = {i for line in lines if cell in line for i in line} & set(open_)
            if not near:
                near = _around(cell, lines, mask) & set(open_)
            if not near:
                break  # nothing left to hide it with; the audit in the tests reports it
            ordered = sorted(near, key=lambda i: (values[i], i))
            pick = next(
                (
                    i
                    for i in ordered[:20]
                    if cell not in determined(values, _with(mask, i), self.relations)
                ),
                ordered[0],
            )
            mask[pick] = True
            self.secondary += 1
        self.mask, self.k = mask, k
        return mask

    def tally(self, keys: Iterable[Key]) -> tuple[int, int]:
        """(primary, secondary): the distinct counts among `keys` hidden for being small,
        and hidden to protect others."""
        cells = {self.index[kk] for kk in keys if self.mask[self.index[kk]]}
        small = sum(1 <= self.values[i] <= self.k - 1 for i in cells)
        return small, len(cells) - small

    def hidden(self, k: Key) -> bool:
        return bool(self.mask[self.index[k]])

    def shown(self, k: Key):
        """The count as published: 'c' or the integer."""
        return CONFIDENTIAL if self.hidden(k) else int(self.values[self.index[k]])


def _around(cell: int, lines: list[list[int]], mask: np.ndarray) -> set[int]:
    """Every cell of the lines joined to `cell` through hidden cells (the part of the
    publication that can bear on it; other tables are left alone)."""
    reached, seen = {cell}, set()
    while True:
        joined = [j for j, line in enumerate(lines) if j not in seen and reached & set(line)]
        if not joined:
            return {i for j in seen for i in lines[j]}
        seen.update(joined)
        reached |= {i for j in joined for i in lines[j] if mask[i]}


def _with(mask: np.ndarray, i: int) -> np.ndarray:
    out = mask.copy()
    out[i] = True
    return out


def determined(
    values: np.ndarray, mask: np.ndarray, relations: list[tuple[int, list[int]]]
) -> list[int]:
    """Hidden cells whose value follows from the published cells and the relations.

    Exact: a hidden cell is determined when its unit vector lies in the row space of the
    relations restricted to the hidden cells (reduced row echelon form over the rationals).
    Also determined: hidden parts of a relation whose hidden sum equals their number (every
    'c' is at least 1, so each is 1)."""
    hidden = [i for i in range(len(values)) if mask[i]]
    column = {cell: j for j, cell in enumerate(hidden)}
    rows = []
    for total, parts in relations:
        row: dict[int, int] = {}
        for i in parts:
            if mask[i]:
                row[column[i]] = row.get(column[i], 0) + 1
        if mask[total]:
            row[column[total]] = row.get(column[total], 0) - 1
        row = {j: Fraction(v) for j, v in row.items() if v}
        if row:
            rows.append(row)
    out = set()
    for j in _unit_rows(rows):
        out.add(hidden[j])
    for total, parts in relations:
        secret = [i for i in parts if mask[i]]
        if secret and not mask[total]:
            rest = values[total] - sum(values[i] for i in parts if not mask[i])
            if rest == len(secret):
                out.update(secret)
    return sorted(out)


# A group of hidden cells joined by relations is solved as one linear programme per cell
# that a few vertices leave in doubt; larger groups are left to `determined`.
PINNED_CELLS_AT_MOST = 2000
UNBOUNDED = 1e9


def pinned(
    values: np.ndarray, mask: np.ndarray, relations: list[tuple[int, list[int]]]
) -> list[int]:
    """Hidden cells held to one whole number by the relations once every 'c' is known to be
    at least 1 (zero is shown): what `determined` finds, and also what only small values can
    make, across relations (two rows and a column that leave two c's adding up to 2: each
    is 1). A linear programme per group of hidden cells joined by relations gives each cell's
    least and greatest value; less than 1 apart, the cell has one possible value."""
    hidden = np.flatnonzero(mask)
    if len(hidden) < 2:
        return []
    equations = []  # (hidden cells with coefficients, right-hand side)
    for total, parts in relations:
        row = {i: 1.0 for i in parts if mask[i]}
        if mask[total]:
            row[total] = row.get(total, 0.0) - 1.0
        row = {i: v for i, v in row.items() if v}
        if row:
            known = sum(values[i] for i in parts if not mask[i])
            equations.append((row, (0.0 if mask[total] else values[total]) - known))
    out = []
    for group in _joined([set(row) for row, _ in equations]):
        rows = [(row, rhs) for row, rhs in equations if set(row) <= group]
        # One equation alone pins its cells only when they sum to their number, which
        # `determined` checks; a group too large to solve cell by cell is left to it too.
        if len(group) < 2 or len(rows) < 2 or len(group) > PINNED_CELLS_AT_MOST:
            continue
        cells = sorted(group)
        at = {c: j for j, c in enumerate(cells)}
        a = np.zeros((len(rows), len(cells)))
        for r, (row, _) in enumerate(rows):
            for c, v in row.items():
                a[r, at[c]] = v
        b = np.array([rhs for _, rhs in rows])

        # A few vertices first (all up, all down, random directions): a cell that differs
        # between them is not pinned. Only the others get their own least and greatest.
        spread = np.random.default_rng(0)
        aims = [np.ones(len(cells)), -np.ones(len(cells))]
        aims += [spread.normal(size=len(cells)) for _ in range(4)]
        points = [x for x in (_vertex(aim, a, b) for aim in aims) if x is not None]
        if not points:
            continue
        still = np.flatnonzero(np.ptp(np.array(points), axis=0) < 1 - 1e-6)
        # Then push the cells still in doubt up together, and down together, while that
        # moves any of them.
        while len(still):
            aim = np.zeros(len(cells))
            aim[still] = 1.0
            found = [x for x in (_vertex(-aim, a, b), _vertex(aim, a, b)) if x is not None]
            points += found
            left = np.flatnonzero(np.ptp(np.array(points), axis=0) < 1 - 1e-6)
            if len(left) == len(still):
                break
            still = left
        for j in still:
            aim = np.zeros(len(cells))
            aim[j] = 1.0
            low, high = _vertex(aim, a, b), _vertex(-aim, a, b)
            if low is not None and high is not None and high[j] - low[j] < 1 - 1e-6:
                out.append(int(cells[j]))
    return out


def _vertex(aim: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The hidden cells' values that minimise aim · x with a x = b and every cell from 1 to
    UNBOUNDED (the bound keeps each programme bounded: a cell that reaches it is free)."""
    from scipy.optimize import linprog

    found = linprog(aim, A_eq=a, b_eq=b, bounds=(1, UNBOUNDED), method="highs")
    return found.x if found.status == 0 else None


def _joined(groups: list[set[int]]) -> list[set[int]]:
    """The groups merged wherever they share a member."""
    merged: list[set[int]] = []
    for group in groups:
        touching = [m for m in merged if m & group]
        for m in touching:
            merged.remove(m)
            group = group | m
        merged.append(set(group))
    return merged


def _unit_rows(rows: list[dict[int, Fraction]]) -> list[int]:
    """Columns j whose unit vector is in the span of sparse rows (reduced row echelon form:
    e_j is in the row space exactly when some reduced row is e_j)."""
    pivots: dict[int, dict[int, Fraction]] = {}  # pivot column -> its reduced row
    for row in rows:
        row = dict(row)
        for p, prow in pivots.items():  # reduce by the rows found so far
            if p in row:
                f = row[p]
                for j, v in prow.items():
                    row[j] = row.get(j, 0) - f * v
                row = {j: v for j, v in row.items() if v}
        if not row:
            continue
        p = min(row)
        f = row[p]
        row = {j: v / f for j, v in row.items()}
        for q, qrow in pivots.items():  # keep earlier rows reduced
            if p in qrow:
                g = qrow[p]
                for j, v in row.items():
                    qrow[j] = qrow.get(j, 0) - g * v
                pivots[q] = {j: v for j, v in qrow.items() if v}
        pivots[p] = row
    return [p for p, row in pivots.items() if len(row) == 1]


# ---- Published frames: what the dashboard may show to an audience ----
# How each kind of column is suppressed: kinds.Kind.suppression (count, denominator, rate,
# public, summary).
COUNTED = ("count", "denominator")  # suppressed together, primary and secondary


@dataclass(frozen=True)
class Published:
    """A frame that has passed disclosure control, the only thing the dashboard's charts,
    tables and downloads accept in publication mode. `frame` keeps hidden cells as missing
    (charts leave them out); `table()` shows them as 'c'. `k` is None when nothing was
    suppressed (the dashboard's internal mode)."""

    frame: pd.DataFrame
    hidden: pd.DataFrame  # True where a value is withheld, one column per declared column
    kinds: dict[str, str]
    k: int | None

    def rename(self, columns: dict[str, str]) -> Published:
        return Published(
            self.frame.rename(columns=columns),
            self.hidden.rename(columns=columns),
            {columns.get(c, c): kind for c, kind in self.kinds.items()},
            self.k,
        )

    def __getitem__(self, columns: list[str]) -> Published:
        return Published(
            self.frame[columns],
            self.hidden[[c for c in columns if c in self.hidden]],
            {c: kind for c, kind in self.kinds.items() if c in columns},
            self.k,
        )

    def __len__(self) -> int:
        return len(self.frame)

    def then(self, other: Published) -> Published:
        """These rows, then another published frame's (each passed disclosure control on its
        own): a chart's marked reference rows, such as the whole authority's."""
        if other.kinds != self.kinds or other.k != self.k:
            raise ValueError("only frames published with the same kinds and k can be joined")
        return Published(
            pd.concat([self.frame, other.frame], ignore_index=True),
            pd.concat([self.hidden, other.hidden], ignore_index=True),
            self.kinds,
            self.k,
        )

    @property
    def empty(self) -> bool:
        return self.frame.empty

    def figure(self, column: str, where=None) -> Checked | None:
        """The value of `column` in the first row `where` (a boolean mask; None: the first
        row) selects, as one figure that may be shown on its own (a reference line): None when
        withheld or missing."""
        found = self.frame[column] if where is None else self.frame.loc[where, column]
        if found.empty or pd.isna(found.iloc[0]):
            return None
        return Checked(found.iloc[0])

    def derived(self, columns: list[str], source: str | None = None) -> Published:
        """`columns` worked out from other values (a RAG rating, a funnel position) left empty
        wherever `source` (by default any value of the row) is withheld: they would narrow the
        hidden value down."""
        hidden = self.row_hidden() if source is None else self.hidden[source]
        frame = self.frame.copy()
        for column in columns:
            frame[column] = frame[column].where(~hidden.to_numpy())
        return Published(frame, self.hidden, self.kinds, self.k)

    def row_hidden(self) -> pd.Series:
        """True for rows with any withheld value."""
        return self.hidden.any(axis=1).reindex(self.frame.index, fill_value=False)

    def table(self) -> pd.DataFrame:
        """The frame as shown and downloaded: withheld values are 'c'."""
        out = self.frame.copy()
        for col in self.hidden.columns:
            if self.hidden[col].any():
                out[col] = out[col].astype(object).where(~self.hidden[col], CONFIDENTIAL)
        return out


def publish(
    df: pd.DataFrame,
    kinds: dict[str, str],
    k: int | None = DEFAULT_K,
    *,
    lines: Iterable[str | tuple[str, ...]] = ((),),
) -> Published:
    """The frame as it may be shown to an audience that must not see small numbers.

    Every numeric column must be named in `kinds`, so no count reaches a chart or a download
    without a decision. Count columns are suppressed together (one `Cells`): each entry of
    `lines` names columns whose groups are lines with a total the reader knows (the default
    `()` is the whole column), and no hidden count follows from them (exact audit). Rates
    are withheld in a row with a hidden count or a denominator under 10."""
    df = df.reset_index(drop=True)
    numeric = [
        c
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]
    if unknown := [c for c in numeric if c not in kinds]:
        raise TypeError(f"publish: no kind given for numeric column(s) {unknown}")
    if bad := {c: v for c, v in kinds.items() if v not in value_kinds.BY_NAME}:
        raise ValueError(f"publish: unknown kinds {bad}")
    kinds = {c: v for c, v in kinds.items() if c in df.columns}
    suppression = {c: value_kinds.of(v).suppression for c, v in kinds.items()}
    hidden = pd.DataFrame(False, index=df.index, columns=list(kinds))
    if k is None:
        return Published(df, hidden, kinds, None)
    counts = [c for c, v in suppression.items() if v in COUNTED]
    cells = Cells()
    for col in counts:
        values = pd.to_numeric(df[col], errors="coerce").astype(float)
        for i, v in values.items():
            cells.count(key(col, row=i), v)
        for by in lines:
            by = [by] if isinstance(by, str) else list(by)
            groups = (
                df.groupby(by if len(by) > 1 else by[0], sort=False, dropna=False).groups
                if by
                else {(): df.index}
            )
            for g, rows in groups.items():
                total = cells.published_elsewhere(
                    key(col, total=repr((by, g))), float(np.nansum(values[rows]))
                )
                cells.total(total, [key(col, row=i) for i in rows])
    if counts:
        cells.suppress(k)
        for col in counts:
            hidden[col] = [cells.hidden(key(col, row=i)) for i in df.index]
    row_hidden = hidden[counts].any(axis=1) if counts else pd.Series(False, index=df.index)
    for col, how in suppression.items():
        if how == "denominator":
            den = pd.to_numeric(df[col], errors="coerce")
            row_hidden |= (den > 0) & (den < RATE_MIN_DENOMINATOR)
    for col, how in suppression.items():
        if how == "rate":
            hidden[col] = row_hidden
        elif how == "summary":
            hidden[col] = bool(row_hidden.any())
    frame = df.copy()
    for col in kinds:
        if hidden[col].any():
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
            frame.loc[hidden[col], col] = np.nan
    return Published(frame, hidden, kinds, k)
