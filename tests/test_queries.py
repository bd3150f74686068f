"""Every query file states its grain and parameters, and runs on the sample store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ehts_data import metrics, periods, store

QUERIES = sorted(p.stem for p in store.queries_dir().glob("*.sql"))


@pytest.mark.parametrize("name", QUERIES)
def test_query_file_starts_with_a_header(name):
    text = store.load_sql(name)
    assert text.startswith(f"-- {name}:"), f"{name}.sql must start with '-- {name}: …'"


@pytest.mark.parametrize("name", [q for q in QUERIES if not q.startswith(("schema", "derive_"))])
def test_query_header_names_grain_columns_and_parameters(name):
    header = store.load_sql(name).split("\nwith", 1)[0].split("\nselect", 1)[0]
    for word in ("grain:", "columns:", "parameters:"):
        assert word in header, f"{name}.sql header lacks '{word}'"


@pytest.mark.parametrize("metric_id", list(metrics.REGISTRY))
@pytest.mark.parametrize("by", metrics.BREAKDOWNS)
def test_every_metric_query_runs_on_the_sample(sample_db, metric_id, by):
    with store.connect(sample_db) as con:
        df = metrics.compute(con, metric_id, periods.parse("2024-25-Q3"), by)
    assert list(df.columns) == metrics.RESULT_COLUMNS
    # a breakdown the metric does not have returns no rows (survey by sex, families by hub)
    assert df.empty == (by not in metrics.REGISTRY[metric_id].breakdowns)


def test_every_metric_in_the_registry_has_one_query_and_is_documented():
    docs = (store.queries_dir().parent / "docs" / "metrics.md").read_text()
    for metric_id in metrics.REGISTRY:
        assert metric_id in QUERIES
        assert f"`{metric_id}`" in docs, f"docs/metrics.md does not define {metric_id}"


def test_every_query_file_is_sqlfluff_clean():
    # The rules and the DuckDB dialect are in pyproject.toml ([tool.sqlfluff.*]); `make lint`
    # runs the same check.
    root = Path(__file__).resolve().parents[1]
    found = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "queries", "--processes", "2", "--nocolor"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stdout[-4000:] + found.stderr[-2000:]


def test_age_band_by_comparing_dates_equals_counting_whole_years(sample_db):
    # schema.sql finds the band by comparing birth_start with the event date minus 1, 5, 10 and
    # 16 years. Counted instead as whole years (date_sub) from the 1st of each birth month
    # 1995-2027 to every day of 2019-2026 (29 February and each birthday included), the bands
    # must be the same.
    with store.connect(sample_db) as con:
        differ = con.execute(
            """
            with births as (
                select unnest(generate_series(date '1995-01-01', date '2027-12-01',
                    interval 1 month))::date as birth_start
            ),
            days as (
                select unnest(generate_series(date '2019-01-01', date '2026-12-31',
                    interval 1 day))::date as on_date
            )
            select count(*) filter (
                where age_band(birth_start, on_date) is distinct from case
                    when birth_start > on_date then 'unborn'
                    else ['under_1', '1_4', '1_4', '1_4', '1_4', '5_9', '5_9', '5_9', '5_9',
                          '5_9', '10_15', '10_15', '10_15', '10_15', '10_15', '10_15',
                          '16_plus'][least(date_sub('year', birth_start, on_date), 16) + 1]
                end
            ), count(*)
            from births cross join days
            """
        ).fetchone()
    assert differ == (0, 396 * 2922)
