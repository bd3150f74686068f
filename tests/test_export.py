"""Downloads a program can read: numbers as numbers, rounded by kind, units in the names."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from ehts_data import disclosure, export


def test_a_download_keeps_numbers_as_numbers_rounded_by_kind_with_units_in_the_names():
    shown = pd.DataFrame(
        {
            "Locality": ["North", "South"],
            "Count": [2889.0, 12.0],
            "Out of": [10512.0, 40.0],
            "Share": [0.274829, 0.3],
            "Requests per 10,000": [1173.6449, 88.04],
            "Median": [143.25, 20.0],
        }
    )
    kinds = {
        "Count": "count",
        "Out of": "denominator",
        "Share": "share",
        "Requests per 10,000": "per_10k",
        "Median": "days",
    }
    out = export.machine_readable(shown, kinds)
    assert list(out.columns) == [
        "locality",
        "count",
        "out_of",
        "share_percent",
        "requests_per_10_000",
        "median_days",
    ]
    text = export.csv_bytes(shown, kinds).decode()
    assert text.splitlines()[1] == "North,2889,10512,27.5,1173.6,143.2"
    assert "2889.0" not in text and "per 10,000" not in text.splitlines()[1]


def test_a_withheld_cell_stays_the_symbol_beside_numbers_of_its_column():
    shown = pd.DataFrame(
        {"n": [disclosure.CONFIDENTIAL, 40], "value": [disclosure.CONFIDENTIAL, 0.25]}
    )
    out = export.machine_readable(shown, {"n": "count", "value": "share"})
    assert list(out["n"]) == [disclosure.CONFIDENTIAL, 40]
    assert list(out["value_percent"]) == [disclosure.CONFIDENTIAL, 25.0]
    back = pd.read_csv(io.BytesIO(export.csv_bytes(shown, {"n": "count"})), dtype=str)
    assert list(back["n"]) == ["c", "40"]  # domain.md's symbol; a workbook shows [c]


def test_a_column_of_no_kind_is_whole_when_every_value_is_else_kept_to_four_places():
    out = export.machine_readable(pd.DataFrame({"rows": [3.0, 4.0], "ratio": [0.123456, 1.0]}))
    assert str(out["rows"].dtype) == "Int64" and list(out["rows"]) == [3, 4]
    assert list(out["ratio"]) == [0.1235, 1.0]


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Re-entry within 12 months", "share", "re_entry_within_12_months_percent"),
        ("requests", "per_10k", "requests_per_10k_children"),
        ("North (%)", "percent", "north_percent"),
        ("Median days", "days", "median_days"),
        ("Requests", "count", "requests"),
    ],
)
def test_column_names_carry_their_unit_once(name, kind, expected):
    assert export.column_name(name, kind) == expected


def test_text_from_the_data_in_a_download_is_never_a_formula():
    shown = pd.DataFrame({"Hub": ["=HYPERLINK(1)", "-2"], "n": [1, 2]})
    assert "'=HYPERLINK(1)" in export.csv_bytes(shown, {"n": "count"}).decode()


def test_a_column_of_counts_and_rates_of_different_kpis_keeps_each_count_whole():
    shown = pd.DataFrame(
        {"unit": ["count", "percent"], "value": pd.Series([784, 22.8], dtype=object)}
    )
    assert export.csv_bytes(shown).decode().splitlines()[1:] == ["count,784", "percent,22.8"]
    assert export.in_unit("share", 0.2284) == 22.8 and export.in_unit("count", 784.0) == 784
