"""Contract 1.1 in ingest: small areas, hub catchments, population by area and by group, area
boundaries. Every rule is reported with its place and changes nothing; version 1 still loads."""

from __future__ import annotations

import json

import pytest

from ehts_data import ingest, store
from tests.conftest import BASE
from tests.test_ingest import GOOD_EPISODES, GOOD_REQUESTS, loaded_store, only, rejected

__all__ = ["loaded_store"]  # the fixture, imported for the tests below

# BASE has localities L1 and L2, hub H1 (family hub, L1), H2 (satellite, L2) and the citywide
# team T1 (no locality).
AREAS = """
    area_code,area_name,locality_id,hub_id,imd_decile
    A1,North One,L1,H1,2
    A2,North Two,L1,,
    A3,South One,L2,H2,8
"""
FAMILIES = """
    family_id,locality_id,imd_decile,area_code
    F1,L1,1,A1
    F2,L1,,A1
    F3,L2,9,A3
    F4,L2,5,
"""
POPULATION_AREAS = """
    area_code,year,age,population
    A1,2024,0,400
    A1,2024,10,1000
    A2,2024,0,600
    A3,2024,5,6000
"""
POPULATION_GROUPS = """
    year,dimension,group,population
    2024,sex,female,4900
    2024,sex,male,5100
    2024,ethnic_group,white,8000
    2024,ethnic_group,asian,2000
"""
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def areas_geojson(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(props: dict, geometry: dict | None = SQUARE) -> dict:
    return {"type": "Feature", "id": 7, "geometry": geometry, "properties": props}


V11 = {
    "areas__csv": AREAS,
    "families__csv": FAMILIES,
    "population_areas__csv": POPULATION_AREAS,
    "population_groups__csv": POPULATION_GROUPS,
    "requests__csv": GOOD_REQUESTS,
    "episodes__csv": GOOD_EPISODES,
}


def test_a_version_1_extract_loads_with_empty_area_tables(load):
    con = load(requests__csv=GOOD_REQUESTS, episodes__csv=GOOD_EPISODES)
    for table in ("areas", "population_areas", "population_groups", "area_geojson"):
        assert con.execute(f"select count(*) from {table}").fetchone()[0] == 0, table
    # The facts carry the new columns, empty; the decile is the family's own as before.
    rows = con.execute(
        "select request_id, area_code, catchment_hub_id, imd_decile from request_facts"
        " join requests using (request_id) order by request_id"
    ).fetchall()
    assert rows == [("R1", None, None, 1), ("R2", None, None, 1)]
    assert con.execute("select contract_version from ingest_log").fetchone()[0] == "1.1"


def test_a_version_1_1_extract_loads_areas_catchments_and_populations(load):
    con = load(**V11)
    assert con.execute("select count(*) from areas").fetchone()[0] == 3
    assert con.execute("select sum(population) from population_areas").fetchone()[0] == 8000
    assert con.execute(
        "select population from population_groups where dimension = 'sex' and \"group\" = 'male'"
    ).fetchone() == (5100,)
    # R1 is C1's (F1: own decile 1, area A1 in H1's catchment); R2 is C2's, the same family.
    facts = con.execute(
        "select request_id, area_code, catchment_hub_id, imd_decile from request_facts"
        " join requests using (request_id) order by request_id"
    ).fetchall()
    assert facts == [("R1", "A1", "H1", 1), ("R2", "A1", "H1", 1)]
    episodes = con.execute(
        "select episode_id, area_code, catchment_hub_id from episode_facts order by episode_id"
    ).fetchall()
    assert episodes == [("E1", "A1", "H1"), ("E2", "A1", "H1")]
    assert con.execute("select area_code, catchment_hub_id from episode_closures").fetchall() == [
        ("A1", "H1")
    ]


def test_a_family_without_its_own_decile_takes_its_areas(load):
    # C3 is in F2: no decile of its own, area A1 (decile 2). C5 is in F4: decile 5, no area.
    con = load(
        **V11
        | {
            "requests__csv": GOOD_REQUESTS
            + "R3,C3,2024-05-02,school,H1,early_help\nR4,C5,2024-05-02,health,H2,\n"
        }
    )
    facts = con.execute(
        "select request_id, area_code, catchment_hub_id, imd_decile from request_facts"
        " join requests using (request_id) where request_id in ('R3', 'R4') order by 1"
    ).fetchall()
    assert facts == [("R3", "A1", "H1", 2), ("R4", None, None, 5)]


def team_with_locality(locality: str) -> str:
    """hubs.csv with the citywide team T1 given `locality` (empty: none)."""
    return BASE["hubs.csv"].replace(
        "T1,Citywide Targeted Support,targeted_support_team,,",
        f"T1,Citywide Targeted Support,targeted_support_team,{locality},",
    )


# Each broken rule of the 1.1 files alone: (files changed, place reported, words of the reason).
ONE_RULE_BROKEN = {
    "area in an unknown locality": (
        {"areas__csv": AREAS + "A4,Far,L9,,"},
        ("areas.csv", 5, "locality_id", "L9"),
        "does not exist in localities.csv",
    ),
    # F3 lives in L2 but names A1, an area of L1.
    "family in an area of another locality": (
        {"families__csv": FAMILIES.replace("F3,L2,9,A3", "F3,L2,9,A1")},
        ("families.csv", 4, "area_code", "A1"),
        "another locality",
    ),
    # A3 lies in L2 but names H1, the family hub of L1.
    "catchment hub of another locality": (
        {"areas__csv": AREAS.replace("A3,South One,L2,H2", "A3,South One,L2,H1")},
        ("areas.csv", 4, "hub_id", "H1"),
        "another locality",
    ),
    # A citywide team has no catchment, with or without a locality of its own.
    "catchment hub a citywide team": (
        {"areas__csv": AREAS.replace("A2,North Two,L1,,", "A2,North Two,L1,T1,")},
        ("areas.csv", 3, "hub_id", "T1"),
        "targeted_support_team",
    ),
    "catchment hub a team with a locality": (
        {
            "areas__csv": AREAS.replace("A2,North Two,L1,,", "A2,North Two,L1,T1,"),
            "hubs__csv": team_with_locality("L1"),
        },
        ("areas.csv", 3, "hub_id", "T1"),
        "targeted_support_team",
    ),
    # Reported once, by the reference check, not again by the catchment rules.
    "unknown catchment hub": (
        {"areas__csv": AREAS.replace("A2,North Two,L1,,", "A2,North Two,L1,H9,")},
        ("areas.csv", 3, "hub_id", "H9"),
        "does not exist in hubs.csv",
    ),
}


@pytest.mark.parametrize(
    ("files", "place", "reason"), ONE_RULE_BROKEN.values(), ids=ONE_RULE_BROKEN.keys()
)
def test_a_broken_area_rule_is_reported_alone_with_its_place(
    tmp_path, loaded_store, files, place, reason
):
    problem = only(rejected(tmp_path, loaded_store, **V11 | files))
    assert (problem.file, problem.row, problem.column, problem.value) == place
    assert reason in problem.reason


@pytest.mark.parametrize(
    ("files", "file", "row"),
    [
        ({"families__csv": FAMILIES.replace("F4,L2,5,", "F4,L2,5,A9")}, "families.csv", 5),
        (
            {"population_areas__csv": POPULATION_AREAS + "A9,2024,3,10"},
            "population_areas.csv",
            6,
        ),
        # A family's area with no areas.csv at all is unknown too.
        ({"areas__csv": None, "population_areas__csv": None}, "families.csv", 2),
    ],
)
def test_an_unknown_area_code_is_reported(tmp_path, loaded_store, files, file, row):
    error = rejected(tmp_path, loaded_store, **V11 | files)
    problem = error.problems[0]
    assert (problem.file, problem.row, problem.column) == (file, row, "area_code")
    assert "does not exist in areas.csv" in problem.reason


def test_a_duplicate_area_code_is_reported(tmp_path, loaded_store):
    problem = only(
        rejected(tmp_path, loaded_store, **V11 | {"areas__csv": AREAS + "A1,Again,L1,,"})
    )
    assert (problem.file, problem.row, problem.column) == ("areas.csv", 5, "area_code")
    assert "first on row 2" in problem.value


def test_duplicate_population_rows_are_reported(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        **V11
        | {
            "population_areas__csv": POPULATION_AREAS + "A1,2024,10,999\nA1,2025,10,999",
            "population_groups__csv": POPULATION_GROUPS + "2024,sex,female,1\n2025,sex,female,1",
        },
    )
    found = sorted((p.file, p.row, p.column) for p in error.problems)
    assert found == [
        ("population_areas.csv", 6, "area_code, year, age"),
        ("population_groups.csv", 6, "year, dimension, group"),
    ]


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("2024,sex,white,10", "group", "unknown group for its dimension"),
        ("2024,ethnic_group,female,10", "group", "unknown group for its dimension"),
        ("2024,age,female,10", "dimension", "unknown code"),
        ("2024,sex,other,-1", "population", "out of range"),
    ],
)
def test_a_population_group_must_be_a_code_of_its_dimension(
    tmp_path, loaded_store, line, column, reason
):
    error = rejected(
        tmp_path, loaded_store, **V11 | {"population_groups__csv": POPULATION_GROUPS + line}
    )
    problem = only(error)
    assert (problem.file, problem.row, problem.column) == ("population_groups.csv", 6, column)
    assert reason in problem.reason


