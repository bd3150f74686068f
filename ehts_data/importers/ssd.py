"""Import a Standard Safeguarding Dataset (SSD) extract: SSD CSVs + mapping → contract extract.

The storyboard (`import_ssd`): read the SSD tables into DuckDB → type and check them → map
local values through the mapping file → derive families, localities, requests and episodes
in SQL → write the contract files into a private folder → rename it into place. Any error
stops before the rename, so nothing is written. The mapping report says what was read, kept,
dropped, mapped and assumed. Names, dates of birth, postcodes, address JSON, UPNs, NHS numbers
and worker ids are never selected into the contract tables (see docs/import-ssd.md).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from ehts_data import config, contract
from ehts_data.importers import mapping as mapping_module
from ehts_data.importers.mapping import UNMAPPED_ERROR, Mapping
from ehts_data.ingest import UNREADABLE, Problem, csv_error, ident
from ehts_data.text import for_markdown, for_spreadsheet

MAX_PROBLEMS = 100
REPORT_DIR = "report"  # inside the extract folder: ingest reads files only, not folders
OWN_FAMILY_PREFIX = "person-"

# The SSD columns read, per table: (column, required). Nothing else is ever selected, so the
# identifying columns (names, NHS number, UPN, address JSON, worker ids) are never loaded.
COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "ssd_person": (
        ("pers_person_id", True),
        ("pers_sex", False),
        ("pers_ethnicity", False),
        ("pers_dob", True),
        ("pers_expected_dob", False),
        ("pers_send_flag", False),
    ),
    "ssd_family": (("fami_table_id", False), ("fami_family_id", True), ("fami_person_id", True)),
    "ssd_address": (
        ("addr_person_id", True),
        ("addr_address_type", False),
        ("addr_address_start_date", False),
        ("addr_address_end_date", False),
        ("addr_address_postcode", True),
    ),
    "ssd_contacts": (
        ("cont_contact_id", True),
        ("cont_person_id", True),
        ("cont_contact_date", True),
        ("cont_contact_source_code", False),
        ("cont_contact_outcome_json", False),
    ),
    "ssd_early_help_episodes": (
        ("earl_episode_id", True),
        ("earl_person_id", True),
        ("earl_episode_start_date", True),
        ("earl_episode_end_date", True),
        ("earl_episode_reason", False),
        ("earl_episode_end_reason", False),
        ("earl_episode_organisation", False),
    ),
    "ssd_cin_episodes": (
        ("cine_referral_id", True),
        ("cine_person_id", True),
        ("cine_referral_date", True),
        ("cine_close_reason", False),
        ("cine_close_date", False),
    ),
}
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "ssd_person": ("pers_dob", "pers_expected_dob"),
    "ssd_address": ("addr_address_start_date", "addr_address_end_date"),
    "ssd_contacts": ("cont_contact_date",),
    "ssd_early_help_episodes": ("earl_episode_start_date", "earl_episode_end_date"),
    "ssd_cin_episodes": ("cine_referral_date", "cine_close_date"),
}
# Date values never shown in messages: they are (parts of) dates of birth.
PRIVATE_DATES = frozenset({"pers_dob", "pers_expected_dob"})
DATE_FORMATS = {
    "auto": ["%Y-%m-%d", "%d/%m/%Y"],
    "iso": ["%Y-%m-%d"],
    "dmy": ["%d/%m/%Y"],
}
REFERENCE_FILES = {  # [files] key → contract file name
    "localities": "localities.csv",
    "hubs": "hubs.csv",
    "population": "population.csv",
    "indicators": "indicators.csv",
    "survey_responses": "survey_responses.csv",
    "assessments": "assessments.csv",
    "localities_geojson": "localities.geojson",
    "areas": "areas.csv",
    "areas_geojson": "areas.geojson",
    "population_areas": "population_areas.csv",
    "population_groups": "population_groups.csv",
}

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


# ---- the report ----
@dataclass
class TableCount:
    table: str
    file: str
    read: int = 0
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ValueRow:
    """One local value of a mapped column: how often it was seen and what it became."""

    table: str
    column: str
    value: str | None
    count: int
    mapped_to: str | None
    how: str


@dataclass
class Report:
    tables: dict[str, TableCount] = field(default_factory=dict)
    values: list[ValueRow] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_total: int = 0
    written: dict[str, int] = field(default_factory=dict)

    def problem(self, problem: Problem, count: int = 1) -> None:
        self.problem_total += count
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def problems_at(self, file: str, column: str, reason: str, rows: list, total: int) -> None:
        """The first few (row, shown value) pairs found by one check of `total` rows."""
        for row, value in rows:
            self.problem(Problem(file, row, column, value, reason))
        self.problem_total += total - len(rows)

    def markdown(self) -> str:
        lines = ["# SSD import: mapping report", ""]
        if self.problem_total:
            lines += [
                f"**The import stopped: {self.problem_total:,} problem(s); nothing was written.**",
                "",
                "| file | row | column | value | problem |",
                "|---|---:|---|---|---|",
                *(
                    f"| {p.file} | {'' if p.row is None else p.row} | {p.column or ''} | "
                    f"{_cell(p.value)} | {p.reason} |"
                    for p in self.problems
                ),
                "",
            ]
            if self.problem_total > len(self.problems):
                lines += [f"… and {self.problem_total - len(self.problems):,} more.", ""]
        lines += [
            "## Rows per table",
            "",
            "| table | read | kept | dropped (why) |",
            "|---|---:|---:|---|",
        ]
        for t in self.tables.values():
            why = "; ".join(f"{n:,} {reason}" for reason, n in t.dropped.items() if n) or "–"
            lines.append(f"| {t.table} | {t.read:,} | {t.kept:,} | {why} |")
        if self.written:
            lines += ["", "## Contract files written", "", "| file | rows |", "|---|---:|"]
            lines += [f"| {name} | {n:,} |" for name, n in self.written.items()]
        lines += [
            "",
            "## Values seen and what they became",
            "",
            "| table.column | local value | rows | contract value | how |",
            "|---|---|---:|---|---|",
        ]
        for v in self.values:
            lines.append(
                f"| {v.table}.{v.column} | {_cell(v.value)} | {v.count:,} | "
                f"{_cell(v.mapped_to)} | {v.how} |"
            )
        unmapped = [v for v in self.values if v.how.startswith("UNMAPPED")]
        lines += ["", "## Unmapped values", ""]
        lines += [
            f"- {v.table}.{v.column} = {_cell(v.value)} ({v.count:,} rows)" for v in unmapped
        ] or ["None."]
        lines += ["", "## Assumptions applied", ""]
        lines += [f"- {a}" for a in self.assumptions]
        return "\n".join(lines) + "\n"

    def csv_rows(self) -> list[tuple]:
        """section, table, column, value, count, mapped_to, note — one CSV for spreadsheets."""
        rows: list[tuple] = []
        for t in self.tables.values():
            rows.append(("rows", t.table, "", "read", t.read, "", ""))
            rows.append(("rows", t.table, "", "kept", t.kept, "", ""))
            for reason, n in t.dropped.items():
                rows.append(("rows", t.table, "", "dropped", n, "", reason))
        for v in self.values:
            rows.append(("value", v.table, v.column, v.value or "", v.count, v.mapped_to, v.how))
        for p in self.problems:
            rows.append(("problem", p.file, p.column or "", p.value or "", p.row, "", p.reason))
        for a in self.assumptions:
            rows.append(("assumption", "", "", "", "", "", a))
        # Local values come from the council's data: no spreadsheet may run one as a formula.
        return [tuple(for_spreadsheet(cell) for cell in row) for row in rows]

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mapping-report.md").write_text(self.markdown(), encoding="utf-8")
        with (folder / "mapping-report.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("section", "table", "column", "value", "count", "mapped_to", "note"))
            writer.writerows(self.csv_rows())


def _cell(value: str | None) -> str:
    """A value from the data in a Markdown table cell: shown as written, never as formatting,
    a link or HTML, and never breaking the table (text.for_markdown escapes |)."""
    if value is None or value == "":
        return "(empty)"
    return for_markdown(value).replace("  \n", " ")


class SsdImportError(Exception):
    """The import stopped: every problem found (up to a cap), with the report so far."""

    def __init__(self, report: Report):
        self.report = report
        self.problems = report.problems
        self.total = report.problem_total
        lines = [str(p) for p in report.problems]
        if self.total > len(report.problems):
            lines.append(f"… and {self.total - len(report.problems):,} more problems")
        super().__init__(
            f"SSD import stopped: {self.total:,} problem(s); nothing was written.\n"
            + "\n".join(lines)
        )


@dataclass
class ImportResult:
    out: Path
    report: Report
    seconds: float


# ---- reading ----
def _find_tables(ssd_dir: Path, m: Mapping, report: Report) -> dict[str, Path]:
    """The SSD table files (case-blind names); other files in the folder are ignored."""
    if not ssd_dir.is_dir():
        report.problem(Problem(str(ssd_dir), None, None, None, "is not a directory"))
        return {}
    files = {p.name.lower(): p for p in ssd_dir.iterdir() if p.is_file()}
    found: dict[str, Path] = {}
    for table in mapping_module.SSD_TABLES:
        name = m.files.tables.get(table, f"{table}.csv")
        path = files.pop(name.lower(), None)
        if path is None:
            report.problem(Problem(name, None, None, None, "SSD table file is missing"))
        else:
            found[table] = path
    ignored = sorted(name for name in files if name.endswith(".csv"))
    if ignored:
        report.assumptions.append(
            f"Files not read (EHTS needs only the six tables above): {', '.join(ignored)}."
        )
    return found


def _header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = first.decode("cp1252", errors="replace")
    return next(csv.reader(io.StringIO(text)), [])


def _transcode(path: Path, scratch: Path) -> Path:
    """A UTF-8 copy of a Windows-1252 file (DuckDB reads UTF-8 only), streamed."""
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / path.name
    with (
        path.open("r", encoding="cp1252", errors="strict", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        shutil.copyfileobj(src, dst, 1 << 22)
    return target


def _read_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    m: Mapping,
    scratch: Path,
    report: Report,
) -> bool:
    """Load the columns EHTS reads into t_<table> as text (columns renamed to the SSD names;
    optional ones missing from the file are empty), each date also typed as <column>_d. A
    row's rowid + 2 is its spreadsheet row (DuckDB keeps the file's order)."""
    header = _header(path)
    by_name = {h.strip().lower(): h for h in header}
    if len(by_name) != len(header):
        report.problem(Problem(path.name, 1, None, None, "a column appears twice in the header"))
        return False
    selected, ok = [], True
    for column, required in COLUMNS[table]:
        if column in by_name:
            selected.append(f"{ident(by_name[column])} as {column}")
        elif required:
            report.problem(Problem(path.name, 1, column, None, "required SSD column is missing"))
            ok = False
        else:
            selected.append(f"null::varchar as {column}")
            report.assumptions.append(f"{path.name}: column {column} is absent; read as empty.")
    if not ok:
        return False
    dates = DATE_COLUMNS.get(table, ())
    typed = "".join(f", {_date_sql(c)} as {c}_d" for c in dates)
    # A date's text is kept only where it is not a date (for the message); whether it was
    # written day first is kept as a flag for the report.
    computed = [
        part
        for c in dates
        for part in (f"case when {c}_d is null then {c} end as {c}", f"{c} like '%/%' as {c}_dmy")
    ]
    exclude = list(dates)
    if table == "ssd_contacts":
        # The outcome JSON (with its free-text comments) is reduced to the first flag set as
        # the file is read, so it is never held.
        exclude.append("cont_contact_outcome_json")
        # Each JSON is parsed once: try() turns invalid JSON into a null list (no flag), and
        # that null marks the row invalid.
        typed += ", try(json_extract_string(cont_contact_outcome_json, $paths)) as _outcome"
        exclude.append("_outcome")
        computed += [
            "list_extract($flags, list_position(list_transform(_outcome,"
            " lambda f: list_contains($yes, upper(trim(f)))), true)) as cont_outcome_flag",
            "cont_contact_outcome_json is not null and _outcome is null as cont_outcome_invalid",
        ]
    outer = "*" + (f" exclude ({', '.join(exclude)})" if exclude else "")
    sql = f"""
        create table {ident("t_" + table)} as
        select {", ".join([outer, *computed])} from (
            select *{typed} from (select {", ".join(selected)}
            from read_csv($path, header = true, auto_detect = false, columns = $columns,
                          delim = ',', quote = '"', escape = '"', strict_mode = true,
                          nullstr = $empty, allow_quoted_nulls = true)))
    """
    params = {
        "path": str(path),
        "columns": {h: "VARCHAR" for h in header},
        "empty": list(m.extract.empty_values),
    }
    if table in DATE_COLUMNS:
        params["formats"] = DATE_FORMATS[m.extract.date_format]
    if table == "ssd_contacts":
        flags = list(m.contact_outcomes.flags)
        params |= {
            "flags": flags,
            "paths": ["$." + _json_key(f) for f in flags],
            "yes": [y.upper() for y in m.contact_outcomes.yes],
        }
    encoding = m.extract.encoding
    if encoding == "windows-1252":
        params["path"] = str(_transcode(path, scratch))
    try:
        con.execute(sql, params)
    except duckdb.InvalidInputException as exc:
        if encoding != "auto" or "unicode" not in str(exc).lower():
            report.problem(_unreadable(path, exc))
            return False
        try:
            params["path"] = str(_transcode(path, scratch))
        except UnicodeDecodeError as err:
            report.problem(
                Problem(path.name, None, None, None, f"is neither UTF-8 nor Windows-1252 ({err})")
            )
            return False
        con.execute(sql, params)
        report.assumptions.append(f"{path.name} is not UTF-8: read as Windows-1252.")
    except duckdb.Error as exc:
        report.problem(_unreadable(path, exc))
        return False
    read = con.execute(f"select count(*) from {ident('t_' + table)}").fetchone()[0]
    report.tables[table] = TableCount(table, path.name, read=read)
    return True


def _unreadable(path: Path, exc: Exception) -> Problem:
    row, reason = csv_error(str(exc))
    return Problem(path.name, row, None, None, f"{UNREADABLE}: {reason}")


# ---- typing and checks ----
def _date_sql(column: str) -> str:
    """The date in a cell: YYYY-MM-DD or dd/mm/yyyy (as the mapping allows); a time after
    the date (' 10:30:00.000' or 'T10:30') is ignored. A year of fewer than four digits is
    not a date: strptime would read 06/09/19 as the year 19."""
    return (
        f"list_transform([try_strptime({_date_part_sql(column)}, $formats)::date],"
        " lambda d: case when year(d) >= 1000 then d end)[1]"
    )


def _date_part_sql(column: str) -> str:
    """The cell's text up to its first space or 'T' (after trimming spaces). Where the first
    ten characters hold neither and the eleventh is one of them (or there is none), that is
    just the first ten: a fast path for the usual 'YYYY-MM-DD hh:mm:ss' and 'dd/mm/yyyy' that
    skips the two splits (half the cost of reading a date)."""
    head = f"left({column}, 10)"
    return (
        f"case when (length({column}) = 10 or substr({column}, 11, 1) in (' ', 'T'))"
        f" and strpos({head}, ' ') = 0 and strpos({head}, 'T') = 0 then {head}"
        f" else {DATE_PART_SPLIT.format(column=column)} end"
    )


DATE_PART_SPLIT = "split_part(split_part(trim({column}), ' ', 1), 'T', 1)"


def _check_tables(con: duckdb.DuckDBPyConnection, m: Mapping, report: Report) -> None:
    """Bad dates and duplicate ids are problems; dates read day first are counted."""
    formats = DATE_FORMATS[m.extract.date_format]
    expected = " or ".join({"%Y-%m-%d": "YYYY-MM-DD", "%d/%m/%Y": "dd/mm/yyyy"}[f] for f in formats)
    for table, dates in DATE_COLUMNS.items():
        if table not in report.tables:
            continue
        file, source = report.tables[table].file, ident("t_" + table)
        counts = con.execute(
            "select "
            + ", ".join(
                f"count(*) filter (where {c} is not null and {c}_d is null),"
                f" count(*) filter (where {c}_dmy and {c}_d is not null)"
                for c in dates
            )
            + f" from {source}"
        ).fetchone()
        for i, column in enumerate(dates):
            bad, slashed = counts[2 * i], counts[2 * i + 1]
            if slashed:
                report.assumptions.append(
                    f"{file} {column}: {slashed:,} dates read as dd/mm/yyyy (day first, the UK"
                    " order; never mm/dd/yyyy)."
                )
            if not bad:
                continue
            shown = "'(not shown: a date of birth)'" if column in PRIVATE_DATES else column
            rows = con.execute(
                f"select rowid + 2, {shown} from {source}"
                f" where {column} is not null and {column}_d is null order by rowid limit 5"
            ).fetchall()
            report.problems_at(file, column, f"not a date (expected {expected})", rows, bad)
    if "ssd_contacts" in report.tables:
        rows = con.execute(
            "select rowid + 2, '(not shown: it may hold free text)', count(*) over ()"
            " from t_ssd_contacts where cont_outcome_invalid order by rowid limit 5"
        ).fetchall()
        if rows:
            report.problems_at(
                report.tables["ssd_contacts"].file,
                "cont_contact_outcome_json",
                "not valid JSON",
                [r[:2] for r in rows],
                rows[0][2],
            )
    for table, key in (
        ("ssd_person", "pers_person_id"),
        ("ssd_contacts", "cont_contact_id"),
        ("ssd_early_help_episodes", "earl_episode_id"),
    ):
        if table not in report.tables:
            continue
        rows = con.execute(
            f"select {key}, count(*), min(rowid) + 2, max(rowid) + 2 from {ident('t_' + table)}"
            f" where {key} is not null group by {key} having count(*) > 1 order by 3 limit 10"
        ).fetchall()
        for value, n, first, row in rows:
            report.problem(
                Problem(
                    report.tables[table].file,
                    row,
                    key,
                    value,
                    f"duplicate id ({n} rows; first on row {first})",
                )
            )


# ---- value maps ----
@dataclass(frozen=True)
class ValueMap:
    """How one mapped column is resolved: explicit values, then defaults, then a rule, then
    the unmapped and missing settings."""

    table: str
    column: str
    section: str  # the mapping file's section, named in messages
    explicit: dict[str, object]
    defaults: dict[str, object]
    default_label: str
    unmapped: object
    missing: object
    case_blind: bool = True
    rule: Callable[[str], tuple[object, str] | None] | None = None
    explicit_label: str = "mapping file"
    missing_label: str = ""
    report_column: str = ""  # the column named in the report, where it is not `column`

    def resolve(self, value: str | None) -> tuple[object, str] | None:
        """(target, how) for a local value, or None when it is unmapped and an error."""
        if value is None:
            if self.missing == UNMAPPED_ERROR:
                return None
            return self.missing, self.missing_label or f"empty → [{self.section}] missing"
        key = value.strip().upper() if self.case_blind else value.strip()
        if key in self.explicit:
            return self.explicit[key], self.explicit_label
        if key in self.defaults:
            return self.defaults[key], self.default_label
        if self.rule is not None and (ruled := self.rule(key)) is not None:
            return ruled
        if self.unmapped == mapping_module.DERIVE:
            return self.unmapped, "not mapped: derived"
        if self.unmapped != UNMAPPED_ERROR:
            return self.unmapped, f"UNMAPPED → [{self.section}] unmapped"
        return None


def _apply_map(
    con: duckdb.DuckDBPyConnection,
    vm: ValueMap,
    relation: str,
    targets: tuple[str, ...],
    report: Report,
) -> str:
    """Resolve every distinct value of vm.column in `relation` (which has _row); record each in
    the report; unmapped ones are problems. Creates map table m_<column>(value, target…) and
    returns its name. Runs over distinct values only: a few, whatever the table's size."""
    seen = con.execute(
        f"select {vm.column}, count(*), min(_row) from {relation}"
        f" group by {vm.column} order by count(*) desc, {vm.column}"
    ).fetchall()
    file = report.tables[vm.table].file
    shown_column = vm.report_column or vm.column
    keys, columns = [], [[] for _ in targets]
    for value, count, row in seen:
        resolved = vm.resolve(value)
        if resolved is None:
            if value is None:
                reason = f"empty in {count:,} rows: set [{vm.section}] missing"
            else:
                reason = (
                    f"no mapping for this value ({count:,} rows): add it to"
                    f" [{vm.section}.values] or set [{vm.section}] unmapped"
                )
            report.values.append(ValueRow(vm.table, shown_column, value, count, None, "UNMAPPED"))
            report.problem(Problem(file, row, vm.column, value, reason))
            continue
        target, how = resolved
        parts = target if isinstance(target, tuple) else (target,)
        shown = " / ".join(str(p) for p in parts)
        report.values.append(ValueRow(vm.table, shown_column, value, count, shown, how))
        keys.append(value)
        for i, part in enumerate(parts):
            columns[i].append(None if part == "" else part)
    name = f"m_{vm.column}"
    cols = ", ".join(f"{ident(t)} varchar" for t in targets)
    con.execute(f"create or replace table {ident(name)} (value varchar, {cols})")
    if keys:
        unnest = ", ".join(f"unnest(${t})" for t in targets)
        con.execute(
            f"insert into {ident(name)} select unnest($keys), {unnest}",
            {"keys": keys, **{t: c for t, c in zip(targets, columns, strict=True)}},
        )
    return name


