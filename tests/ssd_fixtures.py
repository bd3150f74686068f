"""Tiny hand-made SSD extracts: a base city of three children plus per-test overrides."""

from __future__ import annotations

from pathlib import Path

from ehts_data.importers import ssd
from tests.conftest import BASE

# Two localities with postcode districts AB1 and AB2 (and one sector of AB1 in L2), a hub in
# each, a citywide team. Children: P1 and P2 (siblings, FAM1), P3 unborn (FAM2). M1 is a mother.
BASE_SSD = {
    "ssd_person.csv": """
        pers_person_id,pers_forename,pers_surname,pers_sex,pers_gender,pers_ethnicity,pers_dob,pers_expected_dob,pers_send_flag,pers_common_child_id
        P1,Ann,Smithson,F,02,WBRI,2015-06-12 00:00:00.000,,N,9990000001
        P2,Ben,Smithson,M,01,CHNE,2019-01-03 00:00:00.000,,Y,9990000002
        P3,,Quayle,U,00,,,2025-09-01,,
        M1,Mary,Smithson,F,02,WBRI,1988-02-29 00:00:00.000,,,9990000009
    """,
    "ssd_family.csv": """
        fami_table_id,fami_family_id,fami_person_id
        1,FAM1,P1
        2,FAM1,P2
        3,FAM1,M1
        4,FAM2,P3
    """,
    "ssd_address.csv": """
        addr_table_id,addr_person_id,addr_address_type,addr_address_start_date,addr_address_end_date,addr_address_postcode,addr_address_json
        1,M1,Home,2010-01-01,,AB1 2CD,"{""HOUSE"": ""7"", ""STREET"": ""Lark Rise""}"
        2,P3,Home,2020-01-01,,AB21XY,
    """,
    "ssd_contacts.csv": """
        cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,cont_contact_source_desc,cont_contact_outcome_json
        K1,P1,2024-05-01 09:30:00.000,2A,SCHOOLS,"{""NEW_REFERRAL_FLAG"": ""N"", ""NFA_FLAG"": ""Y"", ""COMMENTS"": ""Mrs Smithson rang""}"
    """,
    "ssd_early_help_episodes.csv": """
        earl_episode_id,earl_person_id,earl_episode_start_date,earl_episode_end_date,earl_episode_reason,earl_episode_end_reason,earl_episode_organisation,earl_episode_worker_id
    """,
    "ssd_cin_episodes.csv": """
        cine_referral_id,cine_person_id,cine_referral_date,cine_close_reason,cine_close_date,cine_referral_worker_id
    """,
}
# The reference files are the contract fixtures' (tests/conftest.py), plus a postcode lookup.
REFERENCE = {
    **{name: BASE[name] for name in ("localities.csv", "hubs.csv", "population.csv")},
    "postcodes.csv": """
        postcode,locality_id
        AB1,L1
        AB2,L2
        AB1 9,L2
    """,
}
MAPPING = """
[extract]
date = 2025-03-31

[organisations.values]
"North Hub" = "H1"
"South Hub" = "H2"
"Targeted Team" = { hub = "T1", service = "targeted_support" }

[end_reasons.values]
"Outcomes met" = "outcomes_achieved"
"Step up" = "step_up_to_social_care"
"Transfer" = "transfer"
"""


EPISODES = (
    "earl_episode_id,earl_person_id,earl_episode_start_date,earl_episode_end_date,"
    "earl_episode_end_reason,earl_episode_organisation"
)
CONTACTS = "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code"
CIN = "cine_referral_id,cine_person_id,cine_referral_date,cine_close_reason,cine_close_date"


def table(header: str, *rows: str) -> str:
    """An SSD file's text: a header and rows."""
    return "\n".join([header, *rows])


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines()) + "\n"


def write_ssd(
    root: Path, mapping: str = MAPPING, encoding: str = "utf-8", **tables: str | None
) -> tuple[Path, Path]:
    """Write BASE_SSD with overrides (ssd_contacts='...' text, None to leave a table out) and
    the mapping with its reference files; returns (ssd folder, mapping file)."""
    ssd_dir, map_dir = root / "ssd", root / "mapping"
    ssd_dir.mkdir(parents=True, exist_ok=True)
    map_dir.mkdir(parents=True, exist_ok=True)
    files = dict(BASE_SSD)
    for key, text in tables.items():
        files[f"{key}.csv"] = text
    for name, text in files.items():
        if text is not None:
            (ssd_dir / name).write_bytes(_lines(text).encode(encoding))
    for name, text in REFERENCE.items():
        (map_dir / name).write_text(_lines(text), encoding="utf-8")
    (map_dir / "council.toml").write_text(mapping, encoding="utf-8")
    return ssd_dir, map_dir / "council.toml"


def run_import(root: Path, mapping: str = MAPPING, encoding: str = "utf-8", **tables):
    """Import a fixture into root/extract; returns the extract folder."""
    ssd_dir, mapping_file = write_ssd(root, mapping, encoding, **tables)
    return ssd.import_ssd(ssd_dir, mapping_file, root / "extract")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")
