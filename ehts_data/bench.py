"""The benchmark behind `ehts bench`: generate → ingest → time every metric → time the pages'
data → compare with a pandas notebook baseline → write JSON and a markdown table.

Speed is measured here, never asserted in a unit test.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty

import duckdb
import pandas as pd

from ehts_data import config, ingest, metrics, periods, sample, site, store

SCALES = {
    "la": {
        "children": 60_000,
        "years": 5,
        "requests_per_child_year": sample.REQUESTS_PER_CHILD_YEAR,
    },
    "region": {
        "children": 1_000_000,
        "years": 5,
        "requests_per_child_year": sample.REQUESTS_PER_CHILD_YEAR,
    },
    # The national extract: 12 million children, about 30 million requests.
    "national": {"children": 12_000_000, "years": 5, "requests_per_child_year": 0.5},
}
TARGET_MS = {"la": 10, "region": 100, "national": 100}
BASELINE_CAP_GB = 16

Say = Callable[[str], None]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StageClock:
    """An ingest progress callback that times each stage (until the next message)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []
        self.cpu: list[float] = []

    def __call__(self, message: str, fraction: float) -> None:
        self.marks.append((message, time.perf_counter()))
        self.cpu.append(time.process_time())

    def seconds(self) -> dict[str, float]:
        return {
            message: round(end - start, 2)
            for (message, start), (_, end) in zip(self.marks, self.marks[1:], strict=False)
        }

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time of the process (all its threads) per stage: comparable under load."""
        return {
            message: round(end - start, 2)
            for (message, _), start, end in zip(self.marks, self.cpu, self.cpu[1:], strict=False)
        }


CALIBRATION_SQL = (
    "select count(*) from (select i % 2568, sum(i) from range(30000000) t(i) group by 1)"
)


def calibrate() -> float:
    """The median time of a fixed DuckDB query on no data, in ms. This shared machine's speed
    varies from day to day by half or more, so each result carries it: compare runs by it."""
    con = duckdb.connect()
    ms = _timed(lambda: con.execute(CALIBRATION_SQL).fetchall(), 7)
    con.close()
    return round(statistics.median(ms), 1)


def _timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2), "runs": len(ms)}


# ---- the pandas baseline: how a typical analyst notebook computes three metrics ----
def _whole(con: duckdb.DuckDBPyConnection, table: str, *columns: str) -> pd.DataFrame:
    # Every row of the table into pandas, the columns the metric uses only (a notebook's
    # read_csv(usecols=...)): with every column the national tables do not fit in memory.
    return con.table(table).select(*columns).df()


def baseline_re_entry(con: duckdb.DuckDBPyConnection, period: periods.Period) -> float:
    episodes = _whole(
        con, "episodes", "episode_id", "child_id", "start_date", "end_date", "start_reason"
    )
    closed = episodes.dropna(subset=["end_date"])[["child_id", "episode_id", "end_date"]]
    starts = episodes[
        (episodes.start_date >= pd.Timestamp(period.start))
        & (episodes.start_date <= pd.Timestamp(period.end))
        & (episodes.start_reason != "transfer")
    ]
    pairs = starts.merge(closed, on="child_id", suffixes=("", "_prev"))
    pairs = pairs[
        (pairs.episode_id != pairs.episode_id_prev)
        & (pairs.end_date_prev <= pairs.start_date)
        & (pairs.end_date_prev >= pairs.start_date - pd.DateOffset(months=12))
    ]
    return pairs.episode_id.nunique() / len(starts) if len(starts) else float("nan")


def baseline_re_referral(con: duckdb.DuckDBPyConnection, period: periods.Period) -> float:
    requests = _whole(con, "requests", "request_id", "child_id", "received_date")
    requests = requests.sort_values(["child_id", "received_date", "request_id"])
    requests["previous"] = requests.groupby("child_id")["received_date"].shift()
    in_period = requests[
        (requests.received_date >= pd.Timestamp(period.start))
        & (requests.received_date <= pd.Timestamp(period.end))
    ]
    hit = in_period.previous >= in_period.received_date - pd.DateOffset(months=12)
    return hit.mean() if len(in_period) else float("nan")


def baseline_demand_by_locality(
    con: duckdb.DuckDBPyConnection, period: periods.Period
) -> pd.Series:
    requests = _whole(con, "requests", "child_id", "received_date")
    children = _whole(con, "children", "child_id", "family_id")
    families = _whole(con, "families", "family_id", "locality_id")
    merged = requests.merge(children, on="child_id").merge(families, on="family_id")
    merged = merged[
        (merged.received_date >= pd.Timestamp(period.start))
        & (merged.received_date <= pd.Timestamp(period.end))
    ]
    return merged.groupby("locality_id").size()


BASELINES = {
    "re_entry_12m_rate": (baseline_re_entry, "none"),
    "re_referral_12m_rate": (baseline_re_referral, "none"),
    "requests": (baseline_demand_by_locality, "locality"),
}


def _baseline_child(db: str, metric_id: str, label: str, runs: int, queue) -> None:
    try:
        con = store.connect(db)
        function, _ = BASELINES[metric_id]
        queue.put(("ok", _timed(lambda: function(con, periods.parse(label)), runs)))
    except MemoryError:
        queue.put(("out of memory", None))
    except Exception as exc:  # noqa: BLE001  (report how the notebook failed, whatever it was)
        queue.put((f"failed: {type(exc).__name__}: {str(exc)[:120]}", None))


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return int(kb) / 1024


def _baseline(db: Path, metric_id: str, period: periods.Period, runs: int, cap_gb: int) -> dict:
    """The pandas baseline in a child process, killed if its resident memory passes the cap:
    a notebook-style run can exhaust the machine at national scale. (An address-space limit
    stopped DuckDB's allocator long before memory ran short, so resident memory is watched.)"""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_baseline_child, args=(str(db), metric_id, period.label, runs, queue)
    )
    child.start()
    peak, status, ms = 0.0, None, None
    while child.is_alive() and queue.empty():
        peak = max(peak, _rss_mb(child.pid))
        if peak > cap_gb * 1024:
            child.kill()
            status = f"out of memory (over {cap_gb} GB)"
            break
        time.sleep(0.1)
    if status is None:
        # Read before join: a child blocks on exit until its queue is drained.
        try:
            status, ms = queue.get(timeout=5)
        except Empty:
            pass
    child.join()
    if status is None:
        status = f"killed (exit {child.exitcode})"
    return {"status": status, "ms": ms, "peak_mb": round(peak)}


