"""`ehts import ssd`: each derivation's edge cases on hand-made SSD tables, with the contract
rows expected written out; bad mappings and bad files; the mapping report."""

from __future__ import annotations

import csv

import pytest

from ehts_data import ingest, store
from ehts_data.importers import mapping, ssd
from tests.ssd_fixtures import CIN, CONTACTS, EPISODES, MAPPING, read, run_import, table, write_ssd

EPISODES_HEADER = (
    "episode_id,child_id,request_id,service,hub_id,start_date,end_date,start_reason,closure_reason"
)


def episodes(out) -> str:
    return read(out / "episodes.csv")


def expected(*rows: str, header: str = EPISODES_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def first_problem(root, **kwargs):
    """The first problem of an import that must stop."""
    with pytest.raises(ssd.SsdImportError) as caught:
        run_import(root, **kwargs)
    return caught.value.problems[0]


# ---- derivations ----
def test_contact_on_the_request_windows_last_day_is_the_episodes_request(tmp_path):
    result = run_import(
        tmp_path,
        ssd_contacts="""
            cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,cont_contact_outcome_json
            K0,P1,2024-04-30,2A,
            K1,P1,2024-05-01,2A,
            K2,P2,2024-04-30,3B,
        """,
        ssd_early_help_episodes=table(
            EPISODES,
            "E1,P1,2024-05-29,,,North Hub",
            "E2,P2,2024-06-01,2024-09-30,Outcomes met,Targeted Team",
        ),
    )
    # K1 is 28 days before E1's start (the last day of the default window); K2 is 32 days
    # before E2's.
    assert episodes(result.out) == expected(
        "E1,P1,K1,early_help,H1,2024-05-29,,new_request,",
        "E2,P2,,targeted_support,T1,2024-06-01,2024-09-30,new_request,outcomes_achieved",
    )


@pytest.mark.parametrize(
    ("settings", "p2_start"),
    [("", "step_down_from_social_care"), ('step_down_close_reasons = ["RC9"]', "new_request")],
)
def test_cin_closure_the_day_before_is_a_step_down_and_29_days_before_is_not(
    tmp_path, settings, p2_start
):
    result = run_import(
        tmp_path,
        mapping=MAPPING + f"\n[windows]\n{settings}\n",
        ssd_early_help_episodes=table(
            EPISODES,
            "E1,P1,2024-06-10,,,North Hub",
            "E2,P2,2024-06-10,,,North Hub",
            "E3,P3,2024-06-10,,,South Hub",
        ),
        ssd_cin_episodes=table(
            CIN,
            "C1,P1,2024-03-01,RC9,2024-06-09",
            "C2,P2,2024-03-01,RC7,2024-06-09",
            "C3,P3,2024-03-01,RC9,2024-05-12",
        ),
    )
    assert episodes(result.out) == expected(
        "E1,P1,,early_help,H1,2024-06-10,,step_down_from_social_care,",
        f"E2,P2,,early_help,H1,2024-06-10,,{p2_start},",
        "E3,P3,,early_help,H2,2024-06-10,,new_request,",
    )


def test_transfer_next_day_and_step_up_by_a_cin_referral_within_28_days(tmp_path):
    result = run_import(
        tmp_path,
        ssd_early_help_episodes=table(
            EPISODES,
            "E1,P1,2024-04-01,2024-06-30,Transfer,North Hub",
            "E2,P1,2024-07-01,2024-10-31,Outcomes met,Targeted Team",
            "E3,P2,2024-04-01,2024-06-30,Outcomes met,North Hub",
        ),
        ssd_cin_episodes=table(
            CIN,
            "C1,P1,2024-11-28,,",
            "C2,P2,2024-07-29,,",
        ),
    )
    # C1 follows E2's end by 28 days (step-up); C2 follows E3's by 29 (not).
    assert episodes(result.out) == expected(
        "E1,P1,,early_help,H1,2024-04-01,2024-06-30,new_request,transfer",
        "E3,P2,,early_help,H1,2024-04-01,2024-06-30,new_request,outcomes_achieved",
        "E2,P1,,targeted_support,T1,2024-07-01,2024-10-31,transfer,step_up_to_social_care",
    )


def test_start_reason_from_the_episode_reason_wins_over_the_derivation(tmp_path):
    result = run_import(
        tmp_path,
        mapping=MAPPING + '\n[episode_reasons.values]\n"New request" = "new_request"\n',
        ssd_early_help_episodes="""
            earl_episode_id,earl_person_id,earl_episode_start_date,earl_episode_end_date,earl_episode_reason,earl_episode_end_reason,earl_episode_organisation
            E1,P1,2024-06-10,,New request,,North Hub
            E2,P2,2024-06-10,,Parenting,,North Hub
        """,
        ssd_cin_episodes=table(
            CIN,
            "C1,P1,2024-03-01,RC9,2024-06-09",
            "C2,P2,2024-03-01,RC9,2024-06-09",
        ),
    )
    assert episodes(result.out) == expected(
        "E1,P1,,early_help,H1,2024-06-10,,new_request,",
        "E2,P2,,early_help,H1,2024-06-10,,step_down_from_social_care,",
    )


def test_a_child_with_two_family_ids_belongs_to_the_latest(tmp_path):
    result = run_import(
        tmp_path,
        ssd_family="""
            fami_table_id,fami_family_id,fami_person_id
            0,FAM0,P1
            1,FAM1,P1
            2,FAM1,P2
            3,FAM1,M1
            5,FAM9,P2
        """,
        ssd_address="""
            addr_table_id,addr_person_id,addr_address_type,addr_address_start_date,addr_address_end_date,addr_address_postcode
            1,M1,Home,2010-01-01,,AB1 2CD
            3,P2,Home,2023-01-01,,AB2 5GH
        """,
        ssd_contacts=table(
            CONTACTS,
            "K1,P1,2024-05-01,2A",
            "K2,P2,2024-06-01,1A",
        ),
    )
    assert read(result.out / "children.csv") == expected(
        "P1,FAM1,2015-06,female,white,false",
        "P2,FAM9,2019-01,male,asian,true",
        header="child_id,family_id,birth_month,sex,ethnic_group,send",
    )
    assert read(result.out / "families.csv") == expected(
        "FAM1,L1,", "FAM9,L2,", header="family_id,locality_id,imd_decile"
    )
    assert any("2 children have more than one family id" in a for a in result.report.assumptions)


def test_latest_family_by_family_id_when_the_mapping_says_so(tmp_path):
    result = run_import(
        tmp_path,
        mapping=MAPPING + '\n[families]\nlatest_by = "family_id"\n',
        ssd_family=table(
            "fami_table_id,fami_family_id,fami_person_id", "1,FAM5,P1", "2,FAM1,P1", "3,FAM1,M1"
        ),
        ssd_address=table("addr_person_id,addr_address_postcode", "M1,AB1 2CD", "P1,AB2 1XY"),
    )
    assert read(result.out / "children.csv").splitlines()[1] == "P1,FAM5,2015-06,female,white,false"
    assert read(result.out / "families.csv").splitlines()[1:] == ["FAM5,L2,"]


def test_no_current_address_uses_the_latest_and_a_sector_beats_its_district(tmp_path):
    result = run_import(
        tmp_path,
        ssd_address="""
            addr_table_id,addr_person_id,addr_address_type,addr_address_start_date,addr_address_end_date,addr_address_postcode
            1,M1,Home,2010-01-01,,AB1 2CD
            2,P3,Home,2015-01-01,2020-12-31,AB2 1XY
            3,P3,Home,2021-01-01,2024-12-31,ab1 9zz
        """,
        ssd_contacts=table(
            CONTACTS,
            "K1,P1,2024-05-01,2A",
            "K3,P3,2024-11-01,3B",
        ),
    )
    # Neither of P3's addresses is current on 31 March 2025: the later one (AB1 9ZZ) is used,
    # and its sector AB1 9 lies in L2 although district AB1 is L1.
    assert read(result.out / "families.csv") == expected(
        "FAM1,L1,", "FAM2,L2,", header="family_id,locality_id,imd_decile"
    )
    assert "P3,FAM2,2025-09,unknown,unknown," in read(result.out / "children.csv")
    assert any("1 had no current address" in a for a in result.report.assumptions)


def test_unmapped_end_reason_is_an_error_naming_file_row_column_and_value(tmp_path):
    problem = first_problem(
        tmp_path,
        ssd_early_help_episodes=table(
            EPISODES,
            "E1,P1,2024-04-01,2024-06-30,Outcomes met,North Hub",
            "E2,P2,2024-04-01,2024-06-30,Closed by manager,North Hub",
        ),
    )
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "ssd_early_help_episodes.csv",
        3,
        "earl_episode_end_reason",
        "Closed by manager",
    )
    assert "[end_reasons" in problem.reason
    assert not (tmp_path / "extract").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["ssd", "mapping"] or sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["mapping", "ssd"]


