"""The `ehts` command: ingest extracts, compute metrics, generate synthetic data."""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import typing
from datetime import date
from pathlib import Path

import duckdb

from ehts_data import (
    board,
    config,
    contract,
    disclosure,
    explore,
    formatting,
    ingest,
    metrics,
    periods,
    sample,
    scorecard,
    snapshot,
    store,
)
from ehts_data.text import for_spreadsheet, for_terminal


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help=f"store folder (default: $EHTS_DB or {config.DEFAULT_DB})",
    )


def _add_period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", help="financial year (2024-25) or quarter (2024-25-Q1)")
    parser.add_argument("--start", type=_date, help="first day of a custom period (YYYY-MM-DD)")
    parser.add_argument("--end", type=_date, help="last day of a custom period (YYYY-MM-DD)")


def _threshold(text: str) -> int:
    """K for suppression: below 2 nothing would be suppressed, so every publisher refuses it."""
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if k < 2:
        raise argparse.ArgumentTypeError(
            f"K must be at least 2 (counts 1 to K-1 are suppressed); got {k}"
        )
    return k


def _add_threshold(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=disclosure.DEFAULT_K,
        help=f"K: {what} (default {disclosure.DEFAULT_K})",
    )


def _period(args) -> periods.Period | None:
    """The period the arguments name, or None after printing why they do not."""
    try:
        return periods.resolve(args.period, args.start, args.end)
    except periods.PeriodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _progress_printer(stream):
    def show(message: str, fraction: float) -> None:
        print(f"[{fraction:4.0%}] {message}", file=stream, flush=True)

    return show


# With --errors every problem is written out, up to this many (each is a short row).
ERRORS_FILE_CAP = 1_000_000


def cmd_ingest(args) -> int:
    cap = ERRORS_FILE_CAP if args.errors else ingest.MAX_PROBLEMS
    try:
        result = ingest.ingest(
            args.dir, args.db, progress=_progress_printer(sys.stderr), max_problems=cap
        )
    except ingest.IngestError as exc:
        _print_problems(exc)
        if args.errors:
            written = _write_problems(exc, Path(args.errors))
            print(f"every problem listed ({written:,}) is in {args.errors}", file=sys.stderr)
        return 1
    print(f"Loaded {args.dir} into {result.db} in {result.seconds:.1f} s")
    print(f"ingest id {result.ingest_id}, fingerprint {result.fingerprint}")
    print(f"dates from {result.date_from} to {result.date_to}")
    width = max(len(t) for t in result.row_counts)
    for table, count in result.row_counts.items():
        print(f"  {table:<{width}}  {count:>12,} rows")
    for warning in result.warnings:
        print(f"warning: {warning}")
    return 0