def _header(scale: str, params: dict) -> dict:
    """What every result starts with: the scale, the machine and its calibration, the time."""
    return {
        "scale": scale,
        "params": params,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "platform": platform.platform(),
            "calibration_ms": calibrate(),
        },
        "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run(
    scale: str,
    workdir: Path | None = None,
    repeats: int = 15,
    say: Say = print,
    reuse_extract: bool = False,
    checkpoint: Path | None = None,
    reuse_store: bool = False,
    baseline: bool = True,
) -> dict:
    """Run the benchmark at one scale; returns the result dict (also written to `checkpoint`
    after each stage, so a long run that dies keeps what it measured). With `reuse_store` the
    queries are timed on the store already in the workdir (an ingest at national scale takes
    longer than the queries' timing: the two can then run at different times). Without
    `baseline` the pandas notebook is not timed (at national scale it takes over half an hour)."""
    params = SCALES[scale]
    workdir = Path(workdir or tempfile.mkdtemp(prefix=f"ehts-bench-{scale}-"))
    extract, db = workdir / "extract", workdir / "store"
    result = _header(scale, params)

    def save() -> None:
        if checkpoint is not None:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            checkpoint.write_text(json.dumps(result, indent=2) + "\n")

    if (reuse_extract or reuse_store) and (extract / "requests.csv").exists():
        say(f"reusing the extract in {extract}")
        counts = {p.name: _lines(p) for p in sorted(extract.glob("*.csv"))}
        result["generate_s"] = None
    else:
        say(f"generating {scale} extract in {extract}")
        started = time.perf_counter()
        counts = sample.write_sample(
            extract, params["children"], params["years"], 2026, params["requests_per_child_year"]
        )
        result["generate_s"] = round(time.perf_counter() - started, 1)
    result["rows"] = counts
    save()
    if reuse_store:
        con = store.connect(db)  # refuses a missing or outdated store with a clear message
        loaded = con.execute("select max(ingested_at) from ingest_log").fetchone()[0]
        con.close()
        say(f"timing the store in {db}, loaded {loaded}")
        result["ingest"] = {"reused": str(loaded)}
    else:
        say(f"ingesting ({sum(counts.values()):,} rows)")
        shutil.rmtree(db, ignore_errors=True)
        stages = StageClock()
        started = time.perf_counter()
        ingest.ingest(extract, db, progress=stages)
        seconds = time.perf_counter() - started
        total_rows = sum(v for k, v in counts.items() if k.endswith(".csv"))
        result["ingest"] = {
            "seconds": round(seconds, 1),
            "rows_per_second": round(total_rows / seconds),
            "peak_rss_mb_so_far": round(_peak_mb()),
            "stages": stages.seconds(),
        }
    save()

    period = periods.parse(f"{sample.LAST_FY_START}-{(sample.LAST_FY_START + 1) % 100:02d}")
    con = store.connect(db)
    say("timing every metric by each of its breakdowns")
    result["metrics"] = {}
    for metric in metrics.METRICS:
        for by in metric.breakdowns:
            ms = _timed(lambda m=metric.id, b=by: metrics.compute(con, m, period, b), repeats)
            result["metrics"][f"{metric.id}/{by}"] = _summary(ms)
    save()

    say("timing each page's data, cold (new connection) and warm")
    result["pages"] = {}
    for page, compute in site.PAGE_DATA.items():
        cold_con = store.connect(db)
        started = time.perf_counter()
        compute(cold_con, period)
        cold = (time.perf_counter() - started) * 1000
        warm = _timed(lambda c=cold_con, f=compute: f(c, period), 3)
        cold_con.close()
        result["pages"][page] = {"cold_ms": round(cold, 1), "warm_ms": round(min(warm), 1)}
    save()

    say("timing each page in Chromium, from the request to the last chart drawn")
    first = con.execute(
        "select locality_id, locality_name from localities order by locality_id limit 1"
    ).fetchone()
    result["browser"] = browser_pages(db, period, workdir / "streamlit.log", *first)
    save()

    if not baseline:
        con.close()
        result["baseline"] = None
        result["peak_rss_mb"] = round(_peak_mb())
        save()
        return result
    ours = {
        metric_id: _summary(_timed(lambda m=metric_id, b=by: metrics.compute(con, m, period, b), 5))
        for metric_id, (_, by) in BASELINES.items()
    }
    con.close()  # the baseline gets the memory this connection held
    say(f"pandas baseline (in a child process, stopped above {BASELINE_CAP_GB} GB)")
    result["baseline"] = {}
    for metric_id, (_, by) in BASELINES.items():
        theirs = _baseline(db, metric_id, period, 3, BASELINE_CAP_GB)
        pandas_ms = _summary(theirs["ms"])["median_ms"] if theirs["ms"] else None
        ours_ms = ours[metric_id]["median_ms"]
        result["baseline"][f"{metric_id}/{by}"] = {
            "ours_ms": ours_ms,
            "pandas_ms": pandas_ms,
            "pandas_status": theirs["status"],
            "pandas_peak_mb": theirs["peak_mb"],
            "ratio": round(ours_ms / pandas_ms, 4) if pandas_ms else None,
        }
        save()
    result["peak_rss_mb"] = round(_peak_mb())
    save()
    return result