def test_unmapped_end_reason_becomes_other_when_the_mapping_says_so(tmp_path):
    result = run_import(
        tmp_path,
        mapping=MAPPING + '\n[end_reasons]\nunmapped = "other"\n',
        ssd_early_help_episodes=table(
            EPISODES,
            "E2,P2,2024-04-01,2024-06-30,Closed by manager,North Hub",
        ),
    )
    assert episodes(result.out) == expected(
        "E2,P2,,early_help,H1,2024-04-01,2024-06-30,new_request,other"
    )
    row = next(v for v in result.report.values if v.value == "Closed by manager")
    assert (row.count, row.mapped_to) == (1, "other") and row.how.startswith("UNMAPPED")
    assert "Closed by manager" in read(result.out / "report" / "mapping-report.md")


def test_a_dd_mm_yyyy_file_gives_the_same_rows_and_says_so(tmp_path):
    result = run_import(
        tmp_path,
        ssd_contacts=table(
            CONTACTS,
            "K1,P1,01/05/2024 09:30,2A",
        ),
        ssd_early_help_episodes=table(
            EPISODES,
            "E1,P1,29/05/2024,02/12/2024,Outcomes met,North Hub",
        ),
    )
    assert episodes(result.out) == expected(
        "E1,P1,K1,early_help,H1,2024-05-29,2024-12-02,new_request,outcomes_achieved"
    )
    assert "K1,P1,2024-05-01,school,," in read(result.out / "requests.csv")
    assert any("dd/mm/yyyy" in a for a in result.report.assumptions)