@pytest.mark.parametrize(
    ("line", "column"),
    [("A1,2024,20,5", "age"), ("A1,2024,3,-5", "population"), ("A1,24,3,5", "year")],
)
def test_population_areas_out_of_range(tmp_path, loaded_store, line, column):
    error = rejected(
        tmp_path, loaded_store, **V11 | {"population_areas__csv": POPULATION_AREAS + line}
    )
    assert (only(error).row, only(error).column) == (6, column)


def test_area_geojson_keeps_only_the_shape_and_the_area_code(load):
    con = load(
        **V11,
        areas__geojson=areas_geojson(
            feature({"area_code": "A1", "area_name": "North One", "contact": "Jo Bloggs"}),
            feature({"area_code": "A3", "LSOA21NM": "South One", "population": 6000}),
        ),
    )
    rows = con.execute("select area_code, geometry from area_geojson order by area_code").fetchall()
    assert [(code, json.loads(shape)) for code, shape in rows] == [
        ("A1", SQUARE),
        ("A3", SQUARE),
    ]
    stored = str(con.execute("select * from area_geojson").fetchall())
    assert "Jo Bloggs" not in stored and "LSOA21NM" not in stored and "6000" not in stored


@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        (feature({"area_code": "A9"}), "area_code", "does not exist in areas.csv"),
        (feature({"name": "A1"}), "area_code", "no area_code property"),
        (feature({"area_code": "A1"}, None), "geometry", "Polygon or MultiPolygon"),
        (
            feature({"area_code": "A1"}, {"type": "Point", "coordinates": [0, 0]}),
            "geometry",
            "Polygon or MultiPolygon",
        ),
    ],
)
def test_a_bad_area_feature_is_reported_by_its_number(tmp_path, loaded_store, bad, column, reason):
    geo = areas_geojson(feature({"area_code": "A1"}), bad)
    problem = only(rejected(tmp_path, loaded_store, **V11, areas__geojson=geo))
    assert (problem.file, problem.row, problem.column) == ("areas.geojson", 2, column)
    assert reason in problem.reason


