"""The SSD import's fast paths give exactly what the general expressions give: dates read
without splitting the cell, and each outcome JSON parsed once."""

from __future__ import annotations

import duckdb
import pytest

from ehts_data.importers import ssd
from tests.ssd_fixtures import CONTACTS, read, run_import, table

# Cells on both sides of the fast path's edges: a space or 'T' inside the first ten
# characters, before or after the tenth, leading and trailing spaces, other whitespace.
DATE_CELLS = [
    "2024-05-01",
    "2024-05-01 09:30:00.000",
    "2024-05-01T09:30",
    "2024-05-01T09:30 Z",
    "2024-05-01x",
    "2024-05-011",
    "2024-5-1 09:30",
    "2024-05-1 x",
    "2024-05-1T0",
    " 2024-05-01",
    "2024-05-01 ",
    "  2024-05-01 10:00",
    "\t2024-05-01",
    "2024-05-01\t10:00",
    "01/05/2024",
    "01/05/2024 09:30",
    "1/5/2024 09:30",
    "2024-02-30 10:00",
    "2024-13-01",
    "T024-05-01",
    "",
    " ",
    "Tuesday",
    "2024-05-01t09:30",
    "2024-05-0é 1",
    None,
]


@pytest.mark.parametrize("formats", list(ssd.DATE_FORMATS.values()))
def test_the_date_fast_path_reads_every_cell_as_the_splits_do(formats):
    con = duckdb.connect()
    con.execute("create table cells as select unnest($cells) as d", {"cells": DATE_CELLS})
    split = ssd.DATE_PART_SPLIT.format(column="d")
    rows = con.execute(
        f"select d, {ssd._date_part_sql('d')}, {split}, {ssd._date_sql('d')},"
        f" try_strptime({split}, $formats)::date from cells",
        {"formats": formats},
    ).fetchall()
    assert len(rows) == len(DATE_CELLS)
    for cell, fast_part, split_part, fast_date, split_date in rows:
        assert (fast_part, fast_date) == (split_part, split_date), cell
    # the cells the fast path exists for are read as dates where the format allows them
    dates = {cell: date for cell, _, _, date, _ in rows}
    assert (dates["2024-05-01 09:30:00.000"] is not None) == ("%Y-%m-%d" in formats)
    assert (dates["01/05/2024 09:30"] is not None) == ("%d/%m/%Y" in formats)


def test_a_bad_date_in_the_fast_paths_shape_is_refused_with_its_row_and_value(tmp_path):
    with pytest.raises(ssd.SsdImportError) as caught:
        run_import(
            tmp_path,
            ssd_contacts=table(
                CONTACTS, "K1,P1,2024-05-01 09:30:00.000,2A", "K2,P1,2024-02-30 09:30:00.000,2A"
            ),
        )
    problem = caught.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (
        3,
        "cont_contact_date",
        "2024-02-30 09:30:00.000",
    )
    assert problem.reason.startswith("not a date (expected YYYY-MM-DD")


def test_outcome_json_that_is_valid_but_no_object_is_no_flag_not_an_error(tmp_path):
    result = run_import(
        tmp_path,
        ssd_contacts=table(
            CONTACTS + ",cont_contact_outcome_json",
            "K1,P1,2024-05-01,2A,null",
            'K2,P1,2024-05-02,2A,"[""Y""]"',
            'K3,P1,2024-05-03,2A,"{""NFA_FLAG"": 1}"',
            'K4,P1,2024-05-04,2A,"{""NFA_FLAG"": true, ""NEW_REFERRAL_FLAG"": "" y ""}"',
        ),
    )
    requests = read(result.out / "requests.csv").splitlines()[1:]
    decisions = {line.split(",")[0]: line.split(",")[-1] for line in requests}
    assert decisions["K1"] == decisions["K2"] == ""
    # numbers and booleans are read as their text (1, true); the first flag in the mapping's
    # order set to a yes value wins (NEW_REFERRAL_FLAG comes before NFA_FLAG)
    assert (decisions["K3"], decisions["K4"]) == ("no_further_action", "social_care")
    assert not any(v.how.startswith("UNMAPPED") for v in result.report.values)
