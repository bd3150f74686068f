"""Numbers as a council report prints them: 1,234 · 18.4% · 312.5 per 10,000 · 143 days."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ehts_data import kinds
from ehts_data.contract import OUTCOME_AREAS
from ehts_data.metrics import metric_of


def _missing(value) -> bool:
    # pd.NA too: a hub has no population, so its rate per 10,000 is missing, not a number.
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def headline(metric: str, v) -> str:
    """A value for a tile whose title already names the unit (no 'per 10,000' suffix)."""
    return of_kind(metric_of(metric).kind, v, short=True)


def of_kind(kind: str | kinds.Kind, v, *, short: bool = False) -> str:
    """A value shown for its kind (kinds.KINDS: count, share, per_10k, days, percent, score);
    `short` drops the unit a tile's title already says ('per 10,000')."""
    if isinstance(v, str):  # already a symbol such as 'c'
        return v
    if _missing(v):
        return "–"
    kind = kinds.of(kind)
    return kind.tile(v) if short else kind.text(v)


def value(metric: str, v) -> str:
    """A result value formatted for its metric's kind."""
    return of_kind(metric_of(metric).kind, v)


def text_table(heads: tuple[str, ...], rows: list[tuple[str, ...]], right: int = 2) -> str:
    """A fixed-width text table; columns from `right` on are right-aligned (numbers)."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row[:right], widths[:right], strict=True)]
        cells += [c.rjust(w) for c, w in zip(row[right:], widths[right:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


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
    return text_table(("metric", "group", "numerator", "denominator", "value"), rows)


# Codes as people say them; anything not listed is the code with spaces, capitalised.
LABELS = {
    "unborn": "Unborn",
    "under_1": "Under 1",
    "1_4": "1–4",
    "5_9": "5–9",
    "10_15": "10–15",
    "16_plus": "16+",
    "self_or_family": "Self or family",
    "step_down_from_social_care": "Step-down from social care",
    "step_up_to_social_care": "Step-up to social care",
    "step_down_to_universal": "Step-down to universal",
    "declined_or_disengaged": "Declined or disengaged",
    "no_further_action": "No further action",
    "information_advice": "Information and advice",
    "no_episode": "No episode",
    "still_open": "Still open",
    "none": "No earlier episode",
    "getting_advice": "Getting advice",
    "getting_help": "Getting help",
    "getting_more_help": "Getting more help",
    "getting_risk_support": "Getting risk support",
    "debt_or_poverty": "Debt or poverty",
    "send_support": "SEND support",
    "parental_mental_health": "Parental mental health",
    "parental_substance_use": "Parental substance use",
    "antisocial_behaviour": "Antisocial behaviour",
    "early_years": "Early years",
    "substance_use": "Substance use",
    "domestic_abuse": "Domestic abuse",
    "unknown": "Unknown",
    "all": "All",
}


def outcome_areas(codes: pd.Series) -> pd.Series:
    """Survey outcome area numbers as their names ('3. Family relationships'), as text even
    when there are none (an empty numeric column would be taken for a count)."""
    return codes.map(lambda a: f"{a}. {OUTCOME_AREAS[int(a)]}").astype(object)


def label(code) -> str:
    """A code as a report prints it: 'step_up_to_social_care' → 'Step-up to social care'."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "Unknown"
    text = str(code)
    return LABELS.get(text) or (text.replace("_", " ").capitalize())


def nothing_counted(kind: str, counts: str, value, numerator, denominator) -> str | None:
    """'No requests in this period' when a period has nothing to count (a count of 0, or a
    share, rate or median over nothing: the kind's `counted_by` part is 0), else None."""
    part = {"value": value, "numerator": numerator, "denominator": denominator}[
        kinds.of(kind).counted_by
    ]
    empty = not _missing(part) and part == 0
    return f"No {counts} in this period" if empty else None