def _write_problems(exc: ingest.IngestError, path: Path) -> int:
    """Every problem as CSV (file, row, column, value, reason), text cells made safe for a
    spreadsheet."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "column", "value", "reason"])
        for p in exc.problems:
            writer.writerow(
                [
                    for_spreadsheet(p.file),
                    p.row if p.row is not None else "",
                    for_spreadsheet(p.column or ""),
                    for_spreadsheet(p.value or ""),
                    for_spreadsheet(p.reason),
                ]
            )
    return len(exc.problems)


def _print_problems(
    exc, what: str = "Ingest rejected", outcome: str = "the store was not changed"
) -> None:
    print(f"{what}: {exc.total:,} problem(s); {outcome}.", file=sys.stderr)
    for warning in getattr(exc, "warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    print("\nProblems by file, column and reason:", file=sys.stderr)
    summary = sorted(
        (getattr(exc, "summary", None) or ingest._summary(exc.problems)).items(),  # noqa: SLF001
        key=lambda item: (item[0][0], -item[1]),
    )
    for (file, column, reason), count in summary:
        line = f"  {count:>10,}  {file}  {column or '-'}  {reason}"
        print(for_terminal(line), file=sys.stderr)
    print(file=sys.stderr)
    # File and column names and values come from the input: printed as text, never as
    # escape sequences.
    rows = [
        tuple(
            for_terminal(cell)
            for cell in (p.file, "" if p.row is None else p.row, p.column or "", p.value or "")
        )
        + (p.reason,)
        for p in exc.problems[: ingest.MAX_PROBLEMS]
    ]
    heads = ("file", "row", "column", "value", "reason")
    widths = [max(len(h), *(min(len(r[i]), 40) for r in rows)) for i, h in enumerate(heads[:4])]
    print("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=False)), file=sys.stderr)
    for row in rows:
        cells = [c[:40].ljust(w) for c, w in zip(row[:4], widths, strict=True)] + [row[4]]
        print("  ".join(cells), file=sys.stderr)
    more = exc.total - len(rows)
    if more > 0:
        print(f"… and {more:,} more problems not listed", file=sys.stderr)


def _scope(con: duckdb.DuckDBPyConnection, args) -> metrics.Scope | None:
    """The filters the arguments name, or None after printing which code the store lacks."""
    scope = metrics.Scope(
        locality=args.locality,
        hub=args.hub,
        service=args.service,
        area=args.area,
        catchment=args.catchment,
    )
    if scope == metrics.ALL:
        return scope  # nothing to look up
    areas = explore.areas(con)
    known = {
        "locality": set(explore.localities(con)["locality_id"]),
        "hub": set(explore.hubs(con)["hub_id"]),
        "area": set(areas["area_code"]),
        "catchment": set(areas["hub_id"].dropna()),
    }
    for name, codes in known.items():
        code = getattr(scope, name)
        if code is not None and code not in codes:
            shown = for_terminal(code)
            print(f"error: --{name} {shown!r}: no such {name} in this extract", file=sys.stderr)
            return None
    return scope


def cmd_metrics(args) -> int:
    period = _period(args)
    if period is None:
        return 2
    with store.connect(args.db) as con:
        scope = _scope(con, args)
        if scope is None:
            return 2
        if args.metric:
            df = metrics.compute(con, args.metric, period, args.by, scope)
        else:
            df = metrics.compute_all(con, period, args.by, scope)
    records = metrics.to_records(df)
    if args.format == "json":
        print(json.dumps(records, indent=2))
    elif args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        print(f"Period {period.label} ({period.start} to {period.end}), by {args.by}")
        print(formatting.table(records))
    return 0


def cmd_sample(args) -> int:
    out = Path(args.out)
    if args.format == "ssd":
        from ehts_data.importers import ssd_sample

        counts = ssd_sample.write_sample_ssd(
            out, args.children, args.years, args.seed, args.requests_per_child
        )
        print(f"Wrote the synthetic city as SSD tables, with {ssd_sample.MAPPING_FILE}, to {out}")
        for name, count in counts.items():
            print(f"  {name:<28} {count:>12,} rows")
        return 0
    counts = sample.write_sample(out, args.children, args.years, args.seed, args.requests_per_child)
    print(f"Wrote a synthetic extract to {out}")
    for name, count in counts.items():
        print(f"  {name:<22} {count:>12,} rows")
    return 0


def cmd_import_ssd(args) -> int:
    from ehts_data.importers import mapping, ssd

    try:
        result = ssd.import_ssd(
            args.dir,
            args.mapping,
            args.out,
            replace=args.replace,
            progress=lambda message: print(message, file=sys.stderr, flush=True),
        )
    except mapping.MappingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ssd.SsdImportError as exc:
        print(exc.report.markdown())
        _print_problems(exc, "SSD import stopped", "nothing was written")
        return 1
    print(result.report.markdown())
    report = Path(args.out) / ssd.REPORT_DIR
    print(f"Wrote {args.out} in {result.seconds:.1f} s; the report is in {report}")
    if not args.ingest:
        return 0
    return cmd_ingest(argparse.Namespace(dir=args.out, db=args.db, errors=None))


def cmd_snapshot(args) -> int:
    period = _period(args)
    if period is None:
        return 2
    folder = snapshot.publish(
        period,
        args.db,
        args.out,
        threshold=args.threshold,
        audience=args.audience,
        progress=_progress_printer(sys.stderr),
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    cells = manifest["suppressed_cells"]
    print(f"Snapshot for {period.label} ({args.audience}) written to {folder}")
    print(
        f"suppression K={args.threshold}: {cells['primary']} primary, {cells['secondary']} "
        f"secondary, {cells['rates']} rates withheld"
    )
    for path in sorted(folder.iterdir()):
        print(f"  {path.name}")
    return 0


def _scorecard_table(results: list[scorecard.KpiResult]) -> str:
    rows = []
    for r in results:
        kind = r.kpi.kind
        ci = " to ".join(formatting.of_kind(kind, v, short=True) for v in r.ci95) if r.ci95 else ""
        bench = "; ".join(
            f"{b.label} {formatting.of_kind(kind, b.value)}"
            for b in r.benchmarks
            if b.value is not None
        )
        rows.append(
            (
                r.kpi.id,
                r.current.period or r.period,
                formatting.of_kind(kind, r.value),
                ci,
                "" if r.target is None else formatting.of_kind(kind, r.target),
                r.rag or "",
                formatting.of_kind(kind, r.previous.value),
                " ".join(
                    x
                    for x in (formatting.change(kind, r.value, r.previous.value), r.direction)
                    if x
                ),
                r.versus_authority.label if r.versus_authority else "",
                bench,
            )
        )
    heads = (
        "kpi",
        "period",
        "value",
        "95% CI",
        "target",
        "rag",
        "previous",
        "change",
        "vs authority",
        "benchmarks",
    )
    return formatting.text_table(heads, rows)


def cmd_scorecard(args) -> int:
    period = _period(args)
    if period is None:
        return 2
    card = scorecard.load(args.scorecard)
    with store.connect(args.db) as con:
        if args.format == "html":
            if args.out is None:
                print(board.pack_html(con, card, period, k=args.threshold))
                return 0
            paths = board.write_pack(con, card, period, args.out, pdf=args.pdf, k=args.threshold)
            for path in paths.values():
                print(f"wrote {path}")
            return 0
        scope = metrics.Scope(locality=args.locality)
        results = scorecard.evaluate(con, card, period, scope, trend=False)
    if args.format == "json":
        print(json.dumps(scorecard.records(results), indent=2))
    else:
        where = f", locality {args.locality}" if args.locality else ""
        print(
            f"{card.council.name}: scorecard {period.label} ({period.start} to {period.end}){where}"
        )
        print(_scorecard_table(results))
    return 0


def cmd_migrate(args) -> int:
    target = config.db_path(args.db)
    found = store.kind(target)
    if found != "legacy":
        print(f"{target} needs no conversion ({found})")
        return 0
    print(store.migrate(target))
    return 0


def cmd_bench(args) -> int:
    from ehts_data import bench

    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    if args.ssd:  # the SSD import's benchmark, written beside the others
        out = Path(args.out or f"bench/results-ssd-{args.scale}.json")
        result = bench.run_ssd_import(args.scale, args.workdir, say, args.reuse_extract, out)
        write, markdown = bench.write_ssd, bench.markdown_ssd
    else:
        out = Path(args.out or f"bench/results-{args.scale}.json")
        result = bench.run(
            args.scale,
            args.workdir,
            args.repeats,
            say,
            args.reuse_extract,
            checkpoint=out,
            reuse_store=args.reuse_store,
            baseline=not args.no_baseline,
        )
        write, markdown = bench.write, bench.markdown
    write(result, out)
    print(markdown(result))
    print(f"Wrote {out} and {out.with_suffix('.md')}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ehts",
        description="EHTS Insight: load early help extracts and compute service metrics.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "ingest",
        help="validate a directory of contract CSV files and replace the store's case data",
        description="Validate every file and row of DIR against the data contract. If all is "
        "well, replace the store's case data in one step; otherwise list the problems and "
        "leave the store unchanged.",
    )
    p.add_argument("dir", help="directory holding localities.csv, hubs.csv, … (the data contract)")
    _add_db(p)
    p.add_argument(
        "--errors", help="if the extract is refused, write every problem to this CSV file"
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "import",
        help="turn another standard's extract into a contract extract",
        description="Import an extract in another standard; `ehts import ssd` reads a "
        "Standard Safeguarding Dataset (docs/import-ssd.md).",
    )
    formats = p.add_subparsers(dest="format", required=True, help="the extract's standard")
    p = formats.add_parser(
        "ssd",
        help="a Standard Safeguarding Dataset extract (SSD CSV tables + a mapping file)",
        description="Read the SSD tables in DIR with the council's mapping file and write a "
        "contract extract to --out, with a mapping report (report/mapping-report.md and .csv). "
        "On any problem nothing is written.",
    )
    p.add_argument("dir", help="folder holding ssd_person.csv, ssd_contacts.csv, … (SSD v1.4)")
    p.add_argument("--mapping", required=True, help="the council's mapping file (TOML)")
    p.add_argument("--out", required=True, help="folder to write the contract extract into")
    p.add_argument("--replace", action="store_true", help="replace --out if it already holds files")
    p.add_argument("--ingest", action="store_true", help="then ingest the extract into the store")
    _add_db(p)
    p.set_defaults(func=cmd_import_ssd)

    p = sub.add_parser(
        "metrics",
        help="compute every metric for a period",
        description="Compute the metrics defined in docs/metrics.md for one period.",
    )
    _add_db(p)
    _add_period(p)
    p.add_argument("--by", choices=metrics.BREAKDOWNS, default="none", help="breakdown")
    p.add_argument("--metric", choices=list(metrics.REGISTRY), help="one metric only")
    p.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    # The dashboard's filters (metrics.Scope): the family's locality, small area and catchment,
    # the episode's lead hub and service.
    p.add_argument("--locality", help="only families of this locality (locality_id)")
    p.add_argument("--area", help="only families of this small area (area_code)")
    p.add_argument("--catchment", help="only families in this hub's catchment (hub_id)")
    p.add_argument("--hub", help="only this lead hub (hub_id)")
    p.add_argument("--service", choices=typing.get_args(contract.Service), help="one service")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser(
        "snapshot",
        help="publish a dated snapshot with small numbers suppressed",
        description="Write report.html, tables.xlsx, one CSV per table and manifest.json for "
        "a period into a folder named for the period, audience and data fingerprint. Counts "
        "from 1 to K-1 are suppressed, with secondary suppression (docs/publishing.md).",
    )
    _add_db(p)
    _add_period(p)
    p.add_argument(
        "--out", help="folder for snapshots (default: $EHTS_SNAPSHOTS or data/snapshots)"
    )
    _add_threshold(p, "counts from 1 to K-1 are suppressed")
    p.add_argument(
        "--audience",
        choices=snapshot.AUDIENCES,
        default="public",
        help="public: locality tables; partners: hub tables too",
    )
    p.set_defaults(func=cmd_snapshot)

    p = sub.add_parser(
        "scorecard",
        help="the board scorecard for a period: KPIs, targets, RAG and benchmarks",
        description="Evaluate every KPI of the scorecard registry (scorecard.toml, or "
        "$EHTS_SCORECARD) for a period. --format html writes the printable board pack; with "
        "--out it is saved in that folder, with --pdf as a PDF too (needs Chromium).",
    )
    _add_db(p)
    _add_period(p)
    p.add_argument(
        "--format", choices=("table", "json", "html"), default="table", help="output format"
    )
    p.add_argument("--scorecard", help="KPI registry (default: $EHTS_SCORECARD or scorecard.toml)")
    p.add_argument("--locality", help="one locality's values, judged against the authority")
    p.add_argument("--out", help="folder for the board pack (--format html)")
    p.add_argument("--pdf", action="store_true", help="also print the board pack to PDF")
    _add_threshold(p, "board pack: figures resting on 1 to K-1 cases show c")
    p.set_defaults(func=cmd_scorecard)

    p = sub.add_parser(
        "migrate",
        help="convert a single-file store from an earlier version into a store folder",
        description="Convert a store written by an earlier EHTS Insight (one DuckDB file) into "
        "a store folder at the same path: its extract becomes the first version and its "
        "commentary and ingest history move to the state database (docs/store.md).",
    )
    _add_db(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "bench",
        help="measure ingest, metric and page speed on generated data",
        description="Generate data at a scale, ingest it with full validation, and time every "
        "metric, each page's data and a pandas baseline. Writes JSON and a markdown table.",
    )
    p.add_argument(
        "--scale",
        choices=("la", "region", "national"),
        default="la",
        help="la: 60,000 children; region: 1 million; national: 12 million",
    )
    p.add_argument("--out", help="result JSON (default bench/results-SCALE.json; .md beside it)")
    p.add_argument("--workdir", help="folder for the generated extract and store (default: temp)")
    p.add_argument("--repeats", type=int, default=15, help="runs per metric query")
    p.add_argument(
        "--reuse-extract",
        action="store_true",
        help="use the extract already in --workdir instead of generating it again",
    )
    p.add_argument(
        "--reuse-store",
        action="store_true",
        help="time the store already in --workdir (loaded by `ehts ingest` from its extract) "
        "instead of loading it again: the ingest is then not timed",
    )
    p.add_argument(
        "--no-baseline",
        action="store_true",
        help="leave out the pandas notebook baseline (over half an hour at national scale)",
    )
    p.add_argument(
        "--ssd",
        action="store_true",
        help="time `ehts import ssd` instead (the sample city as SSD tables; "
        "writes bench/results-ssd-SCALE.json)",
    )
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "sample",
        help="write a synthetic extract for a fictional city",
        description="Write synthetic data in the contract format, deterministic for a seed.",
    )
    p.add_argument("--out", required=True, help="directory to write the CSV files into")
    p.add_argument(
        "--format",
        choices=("contract", "ssd"),
        default="contract",
        help="contract: the data contract's files; ssd: SSD tables plus council.toml",
    )
    p.add_argument("--children", type=int, default=60_000, help="resident children aged 0-19")
    p.add_argument("--years", type=int, default=5, help="financial years of case data")
    p.add_argument("--seed", type=int, default=2026, help="random seed")
    p.add_argument(
        "--requests-per-child",
        type=float,
        default=sample.REQUESTS_PER_CHILD_YEAR,
        help=f"requests a year per resident child ({sample.REQUESTS_PER_CHILD_YEAR}, a typical "
        "council; raise for benchmarks)",
    )
    p.set_defaults(func=cmd_sample)
    return parser


# What a command says in one line instead of a traceback: bad paths, stores, files, periods.
USER_ERRORS = (
    store.StoreError,
    scorecard.RegistryError,
    periods.PeriodError,
    snapshot.PublishError,
    board.PdfError,
    OSError,
    sqlite3.Error,
)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return str(exc).strip().replace("\n", "\n  ") or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except duckdb.IOException as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