def test_a_two_digit_year_is_not_read_as_the_year_24(tmp_path):
    # A spreadsheet's short date: strptime read 11/04/24 as 11 April of the year 24.
    problem = first_problem(tmp_path, ssd_contacts=table(CONTACTS, "K1,P1,11/04/24,2A"))
    assert (problem.column, problem.value, problem.row) == ("cont_contact_date", "11/04/24", 2)
    assert "not a date" in problem.reason


def test_a_file_that_is_not_csv_is_named_with_its_row_and_reason(tmp_path):
    problem = first_problem(tmp_path, ssd_contacts=table(CONTACTS, "K1,P1,2024-05-01,2A", "K2,P2"))
    assert (problem.file, problem.row) == ("ssd_contacts.csv", 3)
    assert "the row has 2 fields where the header has 4" in problem.reason


def test_iso_only_setting_refuses_a_dd_mm_yyyy_date(tmp_path):
    problem = first_problem(
        tmp_path,
        mapping='[extract]\ndate_format = "iso"\n' + MAPPING.replace("[extract]\n", ""),
        ssd_contacts=table(
            CONTACTS,
            "K1,P1,01/05/2024,2A",
        ),
    )
    assert (problem.column, problem.value, problem.row) == ("cont_contact_date", "01/05/2024", 2)
    assert "YYYY-MM-DD" in problem.reason


def test_a_windows_1252_file_is_read_and_its_text_mapped(tmp_path):
    mapping_text = MAPPING.replace('"North Hub" = "H1"', '"Café Hub – North" = "H1"')
    result = run_import(
        tmp_path,
        mapping=mapping_text,
        encoding="cp1252",
        ssd_early_help_episodes=table(
            EPISODES,
            "E1,P1,2024-05-29,,,Café Hub – North",
        ),
    )
    assert episodes(result.out) == expected("E1,P1,K1,early_help,H1,2024-05-29,,new_request,")
    assert any("read as Windows-1252" in a for a in result.report.assumptions)


