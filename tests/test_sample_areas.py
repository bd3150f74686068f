"""The sample city's small areas, catchments and populations (contract 1.1) are consistent."""

from __future__ import annotations

import json

import pytest

from ehts_data import ingest, sample, store
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def con(sample_db):
    connection = store.connect(sample_db)
    yield connection
    connection.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_each_locality_has_a_few_dozen_areas_with_varied_deprivation(con):
    for locality, areas, low, high in rows(
        con,
        "select locality_id, count(*), min(imd_decile), max(imd_decile) from areas group by 1",
    ):
        assert 24 <= areas <= 60, locality
        assert high - low >= 3, locality


def test_every_area_is_in_the_catchment_of_a_hub_of_its_locality(con):
    (wrong,) = rows(
        con,
        "select count(*) from areas left join hubs using (hub_id)"
        " where hubs.hub_type not in ('family_hub', 'satellite_site')"
        " or hubs.locality_id is distinct from areas.locality_id",
    )[0]
    assert wrong == 0
    # Every family hub and satellite has a catchment.
    (without,) = rows(
        con,
        "select count(*) from hubs where hub_type <> 'targeted_support_team'"
        " and hub_id not in (select hub_id from areas)",
    )[0]
    assert without == 0


def test_area_populations_add_up_to_the_locality_populations(con):
    mismatched = rows(
        con,
        """
        select population.locality_id, population.year, population.age
        from population
        left join (
            select areas.locality_id, year, age, sum(population) as population
            from population_areas join areas using (area_code)
            group by all
        ) as by_area using (locality_id, year, age)
        where by_area.population is distinct from population.population
        """,
    )
    assert mismatched == []


def test_population_groups_add_up_and_match_the_childrens_mix(con):
    totals = dict(rows(con, "select year, sum(population) from population group by 1"))
    for year, dimension, total in rows(
        con, "select year, dimension, sum(population) from population_groups group by 1, 2"
    ):
        assert total == totals[year], (year, dimension)
    population = dict(
        rows(
            con,
            'select "group", population / sum(population) over () from population_groups'
            " where dimension = 'ethnic_group' and year = 2025",
        )
    )
    children = dict(
        rows(
            con,
            "select ethnic_group, count(*) / sum(count(*)) over () from children"
            " where ethnic_group <> 'unknown' group by 1",
        )
    )
    assert set(population) == set(children)
    for group, share in population.items():
        assert abs(share - children[group]) < 0.03, group


def test_families_live_in_areas_of_their_locality_with_the_areas_decile(con):
    with_area, without_area, other_locality, other_decile = rows(
        con,
        """
        select
            count(*) filter (where area_code is not null),
            count(*) filter (where area_code is null),
            count(*) filter (where areas.locality_id <> families.locality_id),
            count(*) filter (where families.imd_decile <> areas.imd_decile)
        from families left join areas using (area_code)
        """,
    )[0]
    assert other_locality == 0 and other_decile == 0
    assert 0 < without_area < 0.05 * with_area


def test_demand_per_child_is_higher_in_more_deprived_areas(con):
    (correlation,) = rows(
        con,
        """
        with demand as (
            select area_code, count(*) as requests from request_facts
            where received_date between '2025-04-01' and '2026-03-31' group by 1
        ),
        children as (
            select area_code, sum(population) as population from population_areas
            where year = 2025 group by 1
        )
        select corr(requests / population, imd_decile)
        from areas join demand using (area_code) join children using (area_code)
        """,
    )[0]
    assert correlation < -0.6


def _ring_area(ring):
    return (
        abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring[:-1], ring[1:], strict=True)))
        / 2
    )


def test_area_boundaries_tile_each_locality_and_match_areas_csv(con):
    localities = json.loads((SAMPLE / "localities.geojson").read_text())
    areas = json.loads((SAMPLE / "areas.geojson").read_text())
    locality_of = dict(rows(con, "select area_code, locality_id from areas"))
    assert sorted(f["properties"]["area_code"] for f in areas["features"]) == sorted(locality_of)
    covered: dict[str, float] = {}
    for f in areas["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert f["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) <= 10
        locality = locality_of[f["properties"]["area_code"]]
        covered[locality] = covered.get(locality, 0) + _ring_area(ring)
    for f in localities["features"]:
        whole = _ring_area(f["geometry"]["coordinates"][0])
        assert covered[f["properties"]["locality_id"]] == pytest.approx(whole, rel=1e-9)
    # Only the shape and the code are stored, not the names the file carries.
    assert rows(con, "select count(*) from area_geojson")[0][0] == len(areas["features"])


def test_an_extract_generated_in_parts_is_valid_with_distinct_areas(tmp_path, monkeypatch):
    # National extracts are generated in parts of PART_CHILDREN: area codes get the part's
    # prefix, and the authority's population groups are summed over the parts.
    monkeypatch.setattr(sample, "PART_CHILDREN", 4000)
    counts = sample.write_sample(tmp_path / "x", children=8000, years=2)
    assert counts["population_groups.csv"] == 3 * 7  # years 2023-2025, 2 sexes + 5 groups
    db = tmp_path / "store"
    ingest.ingest(tmp_path / "x", db)
    with store.connect(db) as connection:
        assert rows(connection, "select count(distinct left(area_code, 4)) from areas") == [(2,)]
        (groups,) = rows(
            connection,
            "select count(*) from (select year, dimension, sum(population) as s"
            " from population_groups group by all) join (select year, sum(population) as s"
            " from population group by all) using (year, s)",
        )[0]
        assert groups == 6
