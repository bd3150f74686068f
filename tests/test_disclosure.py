"""Small-number suppression: primary, secondary and rates, proved on random tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehts_data import disclosure
from ehts_data.disclosure import CONFIDENTIAL, crosstab_lines, suppress_crosstab, suppress_lines


def test_worked_example_primary_and_secondary():
    # Localities × sources. Primary: 3 (North, school) and 2 (South, police).
    #            school  police  Total
    #   North       3      40     43
    #   South      25       2     27
    #   Total      28      42     70
    # Row North: only 3 hidden -> also hide its next smallest non-zero cell, 40... but first
    # the scan order: rows then columns. North: hide 40 (smallest other non-zero after 3 is
    # 40, the total 43 is larger). South: 2 hidden, next smallest 25 -> hide 25.
    # Then every row and column has two hidden cells: school (3, 25), police (40, 2).
    table = pd.DataFrame({"school": [3, 25], "police": [40, 2]}, index=["North", "South"])
    published, primary, secondary = suppress_crosstab(table, k=6)
    assert (primary, secondary) == (2, 2)
    assert published.loc["North"].tolist() == [CONFIDENTIAL, CONFIDENTIAL, 43]
    assert published.loc["South"].tolist() == [CONFIDENTIAL, CONFIDENTIAL, 27]
    assert published.loc["Total"].tolist() == [28, 42, 70]


def test_zero_is_published_and_k_sets_the_threshold():
    values = np.array([0, 5, 6, 7, 100, 118])
    mask, primary, _ = suppress_lines(values, [], k=6)
    assert mask.tolist() == [False, True, False, False, False, False]
    mask, primary, _ = suppress_lines(values, [], k=8)  # NHS partners: 1-7 suppressed
    assert mask.tolist() == [False, True, True, True, False, False]


def test_a_small_total_is_suppressed_with_its_cells():
    table = pd.DataFrame({"a": [2], "b": [0]}, index=["North"])
    published, _, _ = suppress_crosstab(table, k=6)
    assert published.loc["North"].tolist() == [CONFIDENTIAL, 0, CONFIDENTIAL]


@pytest.mark.parametrize(
    ("value", "num_hidden", "den_hidden", "denominator", "expected"),
    [
        (0.1845, False, False, 200, 18.4),  # rounded from unrounded counts, 1 dp (18.45 -> 18.4)
        (0.5, True, False, 200, CONFIDENTIAL),
        (0.5, False, True, 4, CONFIDENTIAL),
        (0.5, False, False, 9, CONFIDENTIAL),  # denominator below 10
        (0.5, False, False, 10, 50.0),
        (None, False, False, 0, disclosure.NOT_APPLICABLE),
    ],
)
def test_rates_follow_their_parts(value, num_hidden, den_hidden, denominator, expected):
    assert disclosure.publish_rate(value, num_hidden, den_hidden, denominator) == expected


tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 6).flatmap(
        lambda cols: st.lists(
            st.lists(
                st.one_of(st.integers(0, 8), st.integers(0, 60)), min_size=cols, max_size=cols
            ),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(rows=tables, k=st.sampled_from([5, 6, 8]))
def test_no_small_count_is_published_and_no_hidden_cell_is_recoverable(rows, k):
    table = pd.DataFrame(rows)
    published, _, _ = suppress_crosstab(table, k=k)
    cells = published.to_numpy().ravel()
    shown = [v for v in cells if v != CONFIDENTIAL]
    assert not any(1 <= v <= k - 1 for v in shown)
    hidden = np.array([v == CONFIDENTIAL for v in cells])
    lines = crosstab_lines(*table.shape)
    assert disclosure.recoverable(hidden, lines) == []
    # Single-cell differencing by brute force: a line with one hidden cell is solvable.
    for line in lines:
        unknown = [i for i in line if hidden[i]]
        assert len(unknown) != 1


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 30), min_size=1, max_size=12))
def test_download_tables_in_publication_mode_hide_small_counts_and_their_rates(values):
    df = pd.DataFrame(
        {
            "Group": [f"g{i}" for i in range(len(values))],
            "Count": values,
            "Out of": [v + 12 for v in values],
            "Share": [v / (v + 12) for v in values],
        }
    )
    safe = disclosure.suppress_frame(df, {"Count": "count", "Out of": "count", "Share": "share"})
    for row in safe.itertuples():
        assert row.Count == CONFIDENTIAL or not 1 <= row.Count <= 5
        if row.Count == CONFIDENTIAL:
            assert row.Share == CONFIDENTIAL
    # The column and its total (shown elsewhere, and suppressed there by the same rule when
    # small) form one line: no hidden count in it can be recovered from the total.
    total = sum(values)
    hidden = [v == CONFIDENTIAL for v in safe["Count"]]
    mask, _, _ = suppress_lines(np.array([*values, total]), [list(range(len(values) + 1))])
    assert hidden == mask[:-1].tolist()
    assert disclosure.recoverable(mask, [list(range(len(values) + 1))]) == []
