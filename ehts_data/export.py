"""Numbers that leave the dashboard: machine-readable downloads and workbooks laid out as the
Government Statistical Service's spreadsheet guidance asks (cover, contents, notes, one table
per sheet with a title row, symbols in brackets, numbers stored as numbers).

A download is for another program as much as for a person: numbers stay numbers, rounded the
same way everywhere (counts as integers, shares as percentages to one decimal place, rates to
one decimal place), and a column's name says its unit (`share_percent`,
`requests_per_10k_children`), never a formatted string such as "1,173.6 per 10,000".
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from ehts_data import disclosure, text
from ehts_data import kinds as value_kinds

FREE_PLACES = 4  # a number of no unit of its own (a public figure, a limit) keeps its detail
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"


def column_name(name, kind: str | None = None) -> str:
    """A column's name for a machine: lower case, words joined by _, ending with its unit
    ('Share' as a share → 'share_percent'; 'value' per 10,000 → 'value_per_10k_children')."""
    slug = re.sub(r"[^0-9a-z]+", "_", str(name).lower().replace("%", " percent ")).strip("_")
    unit = value_kinds.BY_NAME[kind].column_unit if kind in value_kinds.BY_NAME else ""
    if unit and not slug.endswith(unit) and unit.split("_")[0] not in slug.split("_"):
        slug = f"{slug}_{unit}" if slug else unit
    return slug or "column"


def in_unit(kind: str, value):
    """One value as a download writes it for its kind (a share as a percentage to 1 dp, a
    count whole); for a column whose rows are of different kinds, beside a unit column."""
    k = value_kinds.BY_NAME.get(kind)
    if k is None or k.free:
        return _number(value, FREE_PLACES, 1)
    return _number(value, k.download_places, k.scale)


def _number(value, places: int | None, scale: float):
    """One cell: a number rounded for its kind; a symbol or text left as it is."""
    if isinstance(value, bool | np.bool_) or value is None or value is pd.NA:
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer) and scale == 1:
        return int(value)  # a count stays whole whatever its column's other rows are
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if math.isnan(number):
        return None
    number *= scale
    if places is None:
        return int(round(number))
    return round(number, places)


def machine_readable(frame: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """The frame as a download: numbers rounded by kind (counts whole, shares as percentages
    and rates to 1 dp), symbols such as c kept as text, and names with their units. A
    numeric column of no kind is whole when every value is, else kept to 4 places."""
    declared = kinds or {}
    out = {}
    for col in frame.columns:
        series = frame[col]
        kind = declared.get(col)
        k = value_kinds.BY_NAME.get(kind)
        if k is not None and not k.free:
            places, scale = k.download_places, k.scale
        elif _numeric_column(series):
            numbers = pd.to_numeric(series, errors="coerce").dropna()
            whole = bool(len(numbers)) and bool((numbers == numbers.round()).all())
            places, scale = (None if whole else FREE_PLACES), 1
        else:
            out[column_name(col)] = series.astype(object).where(series.notna(), None)
            continue
        values = [_number(v, places, scale) for v in series]
        if places is None and all(isinstance(v, int) or v is None for v in values):
            out[column_name(col, kind)] = pd.array(values, dtype="Int64")
        else:
            out[column_name(col, kind)] = pd.Series(values, dtype=object)
    return pd.DataFrame(out, index=range(len(frame)))


def _numeric_column(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    values = series.dropna()
    symbols = set(disclosure.SYMBOLS)
    rest = [v for v in values if not (isinstance(v, str) and v in symbols)]
    return bool(rest) and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in rest
    )


def csv_bytes(frame: pd.DataFrame, kinds: dict[str, str] | None = None) -> bytes:
    """A download's CSV: machine-readable numbers, safe text (ehts_data.text)."""
    return text.csv_bytes(machine_readable(frame, kinds))


# ---- Workbooks (GSS "Releasing statistics in spreadsheets") ----

# A symbol in a workbook's table is in brackets ([c]), as the guidance asks.
BRACKETED = {symbol: f"[{symbol}]" for symbol in disclosure.SYMBOLS}


@dataclass
class Sheet:
    """One table on its own sheet: sheet name (31 characters at most), title, what it shows,
    and the table itself (numbers as numbers, symbols such as [c] as text)."""

    name: str
    title: str
    description: str
    frame: pd.DataFrame


@dataclass
class Cover:
    """What the cover sheet says about the whole workbook."""

    title: str
    about: str
    period: str
    source: str
    contact: str
    extra: list[tuple[str, str]] = field(default_factory=list)  # (heading, text)