def browser_pages(
    db: Path,
    period: periods.Period,
    log: Path,
    locality: str | None,
    locality_name: str | None = None,
) -> dict:
    """Every page timed in Chromium (browser_bench), or why it could not be."""
    from ehts_data import browser_bench

    try:
        return browser_bench.time_pages(db, period.label, log, locality, locality_name)
    except (RuntimeError, TimeoutError) as exc:
        return {"error": str(exc)}


def run_ssd_import(
    scale: str,
    workdir: Path | None = None,
    say: Say = print,
    reuse_extract: bool = False,
    checkpoint: Path | None = None,
) -> dict:
    """Time `ehts import ssd` at one scale: write the sample city as SSD tables, import them
    with its mapping (stage by stage), then ingest the extract the import wrote."""
    from ehts_data.importers import ssd, ssd_sample

    params = SCALES[scale]
    workdir = Path(workdir or tempfile.mkdtemp(prefix=f"ehts-bench-ssd-{scale}-"))
    source, extract, db = workdir / "ssd", workdir / "extract", workdir / "store"
    result = {**_header(scale, params), "kind": "ssd_import"}

    def save() -> None:
        if checkpoint is not None:
            write_ssd(result, checkpoint)

    if reuse_extract and (source / "ssd_contacts.csv").exists():
        say(f"reusing the SSD tables in {source}")
        result["generate_s"] = None
    else:
        say(f"writing the {scale} sample city as SSD tables in {source}")
        started = time.perf_counter()
        ssd_sample.write_sample_ssd(
            source, params["children"], params["years"], 2026, params["requests_per_child_year"]
        )
        result["generate_s"] = round(time.perf_counter() - started, 1)
    result["ssd_rows"] = {p.name: _lines(p) for p in sorted(source.glob("ssd_*.csv"))}
    result["ssd_mb"] = round(sum(p.stat().st_size for p in source.glob("ssd_*.csv")) / 2**20)
    save()
    say(f"importing ({sum(result['ssd_rows'].values()):,} SSD rows, {result['ssd_mb']:,} MB)")
    clock = StageClock()
    load_before = os.getloadavg()
    started, cpu_started = time.perf_counter(), time.process_time()
    imported = ssd.import_ssd(
        source,
        source / ssd_sample.MAPPING_FILE,
        extract,
        replace=True,
        progress=lambda message: clock(message, 0.0),
    )
    result["import"] = {
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_s": round(time.process_time() - cpu_started, 1),
        # the machine is shared: the 1-minute load average before and after the import
        "load_average": [round(load_before[0], 1), round(os.getloadavg()[0], 1)],
        "peak_rss_mb_so_far": round(_peak_mb()),
        "memory_limit": config.ingest_memory_limit(),
        "stages": clock.seconds(),
        "stage_cpu_s": clock.cpu_seconds(),
        "written": imported.report.written,
    }
    save()
    say("ingesting the extract the import wrote")
    shutil.rmtree(db, ignore_errors=True)
    started = time.perf_counter()
    ingest.ingest(extract, db)
    result["ingest_s"] = round(time.perf_counter() - started, 1)
    result["peak_rss_mb"] = round(_peak_mb())
    save()
    return result