def test_null_written_by_sql_server_is_an_empty_cell(tmp_path):
    result = run_import(
        tmp_path,
        ssd_contacts=table(CONTACTS, "K1,P1,2024-05-01,NULL"),
        ssd_early_help_episodes=table(EPISODES, "E1,P1,2024-05-29,NULL,NULL,North Hub"),
    )
    assert episodes(result.out) == expected("E1,P1,K1,early_help,H1,2024-05-29,,new_request,")
    assert read(result.out / "requests.csv").splitlines()[1] == "K1,P1,2024-05-01,other,,"


def test_request_decision_source_and_child_codes_map_from_the_defaults(tmp_path):
    result = run_import(
        tmp_path,
        ssd_contacts="""
            cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,cont_contact_outcome_json
            K1,P1,2024-05-01,2a,"{""NFA_FLAG"": ""Y"", ""NEW_REFERRAL_FLAG"": ""Y""}"
            K2,P2,2024-05-02,10,"{""ADVICE_FLAG"": ""y""}"
            K3,P3,2024-05-03,,
        """,
    )
    assert read(result.out / "requests.csv") == expected(
        "K1,P1,2024-05-01,school,,social_care",
        "K2,P2,2024-05-02,other,,information_advice",
        "K3,P3,2024-05-03,other,,",
        header="request_id,child_id,received_date,source,hub_id,decision",
    )
    hows = {(v.column, v.value): v.how for v in result.report.values}
    assert hows[("pers_ethnicity", "CHNE")].startswith("default")
    assert hows[("cont_contact_source_code", None)].startswith("empty")


# ---- bad mappings and bad files: a clear error, and nothing written ----
def nothing_written(root) -> bool:
    return sorted(p.name for p in root.iterdir()) == ["mapping", "ssd"]


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("\n[windows]\nrequest_dayz = 3\n", "windows.request_dayz"),
        ("\n[windows]\nstep_up_days = -1\n", "windows.step_up_days"),
        ('\n[sex.values]\nX = "boy"\n', "[sex.values] 'X'"),
        ('\n[windows]\nstep_down_close_reasons = ["RC10"]\n', "step_down_close_reasons"),
        ('\n[contact_outcomes.flags]\nNFA_FLAG = "nothing"\n', "contact_outcomes.flags.NFA_FLAG"),
        ("\n[windows\n", "not a valid TOML file"),
    ],
)
def test_a_bad_mapping_names_the_key_and_writes_nothing(tmp_path, extra, key):
    with pytest.raises(mapping.MappingError, match=key.replace("[", r"\[").replace(".", r"\.")):
        run_import(tmp_path, mapping=MAPPING + extra)
    assert nothing_written(tmp_path)


def test_a_hub_not_in_hubs_csv_is_named_with_its_mapping_key(tmp_path):
    problem = first_problem(
        tmp_path, mapping=MAPPING.replace('"South Hub" = "H2"', '"South Hub" = "H7"')
    )
    assert (problem.column, problem.value) == ("organisations.values.South Hub", "H7")
    assert nothing_written(tmp_path)