def _mapped(name: str, column: str) -> str:
    """A left join onto map table `name` that also matches the empty value."""
    return f"left join {ident(name)} on {ident(name)}.value is not distinct from {column}"


def _ethnicity_rule(m: Mapping) -> Callable[[str], tuple[object, str] | None]:
    def rule(code: str) -> tuple[object, str] | None:
        if not m.ethnicity.dfe_families or not code:
            return None
        if code[0] == "C":
            return m.ethnicity.chinese, "DfE code family C (Chinese): [ethnicity] chinese"
        group = mapping_module.DFE_ETHNICITY_FAMILIES.get(code[0])
        return (group, f"DfE code family {code[0]}") if group else None

    return rule


# ---- reference files ----
def _read_reference_ids(path: Path, column: str, report: Report) -> set[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return {row.get(column, "") for row in csv.DictReader(handle)}
    except FileNotFoundError:
        report.problem(
            Problem(str(path), None, None, None, "reference file named in [files] is missing")
        )
    except UnicodeDecodeError:
        report.problem(Problem(str(path), None, None, None, "is not UTF-8 text"))
    return set()


def _load_postcodes(
    con: duckdb.DuckDBPyConnection, m: Mapping, localities: set[str], report: Report
) -> bool:
    """postcode_lookup(key, kind, locality_id, area_code): keys normalised (upper case, single
    spaces); a key with a space and one character after it is a sector (PL1 2, PL12 3), any
    other of 5 or more characters (spaces aside) a full postcode, anything else a district."""
    path = m.path("postcodes")
    if not path.is_file():
        report.problem(
            Problem(str(path), None, None, None, "postcode lookup named in [files] is missing")
        )
        return False
    header = [h.strip().lower() for h in _header(path)]
    for needed in ("postcode", "locality_id"):
        if needed not in header:
            report.problem(Problem(path.name, 1, needed, None, "required column is missing"))
            return False
    area = "area_code" if "area_code" in header and m.files.areas else "null"
    con.execute(
        f"""
        create table postcode_lookup as
        with raw as (
            select row_number() over () + 1 as _row, upper(trim(regexp_replace(postcode, '\\s+', ' ', 'g'))) as k,
                trim(locality_id) as locality_id, {area}::varchar as area_code
            from read_csv($path, header = true, all_varchar = true)
            where postcode is not null
        )
        select _row, locality_id, area_code,
            case when k like '% _' then 'sector'
                 when length(replace(k, ' ', '')) >= 5 then 'full' else 'district' end as kind,
            case when k not like '% _' and length(replace(k, ' ', '')) >= 5
                 then replace(k, ' ', '') else k end as key
        from raw
        """,
        {"path": str(path)},
    )
    for row, key, n in con.execute(
        "select min(_row), key, count(*) from postcode_lookup group by key having count(*) > 1"
        " order by 1 limit 5"
    ).fetchall():
        report.problem(Problem(path.name, row, "postcode", key, f"appears {n} times"))
    for row, value in con.execute(
        "select _row, locality_id from postcode_lookup where locality_id is null"
        " or not list_contains($ids, locality_id) order by _row limit 10",
        {"ids": sorted(localities)},
    ).fetchall():
        report.problem(
            Problem(path.name, row, "locality_id", value, "not a locality_id of localities.csv")
        )
    kinds = dict(con.execute("select kind, count(*) from postcode_lookup group by kind").fetchall())
    report.assumptions.append(
        "Postcode lookup "
        + path.name
        + ": "
        + ", ".join(f"{n:,} {k} keys" for k, n in sorted(kinds.items()))
        + "; an address matches its full postcode first, then its sector, then its district."
    )
    return True


# ---- the storyboard ----
def import_ssd(
    ssd_dir: str | os.PathLike,
    mapping_file: str | os.PathLike,
    out: str | os.PathLike,
    *,
    replace: bool = False,
    progress: Progress = _quiet,
) -> ImportResult:
    """Read the SSD tables in `ssd_dir` with the mapping, and write a contract extract to `out`.
    Raises MappingError for a bad mapping file and SsdImportError (with the report) for bad
    data; in both cases nothing is written."""
    started = time.perf_counter()
    m = mapping_module.load(mapping_file)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        _check_replaceable(out, Path(ssd_dir), m.base, replace)
    report = Report()
    building = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.building"
    building.mkdir(parents=True)
    con = duckdb.connect(
        config={
            "memory_limit": config.ingest_memory_limit(),
            "temp_directory": str(building / ".tmp"),
        }
    )
    try:
        _build(con, Path(ssd_dir), m, building, report, progress)
        con.close()
        shutil.rmtree(building / ".tmp", ignore_errors=True)
        shutil.rmtree(building / ".utf8", ignore_errors=True)
        report.write(building / REPORT_DIR)
        _switch(building, out)
    except BaseException:
        con.close()
        shutil.rmtree(building, ignore_errors=True)
        raise
    progress("done")
    return ImportResult(out, report, time.perf_counter() - started)


def _check_replaceable(out: Path, ssd_dir: Path, mapping_dir: Path, replace: bool) -> None:
    """--replace replaces only an extract an earlier import wrote (it holds the mapping
    report): never a store, the SSD files or the mapping, which it would delete."""
    if not replace:
        raise mapping_module.MappingError(
            f"{out} already holds files: choose a new folder, or replace it (--replace)"
        )
    resolved = out.resolve()
    for inside, what in ((ssd_dir, "the SSD files"), (mapping_dir, "the mapping file")):
        if resolved == inside.resolve() or resolved in inside.resolve().parents:
            raise mapping_module.MappingError(
                f"{out} holds {what}: write the extract to a folder of its own"
            )
    if not (out / REPORT_DIR / "mapping-report.md").is_file():
        raise mapping_module.MappingError(
            f"{out} holds files that no SSD import wrote (no {REPORT_DIR}/mapping-report.md),"
            " so --replace will not delete it: choose a new folder"
        )


def _switch(building: Path, out: Path) -> None:
    """Put the finished folder at `out`; a previous folder there is removed only after."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.old"
        os.replace(out, old)
    os.replace(building, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _stop_if_problems(report: Report) -> None:
    if report.problem_total:
        raise SsdImportError(report)


def _build(
    con: duckdb.DuckDBPyConnection,
    ssd_dir: Path,
    m: Mapping,
    out: Path,
    report: Report,
    progress: Progress,
) -> None:
    progress("reading the mapping's reference files")
    localities = _read_reference_ids(m.path("localities"), "locality_id", report)
    hubs = _read_reference_ids(m.path("hubs"), "hub_id", report)
    _check_mapping_ids(m, localities, hubs, report)
    _load_postcodes(con, m, localities, report)
    tables = _find_tables(ssd_dir, m, report)
    _stop_if_problems(report)

    for table, path in tables.items():
        progress(f"reading {path.name}")
        _read_table(con, table, path, m, out / ".utf8", report)
    _stop_if_problems(report)
    # Only the t_ tables' order matters (rowid + 2 is the file row, and ties break by it);
    # every later table is used through joins, ordered outputs and rowid-free keys.
    con.execute("set preserve_insertion_order = false")
    progress("checking dates and ids")
    _check_tables(con, m, report)
    _stop_if_problems(report)

    extract_date = _extract_date(con, m, report)
    progress("choosing the rows to keep")
    _keep(con, m, report)
    _stop_if_problems(report)
    progress("mapping local values")
    maps = _map_values(con, m, report)
    _stop_if_problems(report)
    progress("deriving families and their localities")
    _families(con, m, extract_date, maps, report)
    _stop_if_problems(report)
    progress("deriving requests and episodes")
    _requests(con, maps)
    _episodes(con, m, maps, report)
    progress("writing the contract files")
    _write(con, m, out, report)


def _check_mapping_ids(m: Mapping, localities: set[str], hubs: set[str], report: Report) -> None:
    where = str(m.base)
    for local, (hub, _) in m.organisation_map().items():
        if hubs and hub not in hubs:
            report.problem(
                Problem(
                    where, None, f"organisations.values.{local}", hub, "not a hub_id of hubs.csv"
                )
            )
    for key in ("unmapped", "missing"):
        value = getattr(m.organisations, key)
        if hubs and value != UNMAPPED_ERROR and value not in hubs:
            report.problem(
                Problem(
                    where,
                    None,
                    f"organisations.{key}",
                    value,
                    "use 'error' or a hub_id of hubs.csv",
                )
            )
    unmatched = m.addresses.unmatched
    if localities and unmatched != UNMAPPED_ERROR and unmatched not in localities:
        report.problem(
            Problem(
                where,
                None,
                "addresses.unmatched",
                unmatched,
                "use 'error' or a locality_id of localities.csv",
            )
        )


def _extract_date(con: duckdb.DuckDBPyConnection, m: Mapping, report: Report) -> date:
    if m.extract.date is not None:
        report.assumptions.append(f"Extract date {m.extract.date} (mapping file).")
        return m.extract.date
    latest = (
        con.execute(
            """
        select greatest(
            (select max(cont_contact_date_d) from t_ssd_contacts),
            (select max(greatest(earl_episode_start_date_d, earl_episode_end_date_d))
             from t_ssd_early_help_episodes),
            (select max(greatest(cine_referral_date_d, cine_close_date_d)) from t_ssd_cin_episodes))
        """
        ).fetchone()[0]
        or date.today()
    )
    report.assumptions.append(
        f"Extract date {latest}: the latest contact, episode or CIN date (set [extract] date)."
    )
    return latest


def _keep(con: duckdb.DuckDBPyConnection, m: Mapping, report: Report) -> None:
    """kept_contacts, kept_episodes and kept_persons, with each dropped row counted by reason."""
    use_expected = m.persons.use_expected_dob
    con.execute(
        """
        create table person_birth as
        select pers_person_id as person_id, rowid + 2 as _row,
            coalesce(pers_dob_d, case when $expected then pers_expected_dob_d end) as birth_date
        from t_ssd_person
        """,
        {"expected": use_expected},
    )
    contact_reason = """
        case when c.cont_person_id is null or p.person_id is null then 'person not in ssd_person'
             when c.cont_contact_date_d is null then 'no contact date'
             when p.birth_date is null then 'child has no date of birth'
        end"""
    episode_reason = """
        case when c.earl_person_id is null or p.person_id is null then 'person not in ssd_person'
             when c.earl_episode_start_date_d is null then 'no start date'
             when c.earl_episode_end_date_d < c.earl_episode_start_date_d
                 then 'end date before start date'
             when p.birth_date is null then 'child has no date of birth'
        end"""
    # One join each: the rows with why they are dropped (if they are), the kept ones a view.
    for name, table, person, reason in (
        ("contact", "t_ssd_contacts", "cont_person_id", contact_reason),
        ("episode", "t_ssd_early_help_episodes", "earl_person_id", episode_reason),
    ):
        con.execute(
            f"""
            create table {name}_rows as
            select c.rowid + 2 as _row, c.*, {reason} as _dropped
            from {table} as c left join person_birth as p on p.person_id = c.{person}
            """
        )
        con.execute(f"drop table {table}")  # the rows live on in {name}_rows
        con.execute(
            f"create view kept_{name}s as select * exclude (_dropped) from {name}_rows"
            " where _dropped is null"
        )
    for table, relation in (
        ("ssd_contacts", "contact_rows"),
        ("ssd_early_help_episodes", "episode_rows"),
    ):
        for reason, n in con.execute(
            f"select _dropped, count(*) from {relation} where _dropped is not null group by 1"
            " order by 1"
        ).fetchall():
            report.tables[table].dropped[reason] = n
    # Children: persons with a contact or an episode (ssd_person also lists parents and
    # children known only to social care; they are not early help's).
    con.execute(
        """
        create table used_persons as
        select cont_person_id as person_id from contact_rows
        where _dropped is null or _dropped = 'child has no date of birth'
        union
        select earl_person_id from episode_rows
        where _dropped is null or _dropped = 'child has no date of birth'
        """
    )
    no_birth = con.execute(
        """
        select p._row, count(*) over () from person_birth as p
        where p.birth_date is null and p.person_id in (select person_id from used_persons)
        order by p._row limit 5
        """
    ).fetchall()
    if no_birth and m.persons.missing_birth_date == "error":
        report.problems_at(
            report.tables["ssd_person"].file,
            "pers_dob",
            "a child with contacts or episodes has no date of birth"
            + (" or expected date of birth" if use_expected else "")
            + " (set [persons] missing_birth_date = 'drop' to leave such children out)",
            [(row, None) for row, _ in no_birth],
            no_birth[0][1],
        )
    con.execute(
        """
        create table kept_persons as
        select rowid + 2 as _row, * from t_ssd_person
        where pers_person_id in (
            select cont_person_id from kept_contacts union select earl_person_id from kept_episodes)
        """
    )
    counts = report.tables["ssd_person"]
    counts.kept = con.execute("select count(*) from kept_persons").fetchone()[0]
    no_birth_total = no_birth[0][1] if no_birth else 0
    counts.dropped["child has no date of birth"] = no_birth_total
    counts.dropped["no contact or early help episode (e.g. parents, social care only)"] = (
        counts.read - counts.kept - no_birth_total
    )
    for table, relation in (
        ("ssd_contacts", "kept_contacts"),
        ("ssd_early_help_episodes", "kept_episodes"),
    ):
        report.tables[table].kept = con.execute(f"select count(*) from {relation}").fetchone()[0]
    if no_birth_total:
        report.assumptions.append(
            f"{no_birth_total:,} children with no date of birth were left out with their contacts"
            " and episodes ([persons] missing_birth_date = 'drop')."
        )
    report.assumptions.append(
        "Birth month from pers_dob"
        + (", or pers_expected_dob for an unborn child" if use_expected else "")
        + "; the day of birth is never kept."
    )


# The mapped columns: mapping section → (SSD table, column). The map tables _map_values makes
# are named in a dict by section.
MAPPED_COLUMNS = {
    "sex": ("ssd_person", "pers_sex"),
    "ethnicity": ("ssd_person", "pers_ethnicity"),
    "send": ("ssd_person", "pers_send_flag"),
    "contact_sources": ("ssd_contacts", "cont_contact_source_code"),
    "contact_outcomes": ("ssd_contacts", "cont_outcome_flag"),
    "organisations": ("ssd_early_help_episodes", "earl_episode_organisation"),
    "end_reasons": ("ssd_early_help_episodes", "earl_episode_end_reason"),
    "episode_reasons": ("ssd_early_help_episodes", "earl_episode_reason"),
}
KEPT_ROWS = {
    "ssd_person": "kept_persons",
    "ssd_contacts": "kept_contacts",
    "ssd_early_help_episodes": "kept_episodes",
    # Open episodes have no closure reason: only ended ones are mapped.
    "earl_episode_end_reason": "(select * from kept_episodes where earl_episode_end_date_d is not null)",
}


def _value_map(m: Mapping, section: str) -> ValueMap:
    """How the mapping resolves the values of one mapped column."""
    table, column = MAPPED_COLUMNS[section]
    settings = getattr(m, section)
    if section in mapping_module.CODE_MAP_DEFAULTS:
        defaults, label = m.code_defaults(section)
        rule = _ethnicity_rule(m) if section == "ethnicity" else None
        return ValueMap(
            table,
            column,
            section,
            m.explicit(section),
            defaults,
            label,
            settings.unmapped,
            settings.missing,
            rule=rule,
        )
    if section == "contact_outcomes":
        return ValueMap(
            table,
            column,
            section,
            dict(settings.flags),
            {},
            "",
            UNMAPPED_ERROR,
            settings.none_set,
            case_blind=False,
            explicit_label="the first flag set to yes ([contact_outcomes] flags)",
            missing_label="no flag set ([contact_outcomes] none_set; empty = undecided)",
            report_column="cont_contact_outcome_json (first flag set)",
        )
    if section == "organisations":
        return ValueMap(
            table,
            column,
            section,
            m.organisation_map(),
            {},
            "",
            _with_service(settings.unmapped, settings.service),
            _with_service(settings.missing, settings.service),
            case_blind=False,
        )
    return ValueMap(
        table,
        column,
        section,
        m.explicit(section),
        {},
        "",
        settings.unmapped,
        settings.missing,
        case_blind=False,
    )


def _map_values(con: duckdb.DuckDBPyConnection, m: Mapping, report: Report) -> dict[str, str]:
    """Every mapped column's map table, by mapping section."""
    maps = {}
    for section, (table, column) in MAPPED_COLUMNS.items():
        targets = ("hub", "service") if section == "organisations" else ("target",)
        relation = KEPT_ROWS.get(column, KEPT_ROWS[table])
        maps[section] = _apply_map(con, _value_map(m, section), relation, targets, report)
    return maps


def _with_service(hub: str, service: str) -> object:
    return hub if hub == UNMAPPED_ERROR else (hub, service)


def _families(
    con: duckdb.DuckDBPyConnection,
    m: Mapping,
    extract_date: date,
    maps: dict[str, str],
    report: Report,
) -> None:
    """children_out and families_out: each child's latest family, and the family's locality
    from the postcode of its address current at the extract date (else its latest)."""
    # "Latest" family: the highest fami_table_id (or fami_family_id), numerically where it is
    # a number (SSD row ids are), as ssd_family carries no dates.
    key = {"table_id": "fami_table_id", "family_id": "fami_family_id"}[m.families.latest_by]
    con.execute(
        f"""
        create table person_family as
        select
            fami_person_id as person_id,
            -- a key that is not a number sorts below every number (as nulls last would)
            arg_max(fami_family_id, (coalesce(try_cast({key} as bigint), -9223372036854775808),
                                     {key}, rowid)) as family_id,
            -- more than one family id (cheaper than counting the distinct ones)
            min(fami_family_id) <> max(fami_family_id) as several_families
        from t_ssd_family
        where fami_person_id is not null and fami_family_id is not null
        group by fami_person_id
        """
    )
    family_counts = report.tables["ssd_family"]
    con.execute(
        f"""
        create table children_out as
        select
            p.pers_person_id as child_id,
            coalesce(f.family_id, $prefix || p.pers_person_id) as family_id,
            f.family_id is null as own_family,
            coalesce(f.several_families, false) as several_families,
            strftime(coalesce(p.pers_dob_d, case when $expected then p.pers_expected_dob_d end),
                     '%Y-%m') as birth_month,
            {ident(maps["sex"])}.target as sex,
            {ident(maps["ethnicity"])}.target as ethnic_group,
            {ident(maps["send"])}.target as send,
            p._row
        from kept_persons as p
        left join person_family as f on f.person_id = p.pers_person_id
        {_mapped(maps["sex"], "p.pers_sex")}
        {_mapped(maps["ethnicity"], "p.pers_ethnicity")}
        {_mapped(maps["send"], "p.pers_send_flag")}
        """,
        {"prefix": OWN_FAMILY_PREFIX, "expected": m.persons.use_expected_dob},
    )
    own, several = con.execute(
        "select count(*) filter (where own_family), count(*) filter (where several_families)"
        " from children_out"
    ).fetchone()
    if own and m.families.missing == "error":
        for row, child in con.execute(
            "select _row, child_id from children_out where own_family order by _row limit 5"
        ).fetchall():
            report.problem(
                Problem(
                    report.tables["ssd_person"].file,
                    row,
                    "pers_person_id",
                    child,
                    "child has no row in ssd_family ([families] missing = 'error')",
                )
            )
        return
    family_counts.kept = con.execute(
        "select count(*) from t_ssd_family where fami_person_id in (select child_id from children_out)"
    ).fetchone()[0]
    family_counts.dropped["rows of persons who are not children kept"] = (
        family_counts.read - family_counts.kept
    )
    report.assumptions.append(
        f"Family: the child's latest fami_family_id (highest {key}); {several:,} children"
        f" have more than one family id. {own:,} children with no ssd_family row are a family"
        f" of their own (id '{OWN_FAMILY_PREFIX}<person id>'; [families] missing)."
    )

    # The family's members: every person whose latest family it is (parents' addresses
    # count too), or the child alone for an own family.
    types = list(m.addresses.types)
    con.execute(
        """
        create table family_address as
        with members as (
            select person_id, family_id from person_family
            where family_id in (select family_id from children_out)
            union all
            select child_id, family_id from children_out where own_family
        ),
        candidates as (
            select members.family_id, a.rowid + 2 as _row, a.addr_person_id,
                upper(replace(a.addr_address_postcode, ' ', '')) as postcode,
                coalesce(a.addr_address_start_date_d <= $extract_date, true)
                    and coalesce(a.addr_address_end_date_d >= $extract_date, true) as is_current,
                a.addr_address_start_date_d as start_date,
                a.addr_address_end_date_d as end_date
            from t_ssd_address as a
            inner join members on members.person_id = a.addr_person_id
            where nullif(trim(a.addr_address_postcode), '') is not null
                and (len($types) = 0 or list_contains($types, trim(a.addr_address_type)))
        )
        -- a sorted window, not an arg_max aggregate: the aggregate ran out of memory under a
        -- tight limit where the window spills (bench/design-measurements.md)
        select * from candidates
        qualify row_number() over (partition by family_id
            order by is_current desc, start_date desc nulls last, end_date desc nulls first,
                     _row desc) = 1
        """,
        {"extract_date": extract_date, "types": types},
    )
    area = "coalesce(full_match.area_code, sector_match.area_code, district_match.area_code)"
    con.execute(
        f"""
        create table families_out as
        with families as (select distinct family_id from children_out),
        located as (
            select families.family_id, a._row, a.is_current, a.postcode is not null as has_address,
                coalesce(full_match.locality_id, sector_match.locality_id,
                         district_match.locality_id) as locality_id,
                {area} as area_code,
                case when full_match.key is not null then 'full postcode'
                     when sector_match.key is not null then 'postcode sector'
                     when district_match.key is not null then 'postcode district' end as matched_by,
                a.postcode
            from families
            left join family_address as a on a.family_id = families.family_id
            left join postcode_lookup as full_match
                on full_match.kind = 'full' and full_match.key = a.postcode
            left join postcode_lookup as sector_match
                on sector_match.kind = 'sector'
                and sector_match.key = left(a.postcode, length(a.postcode) - 3) || ' '
                    || substr(a.postcode, length(a.postcode) - 2, 1)
            left join postcode_lookup as district_match
                on district_match.kind = 'district'
                and district_match.key = case when length(a.postcode) >= 5
                    then left(a.postcode, length(a.postcode) - 3) else a.postcode end
        )
        select * from located
        """
    )
    stats = con.execute(
        """
        select count(*) filter (where is_current), count(*) filter (where has_address
            and not is_current), count(*) filter (where not has_address or has_address is null),
            count(*) filter (where has_address and locality_id is null)
        from families_out
        """
    ).fetchone()
    current, past_only, no_address, unmatched = stats
    by_level = con.execute(
        "select matched_by, count(*) from families_out where matched_by is not null group by 1"
        " order by 1"
    ).fetchall()
    report.assumptions.append(
        f"Family locality from the postcode of the family's address current on the extract date:"
        f" {current:,} families; {past_only:,} had no current address, so their latest address"
        f" was used; {no_address:,} have no address with a postcode. Matched by "
        + ", ".join(f"{level} {n:,}" for level, n in by_level)
        + ". Postcodes are read only to find the locality and are never written."
    )
    counts = report.tables["ssd_address"]
    counts.kept = con.execute(
        "select count(*) from families_out where _row is not null"
    ).fetchone()[0]
    counts.dropped[
        "not the address used for a family (earlier, other members', other persons')"
    ] = counts.read - counts.kept
    fallback = m.addresses.unmatched
    if fallback == UNMAPPED_ERROR and (no_address or unmatched):
        for row, outward, has_address, family in con.execute(
            """
            select _row, case when length(postcode) >= 5 then left(postcode, length(postcode) - 3)
                else postcode end, has_address, family_id
            from families_out where locality_id is null order by _row nulls last, family_id limit 10
            """
        ).fetchall():
            if has_address:
                report.problem(
                    Problem(
                        report.tables["ssd_address"].file,
                        row,
                        "addr_address_postcode",
                        f"{outward} … (only the district is shown)",
                        "postcode not in the postcode lookup (add it, or set [addresses]"
                        " unmatched to a locality_id)",
                    )
                )
            else:
                report.problem(
                    Problem(
                        report.tables["ssd_address"].file,
                        None,
                        "addr_person_id",
                        family,
                        "no member of this family has an address with a postcode (set"
                        " [addresses] unmatched to a locality_id)",
                    )
                )
        report.problem_total += max(0, no_address + unmatched - 10)  # the rest, counted
    elif no_address or unmatched:
        report.assumptions.append(
            f"{no_address + unmatched:,} families with no address or an unmatched postcode put in"
            f" locality {fallback} ([addresses] unmatched)."
        )
    con.execute(
        "update families_out set locality_id = $fallback where locality_id is null",
        {"fallback": None if fallback == UNMAPPED_ERROR else fallback},
    )


def _requests(con: duckdb.DuckDBPyConnection, maps: dict[str, str]) -> None:
    """requests_out: one request per kept contact; decision from the first outcome flag set."""
    con.execute(
        f"""
        create table requests_out as
        select
            c.cont_contact_id as request_id,
            c.cont_person_id as child_id,
            c.cont_contact_date_d as received_date,
            {ident(maps["contact_sources"])}.target as source,
            null::varchar as hub_id,
            {ident(maps["contact_outcomes"])}.target as decision
        from kept_contacts as c
        {_mapped(maps["contact_sources"], "c.cont_contact_source_code")}
        {_mapped(maps["contact_outcomes"], "c.cont_outcome_flag")}
        """
    )


def _json_key(flag: str) -> str:
    return '"' + flag.replace('"', '\\"') + '"'


EPISODES_SQL = """
-- episodes_out: one row per kept early help episode, with its derived request, start reason
-- and closure reason (the end reason as mapped, but step-up when a CIN referral follows, unless
-- the end reason says transfer). Parameters: the [windows] settings.
create table episodes_out as
with transfer_in as (
    -- another early help episode of the child ended on the start day or up to $gap days
    -- before ('transfer_end': only one whose end reason maps to transfer)
    select distinct e.episode_id
    from eh as e inner join eh as other
        on other.child_id = e.child_id and other.episode_id <> e.episode_id
    where other.end_date between e.start_date - $gap::integer and e.start_date
        and other.start_date <= e.start_date
        and ($any_end or other.mapped_reason = 'transfer')
),
step_down as (
    select distinct e.episode_id
    from eh as e inner join cin on cin.child_id = e.child_id
    where cin.close_date between e.start_date - $down::integer and e.start_date
        and (len($reasons) = 0 or list_contains($reasons, cin.close_reason))
),
step_up as (
    select distinct e.episode_id
    from eh as e inner join cin on cin.child_id = e.child_id
    where cin.referral_date between e.end_date and e.end_date + $up::integer
),
request as (
    select e.episode_id, arg_max(c.request_id, (c.received_date, c.request_id)) as request_id
    from eh as e inner join requests_out as c on c.child_id = e.child_id
    where c.received_date between e.start_date - $request::integer and e.start_date
    group by e.episode_id
),
started as (
    select eh.*, request.request_id,
        coalesce(eh.explicit_start,
            case when transfer_in.episode_id is not null then 'transfer'
                 when step_down.episode_id is not null then 'step_down_from_social_care'
                 else 'new_request' end) as start_reason,
        step_up.episode_id is not null as cin_follows
    from eh
    left join transfer_in using (episode_id)
    left join step_down using (episode_id)
    left join step_up using (episode_id)
    left join request using (episode_id)
)
select
    episode_id, child_id, request_id, service, hub_id, start_date, end_date, start_reason,
    case when end_date is null then null
         when mapped_reason in ('step_up_to_social_care', 'transfer') then mapped_reason
         when cin_follows then 'step_up_to_social_care'
         else mapped_reason end as closure_reason,
    mapped_reason,
    explicit_start
from started
"""


def _episodes(
    con: duckdb.DuckDBPyConnection, m: Mapping, maps: dict[str, str], report: Report
) -> None:
    """episodes_out with the derived start and closure reasons and request."""
    w = m.windows
    con.execute(
        f"""
        create table eh as
        select
            e.earl_episode_id as episode_id,
            e.earl_person_id as child_id,
            e.earl_episode_start_date_d as start_date,
            e.earl_episode_end_date_d as end_date,
            {ident(maps["organisations"])}.hub as hub_id,
            {ident(maps["organisations"])}.service as service,
            case when e.earl_episode_end_date_d is not null
                then {ident(maps["end_reasons"])}.target end as mapped_reason,
            nullif({ident(maps["episode_reasons"])}.target, $derive) as explicit_start
        from kept_episodes as e
        {_mapped(maps["organisations"], "e.earl_episode_organisation")}
        {_mapped(maps["end_reasons"], "e.earl_episode_end_reason")}
        {_mapped(maps["episode_reasons"], "e.earl_episode_reason")}
        """,
        {"derive": mapping_module.DERIVE},
    )
    con.execute(
        """
        create table cin as
        select cine_person_id as child_id, cine_referral_date_d as referral_date,
            cine_close_date_d as close_date, upper(trim(cine_close_reason)) as close_reason
        from t_ssd_cin_episodes
        where cine_person_id in (select child_id from eh)
        """
    )
    con.execute(
        EPISODES_SQL,
        {
            "gap": w.transfer_gap_days,
            "any_end": w.transfer_from == "any_end",
            "down": w.step_down_days,
            "reasons": list(w.step_down_close_reasons),
            "up": w.step_up_days,
            "request": w.request_days,
        },
    )
    started = dict(
        con.execute(
            "select start_reason, count(*) from episodes_out where explicit_start is null"
            " group by 1"
        ).fetchall()
    )
    explicit = con.execute("select count(explicit_start) from episodes_out").fetchone()[0]
    overrides = dict(
        con.execute(
            "select closure_reason, count(*) from episodes_out where closure_reason is distinct"
            " from mapped_reason and end_date is not null group by 1"
        ).fetchall()
    )
    linked = con.execute("select count(request_id), count(*) from episodes_out").fetchone()
    reasons = ", ".join(w.step_down_close_reasons) or "any close reason"
    previous = (
        "another early help episode of the child"
        if w.transfer_from == "any_end"
        else "an early help episode of the child whose end reason maps to transfer"
    )
    report.assumptions += [
        f"Start reason from [episode_reasons] where earl_episode_reason maps to one"
        f" ({explicit:,} episodes); otherwise derived:",
        f"Start reason transfer: {previous} ended on the start day or up to"
        f" {w.transfer_gap_days} day(s) before ({started.get('transfer', 0):,} episodes).",
        f"Start reason step_down_from_social_care: a CIN episode of the child closed ({reasons})"
        f" on the start day or up to {w.step_down_days} days before"
        f" ({started.get('step_down_from_social_care', 0):,} episodes).",
        f"Start reason new_request otherwise ({started.get('new_request', 0):,} episodes).",
        f"Closure reason step_up_to_social_care when the end reason maps to it, or a CIN referral"
        f" of the child follows on the end day or up to {w.step_up_days} days after"
        f" ({overrides.get('step_up_to_social_care', 0):,} episodes set by a CIN referral).",
        "Closure reason transfer only when the end reason maps to it (a CIN referral after it"
        " does not make it a step-up).",
        f"An episode's request: the latest contact of the child on the start day or up to"
        f" {w.request_days} days before ({linked[0]:,} of {linked[1]:,} episodes linked).",
        "Requests have no receiving hub: SSD contacts record none (by-hub request figures show"
        " them as unknown).",
        f"Services: from [organisations]; where an organisation names none,"
        f" {m.organisations.service}.",
        "An end reason on an episode with no end date is ignored (the episode is open).",
    ]
    cin_counts = report.tables["ssd_cin_episodes"]
    cin_counts.kept = con.execute("select count(*) from cin").fetchone()[0]
    cin_counts.dropped["not about a child with an early help episode"] = (
        cin_counts.read - cin_counts.kept
    )


CONTRACT_SELECTS = {
    "families.csv": "select family_id, locality_id, null::integer as imd_decile{area}"
    " from families_out order by family_id",
    "children.csv": "select child_id, family_id, birth_month, sex, ethnic_group, send"
    " from children_out order by child_id",
    "requests.csv": "select request_id, child_id, received_date, source, hub_id, decision"
    " from requests_out order by received_date, request_id",
    "episodes.csv": "select episode_id, child_id, request_id, service, hub_id, start_date,"
    " end_date, start_reason, closure_reason from episodes_out order by start_date, episode_id",
}


def _write(con: duckdb.DuckDBPyConnection, m: Mapping, out: Path, report: Report) -> None:
    """The contract files: the four derived from SSD, then the reference files copied."""
    area = ", area_code" if m.files.areas else ""
    for name, select in CONTRACT_SELECTS.items():
        report.written[name] = con.execute(
            f"copy ({select.format(area=area)}) to $path (header true, delimiter ',')",
            {"path": str(out / name)},
        ).fetchone()[0]
    for key, name in REFERENCE_FILES.items():
        given = getattr(m.files, key)
        if given is None:
            continue
        source = m.base / given
        if not source.is_file():
            report.problem(Problem(str(source), None, None, None, f"[files] {key}: file not found"))
            continue
        copy = _copy_contract_columns if name.endswith(".csv") else _copy_shapes
        written = copy(con, key, source, out / name, report)
        if written is not None:
            report.written[name] = written
    _stop_if_problems(report)
    report.assumptions.append(
        "Not in SSD, so not imported: assessments (needs, THRIVE) and the survey; give them as"
        " [files] assessments and survey_responses (episode ids are earl_episode_id)."
    )


# A reference file is written with its contract columns only, never copied whole: a column
# the council's file carries beyond the contract (a manager's name and phone, say) stays out
# of the extract, as ingest keeps it out of the store.


def _copy_contract_columns(
    con: duckdb.DuckDBPyConnection, key: str, source: Path, target: Path, report: Report
) -> int | None:
    """Write the contract's columns of a reference CSV, as text; the rows written (None when
    the file lacks a required column: a problem, and nothing written)."""
    specs = contract.column_specs(contract.CSV_FILES[target.name])
    names = [name.strip() for name in _header(source)]
    header = set(names)
    missing = [s.name for s in specs if s.required_column and s.name not in header]
    if missing:
        report.problem(
            Problem(
                str(source),
                1,
                None,
                None,
                f"[files] {key}: not a contract {target.name} (no column {', '.join(missing)})",
            )
        )
        return None
    kept = [s.name for s in specs if s.name in header]
    dropped = sorted(header - set(kept))
    if dropped:
        report.assumptions.append(
            f"[files] {key}: columns not in the contract were left out of {target.name}: "
            # The council's own header: shown as text in the Markdown report.
            + ", ".join(_cell(name) for name in dropped)
        )
    try:
        return con.execute(
            f"copy (select {', '.join(ident(c) for c in kept)} from read_csv($source,"
            " header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"',"
            " auto_detect = false, columns = $columns)) to $target (header true, delimiter ',')",
            {
                "source": str(source),
                "target": str(target),
                "columns": {name: "varchar" for name in names},
            },
        ).fetchone()[0]
    except duckdb.Error as exc:
        report.problem(
            Problem(
                str(source),
                None,
                None,
                None,
                f"[files] {key}: {UNREADABLE} ({csv_error(str(exc))[1]})",
            )
        )
        return None


def _copy_shapes(
    con: duckdb.DuckDBPyConnection, key: str, source: Path, target: Path, report: Report
) -> int | None:
    """Write a boundary file's features with their geometry's type and coordinates and their
    key property only (ingest checks the shapes and keys)."""
    property_name = "area_code" if target.name == contract.AREAS_GEOJSON_FILE else "locality_id"
    try:
        data = json.loads(source.read_text(encoding="utf-8-sig"))
        collection = contract.minimal_geojson(data["features"], property_name)
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError, KeyError, AttributeError):
        report.problem(
            Problem(
                str(source), None, None, None, f"[files] {key}: not a GeoJSON FeatureCollection"
            )
        )
        return None
    target.write_text(
        json.dumps(collection, separators=(",", ":")),
        encoding="utf-8",
    )
    return 1
