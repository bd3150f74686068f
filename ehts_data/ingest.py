"""Ingest a directory of contract files: read → validate → load → derive facts → install.

The new extract is built in a private file in the store folder and becomes current by one
atomic move of the store's pointer, only when every check has passed: a failed or killed
ingest changes nothing, and dashboards reading the old version finish on it and pick up the
new one on their next rerun (docs/store.md). The records people write live in the state
database; an ingest only appends its own row of history there.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ehts_data import config, contract, state, store
from ehts_data.contract import ColumnSpec, ContractModel

MAX_PROBLEMS = 100
# Bounds that refuse a file no contract extract could be, before minutes and GBs are spent.
MAX_HEADER_COLUMNS = 1_000
MAX_HEADER_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024
FACT_SCRIPTS = (
    "derive_child_places",
    "derive_request_facts",
    "derive_episode_facts",
    "derive_episode_spans",
    "derive_assessment_facts",
    "derive_survey_facts",
)
# References (table, column) that the derive scripts follow with an inner join: they are
# checked after the derive, and only when queries/derive_lost_references.sql finds rows the
# derive lost (or when other problems stop the ingest before it).
DERIVE_CHECKED_REFERENCES = frozenset(
    {
        ("children", "family_id"),
        ("requests", "child_id"),
        ("episodes", "child_id"),
        ("episodes", "request_id"),
        ("assessments", "episode_id"),
    }
)

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, with its place."""

    file: str
    row: int | None  # spreadsheet row: the header is row 1, the first record row 2
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        place = self.file
        if self.row is not None:
            place += f" row {self.row}"
        if self.column:
            place += f" column {self.column}"
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{place}: {self.reason}{shown}"


class IngestError(Exception):
    """Every problem found in a batch (up to a cap, in file and row order), how many there
    were in all, how many of each (file, column, reason), and the warnings raised on the way
    (columns that are not in the contract, which may hold identifiers)."""

    def __init__(
        self,
        problems: list[Problem],
        total: int | None = None,
        summary: dict[tuple[str, str | None, str], int] | None = None,
        warnings: list[str] | None = None,
    ):
        self.problems = sorted(problems, key=_place)
        self.total = len(problems) if total is None else total
        self.summary = summary or _summary(problems)
        self.warnings = warnings or []
        more = self.total - len(problems)
        lines = [str(p) for p in self.problems]
        if more > 0:
            lines.append(f"… and {more:,} more problems")
        super().__init__(
            f"Ingest rejected: {self.total:,} problem(s); the store was not changed.\n"
            + "\n".join(lines)
        )


def _place(problem: Problem) -> tuple:
    return (problem.file, -1 if problem.row is None else problem.row, problem.column or "")


def _summary(problems: list[Problem]) -> dict[tuple[str, str | None, str], int]:
    out: dict[tuple[str, str | None, str], int] = {}
    for p in problems:
        out[(p.file, p.column, p.reason)] = out.get((p.file, p.column, p.reason), 0) + 1
    return out


@dataclass
class IngestResult:
    """What an ingest loaded."""

    ingest_id: str
    db: Path
    source: str
    fingerprint: str
    row_counts: dict[str, int]
    date_from: str | None
    date_to: str | None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ingested_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))


def _quiet(message: str, fraction: float) -> None:
    pass


def ident(name: str) -> str:
    """A quoted SQL identifier (names come from the contract, never from the file)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A quoted SQL string (a pattern from the contract, never from the file)."""
    return "'" + text.replace("'", "''") + "'"


class _Collector:
    """Gathers problems up to the cap while counting all of them."""

    def __init__(self, cap: int):
        self.cap = cap
        self.problems: list[Problem] = []
        self.total = 0
        self.summary: dict[tuple[str, str | None, str], int] = {}

    def _count(self, file: str, column: str | None, reason: str, count: int) -> None:
        self.total += count
        key = (file, column, reason)
        self.summary[key] = self.summary.get(key, 0) + count

    def error(self, warnings: list[str], source: Path | None = None) -> IngestError:
        """The error to raise; with the extract's folder, each CSV problem's row is the
        file's own row, counting blank lines (which reading skips)."""
        problems = self.problems
        if source is not None:
            asked: dict[str, set[int]] = {}
            # A CSV reading error's row is already the file's own line.
            for p in problems:
                if p.row is not None and p.file.endswith(".csv") and not _unreadable(p):
                    asked.setdefault(p.file, set()).add(p.row)
            rows = {f: _file_rows(source / f, wanted) for f, wanted in asked.items()}
            problems = [
                dataclasses.replace(p, row=rows[p.file].get(p.row, p.row))
                if p.file in rows and p.row is not None and not _unreadable(p)
                else p
                for p in problems
            ]
        return IngestError(problems, self.total, self.summary, warnings)

    def add(self, problem: Problem, count: int = 1) -> None:
        self._count(problem.file, problem.column, problem.reason, count)
        if len(self.problems) < self.cap:
            self.problems.append(problem)

    def add_rows(self, file: str, column: str | None, reason: str, rows, count: int) -> None:
        """Add up to the cap of (row, value) pairs found by one check of `count` rows."""
        self._count(file, column, reason, count)
        for row, value in rows:
            if len(self.problems) >= self.cap:
                break
            self.problems.append(Problem(file, int(row), column, _shown(value), reason))

    def room(self) -> int:
        return max(self.cap - len(self.problems), 0)