@pytest.mark.parametrize(
    ("tables", "file", "column", "says"),
    [
        ({"ssd_contacts": None}, "ssd_contacts.csv", None, "missing"),
        (
            {"ssd_contacts": "cont_contact_id,cont_person_id\nK1,P1\n"},
            "ssd_contacts.csv",
            "cont_contact_date",
            "required SSD column",
        ),
        (
            {
                "ssd_contacts": "cont_contact_id,cont_person_id,cont_contact_date\nK1,P1,2024-13-45\n"
            },
            "ssd_contacts.csv",
            "cont_contact_date",
            "not a date",
        ),
        (
            {
                "ssd_contacts": "cont_contact_id,cont_person_id,cont_contact_date\n"
                "K1,P1,2024-05-01\nK1,P1,2024-05-02\n"
            },
            "ssd_contacts.csv",
            "cont_contact_id",
            "duplicate id",
        ),
        (
            {
                "ssd_person": "pers_person_id,pers_sex,pers_ethnicity,pers_dob\nP1,F,XXXX,2015-06-12\n"
            },
            "ssd_person.csv",
            "pers_ethnicity",
            "no mapping",
        ),
        (
            {"ssd_person": "pers_person_id,pers_sex,pers_dob\nP1,F,\n"},
            "ssd_person.csv",
            "pers_dob",
            "no date of birth",
        ),
        (
            {
                "ssd_address": "addr_person_id,addr_address_postcode\nM1,ZZ9 9ZZ\n",
            },
            "ssd_address.csv",
            "addr_address_postcode",
            "not in the postcode lookup",
        ),
    ],
)
def test_a_bad_ssd_file_is_a_clear_error_and_writes_nothing(tmp_path, tables, file, column, says):
    problem = first_problem(tmp_path, **tables)
    assert (problem.file, problem.column) == (file, column)
    assert says in problem.reason
    assert nothing_written(tmp_path)


def test_postcodes_never_appear_in_an_error_only_their_district(tmp_path):
    with pytest.raises(ssd.SsdImportError) as caught:
        run_import(tmp_path, ssd_address="addr_person_id,addr_address_postcode\nM1,ZZ9 9ZZ\n")
    assert "9ZZ" not in str(caught.value) and "ZZ9" in str(caught.value)


def test_an_existing_extract_folder_is_kept_unless_replace_is_given(tmp_path):
    ssd_dir, mapping_file = write_ssd(tmp_path)
    out = tmp_path / "extract"
    ssd.import_ssd(ssd_dir, mapping_file, out)
    (out / "keep.txt").write_text("mine")
    with pytest.raises(mapping.MappingError, match="--replace"):
        ssd.import_ssd(ssd_dir, mapping_file, out)
    assert (out / "keep.txt").exists()
    ssd.import_ssd(ssd_dir, mapping_file, out, replace=True)
    assert not (out / "keep.txt").exists() and (out / "children.csv").exists()


def test_replace_never_deletes_a_folder_no_import_wrote(tmp_path):
    # --replace once deleted whatever --out named: a store with its board commentary, or the
    # SSD files themselves.
    ssd_dir, mapping_file = write_ssd(tmp_path)
    a_store = tmp_path / "store"
    a_store.mkdir()
    (a_store / "state.sqlite").write_text("commentary")
    for out, message in (
        (a_store, "no SSD import wrote"),
        (ssd_dir, "holds the SSD files"),
        (tmp_path, "holds the SSD files"),
        (mapping_file.parent, "holds the mapping file"),
    ):
        with pytest.raises(mapping.MappingError, match=message):
            ssd.import_ssd(ssd_dir, mapping_file, out, replace=True)
    assert (a_store / "state.sqlite").read_text() == "commentary"
    assert (ssd_dir / "ssd_person.csv").exists() and mapping_file.exists()


def test_reference_files_are_written_with_their_contract_columns_only(tmp_path):
    ssd_dir, mapping_file = write_ssd(tmp_path)
    hubs = mapping_file.parent / "hubs.csv"
    rows = hubs.read_text().splitlines()
    hubs.write_text(
        "\n".join([rows[0] + ",manager_name,<b>boss</b>", *(r + ",Jane Smith,x" for r in rows[1:])])
        + "\n"
    )
    (mapping_file.parent / "localities.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "Jane Smith",'
        ' "properties": {"locality_id": "L1", "contact": "Jane Smith"}, "geometry": {"type":'
        ' "Polygon", "note": "Jane Smith", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}'
    )
    mapping_file.write_text('[files]\nlocalities_geojson = "localities.geojson"\n\n' + MAPPING)
    result = ssd.import_ssd(ssd_dir, mapping_file, tmp_path / "extract")
    for name in ("hubs.csv", "localities.geojson"):
        assert "Jane" not in read(result.out / name), name
    assert read(result.out / "hubs.csv").splitlines()[0] == (
        "hub_id,hub_name,hub_type,locality_id,latitude,longitude"
    )
    report = read(result.out / ssd.REPORT_DIR / "mapping-report.md")
    # The council's header is text there: no HTML from it.
    assert "manager\\_name" in report and "<b>" not in report