def markdown_ssd(result: dict) -> str:
    """The SSD import benchmark as markdown."""
    m = result["machine"]
    imp = result["import"]
    lines = [
        f"### SSD import, scale `{result['scale']}` ({result['params']['children']:,} children;"
        f" {result['ssd_rows'].get('ssd_contacts.csv', 0):,} contacts) — {result['run_at']}",
        "",
        f"Machine: {m['cores']} cores, Python {m['python']}, DuckDB {m['duckdb']}; calibration"
        f" {m['calibration_ms']} ms.",
        "",
        f"- writing the SSD tables: {_generated(result['generate_s'])};"
        f" {result['ssd_mb']:,} MB of SSD CSV",
        f"- `ehts import ssd`: **{imp['seconds']} s** (target: under 180 s at national scale);"
        + (
            f" then `ehts ingest` of its extract: {result['ingest_s']} s"
            if result.get("ingest_s") is not None
            else " its extract was not ingested in this run"
        )
        + f"; peak memory of the process: {result.get('peak_rss_mb', imp['peak_rss_mb_so_far']):,}"
        " MB",
        *(
            [
                f"- CPU time of the import: {imp['cpu_s']} s (2 threads at most); DuckDB memory"
                f" limit {imp['memory_limit']}; 1-minute load average {imp['load_average'][0]}"
                f" before, {imp['load_average'][1]} after (the machine is shared)"
            ]
            if "cpu_s" in imp
            else []
        ),
        *([f"- note: {result['note']}"] if result.get("note") else []),
        "",
        "| SSD table | rows |",
        "|---|---:|",
        *(f"| {name} | {n:,} |" for name, n in result["ssd_rows"].items()),
        "",
        "| import stage | seconds | CPU seconds |",
        "|---|---:|---:|",
        *(
            f"| {stage} | {secs} | {imp.get('stage_cpu_s', {}).get(stage, '–')} |"
            for stage, secs in imp["stages"].items()
        ),
        "",
    ]
    return "\n".join(lines)


