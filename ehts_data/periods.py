"""Reporting periods: financial years (1 April – 31 March), their quarters, custom ranges."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_PERIOD = re.compile(r"^(\d{4})-(\d{2})(?:-Q([1-4]))?$")


# Case data from before 1900 or after 2199 is a typing slip, not a period (0000-01 must not crash).
FIRST_YEAR, LAST_YEAR = 1900, 2199


class PeriodError(ValueError):
    """A period that cannot be understood."""


@dataclass(frozen=True, order=True)
class Period:
    """A span of days, both ends inclusive, with the label reports print."""

    start: date
    end: date
    label: str

    @property
    def kind(self) -> str:
        if _PERIOD.match(self.label):
            return "quarter" if "-Q" in self.label else "year"
        return "custom"

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "year":
            return financial_year(self.start.year - 1)
        if self.kind == "quarter":
            fy, q = fy_start_year(self.start), int(self.label[-1])
            return quarter(fy - 1, 4) if q == 1 else quarter(fy, q - 1)
        days = (self.end - self.start).days + 1
        end = self.start - timedelta(days=1)
        return custom(end - timedelta(days=days - 1), end)


def fy_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def fy_start_year(day: date) -> int:
    """The calendar year in which the financial year containing `day` starts."""
    return day.year if day.month >= 4 else day.year - 1


def quarter_of(day: date) -> Period:
    """The financial quarter that holds `day`."""
    return quarter(fy_start_year(day), (day.month - 4) % 12 // 3 + 1)


def month_of(day: date) -> Period:
    """The calendar month that holds `day`, labelled like 'Mar 2026'."""
    first = day.replace(day=1)
    last = add_months(first, 1) - timedelta(days=1)
    return Period(first, last, first.strftime("%b %Y"))


def add_months(day: date, months: int) -> date:
    """Calendar months later (earlier when negative), the day clipped to the month's length,
    like DuckDB's `+ interval n month` (29 Feb 2024 + 12 months = 28 Feb 2025)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_quarters(day: date, count: int) -> list[Period]:
    """The `count` financial quarters ending with the one that holds `day`."""
    out = [quarter_of(day)]
    while len(out) < count:
        out.insert(0, out[0].previous())
    return out


def last_months(day: date, count: int) -> list[Period]:
    """The `count` calendar months ending with the one that holds `day`."""
    out = [month_of(day)]
    while len(out) < count:
        out.insert(0, month_of(out[0].start - timedelta(days=1)))
    return out


def financial_year(start_year: int) -> Period:
    return Period(date(start_year, 4, 1), date(start_year + 1, 3, 31), fy_label(start_year))


def quarter(start_year: int, q: int) -> Period:
    """Quarter q (1 = April–June … 4 = January–March) of the financial year starting in start_year."""
    month = 4 + 3 * (q - 1)
    year = start_year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    first = date(year, month, 1)
    next_first = date(year + (month + 2) // 12, (month + 2) % 12 + 1, 1)
    return Period(first, next_first - timedelta(days=1), f"{fy_label(start_year)}-Q{q}")


def custom(start: date, end: date) -> Period:
    for day in (start, end):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise PeriodError(f"{day}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    if end < start:
        raise PeriodError(f"the period ends ({end}) before it starts ({start})")
    return Period(start, end, f"{start.isoformat()} to {end.isoformat()}")


def parse(text: str) -> Period:
    """'2024-25' (financial year) or '2024-25-Q1' (its first quarter, April–June)."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise PeriodError(
            f"{text!r} is not a period: use a financial year like 2024-25 or a quarter like "
            "2024-25-Q1"
        )
    start_year, short, q = int(match[1]), int(match[2]), match[3]
    if not FIRST_YEAR <= start_year <= LAST_YEAR:
        raise PeriodError(f"{text!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    if (start_year + 1) % 100 != short:
        raise PeriodError(f"{text!r}: a financial year is written like {fy_label(start_year)}")
    return quarter(start_year, int(q)) if q else financial_year(start_year)


def resolve(
    period: str | None = None, start: date | None = None, end: date | None = None
) -> Period:
    """One period from either a period code or explicit start and end dates."""
    if period and (start or end):
        raise PeriodError("give either a period or start and end dates, not both")
    if period:
        return parse(period)
    if start and end:
        return custom(start, end)
    raise PeriodError("a period is needed: --period 2024-25, --period 2024-25-Q1 or --start/--end")


def quarters_between(first: date, last: date) -> list[Period]:
    """Every financial quarter overlapping first..last, in order."""
    out = []
    p = quarter_of(first)
    while p.start <= last:
        out.append(p)
        p = quarter_of(p.end + timedelta(days=1))
    return out


def years_between(first: date, last: date) -> list[Period]:
    """Every financial year overlapping first..last, in order."""
    return [financial_year(y) for y in range(fy_start_year(first), fy_start_year(last) + 1)]
