from datetime import date

import pytest

from ehts_data import periods


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024-25", date(2024, 4, 1), date(2025, 3, 31)),
        ("2024-25-Q1", date(2024, 4, 1), date(2024, 6, 30)),
        ("2024-25-Q2", date(2024, 7, 1), date(2024, 9, 30)),
        ("2024-25-Q3", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-25-Q4", date(2025, 1, 1), date(2025, 3, 31)),
        ("2023-24-Q4", date(2024, 1, 1), date(2024, 3, 31)),
        ("1999-00", date(1999, 4, 1), date(2000, 3, 31)),
    ],
)
def test_period_codes_parse_to_inclusive_dates(text, start, end):
    period = periods.parse(text)
    assert (period.start, period.end, period.label) == (start, end, text)


@pytest.mark.parametrize("text", ["2024-26", "2024", "2024-25-Q5", "24-25", "2024/25"])
def test_bad_period_codes_are_refused_with_a_hint(text):
    with pytest.raises(periods.PeriodError, match="2024-25"):
        periods.parse(text)


def test_previous_period_of_each_kind():
    assert periods.parse("2024-25").previous().label == "2023-24"
    assert periods.parse("2024-25-Q1").previous().label == "2023-24-Q4"
    assert periods.parse("2024-25-Q3").previous().label == "2024-25-Q2"
    custom = periods.custom(date(2024, 3, 1), date(2024, 3, 10))
    assert (custom.previous().start, custom.previous().end) == (
        date(2024, 2, 20),
        date(2024, 2, 29),
    )


def test_resolve_needs_exactly_one_way_of_saying_the_period():
    assert periods.resolve("2024-25").start == date(2024, 4, 1)
    assert periods.resolve(None, date(2024, 1, 1), date(2024, 1, 31)).kind == "custom"
    with pytest.raises(periods.PeriodError):
        periods.resolve("2024-25", date(2024, 1, 1), date(2024, 1, 31))
    with pytest.raises(periods.PeriodError):
        periods.resolve(None, date(2024, 2, 1), date(2024, 1, 31))


def test_quarters_between_covers_the_span():
    labels = [p.label for p in periods.quarters_between(date(2024, 2, 10), date(2024, 8, 1))]
    assert labels == ["2023-24-Q4", "2024-25-Q1", "2024-25-Q2"]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # clipped, like DuckDB's interval
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
    ],
)
def test_add_months_counts_calendar_months(day, months, expected):
    assert periods.add_months(day, months) == expected


def test_quarter_of_and_the_last_quarters_and_months():
    assert periods.quarter_of(date(2026, 3, 31)).label == "2025-26-Q4"
    assert periods.quarter_of(date(2025, 4, 1)).label == "2025-26-Q1"
    assert [q.label for q in periods.last_quarters(date(2025, 5, 2), 3)] == [
        "2024-25-Q3",
        "2024-25-Q4",
        "2025-26-Q1",
    ]
    months = periods.last_months(date(2024, 3, 10), 2)
    assert [(m.label, m.start, m.end) for m in months] == [
        ("Feb 2024", date(2024, 2, 1), date(2024, 2, 29)),
        ("Mar 2024", date(2024, 3, 1), date(2024, 3, 31)),
    ]