UNREADABLE = "could not be read as CSV"


def _unreadable(problem: Problem) -> bool:
    return problem.reason.startswith(UNREADABLE)


def _file_rows(path: Path, records: set[int]) -> dict[int, int]:
    """For record numbers as reading gives them (rowid + 2: the header is 1), the file's row
    as a spreadsheet shows it, blank lines counted: empty when the file has no blank line
    (the numbers are the rows then). Parsed only as far as the last one asked."""
    if not _has_blank_line(path):
        return {}
    mapping, record, last = {}, 0, max(records)
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            for row, cells in enumerate(csv.reader(handle), start=1):
                if cells:
                    record += 1
                    if record in records:
                        mapping[record] = row
                    if record >= last:
                        break
    except (OSError, csv.Error):
        return {}
    return mapping


def _has_blank_line(path: Path) -> bool:
    tail = b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            text = tail + block
            if b"\n\n" in text or b"\n\r\n" in text:
                return True
            tail = text[-2:]
    return False


def _shown(value) -> str | None:
    if value is None:
        return None
    return str(value)


# ---- reading ----
def _read_header(path: Path, file: str, problems: _Collector) -> list[str] | None:
    # Only the first MAX_HEADER_BYTES are read: a file without a line break there (a binary
    # file, a one-line dump) is refused before DuckDB reads gigabytes of it.
    with path.open("rb") as handle:
        head = handle.read(MAX_HEADER_BYTES + 1)
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) > MAX_HEADER_BYTES:
        problems.add(
            Problem(
                file, 1, None, None, f"has no header row in its first {MAX_HEADER_BYTES:,} bytes"
            )
        )
        return None
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(Problem(file, None, None, None, f"is not UTF-8 text ({exc.reason})"))
        return None
    try:
        header = next(csv.reader([text.rstrip("\r")]), None)
    except csv.Error as exc:
        problems.add(Problem(file, 1, None, None, f"has a header that is not CSV ({exc})"))
        return None
    if not header or all(not h.strip() for h in header):
        problems.add(Problem(file, 1, None, None, "has no header row (the file is empty)"))
        return None
    if len(header) > MAX_HEADER_COLUMNS:
        problems.add(
            Problem(
                file,
                1,
                None,
                None,
                f"has {len(header):,} columns; no contract file has more than {MAX_HEADER_COLUMNS:,}",
            )
        )
        return None
    return header


def _check_header(
    model: type[ContractModel],
    header: list[str],
    problems: _Collector,
    warnings: list[str],
) -> bool:
    file = model.file
    ok = True
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.add(Problem(file, 1, name, name, "column appears twice in the header"))
            ok = False
        seen.add(name)
    known = {spec.name for spec in contract.column_specs(model)}
    for spec in contract.column_specs(model):
        if spec.required_column and spec.name not in seen:
            problems.add(Problem(file, 1, spec.name, None, "required column is missing"))
            ok = False
    for name in header:
        if name not in known:
            warnings.append(f"{file}: column {name!r} is not in the data contract and was ignored")
    return ok


def _typed_in_place(model: type[ContractModel]) -> bool:
    """Whether the file is read straight into its store table, as text, and its typed columns
    then altered in place: the text columns are written once. At national scale this saved
    2.5-5 s a file (requests 4 s). Not for a file with a code list: altering a list column
    took 27 s against 21 s for assessments."""
    return all(spec.kind != "code_list" for spec in contract.column_specs(model))


def _staged(model: type[ContractModel]) -> str:
    """The table a file is read into: its store table, or temp table stg_<table>."""
    table = contract.table_name(model)
    return table if _typed_in_place(model) else "stg_" + table


