"""Small-number suppression: primary, secondary and rates, proved on random tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehts_data import charts, disclosure
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
@given(values=st.lists(st.integers(0, 30), min_size=1, max_size=12), out_of=st.integers(0, 15))
def test_download_tables_in_publication_mode_hide_small_counts_and_their_rates(values, out_of):
    df = pd.DataFrame(
        {
            "Group": [f"g{i}" for i in range(len(values))],
            "Count": values,
            "Out of": [v + out_of for v in values],
            "Share": [v / (v + out_of) if v + out_of else None for v in values],
        }
    )
    safe = disclosure.publish(df, {"Count": "count", "Out of": "denominator", "Share": "share"})
    table = safe.table()
    for row in table.itertuples():
        for count in (row.Count, row._3):
            assert count == CONFIDENTIAL or not 1 <= count <= 5
        if CONFIDENTIAL in (row.Count, row._3) or (
            0 < (row.Count if row.Count != CONFIDENTIAL else 0) + out_of < 10
        ):
            assert row.Share == CONFIDENTIAL or pd.isna(row.Share)
    # Each column adds up to a total shown elsewhere: no hidden count follows from it
    # (unless that total is itself small, and so withheld where it is shown).
    for col in ("Count", "Out of"):
        column = df[col].to_numpy(dtype=float)
        if 1 <= column.sum() <= 5:
            continue
        mask = np.append(safe.hidden[col].to_numpy(), False)
        relations = [(len(column), list(range(len(column))))]
        small = [
            i
            for i in disclosure.determined(np.append(column, column.sum()), mask, relations)
            if 1 <= column[i] <= 5
        ]
        assert small == []


def test_publish_refuses_a_numeric_column_with_no_kind():
    with pytest.raises(TypeError, match="no kind"):
        disclosure.publish(pd.DataFrame({"n": [1, 2]}), {})


# ---- One publication of several tables, suppressed together ----
def _publish_three_way(facts: np.ndarray, k: int, alias: bool):
    """Register every two-way table of a locality × category A × category B count cube with
    its margins (as a snapshot does) and suppress once. Returns the cells and, for each
    published count, the fact cells it sums (its support)."""
    cells = disclosure.Cells()
    support = {}
    n_l, n_a, n_b = facts.shape
    dims = {"l": n_l, "a": n_a, "b": n_b}
    for first, second in (("l", "a"), ("l", "b"), ("a", "b")):
        for i in [*range(dims[first]), None]:
            for j in [*range(dims[second]), None]:
                fixed = {d: v for d, v in ((first, i), (second, j)) if v is not None}
                sel = tuple(fixed.get(d, slice(None)) for d in ("l", "a", "b"))
                ones = np.zeros(facts.shape)
                ones[sel] = 1
                kk = cells.count(disclosure.key("n", **fixed), facts[sel].sum())
                support[kk] = ones.ravel()
        for i in [*range(dims[first]), None]:  # row totals
            fixed = {} if i is None else {first: i}
            parts = [disclosure.key("n", **fixed, **{second: j}) for j in range(dims[second])]
            cells.total(disclosure.key("n", **fixed), parts)
        for j in [*range(dims[second]), None]:  # column totals
            fixed = {} if j is None else {second: j}
            parts = [disclosure.key("n", **fixed, **{first: i}) for i in range(dims[first])]
            cells.total(disclosure.key("n", **fixed), parts)
    if alias:
        # A headline table shows the first A category by locality (a "step-up numerator"):
        # the same keys, so nothing new to relate, exactly as in a snapshot.
        for i in range(n_l):
            cells.count(disclosure.key("n", l=i, a=0), facts[i, 0, :].sum())
    cells.suppress(k)
    return cells, support


def _determined_by_published(cells, support) -> list:
    """Hidden counts whose support lies in the span of the published counts' supports, so
    some combination of published numbers gives them exactly (rank test, numpy)."""
    published = np.array([support[kk] for kk in support if not cells.hidden(kk)])
    base = np.linalg.matrix_rank(published) if len(published) else 0
    out = []
    for kk in support:
        if cells.hidden(kk):
            stacked = np.vstack([published, support[kk]]) if len(published) else support[kk][None]
            if np.linalg.matrix_rank(stacked) == base:
                out.append(kk)
    return out


small_counts = st.one_of(st.integers(0, 3), st.integers(0, 12), st.integers(0, 60))


@settings(max_examples=300, deadline=None)
@given(
    shape=st.tuples(st.integers(2, 4), st.integers(2, 4), st.integers(2, 3)),
    data=st.data(),
    k=st.integers(2, 8),
    alias=st.booleans(),
)
def test_no_small_hidden_count_follows_from_a_joint_publication(shape, data, k, alias):
    facts = np.array(
        data.draw(
            st.lists(small_counts, min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))
        )
    ).reshape(shape)
    cells, support = _publish_three_way(facts, k, alias)
    values = {kk: cells.values[cells.index[kk]] for kk in support}
    for kk in support:  # primary: every count from 1 to K-1 is hidden, zero never
        if 1 <= values[kk] <= k - 1:
            assert cells.hidden(kk), kk
        if values[kk] == 0:
            assert not cells.hidden(kk), kk
    leaked = [kk for kk in _determined_by_published(cells, support) if 1 <= values[kk] <= k - 1]
    assert leaked == [], leaked


def test_a_count_shown_in_two_tables_is_hidden_in_both():
    # The snapshot bug: step-ups by locality appear as a headline numerator and as a column
    # of closures by reason; each table hid a different pair. One key, one decision.
    cells = disclosure.Cells()
    step_ups = {"E": 4, "N": 16, "R": 3, "W": 6}
    moved = {"E": 2, "N": 11, "R": 5, "W": 3}
    for loc in step_ups:
        a = cells.count(disclosure.key("closed", locality=loc, reason="step_up"), step_ups[loc])
        b = cells.count(disclosure.key("closed", locality=loc, reason="moved"), moved[loc])
        row = cells.count(disclosure.key("closed", locality=loc), step_ups[loc] + moved[loc] + 50)
        cells.total(
            row, [a, b, cells.count(disclosure.key("closed", locality=loc, reason="other"), 50)]
        )
    for reason, values in (
        ("step_up", step_ups),
        ("moved", moved),
        ("other", dict.fromkeys(step_ups, 50)),
    ):
        col = cells.count(disclosure.key("closed", reason=reason), sum(values.values()))
        cells.total(
            col, [disclosure.key("closed", locality=loc, reason=reason) for loc in step_ups]
        )
    mask = cells.suppress(6)
    assert cells.hidden(disclosure.key("closed", locality="E", reason="step_up"))
    assert disclosure.determined(np.array(cells.values), mask, cells.relations) == []


def test_the_exact_check_finds_what_single_line_differencing_misses():
    # 4 × 4 with margins. Two blocks of four hidden cells joined by one more, (1, 2): every
    # row and column hides two or three cells, yet (1, 2) follows from the totals (row 1
    # less column 2's other hidden cells, each block's sums being known).
    grid = np.full((4, 4), 10.0)
    full = np.zeros((5, 5))
    full[:4, :4] = grid
    full[:4, 4] = grid.sum(axis=1)
    full[4, :] = full[:4, :].sum(axis=0)
    hidden = [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)]
    mask = np.zeros(25, bool)
    for r, c in hidden:
        mask[r * 5 + c] = True
    lines = crosstab_lines(4, 4)
    relations = [(line[-1], line[:-1]) for line in lines]
    assert disclosure.recoverable(mask, lines) == []
    assert disclosure.determined(full.ravel(), mask, relations) == [1 * 5 + 2]


def test_a_single_figure_is_checked_by_the_tiles_rule():
    # 3 step-ups of 32 closures: the share would give the 3 back beside the published 32.
    assert disclosure.checked("share", 3 / 32, 3, 32, k=6) is None
    assert disclosure.checked("share", 30 / 320, 30, 320, k=6) == pytest.approx(0.09375)
    assert isinstance(disclosure.checked("share", 0.5, 3, 6, k=None), disclosure.Checked)
    assert disclosure.checked("share", None, 0, 0) is None


def test_a_chart_with_a_raw_reference_number_is_not_published():
    frame = disclosure.publish(
        pd.DataFrame({"place": ["a", "b"], "share": [0.5, 0.25]}), {"share": "share"}, 6
    )
    for reference, published in (
        (0.09375, False),
        (disclosure.Checked(0.09375), True),
        (None, True),
    ):
        bar = charts.bar(frame, "place", "share", title="t", reference=reference)
        dots = charts.intervals(
            frame,
            "place",
            "share",
            "share",
            "share",
            title="t",
            place_reference=("here", reference),
        )
        assert charts.is_published(bar) is published
        assert charts.is_published(dots) is published


def test_values_worked_out_from_a_withheld_one_are_left_empty():
    # A funnel position or a RAG rating narrows a withheld count to a band.
    # 3 is withheld, and 40 with it (the column's total is known); 50 is shown.
    frame = pd.DataFrame(
        {
            "numerator": [3, 40, 50],
            "denominator": [120, 130, 140],
            "position": ["outside", "within", "within"],
        }
    )
    published = disclosure.publish(frame, {"numerator": "count", "denominator": "denominator"}, 6)
    shown = published.derived(["position"], "numerator").frame
    assert shown["position"].isna().tolist() == [True, True, False]
    assert published.figure("denominator") == 120
    assert published.figure("numerator") is None
    assert published.figure("numerator", published.frame["denominator"] == 140) == 50


def test_small_counts_that_only_ones_could_make_are_found_across_relations():
    # Two rows and a column of a decision table: a + b = 76, c + d = 32, a + c = 106, so
    # b + d = 2. No one relation gives a cell, but b and d are 'c' (at least 1): each is 1,
    # and a = 75, c = 31 follow. The reader's linear programme finds them; the row-space
    # check alone does not.
    values = np.array([75.0, 1.0, 31.0, 1.0, 76.0, 32.0, 106.0])
    a, b, c, d, t1, t2, t3 = range(7)
    relations = [(t1, [a, b]), (t2, [c, d]), (t3, [a, c])]
    mask = np.array([True, True, True, True, False, False, False])
    assert disclosure.determined(values, mask, relations) == []
    assert disclosure.pinned(values, mask, relations) == [a, b, c, d]
    # With e (a third column, 40 and 10) hidden too, b + d is no longer tied to 2.
    wider = np.array([75.0, 1.0, 31.0, 1.0, 116.0, 42.0, 106.0, 40.0, 10.0])
    e1, e2 = 7, 8
    relations = [(t1, [a, b, e1]), (t2, [c, d, e2]), (t3, [a, c])]
    mask = np.array([True, True, True, True, False, False, False, True, True])
    assert disclosure.pinned(wider, mask, relations) == []


def test_suppression_leaves_no_count_that_only_ones_could_make():
    cells = disclosure.Cells()
    grid = {("N", "TS"): 75, ("N", "U"): 1, ("W", "TS"): 31, ("W", "U"): 1}
    grid |= {("N", "EH"): 239, ("W", "EH"): 93, ("R", "TS"): 63, ("R", "U"): 0, ("R", "EH"): 171}
    keys = {
        cell: cells.count(disclosure.key("requests", place=cell[0], decision=cell[1]), v)
        for cell, v in grid.items()
    }
    for place in "NWR":
        parts = [keys[(place, x)] for x in ("TS", "U", "EH")]
        total = cells.count(
            disclosure.key("requests", place=place),
            sum(grid[(place, x)] for x in ("TS", "U", "EH")),
        )
        cells.total(total, parts)
    for decision in ("TS", "U", "EH"):
        parts = [keys[(p, decision)] for p in "NWR"]
        total = cells.count(
            disclosure.key("requests", decision=decision), sum(grid[(p, decision)] for p in "NWR")
        )
        cells.total(total, parts)
    mask = cells.suppress(6)
    values = np.asarray(cells.values)
    assert mask[cells.index[keys[("N", "U")]]] and mask[cells.index[keys[("W", "U")]]]
    assert disclosure.determined(values, mask, cells.relations) == []
    assert disclosure.pinned(values, mask, cells.relations) == []