def test_a_reference_file_that_is_not_the_contract_file_stops_the_import(tmp_path):
    # A survey file pointed at the SSD person table would copy names and dates of birth.
    ssd_dir, mapping_file = write_ssd(tmp_path)
    mapping_file.write_text(
        '[files]\nsurvey_responses = "../ssd/ssd_person.csv"\n\n' + MAPPING, encoding="utf-8"
    )
    with pytest.raises(ssd.SsdImportError) as caught:
        ssd.import_ssd(ssd_dir, mapping_file, tmp_path / "extract")
    assert "not a contract survey_responses.csv (no column response_id" in str(caught.value)
    assert not (tmp_path / "extract").exists()


# ---- the report and ingest ----
def test_report_counts_rows_read_kept_and_dropped_with_reasons(tmp_path):
    result = run_import(
        tmp_path,
        ssd_contacts=table(
            CONTACTS,
            "K1,P1,2024-05-01,2A",
            "K2,NOBODY,2024-05-01,2A",
            "K3,P2,,2A",
        ),
    )
    tables = result.report.tables
    contacts = tables["ssd_contacts"]
    assert (contacts.read, contacts.kept) == (3, 1)
    assert contacts.dropped == {"no contact date": 1, "person not in ssd_person": 1}
    person = tables["ssd_person"]
    assert (person.read, person.kept) == (4, 1)
    text = read(result.out / "report" / "mapping-report.md")
    assert "| ssd_contacts | 3 | 1 | 1 no contact date; 1 person not in ssd_person |" in text
    rows = read(result.out / "report" / "mapping-report.csv").splitlines()
    assert rows[0] == "section,table,column,value,count,mapped_to,note"
    assert "value,ssd_person,pers_sex,F,1,female,default (SSD sex codes)" in rows


def test_a_local_value_is_text_in_both_reports_never_a_formula_link_or_html(tmp_path):
    hostile = '=HYPERLINK("http://x.example","y")|<img src=x onerror=alert(1)>[z](http://x)'
    quoted = '"' + hostile.replace('"', '""') + '"'
    result = run_import(
        tmp_path,
        mapping=MAPPING + '\n[end_reasons]\nunmapped = "other"\n',
        ssd_early_help_episodes=table(EPISODES, f"E1,P1,2024-05-29,2024-08-01,{quoted},North Hub"),
    )
    text = read(result.out / "report" / "mapping-report.md")
    row = next(line for line in text.splitlines() if "earl_episode_end_reason" in line)
    # Every Markdown and HTML character escaped: the table keeps its five cells.
    assert "\\<img" in row and "\\]\\(" in row
    unescaped = row.replace("\\<", "").replace("\\]", "").replace("\\|", "")
    assert "<img" not in unescaped and "](" not in unescaped
    assert unescaped.count("|") == 6  # the row's own cell borders only
    with (result.out / "report" / "mapping-report.csv").open(encoding="utf-8") as handle:
        cells = [r for r in csv.reader(handle) if r[2] == "earl_episode_end_reason"]
    assert [c[3] for c in cells] == ["'" + hostile]  # a spreadsheet shows it, never runs it


def test_the_extract_is_accepted_by_ingest_without_warnings(tmp_path):
    result = run_import(tmp_path)
    loaded = ingest.ingest(result.out, tmp_path / "store.duckdb")
    assert loaded.warnings == []
    with store.connect(tmp_path / "store.duckdb") as con:
        assert con.execute("select count(*) from requests").fetchone()[0] == 1


def test_children_without_a_date_of_birth_are_dropped_with_their_rows_when_asked(tmp_path):
    result = run_import(
        tmp_path,
        mapping=MAPPING + '\n[persons]\nmissing_birth_date = "drop"\nuse_expected_dob = false\n',
        ssd_contacts=table(CONTACTS, "K1,P1,2024-05-01,2A", "K3,P3,2024-05-02,2A"),
    )
    assert read(result.out / "requests.csv").splitlines()[1:] == ["K1,P1,2024-05-01,school,,"]
    contacts = result.report.tables["ssd_contacts"]
    assert contacts.dropped == {"child has no date of birth": 1}
    assert result.report.tables["ssd_person"].dropped["child has no date of birth"] == 1