def _stage(
    con: duckdb.DuckDBPyConnection,
    model: type[ContractModel],
    path: Path,
    header: list[str],
    problems: _Collector,
) -> bool:
    """Load the file's contract columns as text into _staged(model). An empty cell, quoted or
    not, is read as null (nullstr and allow_quoted_nulls: cheaper than nullif)."""
    columns = {name: "VARCHAR" for name in header}
    selected = []
    for spec in contract.column_specs(model):
        if spec.name in columns:
            selected.append(ident(spec.name))
        else:
            selected.append(f"null::varchar as {ident(spec.name)}")
    create = "create table" if _typed_in_place(model) else "create or replace temp table"
    # No row-number column: DuckDB keeps insertion order, so a row's rowid is its record
    # index and its spreadsheet row is rowid + 2 (a window over the whole file costs more).
    sql = f"""
        {create} {ident(_staged(model))} as
        select {", ".join(selected)}
        from read_csv($path, header = true, auto_detect = false, columns = $columns,
                      delim = ',', quote = '"', escape = '"', strict_mode = true,
                      nullstr = '', allow_quoted_nulls = true, max_line_size = $max_line)
    """
    try:
        con.execute(sql, {"path": str(path), "columns": columns, "max_line": MAX_LINE_BYTES})
    except duckdb.Error as exc:
        row, reason = csv_error(str(exc))
        problems.add(Problem(model.file, row, None, None, f"{UNREADABLE}: {reason}"))
        return False
    return True


# DuckDB's CSV errors, in words: (what its message says, what the analyst is told).
CSV_ERRORS = (
    (
        re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"),
        "the row has {1} fields where the header has {0} (a missing or extra comma, or a "
        "line break inside an unquoted value?)",
    ),
    (
        re.compile(r"unterminated quote"),
        'a quoted value is not closed, or text follows its closing quote (write a " inside a '
        'quoted value as "")',
    ),
    (re.compile(r"not utf-8 encoded"), "the file is not UTF-8 (save it as CSV UTF-8)"),
    (
        re.compile(r"[Mm]aximum line size"),
        f"a line is longer than {MAX_LINE_BYTES:,} bytes",
    ),
    (
        re.compile(r"state machine reached an invalid state"),
        "its structure is not CSV: mixed line endings (some CRLF, some LF) or a stray quote",
    ),
)


def csv_error(message: str) -> tuple[int | None, str]:
    """The file row (the header is row 1) and the reason of a DuckDB CSV error, in words;
    the file's own line is never repeated (it may hold anything)."""
    found = re.search(r"CSV Error on Line: (\d+)", message)
    row = int(found.group(1)) if found else None
    for pattern, reason in CSV_ERRORS:
        if match := pattern.search(message):
            return row, reason.format(*match.groups())
    return row, message.splitlines()[0]


# ---- set-based checks derived from the contract ----
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DAY_FIRST_PATTERN = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$"


def _typed_expr(spec: ColumnSpec) -> str:
    c = ident(spec.name)
    if spec.kind == "date":
        return f"try_strptime({c}, '%Y-%m-%d')::date"
    if spec.kind == "int":
        return f"try_cast({c} as bigint)"
    if spec.kind == "float":
        return f"try_cast({c} as double)"
    if spec.kind == "code_list":
        # Spaces are removed rather than trimmed: the same on a list that passed its check
        # (no code holds a space) and a third faster. A repeated code is kept where it first
        # appears, in the file's order: list_position in a lambda over the list wrapped in a
        # list (so it is split once) took 4 s for 18 million lists at national scale, and
        # list_distinct 6 s.
        items = (
            f"list_filter(string_split(replace(coalesce({c}, ''), ' ', ''), ';'),"
            f" lambda x: x <> '')"
        )
        return (
            f"list_transform([{items}],"
            f" lambda l: list_filter(l, lambda x, i: list_position(l, x) = i))[1]"
        )
    return c


