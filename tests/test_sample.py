"""The committed sample is the generator's output, and it looks like a real city."""

from __future__ import annotations

import filecmp

import pytest

from ehts_data import metrics, periods, sample, store
from tests.conftest import SAMPLE


def test_sample_data_is_the_generator_output_at_default_scale(tmp_path):
    sample.write_sample(tmp_path)
    names = sorted(p.name for p in SAMPLE.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(SAMPLE, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == [], "run `make sample` to regenerate sample_data/"


def test_generator_is_deterministic_for_a_seed_and_scales(tmp_path):
    a = sample.write_sample(tmp_path / "a", children=8000, years=2, seed=7)
    b = sample.write_sample(tmp_path / "b", children=8000, years=2, seed=7)
    assert a == b
    assert (tmp_path / "a" / "requests.csv").read_bytes() == (
        tmp_path / "b" / "requests.csv"
    ).read_bytes()
    sample.write_sample(tmp_path / "c", children=8000, years=2, seed=8)
    assert (tmp_path / "c" / "requests.csv").read_bytes() != (
        tmp_path / "a" / "requests.csv"
    ).read_bytes()


@pytest.fixture(scope="module")
def latest(sample_db):
    con = store.connect(sample_db)
    yield con, periods.parse("2025-26")
    con.close()


def value(con, metric, period, by="none", group="all"):
    df = metrics.compute(con, metric, period, by)
    return float(df.set_index("group").loc[group, "value"])


def test_sample_magnitudes_match_a_city_of_60000_children(latest):
    con, fy = latest
    population = con.execute("select sum(population) from population where year = 2025").fetchone()[
        0
    ]
    assert 55_000 <= population <= 65_000
    assert 3_000 <= value(con, "requests", fy) <= 9_000
    assert 0.15 <= value(con, "re_referral_12m_rate", fy) <= 0.26
    assert 0.05 <= value(con, "re_entry_12m_rate", fy) <= 0.20
    assert 0.03 <= value(con, "step_down_rate", fy) <= 0.2
    assert 0.03 <= value(con, "step_up_rate", fy) <= 0.2
    assert 90 <= value(con, "median_episode_days", fy) <= 270


def test_sample_has_a_deprivation_gradient_across_localities(latest):
    con, fy = latest
    rates = metrics.compute(con, "requests_per_10k", fy, "locality").set_index("group")["value"]
    imd = con.execute(
        "select locality_id, avg(imd_decile) from families group by 1 order by 2"
    ).fetchall()
    by_deprivation = [rates[loc] for loc, _ in imd]
    assert by_deprivation == sorted(by_deprivation, reverse=True)


def test_sample_dips_in_august_and_late_december(latest):
    con, _ = latest
    per_day = dict(
        con.execute(
            "select month(received_date) as m, count(*) / count(distinct received_date)"
            " from requests where dayofweek(received_date) between 1 and 5 group by m"
        ).fetchall()
    )
    typical = sorted(per_day.values())[len(per_day) // 2]
    assert per_day[8] < 0.75 * typical
    late_december = con.execute(
        "select count(*) from requests where month(received_date) = 12 and day(received_date) >= 24"
    ).fetchone()[0]
    early_december = con.execute(
        "select count(*) from requests where month(received_date) = 12"
        " and day(received_date) between 3 and 10"
    ).fetchone()[0]
    assert late_december < 0.5 * early_december


def test_sample_needs_co_occur(latest):
    con, _ = latest
    # Domestic abuse is far more common where parental mental health is also listed.
    with_mh, without_mh = con.execute(
        """
        select
            avg(list_contains(needs, 'domestic_abuse')::int)
                filter (where list_contains(needs, 'parental_mental_health')),
            avg(list_contains(needs, 'domestic_abuse')::int)
                filter (where not list_contains(needs, 'parental_mental_health'))
        from assessments
        """
    ).fetchone()
    assert with_mh > 1.5 * without_mh


def test_sample_has_open_episodes_transfers_step_downs_and_unknown_hubs(latest):
    con, _ = latest
    counts = dict(
        con.execute(
            """
            select 'open', count(*) from episodes where end_date is null
            union all select 'transfer', count(*) from episodes where start_reason = 'transfer'
            union all select 'step_down', count(*) from episodes
                where start_reason = 'step_down_from_social_care'
            union all select 'no_hub', count(*) from requests where hub_id is null
            union all select 'unborn', count(*) from request_facts where age_band = 'unborn'
            union all select 'undecided', count(*) from requests where decision is null
            """
        ).fetchall()
    )
    assert all(n > 0 for n in counts.values()), counts