def test_outcome_json_that_is_not_json_is_an_error_that_does_not_show_it(tmp_path):
    problem = first_problem(
        tmp_path,
        ssd_contacts=table(
            CONTACTS + ",cont_contact_outcome_json",
            'K1,P1,2024-05-01,2A,"{""NFA_FLAG"": ""Y"", ""COMMENTS"": ""Mrs Smithson"""',
        ),
    )
    assert (problem.row, problem.column, problem.reason) == (
        2,
        "cont_contact_outcome_json",
        "not valid JSON",
    )
    assert "Smithson" not in str(problem)


def test_bench_times_the_ssd_import_at_council_scale(tmp_path):
    from ehts_data import bench

    result = bench.run_ssd_import("la", tmp_path / "work", say=lambda _: None)
    bench.write_ssd(result, tmp_path / "ssd-la.json")
    assert result["ssd_rows"]["ssd_contacts.csv"] > 20_000
    assert result["import"]["seconds"] > 0 and result["ingest_s"] > 0
    assert any(s.startswith("reading ssd_contacts.csv") for s in result["import"]["stages"])
    assert "| import stage | seconds |" in (tmp_path / "ssd-la.md").read_text()


def test_a_lookup_with_small_areas_writes_the_familys_area_and_areas_csv(tmp_path):
    ssd_dir, mapping_file = write_ssd(
        tmp_path, mapping=MAPPING.replace("[extract]", '[files]\nareas = "areas.csv"\n\n[extract]')
    )
    folder = mapping_file.parent
    (folder / "postcodes.csv").write_text(
        "postcode,locality_id,area_code\nAB1,L1,E01000001\nAB2,L2,E01000002\n", encoding="utf-8"
    )
    (folder / "areas.csv").write_text(
        "area_code,area_name,locality_id,hub_id,imd_decile\nE01000001,North 001A,L1,H1,3\n"
        "E01000002,South 001A,L2,H2,8\n",
        encoding="utf-8",
    )
    result = ssd.import_ssd(ssd_dir, mapping_file, tmp_path / "extract")
    assert read(result.out / "families.csv") == expected(
        "FAM1,L1,,E01000001", header="family_id,locality_id,imd_decile,area_code"
    )
    assert (result.out / "areas.csv").read_bytes() == (folder / "areas.csv").read_bytes()


def test_every_mapping_setting_is_documented():
    from pydantic import BaseModel

    from tests.conftest import ROOT

    text = (ROOT / "docs" / "import-ssd.md").read_text(encoding="utf-8")
    for name, field in mapping.Mapping.model_fields.items():
        if name == "base":  # where the file was read from, not a setting
            continue
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            assert f"`[{name}]`" in text, name
            for setting in section.model_fields:
                assert f"`{setting}`" in text, f"[{name}] {setting}"
        else:
            assert f"`{name}`" in text, name


@pytest.mark.parametrize(
    ("postcode", "locality"),
    [
        ("AB12 3CD", "L1"),  # its full postcode (which the lookup lists without a space)
        ("AB123CE", "L2"),  # its sector AB12 3, written without spaces in the SSD
        ("AB12 4CD", "L1"),  # only its district AB12
    ],
)
def test_postcode_matches_full_then_sector_then_district(tmp_path, postcode, locality):
    ssd_dir, mapping_file = write_ssd(
        tmp_path,
        ssd_address=table("addr_person_id,addr_address_postcode", f"M1,{postcode}"),
    )
    (mapping_file.parent / "postcodes.csv").write_text(
        "postcode,locality_id\nAB12,L1\nab12  3,L2\nAB123CD,L1\n", encoding="utf-8"
    )
    result = ssd.import_ssd(ssd_dir, mapping_file, tmp_path / "extract")
    assert read(result.out / "families.csv").splitlines()[1] == f"FAM1,{locality},"