def headline_tiles(
    heads, k: int | None = None, polarities: dict | None = None, authority: dict | None = None
) -> list[dict]:
    """The Overview's tiles from explore.headlines. With `k` (publication mode) a value
    resting on 1 to K-1 cases is 'c', and so is its change whenever either end is withheld,
    since a change and one end give the other. `polarities`: the board's judgement of which
    way is better for a metric (scorecard.polarities), so the Overview and the Scorecard
    colour the same change the same way. A period with nothing to count says so.
    `authority` (with a place chosen): each metric's whole-authority row (numerator,
    denominator, value) for the same period, shown on its tile as 'reference' ("Whole
    authority: 12.3%"), withheld under `k` like the tile's own value."""
    from ehts_data.charts import AUTHORITY
    from ehts_data.disclosure import withheld

    tiles = []
    for row in heads.itertuples():
        metric = metric_of(row.metric)
        polarity = (polarities or {}).get(row.metric, metric.polarity)
        empty = nothing_counted(
            metric.kind, metric.counts, row.value, row.numerator, row.denominator
        )
        if empty:
            tiles.append(
                {
                    "title": metric.title,
                    "value": "–",
                    "delta": empty,
                    "polarity": None,
                    "delta_arrow": "off",
                    "help": f"{metric.description} {empty}.",
                }
            )
            continue
        now = before = None
        if k is not None:
            now = withheld(metric.kind, row.value, row.numerator, row.denominator, k)
            before = withheld(
                metric.kind,
                row.previous_value,
                row.previous_numerator,
                row.previous_denominator,
                k,
            )
        delta = None if now or before else change(metric.kind, row.value, row.previous_value)
        reference = None
        whole = (authority or {}).get(row.metric)
        # Not for a 12-month rule the data cannot reach back for (its value is withheld).
        if whole is not None and not _missing(whole["value"]) and not getattr(row, "note", None):
            shown = None
            if k is not None:
                shown = withheld(
                    metric.kind, whole["value"], whole["numerator"], whole["denominator"], k
                )
            reference = f"{AUTHORITY}: {shown or headline(row.metric, whole['value'])}"
        tiles.append(
            {
                "reference": reference,
                "title": metric.title,
                "value": now or headline(row.metric, row.value),
                "delta": delta,
                "delta_arrow": "off" if delta == "no change" else "auto",
                "polarity": None if delta == "no change" else polarity,
                "help": f"{metric.description} Change against {row.previous_period}"
                + (" (withheld: it rests on small numbers)." if now or before else "."),
            }
        )
    return tiles


def tolerance(kind: str, value) -> str:
    """An amber band as a distance: percentage points for shares and percents (3.0 pp, not
    3.0%, which would read as a share)."""
    if _missing(value):
        return "–"
    k = kinds.of(kind)
    if k.change_suffix == " pp":
        return f"{value * k.scale:.{k.change_places}f} pp"
    return of_kind(k, value)


def rounds_to_zero(kind: str, diff: float) -> bool:
    """True when a change prints as zero for its kind ('-0.0 pp', '+0 days' are no change)."""
    return kinds.of(kind).rounds_to_zero(diff)


def change(kind: str, now, before) -> str | None:
    """The change from `before` to `now` as a report prints it (None when either is missing);
    'no change' when it would print as zero."""
    if _missing(now) or _missing(before):
        return None
    diff = now - before
    if rounds_to_zero(kind, diff):
        return "no change"
    return kinds.of(kind).change(diff, before)


@dataclass(frozen=True)
class Currency:
    """How current the data is for a period: the words, the days since the data's last day,
    and whether the period runs past it."""

    text: str
    days: int
    period_past_data: bool


def data_currency(period, last_day: date, today: date) -> Currency:
    """'Data to 31 Mar 2026 (245 days ago).', and when the period ends after that day, that
    its figures cover only part of it."""
    days = (today - last_day).days
    ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days:,} days ago"
    words = f"Data to {last_day:%d %b %Y} ({ago})."
    past = period.end > last_day
    if past:
        if period.start > last_day:
            words += f" The period {period.label} starts after the data ends: it has no data."
        else:
            words += (
                f" The period {period.label} runs to {period.end:%d %b %Y}, past the data's "
                "last day: its figures cover only part of it."
            )
    return Currency(words, days, past)