def _field_checks(spec: ColumnSpec, tag: str = "") -> list[tuple[str, str, dict]]:
    """(invalid-row predicate over stg, reason, params) for one column. Parameter names end
    in `tag`, so the checks of many columns can be counted in one query."""
    c = ident(spec.name)
    checks: list[tuple[str, str, dict]] = []
    if not spec.nullable:
        checks.append((f"{c} is null", "value is missing (this column is required)", {}))
    if spec.kind == "code":
        checks.append(
            (
                f"{c} is not null and not list_contains($codes{tag}, {c})",
                "unknown code (expected one of: " + ", ".join(spec.codes) + ")",
                {f"codes{tag}": list(spec.codes)},
            )
        )
    elif spec.kind == "code_list":
        # The same test as "every trimmed, non-empty item is a known code", as one regular
        # expression: a quarter of the time of splitting the list (trim removes spaces only).
        code = "(?:" + "|".join(re.escape(code) for code in spec.codes) + ")"
        checks.append(
            (
                f"{c} is not null and not regexp_full_match({c}, $pattern{tag})",
                "unknown need code (codes are separated by ';'; see the data contract's list)",
                {f"pattern{tag}": f"^(?: *{code}? *;)* *{code}? *$"},
            )
        )
    elif spec.kind == "date":
        # A date written day first (a spreadsheet's UK format) gets its own reason, with the fix.
        checks.append(
            (
                f"{c} is not null and regexp_full_match({c}, $dmy{tag})",
                "looks like dd/mm/yyyy: write dates as YYYY-MM-DD (31/03/2025 is 2025-03-31)",
                {f"dmy{tag}": DAY_FIRST_PATTERN},
            )
        )
        checks.append(
            (
                f"{c} is not null and not regexp_full_match({c}, $dmy{tag})"
                f" and not (regexp_full_match({c}, $pattern{tag})"
                f" and {_typed_expr(spec)} is not null)",
                "not a valid date (expected YYYY-MM-DD)",
                {f"pattern{tag}": DATE_PATTERN, f"dmy{tag}": DAY_FIRST_PATTERN},
            )
        )
        first, last = contract.DATE_RANGE
        checks.append(
            (
                f"{_typed_expr(spec)} not between $first{tag} and $last{tag}",
                f"out of range (dates must be from {first} to {last})",
                {f"first{tag}": first, f"last{tag}": last},
            )
        )
    elif spec.kind == "int":
        checks.append(
            (
                f"{c} is not null and not regexp_full_match({c}, '^-?[0-9]+$')",
                "not a whole number",
                {},
            )
        )
        checks.append(
            (
                f"{c} is not null and regexp_full_match({c}, '^-?[0-9]+$')"
                f" and {_typed_expr(spec)} is null",
                "too large a number",
                {},
            )
        )
    elif spec.kind == "float":
        checks.append(
            (
                f"{c} is not null and (try_cast({c} as double) is null"
                f" or isnan(try_cast({c} as double)) or isinf(try_cast({c} as double)))",
                "not a number",
                {},
            )
        )
    if spec.kind in ("int", "float") and (spec.ge is not None or spec.le is not None):
        typed = _typed_expr(spec)
        low = -1e308 if spec.ge is None else spec.ge
        high = 1e308 if spec.le is None else spec.le
        if spec.ge is not None and spec.le is not None:
            bounds = f"between {spec.ge:g} and {spec.le:g}"
        elif spec.ge is not None:
            bounds = f"at least {spec.ge:g}"
        else:
            bounds = f"at most {spec.le:g}"
        checks.append(
            (
                f"{typed} is not null and not ({typed} between $low{tag} and $high{tag})",
                f"out of range (must be {bounds})",
                {f"low{tag}": low, f"high{tag}": high},
            )
        )
    if spec.pattern and spec.kind == "text":
        checks.append(
            (
                f"{c} is not null and not regexp_full_match({c}, $pattern{tag})",
                contract.FORMAT_REASONS.get(
                    spec.pattern, f"does not match the required format {spec.pattern}"
                ),
                {f"pattern{tag}": spec.pattern},
            )
        )
    return checks


def _report(
    con: duckdb.DuckDBPyConnection,
    problems: _Collector,
    file: str,
    column: str | None,
    reason: str,
    source: str,
    predicate: str,
    params: dict,
    value_expr: str | None = None,
    count: int | None = None,
) -> int:
    """Count rows of `source` matching `predicate` (unless counted already); record the first
    few. Returns the count."""
    value_expr = value_expr or (ident(column) if column else "null")
    where = f"from {source} as checked where {predicate}"
    if count is None:
        count = con.execute(f"select count(*) {where}", params or None).fetchone()[0]
    if count:
        rows = con.execute(
            f"select _row, {value_expr} {where} order by _row limit {problems.room()}",
            params or None,
        ).fetchall()
        problems.add_rows(file, column, reason, rows, count)
    return count


def _report_all(
    con: duckdb.DuckDBPyConnection,
    problems: _Collector,
    file: str,
    source: str,
    checks: list[tuple[str, str, str, dict]],
) -> int:
    """Run many (column, predicate, reason, params) checks over `source` in one scan, then
    fetch the rows of those that found something. Returns the number of problems."""
    if not checks:
        return 0
    params = {name: value for *_, p in checks for name, value in p.items()}
    counts = con.execute(
        "select "
        + ", ".join(f"count(*) filter (where {predicate})" for _, predicate, _, _ in checks)
        + f" from {source} as checked",
        params or None,
    ).fetchone()
    for (column, predicate, reason, p), count in zip(checks, counts, strict=True):
        if count:
            _report(con, problems, file, column, reason, source, predicate, p, count=count)
    return sum(counts)


def _numbered(table: str) -> str:
    """`table` with each row's spreadsheet row number as _row (see _stage)."""
    return f"(select rowid + 2 as _row, * from {ident(table)})"


def _check_fields(
    con: duckdb.DuckDBPyConnection, model: type[ContractModel], problems: _Collector
) -> int:
    """Every field check of one file in one scan; returns the number of problems."""
    specs = contract.column_specs(model)
    checks = [
        (spec.name, *check)
        for i, spec in enumerate(specs)
        for check in _field_checks(spec, f"_{i}")
    ]
    # Files joined by copying can carry the header again as a row (a locality 'locality_id').
    required = [spec.name for spec in specs if spec.required_column]
    checks.append(
        (
            required[0],
            " and ".join(f"{ident(name)} = {_literal(name)}" for name in required),
            "the header repeated as a row (remove the row)",
            {},
        )
    )
    return _report_all(con, problems, model.file, _numbered(_staged(model)), checks)