def write_ssd(result: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    if "import" in result:
        out.with_suffix(".md").write_text(markdown_ssd(result))


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1


def markdown(result: dict) -> str:
    """The result as the markdown tables the README shows."""
    target = TARGET_MS[result["scale"]]
    m = result["machine"]
    lines = [
        f"### Scale `{result['scale']}` ({result['params']['children']:,} children, "
        f"{result['rows']['requests.csv']:,} requests, {result['rows']['episodes.csv']:,} "
        f"episodes) — {result['run_at']}",
        "",
        f"Machine: {m['cores']} cores, Python {m['python']}, DuckDB {m['duckdb']}, {m['platform']}"
        + (
            f"; calibration {m['calibration_ms']} ms (a fixed DuckDB query: higher means the "
            "machine ran slower that day)."
            if m.get("calibration_ms")
            else "."
        ),
        "",
        f"- generate: {_generated(result['generate_s'])}; {_ingested(result['ingest'])}; "
        f"peak memory of the process: {result['peak_rss_mb']:,} MB",
        "",
    ]
    stages = result["ingest"].get("stages") or {}
    slow = sorted(((k, v) for k, v in stages.items() if v >= 1), key=lambda kv: -kv[1])
    if slow:
        lines += [
            "Where the ingest's time goes (its stages, longest first; the rest under 1 s):",
            "",
            "| ingest stage | seconds |",
            "|---|---:|",
            *(f"| {stage} | {secs} |" for stage, secs in slow),
            "",
        ]
    elif stages:
        lines += ["Every ingest stage took under 1 s.", ""]
    lines += [
        f"| metric / breakdown | median ms | p95 ms | under {target} ms |",
        "|---|---:|---:|:---:|",
    ]
    for name, s in result["metrics"].items():
        ok = "yes" if s["median_ms"] < target else "**no**"
        lines.append(f"| {name} | {s['median_ms']} | {s['p95_ms']} | {ok} |")
    lines += ["", "| page | data cold ms | data warm ms |", "|---|---:|---:|"]
    for page, s in result["pages"].items():
        lines.append(f"| {page} | {s['cold_ms']} | {s['warm_ms']} |")
    browser = result.get("browser")
    if browser:
        from ehts_data import browser_bench

        lines += [""] + (
            browser_bench.markdown(browser)
            if "pages" in browser
            else [f"Pages in the browser: not timed ({browser['error']})."]
        )
    if result["baseline"] is None:
        return (
            "\n".join([*lines, "", "pandas notebook baseline: not run (`--no-baseline`)."]) + "\n"
        )
    lines += [
        "",
        "| metric (vs pandas notebook) | ours ms | pandas ms | pandas peak MB | ours ÷ pandas |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in result["baseline"].items():
        pandas_ms = s["pandas_ms"] if s["pandas_ms"] is not None else s.get("pandas_status")
        peak = f"{s['pandas_peak_mb']:,.0f}" if s.get("pandas_peak_mb") else "–"
        lines.append(f"| {name} | {s['ours_ms']} | {pandas_ms} | {peak} | {s['ratio'] or '–'} |")
    return "\n".join(lines) + "\n"


def _generated(seconds: float | None) -> str:
    return "extract reused" if seconds is None else f"{seconds} s"


def _ingested(ingest: dict) -> str:
    if "reused" in ingest:
        return f"store reused (loaded by `ehts ingest` at {ingest['reused']}; not timed here)"
    return (
        f"ingest with full validation: {ingest['seconds']} s ({ingest['rows_per_second']:,} rows/s)"
    )


def write(result: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
