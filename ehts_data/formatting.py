"""Numbers as a council report prints them: 1,234 · 18.4% · 312.5 per 10,000 · 143 days."""

from __future__ import annotations

import math

from ehts_data.metrics import metric_of

SUPPRESSED = "c"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value) -> str:
    return "–" if _missing(value) else f"{int(round(value)):,}"


def percent(share, places: int = 1) -> str:
    """A share from 0 to 1 as a percentage."""
    return "–" if _missing(share) else f"{share * 100:.{places}f}%"


def per_10k(value) -> str:
    return "–" if _missing(value) else f"{value:,.1f} per 10,000"


def days(value) -> str:
    return "–" if _missing(value) else f"{value:,.0f} days"


def value(metric: str, v) -> str:
    """A result value formatted for its metric's kind."""
    if isinstance(v, str):  # already a symbol such as 'c'
        return v
    kind = metric_of(metric).kind
    return {"count": count, "share": percent, "per_10k": per_10k, "days": days}[kind](v)


def table(records: list[dict]) -> str:
    """Result records as a fixed-width text table (the CLI's `--format table`)."""
    rows = [
        (
            r["metric"],
            r["group"],
            "" if r["numerator"] is None else f"{r['numerator']:,}",
            "" if r["denominator"] is None else f"{r['denominator']:,}",
            value(r["metric"], r["value"]),
        )
        for r in records
    ]
    heads = ("metric", "group", "numerator", "denominator", "value")
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells))
    return "\n".join(lines)