def _load(con: duckdb.DuckDBPyConnection, model: type[ContractModel], clean: bool) -> str:
    """Give the store table its contract types (invalid cells become null). Returns the
    relation the key and rule checks read: the rows with _row and _cast_failed. Rows with a
    failed cell are checked from temp table typ_<table>; a file typed in place then keeps its
    text in the store table, which is never published (the ingest fails)."""
    table = contract.table_name(model)
    specs = contract.column_specs(model)
    staged = ident(_staged(model))
    cols = ", ".join(f"{_typed_expr(spec)} as {ident(spec.name)}" for spec in specs)
    checked = f"(select *, false as _cast_failed from {_numbered(table)})"
    if not clean:
        # A cell that failed its type or format check is already reported; rules skip such
        # rows (a rule may read the cell as a date or a number: a birth month of 14/09/2019).
        failed = " or ".join(
            [
                f"({ident(s.name)} is not null and {_typed_expr(s)} is null)"
                for s in specs
                if s.kind in ("date", "int", "float")
            ]
            + [
                f"({ident(s.name)} is not null"
                f" and not regexp_full_match({ident(s.name)}, {_literal(s.pattern)}))"
                for s in specs
                if s.kind == "text" and s.pattern
            ]
        )
        con.execute(
            f"create or replace temp table {ident('typ_' + table)} as select rowid + 2 as _row,"
            f" {cols}, coalesce({failed or 'false'}, false) as _cast_failed from {staged}"
        )
        checked = ident("typ_" + table)
    if not _typed_in_place(model):
        con.execute(f"create table {ident(table)} as select {cols} from {staged}")
        con.execute(f"drop table {staged}")
    elif clean:
        for spec in specs:
            if spec.kind not in ("text", "code"):
                con.execute(
                    f"alter table {staged} alter {ident(spec.name)} type {spec.sql_type}"
                    f" using {_typed_expr(spec)}"
                )
    return checked


def _key_cols(key: tuple[str, ...]) -> tuple[str, str]:
    """The key's columns, and the condition that none of them is null."""
    return (
        ", ".join(ident(k) for k in key),
        " and ".join(f"{ident(k)} is not null" for k in key),
    )


def _duplicates(source: str, key: tuple[str, ...]) -> str:
    """Rows of `source` whose key repeats an earlier row's, with the first row's number."""
    cols, present = _key_cols(key)
    return (
        f"(select *, min(_row) over (partition by {cols}) as _first from {source} where {present})"
    )


def _duplicate_count(con: duckdb.DuckDBPyConnection, source: str, key: tuple[str, ...]) -> int:
    """How many rows repeat an earlier row's key: rows equal to the one before them in key
    order. Cheaper than the window that finds which rows they are (run only when there are
    some), and than a distinct count (30 million request ids at national scale: 1.4 s in
    file order and 2.7 s shuffled, against 2.6-3.6 s)."""
    cols, present = _key_cols(key)
    return con.execute(
        f"select count(*) from (select ({cols}) = lag(({cols})) over (order by {cols})"
        f" as repeated from {source} where {present}) where repeated"
    ).fetchone()[0]


def _check_reference(
    con: duckdb.DuckDBPyConnection,
    model: type[ContractModel],
    spec: ColumnSpec,
    source: str,
    problems: _Collector,
) -> None:
    ref_table, ref_col = spec.references
    c = ident(spec.name)
    _report(
        con,
        problems,
        model.file,
        spec.name,
        f"refers to a {ref_col} that does not exist in {ref_table}.csv",
        source,
        # not in over the referenced ids without nulls: the same rows as not exists, and at
        # national scale 0.1 s against 2.2 s for the hubs of 30 million requests.
        f"{c} is not null and {c} not in (select ref.{ident(ref_col)} from {ident(ref_table)}"
        f" as ref where ref.{ident(ref_col)} is not null)",
        {},
    )


