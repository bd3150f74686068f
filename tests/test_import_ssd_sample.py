"""The sample city written as SSD and imported back: the same metrics as the contract sample,
and none of the identifying SSD values reaches the extract or the store."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ehts_data import cli, ingest, metrics, periods, store
from ehts_data.importers import ssd, ssd_sample
from tests.conftest import ROOT, SAMPLE

# What SSD cannot carry: the sample city's needs come from assessments (not in SSD), and SSD
# contacts have no receiving hub, so requests by hub are all "unknown".
# Both come from assessments, which SSD does not carry.
NO_SSD_SOURCE = ("need_prevalence", "families_multiple_needs_rate")
NO_HUB_IN_SSD = ("requests", "requests_per_10k", "re_referral_12m_rate")
PERIODS = ("2023-24", "2024-25", "2025-26", "2025-26-Q3")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    root = tmp_path_factory.mktemp("ssd_city")
    ssd_dir = root / "ssd"
    ssd_sample.write_sample_ssd(ssd_dir)
    result = ssd.import_ssd(ssd_dir, ssd_dir / ssd_sample.MAPPING_FILE, root / "extract")
    db = root / "store.duckdb"
    loaded = ingest.ingest(result.out, db)
    return {"ssd": ssd_dir, "extract": result.out, "db": db, "result": result, "ingest": loaded}


def _all_metrics(db, period: str, by: str) -> pd.DataFrame:
    with store.connect(db) as con:
        df = metrics.compute_all(con, periods.parse(period), by)
    keep = ~df["metric"].str.startswith(NO_SSD_SOURCE)
    if by == "hub":
        keep &= ~df["metric"].isin(NO_HUB_IN_SSD)
    return df[keep].reset_index(drop=True)


# SSD has no deprivation of its own: a family's decile comes from its small area, so the
# sample's families without an area (1.5%) have one in the contract extract but not in SSD.
ROUND_TRIP_BREAKDOWNS = [b for b in metrics.BREAKDOWNS if b != "imd_decile"]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("by", ROUND_TRIP_BREAKDOWNS)
def test_round_trip_gives_the_contract_samples_metrics(city, sample_db, period, by):
    theirs = _all_metrics(sample_db, period, by)
    ours = _all_metrics(city["db"], period, by)
    assert len(ours) > 0
    pd.testing.assert_frame_equal(ours, theirs)


def test_round_trip_covers_every_metric_ssd_can_carry(city, sample_db):
    ours = set(_all_metrics(city["db"], "2025-26", "none")["metric"])
    for metric in ("requests", "re_referral_12m_rate", "episodes_started", "episodes_closed"):
        assert metric in ours
    for metric in ("open_episodes", "re_entry_12m_rate", "step_up_rate", "step_down_rate"):
        assert metric in ours
    assert "outcomes_achieved_rate" in ours and "survey_agree_rate" in ours


def test_ssd_city_has_the_identifiers_the_import_must_drop(city):
    person = (city["ssd"] / "ssd_person.csv").read_text().splitlines()
    assert person[0].startswith("pers_person_id,pers_forename,pers_surname")
    assert "pers_common_child_id" in person[0] and "pers_upn" in person[0]
    assert "addr_address_json" in (city["ssd"] / "ssd_address.csv").read_text().splitlines()[0]


def _forbidden(ssd_dir) -> set[str]:
    """Every identifying value in the SSD tables: names, NHS numbers, UPNs, legacy ids,
    postcodes (as written, without and with a space), address JSON, outcome JSON (free-text
    comments), worker ids and full dates of birth."""
    con = duckdb.connect()

    def column(table: str, name: str) -> set[str]:
        path = (ssd_dir / f"{table}.csv").as_posix()
        rows = con.execute(
            f"select distinct {name} from read_csv('{path}', all_varchar = true)"
            f" where {name} is not null"
        ).fetchall()
        return {r[0] for r in rows}

    values: set[str] = set()
    for name in (
        "pers_forename",
        "pers_surname",
        "pers_common_child_id",
        "pers_upn",
        "pers_legacy_id",
        "pers_dob",
    ):
        values |= column("ssd_person", name)
    postcodes = column("ssd_address", "addr_address_postcode")
    values |= postcodes | {p.replace(" ", "") for p in postcodes}
    values |= {p.replace(" ", "")[:-3] + " " + p.replace(" ", "")[-3:] for p in postcodes}
    values |= column("ssd_address", "addr_address_json")
    values |= column("ssd_contacts", "cont_contact_outcome_json")
    values |= column("ssd_early_help_episodes", "earl_episode_worker_id")
    values |= column("ssd_cin_episodes", "cine_referral_worker_id")
    con.close()
    return values


def test_no_name_dob_postcode_address_upn_nhs_number_or_worker_id_reaches_extract_or_store(city):
    forbidden = _forbidden(city["ssd"])
    assert len(forbidden) > 50_000  # names, postcodes, ids: the check has something to find
    con = duckdb.connect()
    con.execute("create table forbidden as select unnest($v) as v", {"v": sorted(forbidden)})
    # Every cell of every file the import wrote.
    for path in sorted(city["extract"].rglob("*.csv")):
        found = con.execute(
            f"""
            select count(*) from (
                unpivot (select * from read_csv('{path.as_posix()}', all_varchar = true))
                on columns(*) into name col value v)
            where v in (select v from forbidden)
            """
        ).fetchone()[0]
        assert found == 0, path.name
    # Every text cell of every table in the store.
    extract_file = store.current_version(city["db"])
    con.execute(f"attach '{extract_file.as_posix()}' as s (read_only)")
    columns = con.execute(
        "select table_name, column_name from duckdb_columns()"
        " where database_name = 's' and data_type not in ('DATE', 'BIGINT', 'INTEGER', 'DOUBLE',"
        " 'BOOLEAN', 'TIMESTAMP', 'HUGEINT', 'SMALLINT', 'TINYINT', 'FLOAT')"
    ).fetchall()
    assert len(columns) > 20
    for table, column in columns:
        found = con.execute(
            f'select count(*) from s."{table}" where "{column}"::varchar in'
            " (select v from forbidden)"
        ).fetchone()[0]
        assert found == 0, f"{table}.{column}"
    # Dates of birth: only the month is kept, and the store holds no date of birth column.
    months = con.execute("select distinct length(birth_month) from s.children").fetchall()
    assert months == [(7,)]
    assert not [c for _, c in columns if "dob" in c or "birth_date" in c]
    con.close()


def test_the_import_reports_every_table_and_assumption_for_the_city(city):
    report = city["result"].report
    assert set(report.tables) == set(ssd.COLUMNS)
    assert report.tables["ssd_contacts"].read == report.tables["ssd_contacts"].kept
    assert report.problem_total == 0
    assert not [v for v in report.values if v.how.startswith("UNMAPPED")]
    text = (city["extract"] / "report" / "mapping-report.md").read_text()
    for heading in ("## Rows per table", "## Values seen", "## Unmapped values", "## Assumptions"):
        assert heading in text
    assert "Not in SSD, so not imported: assessments" in text


def test_committed_example_mapping_is_the_sample_citys(city):
    committed = (ROOT / "examples" / "ssd" / ssd_sample.MAPPING_FILE).read_text(encoding="utf-8")
    assert committed == (city["ssd"] / ssd_sample.MAPPING_FILE).read_text(encoding="utf-8")
    assert (city["ssd"] / "hubs.csv").read_bytes() == (SAMPLE / "hubs.csv").read_bytes()


def test_cli_imports_prints_the_report_and_ingests(city, tmp_path, capsys):
    code = cli.main(
        [
            "import",
            "ssd",
            str(city["ssd"]),
            "--mapping",
            str(city["ssd"] / ssd_sample.MAPPING_FILE),
            "--out",
            str(tmp_path / "extract"),
            "--ingest",
            "--db",
            str(tmp_path / "store.duckdb"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "# SSD import: mapping report" in out and "Loaded" in out
    assert (tmp_path / "extract" / "report" / "mapping-report.csv").exists()
    assert (tmp_path / "store.duckdb").exists()


def test_cli_bad_mapping_exits_non_zero_and_writes_nothing(city, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[windows]\nrequest_days = 'soon'\n")
    code = cli.main(
        ["import", "ssd", str(city["ssd"]), "--mapping", str(bad), "--out", str(tmp_path / "x")]
    )
    assert code == 1
    assert "windows.request_days" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_derivations_alone_agree_with_the_sample_on_all_but_a_few_start_reasons(city, tmp_path):
    # Without [episode_reasons], start reasons come from dates alone; SSD cannot tell a few
    # apart (docs/import-ssd.md), and closure reasons still agree exactly.
    text = (city["ssd"] / ssd_sample.MAPPING_FILE).read_text(encoding="utf-8")
    derive_only = city["ssd"].parent / "derive.toml"
    derive_only.write_text(text.split("[episode_reasons.values]")[0], encoding="utf-8")
    (city["ssd"].parent / "hubs.csv").write_bytes((city["ssd"] / "hubs.csv").read_bytes())
    for name in (
        "localities.csv",
        "population.csv",
        "postcodes.csv",
        "indicators.csv",
        "survey_responses.csv",
        "localities.geojson",
        "areas.csv",
        "areas.geojson",
        "population_areas.csv",
        "population_groups.csv",
    ):
        (city["ssd"].parent / name).write_bytes((city["ssd"] / name).read_bytes())
    result = ssd.import_ssd(city["ssd"], derive_only, tmp_path / "extract")
    con = duckdb.connect()
    differ = con.execute(
        f"""
        select count(*) filter (where a.start_reason <> b.start_reason),
            count(*) filter (where a.closure_reason is distinct from b.closure_reason), count(*)
        from read_csv('{(SAMPLE / "episodes.csv").as_posix()}') as a
        join read_csv('{(result.out / "episodes.csv").as_posix()}') as b using (episode_id)
        """
    ).fetchone()
    starts, closures, total = differ
    episodes_in_sample = len((SAMPLE / "episodes.csv").read_text().splitlines()) - 1
    assert total == episodes_in_sample and closures == 0
    assert 0 < starts <= 0.005 * total


def test_small_areas_survive_the_round_trip_through_postcode_sectors(tmp_path):
    from tests.conftest import write_extract

    contract_dir = write_extract(
        tmp_path / "contract",
        families__csv="""
            family_id,locality_id,imd_decile,area_code
            F1,L1,1,A1
            F2,L1,,
            F3,L2,9,A2
            F4,L2,5,A3
        """,
        requests__csv="""
            request_id,child_id,received_date,source,hub_id,decision
            R1,C1,2024-05-01,school,H1,early_help
            R2,C3,2024-05-02,health,,
            R3,C4,2024-05-03,police,H2,no_further_action
            R4,C5,2024-05-04,other,,social_care
        """,
    )
    (contract_dir / "areas.csv").write_text(
        "area_code,area_name,locality_id,hub_id,imd_decile\n"
        "A1,North A,L1,H1,2\nA2,South A,L2,H2,8\nA3,South B,L2,,6\n",
        encoding="utf-8",
    )
    ssd_dir = tmp_path / "ssd"
    ssd_sample.ssd_from_contract(contract_dir, ssd_dir)
    assert "area_code" in (ssd_dir / "postcodes.csv").read_text().splitlines()[0]
    result = ssd.import_ssd(ssd_dir, ssd_dir / ssd_sample.MAPPING_FILE, tmp_path / "extract")
    assert (result.out / "families.csv").read_text().splitlines() == [
        "family_id,locality_id,imd_decile,area_code",
        "F1,L1,,A1",
        "F2,L1,,",
        "F3,L2,,A2",
        "F4,L2,,A3",
    ]
    assert (result.out / "areas.csv").read_bytes() == (contract_dir / "areas.csv").read_bytes()


def test_organisation_names_are_unique_when_hubs_share_a_name():
    names = ssd_sample.organisation_names([("A-FH", "Hub"), ("B-FH", "Hub"), ("C", "Other")])
    assert names == {"A-FH": "Hub (A-FH)", "B-FH": "Hub (B-FH)", "C": "Other"}