def test_area_geojson_that_is_not_a_feature_collection_is_reported(tmp_path, loaded_store):
    geo = json.dumps({"type": "Feature", "geometry": SQUARE, "properties": {"area_code": "A1"}})
    problem = only(rejected(tmp_path, loaded_store, **V11, areas__geojson=geo))
    assert problem.file == "areas.geojson" and "FeatureCollection" in problem.reason


def test_every_problem_across_the_new_files_is_reported_in_one_go(tmp_path, loaded_store):
    error = rejected(
        tmp_path,
        loaded_store,
        **V11
        | {
            "areas__csv": AREAS.replace("A3,South One,L2,H2", "A3,South One,L2,H1"),
            "families__csv": FAMILIES.replace("F3,L2,9,A3", "F3,L2,9,A1"),
            "population_groups__csv": POPULATION_GROUPS + "2024,sex,female,1",
        },
        areas__geojson=areas_geojson(feature({"area_code": "A9"})),
    )
    found = {(p.file, p.row, p.column) for p in error.problems}
    assert found == {
        ("areas.csv", 4, "hub_id"),
        ("families.csv", 4, "area_code"),
        ("population_groups.csv", 6, "year, dimension, group"),
        ("areas.geojson", 1, "area_code"),
    }


def test_a_rejected_version_1_1_extract_leaves_the_stored_areas_untouched(tmp_path):
    db = tmp_path / "store"
    good = tmp_path / "good"
    from tests.conftest import write_extract

    ingest.ingest(write_extract(good, **V11), db)
    bad = write_extract(tmp_path / "bad", **V11 | {"areas__csv": AREAS + "A1,Again,L1,,"})
    with pytest.raises(ingest.IngestError):
        ingest.ingest(bad, db)
    with store.connect(db) as con:
        assert con.execute("select count(*) from areas").fetchone()[0] == 3