def _check_keys_and_rules(
    con: duckdb.DuckDBPyConnection, model: type[ContractModel], source: str, problems: _Collector
) -> None:
    """Unique columns, references (but those in DERIVE_CHECKED_REFERENCES), the model's key and
    its cross-field rules."""
    file = model.file
    table = contract.table_name(model)
    for spec in contract.column_specs(model):
        c = ident(spec.name)
        if spec.unique:
            _report(
                con,
                problems,
                file,
                spec.name,
                f"duplicate {spec.name} (each must be unique)",
                _duplicates(source, (spec.name,)),
                "_row > _first",
                {},
                value_expr=f"{c} || ' (first on row ' || _first || ')'",
                count=_duplicate_count(con, source, (spec.name,)),
            )
        if spec.references and (table, spec.name) not in DERIVE_CHECKED_REFERENCES:
            _check_reference(con, model, spec, source, problems)
    key = getattr(model, "key", None)
    if key:
        _report(
            con,
            problems,
            file,
            ", ".join(key),
            f"duplicate row for the same {', '.join(key)} (one row each is allowed)",
            _duplicates(source, key),
            "_row > _first",
            {},
            value_expr="concat_ws(', ', "
            + ", ".join(ident(k) for k in key)
            + ") || ' (first on row ' || _first || ')'",
            count=_duplicate_count(con, source, key),
        )
    rules = [
        (rule.column, f"not _cast_failed and not coalesce({rule.valid_sql}, true)", rule.reason, {})
        for rule in model.rules
    ]
    _report_all(con, problems, file, source, rules)


def _check_geojson(
    path: Path,
    problems: _Collector,
    con,
    file: str = contract.GEOJSON_FILE,
    key: str = "locality_id",
    table: str = "localities",
) -> list[dict] | None:
    """The file's features, each reduced to its shape and its `key` property, which must be
    in `table`; None when the file is not a FeatureCollection. Any other property (a contact's
    name, say) would be sent to every browser, public mode included: it is never kept."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError) as exc:
        problems.add(Problem(file, None, None, None, f"is not valid JSON ({exc})"))
        return None
    except RecursionError:
        problems.add(Problem(file, None, None, None, "is not valid GeoJSON (nested too deeply)"))
        return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        problems.add(Problem(file, None, "type", None, "must be a GeoJSON FeatureCollection"))
        return None
    known = {r[0] for r in con.execute(f"select {ident(key)} from {ident(table)}").fetchall()}
    kept = []
    for i, feature in enumerate(data.get("features") or [], start=1):
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties") or {}
        value = props.get(key) if isinstance(props, dict) else None
        geometry = feature.get("geometry")
        if value is None:
            problems.add(Problem(file, i, key, None, f"feature has no {key} property"))
        elif str(value) not in known:
            problems.add(
                Problem(
                    file,
                    i,
                    key,
                    str(value),
                    f"refers to a {key} that does not exist in {table}.csv",
                )
            )
        elif (shape := _polygons(geometry)) is None:
            problems.add(
                Problem(
                    file,
                    i,
                    "geometry",
                    str(value),
                    "geometry must be a Polygon or MultiPolygon: rings of at least 4 positions, "
                    "each 2 or 3 finite numbers",
                )
            )
        else:
            kept.append({"type": "Feature", "geometry": shape, "properties": {key: str(value)}})
    return kept


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON number")


def _polygons(geometry: object) -> dict | None:
    """A Polygon or MultiPolygon rebuilt from its type and coordinates alone (any other member
    of the geometry object is dropped, as other properties are); None when it is not one."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONS:
        return None
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return None
    rebuilt = [_rings(polygon) for polygon in polygons]
    if any(rings is None for rings in rebuilt):
        return None
    return {
        "type": geometry["type"],
        "coordinates": rebuilt[0] if geometry["type"] == "Polygon" else rebuilt,
    }


def _rings(polygon: object) -> list | None:
    if not isinstance(polygon, list) or not polygon:
        return None
    rings = []
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4:
            return None
        positions = []
        for position in ring:
            if (
                not isinstance(position, list)
                or len(position) not in (2, 3)
                or not all(_finite(n) for n in position)
            ):
                return None
            positions.append(position)
        rings.append(positions)
    return rings


def _finite(n: object) -> bool:
    if isinstance(n, bool) or not isinstance(n, int | float):
        return False
    try:
        return math.isfinite(n)
    except OverflowError:  # an integer of hundreds of digits
        return False


POLYGONS = ("Polygon", "MultiPolygon")


def _store_geojson(
    con: duckdb.DuckDBPyConnection, present: dict[str, Path], problems: _Collector
) -> None:
    """Check both boundary files and store what is kept: localities as one FeatureCollection
    (table locality_geojson), areas one row per feature with its geometry as GeoJSON text
    (table area_geojson, empty without the file) so a map can take one locality's areas."""
    con.execute("create table locality_geojson (geojson varchar)")
    con.execute("create table area_geojson (area_code varchar, geometry varchar)")
    if contract.GEOJSON_FILE in present:
        features = _check_geojson(present[contract.GEOJSON_FILE], problems, con)
        if features is not None:
            collection = {"type": "FeatureCollection", "features": features}
            con.execute(
                "insert into locality_geojson values ($g)",
                {"g": json.dumps(collection, separators=(",", ":"))},
            )
    if contract.AREAS_GEOJSON_FILE in present:
        features = _check_geojson(
            present[contract.AREAS_GEOJSON_FILE],
            problems,
            con,
            contract.AREAS_GEOJSON_FILE,
            "area_code",
            "areas",
        )
        if features:
            # One statement over two lists: executemany costs a statement a row (30,000 areas).
            con.execute(
                "insert into area_geojson select unnest($codes), unnest($shapes)",
                {
                    "codes": [f["properties"]["area_code"] for f in features],
                    "shapes": [json.dumps(f["geometry"], separators=(",", ":")) for f in features],
                },
            )