def workbook(
    cover: Cover, sheets: list[Sheet], notes: list[str], stamp: datetime | None = None
) -> bytes:
    """A workbook laid out as the GSS guidance asks: Cover (title, period, source, symbols
    and their meaning, contact), Contents (each table's sheet, linked, and title), Notes,
    then one table per sheet: a title row, what it shows, then the table with its header
    frozen; numbers stored as numbers with thousands separators, no merged cells."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _cover_sheet(wb, cover)
    _contents_sheet(wb, sheets)
    _notes_sheet(wb, notes)
    for sheet in sheets:
        _table_sheet(wb, sheet)
    wb.properties.creator = "EHTS Insight"
    wb.properties.title = cover.title
    if stamp is not None:  # the data's time, so the same data gives the same file
        wb.properties.created = wb.properties.modified = stamp
    raw = io.BytesIO()
    wb.save(raw)
    return raw.getvalue()


def _write(ws, row: int, values, *, bold: bool = False, size: int | None = None) -> None:
    from openpyxl.styles import Font

    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=text.for_spreadsheet(_plain(value)))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text is text, never a formula
        elif isinstance(cell.value, int):
            cell.number_format = COUNT_FORMAT
        elif isinstance(cell.value, float):
            cell.number_format = DECIMAL_FORMAT
        if bold or size:
            cell.font = Font(bold=bold, size=size or 11)


def _plain(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def _cover_sheet(wb, cover: Cover) -> None:
    ws = wb.create_sheet("Cover")
    _write(ws, 1, [cover.title], bold=True, size=14)
    rows: list[tuple[str, str | None]] = [
        (cover.about, None),
        ("Period covered", cover.period),
        ("Source", cover.source),
        *cover.extra,
        ("Symbols used", None),
        *(
            (f"{BRACKETED[symbol]} {meaning}", None)
            for symbol, meaning in disclosure.SYMBOLS.items()
        ),
        ("Contact", cover.contact),
        (
            "Contents",
            "The Contents sheet lists every table in this workbook, with a link to each; "
            "the Notes sheet explains the notes the tables refer to.",
        ),
    ]
    line = 2
    for heading, body in rows:
        if body is None:
            _write(ws, line, [heading], bold=heading == "Symbols used")
            line += 1
            continue
        _write(ws, line, [heading], bold=True, size=12)
        _write(ws, line + 1, [body])
        line += 2
    ws.column_dimensions["A"].width = 110


def _sheet(wb, name: str, title: str, about: str, more: str, header: list[str]):
    """A sheet of one table: its title, two lines about it, then the header (row 4, frozen
    above the table)."""
    ws = wb.create_sheet(name)
    _write(ws, 1, [title], bold=True, size=14)
    _write(ws, 2, [about])
    _write(ws, 3, [more])
    _write(ws, 4, header, bold=True)
    ws.freeze_panes = "A5"
    return ws


def _contents_sheet(wb, sheets: list[Sheet]) -> None:
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws = _sheet(
        wb,
        "Contents",
        "Table of contents",
        "This worksheet contains one table: every other table in this workbook.",
        "Select a sheet name to go to its table.",
        ["Sheet name", "Table title", "Rows"],
    )
    for i, sheet in enumerate(sheets, start=5):
        _write(ws, i, [sheet.name[:31], sheet.title, len(sheet.frame)])
        link = ws.cell(row=i, column=1)
        # A link inside the workbook (a location, not an external target).
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet.name[:31]}'!A1")
        link.style = "Hyperlink"
    _widths(ws, ["Sheet name", *(s.name for s in sheets)], 1)
    _widths(ws, ["Table title", *(s.title for s in sheets)], 2)
    ws.column_dimensions["C"].width = 10


def _notes_sheet(wb, notes: list[str]) -> None:
    ws = _sheet(
        wb,
        "Notes",
        "Notes",
        "This worksheet contains one table.",
        "Each note applies to every table of this workbook.",
        ["Note number", "Note text"],
    )
    for i, note in enumerate(notes, start=1):
        _write(ws, 4 + i, [f"[note {i}]", note])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 120


def _table_sheet(wb, sheet: Sheet) -> None:
    header = [str(c) for c in sheet.frame.columns]
    ws = _sheet(
        wb,
        sheet.name[:31],
        sheet.title,
        sheet.description,
        "This worksheet contains one table. Symbols: "
        + "; ".join(f"{BRACKETED[s]} {m.split(':')[0]}" for s, m in disclosure.SYMBOLS.items())
        + " (see the Cover sheet).",
        header,
    )
    frame = sheet.frame.map(lambda v: BRACKETED.get(v, v) if isinstance(v, str) else v)
    for i, row in enumerate(frame.itertuples(index=False), start=5):
        _write(ws, i, row)
    for col, name in enumerate(header, start=1):
        _widths(ws, [name, *(_shown(v) for v in frame.iloc[:, col - 1])], col)


def _shown(value) -> str:
    value = _plain(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return "" if value is None else str(value)


def _widths(ws, values, column: int, low: int = 10, high: int = 60) -> None:
    from openpyxl.utils import get_column_letter

    width = max((len(str(v)) for v in values), default=low) + 2
    ws.column_dimensions[get_column_letter(column)].width = max(low, min(high, width))