def fingerprint(directory: Path) -> str:
    """A stable hash of the extract: the names and bytes of its contract files."""
    digest = hashlib.sha256()
    for name in sorted(contract.KNOWN_FILES):
        path = directory / name
        if path.is_file():
            digest.update(name.encode() + b"\0")
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            digest.update(b"\0")
    return digest.hexdigest()[:16]


# ---- the storyboard ----
def ingest(
    directory: str | os.PathLike,
    db: str | os.PathLike | None = None,
    *,
    progress: Progress = _quiet,
    max_problems: int = MAX_PROBLEMS,
) -> IngestResult:
    """Validate every file in `directory` and, if all is well, replace the store's case data."""
    started = time.perf_counter()
    source = Path(directory)
    target = config.db_path(db)
    problems = _Collector(max_problems)
    warnings: list[str] = []

    present = _check_directory(source, problems)
    if problems.total:
        raise problems.error(warnings)

    new_store = not target.exists()
    with store.ingest_lock(_prepared(target, warnings)):
        store.clean_builds(target)
        # Hashing the files runs beside the DuckDB work (hashlib releases the GIL).
        hashing = ThreadPoolExecutor(max_workers=1)
        hashed = hashing.submit(fingerprint, source)
        hashing.shutdown(wait=False)
        building = store.new_build(target)
        # A bounded memory limit: DuckDB spills to disk beyond it (its default is 80% of RAM).
        con = duckdb.connect(
            str(building),
            config={**store.WRITE_CONFIG, "memory_limit": config.ingest_memory_limit()},
        )
        try:
            result = _build(con, source, present, target, problems, warnings, progress, hashed)
            con.execute("checkpoint")
            con.close()
            if problems.total:
                raise problems.error(warnings, source)
            progress("making the new extract current", 0.995)
            version = store.install(target, building, result.fingerprint, result.ingest_id)
        except BaseException:
            con.close()
            store.remove_build(building)
            if new_store:
                store.discard_new(target)
            raise
    _record(target, result, version)
    result.seconds = time.perf_counter() - started
    progress("done", 1.0)
    return result


def _prepared(target: Path, warnings: list[str]) -> Path:
    """The store folder, created or converted from an earlier single-file store."""
    warnings.extend(store.prepare(target))
    return target


def _record(target: Path, result: IngestResult, version: Path) -> None:
    """Append the ingest to the state database's history. The extract is already current and
    holds its own record, so a state database that cannot be written only costs a warning."""
    try:
        state.record_ingest(
            state.path_for(target),
            {
                "ingest_id": result.ingest_id,
                "ingested_at": result.ingested_at.isoformat(sep=" "),
                "source": result.source,
                "fingerprint": result.fingerprint,
                "contract_version": contract.CONTRACT_VERSION,
                "row_counts": json.dumps(result.row_counts),
                "warnings": json.dumps(result.warnings),
                "date_from": result.date_from,
                "date_to": result.date_to,
                "version_file": version.name,
            },
        )
        state.audit(
            state.path_for(target),
            state.command_user(),
            None,
            "ingest",
            f"{result.ingest_id} from {result.source} ({result.date_from} to {result.date_to})",
        )
    except (sqlite3.Error, OSError) as exc:
        result.warnings.append(f"the ingest history could not be written: {exc}")


def _check_directory(source: Path, problems: _Collector) -> dict[str, Path]:
    if not source.is_dir():
        problems.add(Problem(str(source), None, None, None, "is not a directory"))
        return {}
    present = {}
    for path in sorted(source.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.name in contract.KNOWN_FILES:
            present[path.name] = path
        else:
            problems.add(Problem(path.name, None, None, None, "is not a file of the data contract"))
    for model in contract.MODELS:
        if model.required_file and model.file not in present:
            problems.add(Problem(model.file, None, None, None, "required file is missing"))
    return present


def _build(
    con: duckdb.DuckDBPyConnection,
    source,
    present,
    target,
    problems,
    warnings,
    progress,
    hashed: Future[str],
) -> IngestResult | None:
    """Load, check and derive into the new store; None when problems were found."""
    models = [m for m in contract.MODELS if m.file in present]
    headers: dict[str, list[str]] = {}
    for model in models:
        header = _read_header(present[model.file], model.file, problems)
        if header is not None and _check_header(model, header, problems, warnings):
            headers[model.file] = header
    if problems.total:
        return None  # header problems: nothing further is meaningful

    steps = len(models) * 3 + len(FACT_SCRIPTS) + 1
    done = 0

    def step(message: str) -> None:
        nonlocal done
        done += 1
        progress(message, min(done / steps, 0.99))

    # Each file is read, checked field by field and typed before the next is read, so only one
    # text copy is held at a time; keys and cross-field rules follow once every table exists.
    row_counts: dict[str, int] = {}
    checked: dict[str, str] = {}
    unreadable = False
    for model in models:
        table = contract.table_name(model)
        step(f"reading {model.file}")
        if not _stage(con, model, present[model.file], headers[model.file], problems):
            unreadable = True
            continue
        row_counts[table] = con.execute(f"select count(*) from {ident(_staged(model))}").fetchone()[
            0
        ]
        step(f"checking {model.file} ({row_counts[table]:,} rows)")
        clean = _check_fields(con, model, problems) == 0
        checked[model.file] = _load(con, model, clean)
    if unreadable:
        return None
    # Absent optional files are empty tables before any check, so a reference to one (a
    # family's area_code without areas.csv) is reported, and every query can rely on them.
    for model in contract.MODELS:
        if model.file not in present:
            _create_empty(con, model)
            row_counts[contract.table_name(model)] = 0
    for model in models:
        step(f"checking keys, references and rules in {model.file}")
        _check_keys_and_rules(con, model, checked[model.file], problems)

    _store_geojson(con, present, problems)
    if problems.total:
        _check_derive_references(con, models, checked, problems)
        return None

    _create_code_types(con)  # first: the schema's macros name these types
    store.execute_script(con, "schema")
    con.execute(
        "create table extract_info as select $v::integer as derive_version",
        {"v": store.DERIVE_VERSION},
    )
    con.executemany(
        "insert into need_codes values ($1, $2, $3)",
        [
            (need, contract.NEED_GROUP_OF[need], i)
            for i, need in enumerate(contract.NEED_CODES, start=1)
        ],
    )
    for script in FACT_SCRIPTS:
        step(f"deriving {script.removeprefix('derive_')}")
        store.execute_script(con, script)
    # On this connection, not a cursor (a connection of its own): child_places is temporary.
    lost = {
        (table_name, column_name)
        for table_name, column_name, count in con.execute(
            store.load_sql("derive_lost_references")
        ).fetchall()
        if count
    }
    if lost:
        _check_derive_references(con, models, checked, problems, lost)
        return None
    date_from, date_to = con.execute(
        "select min(d)::varchar, max(d)::varchar from ("
        " select received_date as d from requests union all"
        " select start_date from episodes union all select end_date from episodes)"
    ).fetchone()
    result = IngestResult(
        ingest_id=datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6],
        db=target,
        source=str(source.resolve()),
        fingerprint=hashed.result(),
        row_counts=row_counts,
        date_from=date_from,
        date_to=date_to,
        warnings=warnings,
    )
    con.execute(
        "insert into ingest_log values ($id, $at, $source, $fp, $version, $counts, $warnings,"
        " $date_from, $date_to)",
        {
            "id": result.ingest_id,
            "at": result.ingested_at,
            "source": result.source,
            "fp": result.fingerprint,
            "version": contract.CONTRACT_VERSION,
            "counts": json.dumps(row_counts),
            "warnings": json.dumps(warnings),
            "date_from": date_from,
            "date_to": date_to,
        },
    )
    return result


def _check_derive_references(
    con: duckdb.DuckDBPyConnection,
    models: list[type[ContractModel]],
    checked: dict[str, str],
    problems: _Collector,
    which: frozenset | set = DERIVE_CHECKED_REFERENCES,
) -> None:
    """The references left to the derive (`which` of DERIVE_CHECKED_REFERENCES), checked row
    by row."""
    for model in models:
        for spec in contract.column_specs(model):
            if (contract.table_name(model), spec.name) in which:
                _check_reference(con, model, spec, checked[model.file], problems)


def _create_code_types(con: duckdb.DuckDBPyConnection) -> None:
    """An ENUM type <table>_<column> for each code column, for the derive scripts: a code
    carried through a sort as its one-byte number instead of its text made the national
    request and episode derives about 4 s faster each. Codes come from the contract."""
    for model in contract.MODELS:
        for spec in contract.column_specs(model):
            if spec.kind == "code":
                codes = ", ".join("'" + code.replace("'", "''") + "'" for code in spec.codes)
                name = ident(f"{contract.table_name(model)}_{spec.name}")
                con.execute(f"create type {name} as enum ({codes})")


def _create_empty(con: duckdb.DuckDBPyConnection, model: type[ContractModel]) -> None:
    cols = ", ".join(f"{ident(spec.name)} {spec.sql_type}" for spec in contract.column_specs(model))
    con.execute(f"create table {ident(contract.table_name(model))} ({cols})")
