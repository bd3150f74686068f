"""The synthetic city as an SSD extract (`ehts sample --format ssd`).

The contract sample is generated first (`sample.write_sample`, unchanged) and then rewritten
as SSD tables in DuckDB, with what a real SSD export carries that EHTS must never keep: made-up
names, full dates of birth, postcodes, address JSON, NHS numbers, UPNs, worker ids and free
text in the contact outcome JSON. The folder also holds the mapping file (`council.toml`) and
the reference files it names, so importing it gives back the contract sample's metrics.
"""

from __future__ import annotations

import csv
import shutil
import string
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ehts_data import config, sample

MAPPING_FILE = "council.toml"
REFERENCE_COPIED = (  # the contract files the mapping names, copied when the sample has them
    "localities.csv",
    "hubs.csv",
    "population.csv",
    "indicators.csv",
    "survey_responses.csv",
    "localities.geojson",
    "areas.csv",
    "areas.geojson",
    "population_areas.csv",
    "population_groups.csv",
)
EXTRACT_DATE = f"{sample.LAST_FY_START + 1}-03-31"
FORENAMES = (
    "Amelia Olivia Isla Ava Mia Ivy Lily Freya Florence Grace Noah Oliver George Arthur Leo "
    "Muhammad Harry Oscar Archie Henry Aisha Zara Maya Jacob Kai Theo Ruby Evie Alfie Jack"
).split()
SURNAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Thomas Clarke Jackson Wood Harris Edwards Khan Ali"
).split()
STREETS = "Elm Road,Mill Lane,Station Street,Church Walk,Park Avenue,Victoria Terrace".split(",")
ETHNICITY_CODES = {  # contract group → DfE codes the sample draws from
    "white": ["WBRI", "WBRI", "WBRI", "WIRI", "WOTH", "WROM"],
    "mixed": ["MWBC", "MWBA", "MWAS", "MOTH"],
    "asian": ["AIND", "APKN", "ABAN", "CHNE", "AOTH"],
    "black": ["BCRB", "BAFR", "BOTH"],
    "other": ["OOTH"],
    "unknown": ["REFU", "NOBT"],
}
SEX_CODES = {"female": "F", "male": "M", "other": "I", "unknown": "U"}
SOURCE_CODES = {  # contract source → (CIN source code, description); 8EY is the city's own
    "self_or_family": ("1A", "INDIVIDUAL - family member, relative or carer"),
    "school": ("2A", "SCHOOLS"),
    "early_years": ("8EY", "OTHER - early years setting (local code)"),
    "health": ("3B", "HEALTH SERVICES - health visitor"),
    "police": ("6", "POLICE"),
    "social_care": ("5A", "LA SERVICES - social care"),
    "housing": ("4", "HOUSING - local authority housing or housing association"),
    "voluntary_sector": ("8", "OTHER - including children's centres or voluntary organisations"),
    "other": ("7", "OTHER LEGAL AGENCY"),
}
DECISION_FLAGS = {  # contract decision → the outcome flag set; two are the city's own flags
    "social_care": "NEW_REFERRAL_FLAG",
    "no_further_action": "NFA_FLAG",
    "information_advice": "ADVICE_FLAG",
    "early_help": "EARLY_HELP_FLAG",
    "targeted_support": "TARGETED_SUPPORT_FLAG",
}
STANDARD_FLAGS = (
    "NEW_REFERRAL_FLAG",
    "EXISTING_REFERRAL_FLAG",
    "CP_ENQUIRY_FLAG",
    "NFA_FLAG",
    "NON_AGENCY_ADOPTION_FLAG",
    "PRIVATE_FOSTERING_FLAG",
    "ADVICE_FLAG",
    "MISSING_FLAG",
    "OLA_CP_FLAG",
    "OTHER_OUTCOMES_EXIST_FLAG",
)
END_REASONS = {  # contract closure reason → the city's end reason texts
    "outcomes_achieved": ("Outcomes met", "Outcomes achieved - case closed"),
    "step_down_to_universal": ("Stepped down to universal services",),
    "step_up_to_social_care": ("Stepped up to children's social care",),
    "transfer": ("Transferred to another early help team",),
    "declined_or_disengaged": ("Family declined support", "Family disengaged"),
    "moved_away": ("Moved out of area",),
    "other": ("Other", "Closed - other reason"),
}
TARGETED_SUFFIX = " - Targeted Support"
START_REASONS = {  # contract start reason → the city's reason-for-involvement texts
    "new_request": (
        "Request for support - parenting",
        "Request for support - emotional wellbeing",
        "Request for support - school attendance",
        "Request for support - family conflict",
    ),
    "step_down_from_social_care": ("Step down from children's social care",),
    "transfer": ("Transfer from another early help team",),
}


def _pick(values, *key: str) -> str:
    """SQL for a deterministic pick from a list by a hash of `key` (no Python row loop)."""
    items = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"[{items}][(hash({', '.join(key)}) % {len(values)})::integer + 1]"


def _case(column: str, mapping: dict[str, str], default: str = "null") -> str:
    whens = " ".join(
        f"when '{k}' then '{v.replace(chr(39), chr(39) * 2)}'" for k, v in mapping.items()
    )
    return f"case {column} {whens} else {default} end"


def district_name(d: int) -> str:
    """The d-th made-up postcode district (area letter Q is not used in the UK): QA1 … QZ99,
    then QA1A … QZ9Z; 8,658 in all."""
    letters = string.ascii_uppercase
    if d < 26 * 99:
        return f"Q{letters[d // 99]}{d % 99 + 1}"
    d -= 26 * 99
    return f"Q{letters[d // 234]}{d % 9 + 1}{letters[(d // 9) % 26]}"


@dataclass(frozen=True)
class PostcodePlan:
    """Where the city's families live: each small area is a postcode sector of its own; a
    family with no area lives in its locality's plain district. `lookup` is postcodes.csv."""

    plain: dict[str, str]  # locality → district for families with no area
    sectors: dict[str, str]  # area → sector ("QA2 3")
    lookup: list[tuple[str, str, str | None]]  # postcode key, locality, area


def postcode_plan(localities: list[str], areas: list[tuple[str, str]]) -> PostcodePlan:
    by_locality: dict[str, list[str]] = {}
    for area, locality in sorted(areas):
        by_locality.setdefault(locality, []).append(area)
    plain, sectors, lookup, d = {}, {}, [], 0
    for locality in localities:
        plain[locality] = district_name(d)
        lookup.append((plain[locality], locality, None))
        d += 1
        for i, area in enumerate(by_locality.get(locality, [])):
            if i % 10 == 0:
                district, d = district_name(d), d + 1
            sectors[area] = f"{district} {i % 10}"
            lookup.append((sectors[area], locality, area))
    return PostcodePlan(plain, sectors, lookup)


def write_sample_ssd(
    out: str | Path,
    children: int = 60_000,
    years: int = 5,
    seed: int = 2026,
    requests_per_child_year: float = sample.REQUESTS_PER_CHILD_YEAR,
) -> dict[str, int]:
    """Write the synthetic city as SSD tables, its mapping file and reference files into
    `out`; returns rows written per file."""
    out = Path(out)
    scratch = out / ".contract"
    sample.write_sample(scratch, children, years, seed, requests_per_child_year)
    counts = ssd_from_contract(scratch, out)
    shutil.rmtree(scratch)
    return counts


def ssd_from_contract(contract_dir: Path, out: Path) -> dict[str, int]:
    """Rewrite a contract extract as SSD tables in `out`, with the mapping file, the postcode
    lookup and the reference files; returns rows written per file."""
    out.mkdir(parents=True, exist_ok=True)
    localities = [row[0] for row in _csv_rows(contract_dir / "localities.csv")]
    has_areas = (contract_dir / "areas.csv").is_file()
    areas = [(r[0], r[2]) for r in _csv_rows(contract_dir / "areas.csv")] if has_areas else []
    plan = postcode_plan(localities, areas)
    hubs = [(row[0], row[1]) for row in _csv_rows(contract_dir / "hubs.csv")]
    # Bounded memory (national scale spills to disk). The spill folder is this call's own:
    # with a shared '.tmp', a second writer into the same folder that finished first removed
    # it under the other ("Cannot open file .../.tmp/duckdb_temp_...").
    spill = out / f".tmp-{uuid.uuid4().hex[:8]}"
    con = duckdb.connect(
        config={"memory_limit": config.ingest_memory_limit(), "temp_directory": str(spill)}
    )
    try:
        counts = _write_tables(con, contract_dir, out, plan, organisation_names(hubs))
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    copied = [name for name in REFERENCE_COPIED if (contract_dir / name).is_file()]
    for name in copied:
        shutil.copyfile(contract_dir / name, out / name)
    with (out / "postcodes.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["postcode", "locality_id", *(["area_code"] if has_areas else [])])
        for key, locality, area in plan.lookup:
            writer.writerow([key, locality, *([area or ""] if has_areas else [])])
    (out / MAPPING_FILE).write_text(mapping_text(hubs, copied), encoding="utf-8")
    return counts


def _csv_rows_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def _write_tables(
    con: duckdb.DuckDBPyConnection,
    contract_dir: Path,
    out: Path,
    plan: PostcodePlan,
    organisations: dict[str, str],
) -> dict[str, int]:
    def read(name: str) -> str:
        return f"read_csv('{(contract_dir / name).as_posix()}', header = true, all_varchar = true)"

    con.execute(f"create table c_children as select * from {read('children.csv')}")
    con.execute(f"create table c_families as select * from {read('families.csv')}")
    con.execute(f"create table c_requests as select * from {read('requests.csv')}")
    con.execute(f"create table c_episodes as select * from {read('episodes.csv')}")
    con.execute(
        "create table c_organisations as select unnest($k) as hub_id, unnest($v) as organisation",
        {"k": list(organisations), "v": list(organisations.values())},
    )
    con.execute(
        "create table c_plain as select unnest($k) as locality_id, unnest($v) as district",
        {"k": list(plan.plain), "v": list(plan.plain.values())},
    )
    con.execute(
        "create table c_sectors as select unnest($k) as area_code, unnest($v) as sector",
        {"k": list(plan.sectors) or [""], "v": list(plan.sectors.values()) or [""]},
    )
    area = (
        "f.area_code" if "area_code" in _csv_rows_header(contract_dir / "families.csv") else "null"
    )
    extract = f"date '{EXTRACT_DATE}'"
    counts: dict[str, int] = {}

    def write(name: str, sql: str) -> None:
        path = out / f"{name}.csv"
        counts[path.name] = con.execute(
            f"copy ({sql}) to '{path.as_posix()}' (header true, delimiter ',')"
        ).fetchone()[0]

    eth = " ".join(
        f"when '{group}' then {_pick(codes, 'c.child_id', chr(39) + 'eth' + chr(39))}"
        for group, codes in ETHNICITY_CODES.items()
    )
    con.execute(
        """
        create table birth as
        select child_id, cast(birth_month || '-01' as date)
            + (hash(child_id, 'dob') % 28)::integer as dob
        from c_children
        """
    )
    # Children, then one parent per family (parents are persons too, and are dropped).
    write(
        "ssd_person",
        f"""
        select c.child_id as pers_person_id,
            {_pick(FORENAMES, "c.child_id", "'f'")} as pers_forename,
            {_pick(SURNAMES, "c.family_id", "'s'")} as pers_surname,
            {_case("c.sex", SEX_CODES)} as pers_sex,
            {_case("c.sex", {"female": "02", "male": "01", "other": "09", "unknown": "00"})}
                as pers_gender,
            case c.ethnic_group {eth} end as pers_ethnicity,
            case when b.dob <= {extract} then strftime(b.dob, '%Y-%m-%d %H:%M:%S.000') end
                as pers_dob,
            case when b.dob > {extract} then strftime(b.dob, '%Y-%m-%d') end as pers_expected_dob,
            {_case("c.send", {"true": "Y", "false": "N"})} as pers_send_flag,
            null as pers_upn_unknown,
            'A' || lpad((hash(c.child_id, 'upn') % 1000000000000)::varchar, 12, '0') as pers_upn,
            '999' || lpad((hash(c.child_id, 'nhs') % 10000000)::varchar, 7, '0')
                as pers_common_child_id,
            'L' || c.child_id as pers_legacy_id,
            null as pers_death_date, 'N' as pers_is_mother, null as pers_nationality
        from c_children as c inner join birth as b using (child_id)
        union all
        select 'PAR-' || f.family_id, {_pick(FORENAMES, "f.family_id", "'pf'")},
            {_pick(SURNAMES, "f.family_id", "'s'")}, 'F', '02', 'WBRI',
            strftime(date '1985-01-01' + (hash(f.family_id) % 4000)::integer,
                     '%Y-%m-%d %H:%M:%S.000'),
            null, 'N', null, null, null, null, null, 'Y', null
        from c_families as f
        order by 1
        """,
    )
    # Families: each child's family row, a parent's, and for about 5% of children an older
    # family id (a lower table id, so the current one is the latest).
    write(
        "ssd_family",
        """
        with rows as (
            select 1 as generation, 'OLD-' || family_id as family_id, child_id as person_id
            from c_children where hash(child_id, 'old') % 20 = 0
            union all select 2, family_id, child_id from c_children
            union all select 2, family_id, 'PAR-' || family_id from c_families
        )
        select row_number() over (order by generation, person_id) as fami_table_id,
            family_id as fami_family_id, person_id as fami_person_id
        from rows order by 1
        """,
    )
    # Addresses: the family's home in its area's postcode sector (or its locality's plain
    # district) for every member. About 3%
    # of families have no current address (the latest ended before the extract date), and
    # about 10% of persons lived earlier somewhere else.
    write(
        "ssd_address",
        f"""
        with members as (
            select child_id as person_id, family_id from c_children
            union all select 'PAR-' || family_id, family_id from c_families
        ),
        homes as (
            select f.family_id,
                coalesce(s.sector, p.district || ' ' || (hash(f.family_id, 'd') % 10)::varchar)
                    as sector,
                chr(65 + (hash(f.family_id, 'v') % 26)::integer)
                    || chr(65 + (hash(f.family_id, 'w') % 26)::integer) as inward,
                date '2019-01-01' + (hash(f.family_id, 'start') % 1800)::integer as moved_in,
                case when hash(f.family_id, 'gone') % 33 = 0
                    then {extract} - 30 - (hash(f.family_id, 'left') % 300)::integer end
                    as moved_out
            from c_families as f
            inner join c_plain as p using (locality_id)
            left join c_sectors as s on s.area_code = {area}
        ),
        rows as (
            select m.person_id, h.sector, h.inward, h.moved_in, h.moved_out, h.family_id,
                'Primary Address' as kind
            from members as m inner join homes as h using (family_id)
            union all
            select m.person_id, 'QZZ' || (1 + hash(m.person_id, 'o') % 9)::varchar || ' 1', 'AA',
                date '2012-01-01', date '2018-12-31', h.family_id, 'Previous Address'
            from members as m inner join homes as h using (family_id)
            where hash(m.person_id, 'earlier') % 10 = 0
        )
        select row_number() over (order by person_id, moved_in) as addr_table_id,
            '{{"ROOM": "", "FLOOR": "", "FLAT": "", "BUILDING": "", "HOUSE": "'
                || (1 + hash(family_id, 'h') % 180)::varchar || '", "STREET": "'
                || {_pick(STREETS, "family_id", "'st'")}
                || '", "TOWN": "Sampleton", "UPRN": "", "EASTING": "", "NORTHING": ""}}'
                as addr_address_json,
            person_id as addr_person_id,
            kind as addr_address_type,
            strftime(moved_in, '%Y-%m-%d') as addr_address_start_date,
            strftime(moved_out, '%Y-%m-%d') as addr_address_end_date,
            case when hash(person_id, 'sp') % 2 = 0 then replace(sector, ' ', '') || inward
                else sector || inward end as addr_address_postcode
        from rows order by 1
        """,
    )
    flags = {d: f for d, f in DECISION_FLAGS.items()}
    every_flag = list(STANDARD_FLAGS) + ["EARLY_HELP_FLAG", "TARGETED_SUPPORT_FLAG"]
    json_parts = " || ', ' || ".join(
        f"""'"{flag}": "' || (case when r.decision = '{decision}' then 'Y' else '' end) || '"'"""
        if (decision := next((d for d, f in flags.items() if f == flag), None))
        else f"""'"{flag}": ""'"""
        for flag in every_flag
    )
    source_code = _case("r.source", {k: v[0] for k, v in SOURCE_CODES.items()})
    source_desc = _case("r.source", {k: v[1] for k, v in SOURCE_CODES.items()})
    write(
        "ssd_contacts",
        f"""
        select r.request_id as cont_contact_id, r.child_id as cont_person_id,
            strftime(cast(r.received_date as date), '%Y-%m-%d')
                || ' ' || lpad((8 + hash(r.request_id) % 9)::varchar, 2, '0') || ':'
                || lpad((hash(r.request_id, 'm') % 60)::varchar, 2, '0') || ':00.000'
                as cont_contact_date,
            {source_code} as cont_contact_source_code,
            {source_desc} as cont_contact_source_desc,
            '{{' || {json_parts} || ', "COMMENTS": "Call from '
                || {_pick(SURNAMES, "c.family_id", "'s'")} || ' family"}}'
                as cont_contact_outcome_json
        from c_requests as r inner join c_children as c using (child_id)
        order by r.received_date, r.request_id
        """,
    )
    start_text = " ".join(
        f"when '{reason}' then {_pick(texts, 'e.episode_id', chr(39) + 'why' + chr(39))}"
        for reason, texts in START_REASONS.items()
    )
    end_text = " ".join(
        f"when '{reason}' then {_pick(texts, 'e.episode_id', chr(39) + 'end' + chr(39))}"
        for reason, texts in END_REASONS.items()
    )
    write(
        "ssd_early_help_episodes",
        f"""
        select e.episode_id as earl_episode_id, e.child_id as earl_person_id,
            e.start_date as earl_episode_start_date, e.end_date as earl_episode_end_date,
            case e.start_reason {start_text} end as earl_episode_reason,
            case e.closure_reason {end_text} end as earl_episode_end_reason,
            o.organisation || case when e.service = 'targeted_support' then '{TARGETED_SUFFIX}'
                else '' end as earl_episode_organisation,
            'WKR' || (hash(e.hub_id, e.episode_id) % 500)::varchar as earl_episode_worker_id
        from c_episodes as e inner join c_organisations as o using (hub_id)
        order by e.start_date, e.episode_id
        """,
    )
    _write_cin(con, write)
    return counts


def _write_cin(con: duckdb.DuckDBPyConnection, write) -> None:
    """CIN episodes that carry the sample's step-downs and step-ups: for each step-down, a
    CIN episode closed 0-6 days before the early help start; for each step-up, a referral
    0-4 days after the end. Rows that would make another episode look like a step-down or
    step-up under the default 28-day windows are moved (the referral to the closure day) or
    left out (a step-up's referral: its end reason records the step-up already)."""
    con.execute(
        """
        create table cin_candidates as
        select 'CIN-D' || e.episode_id as id, e.child_id,
            cast(e.start_date as date) - (hash(e.episode_id, 'c') % 7)::integer as close_date,
            cast(e.start_date as date) - (hash(e.episode_id, 'c') % 7)::integer
                - 20 - (hash(e.episode_id, 'r') % 100)::integer as referral_date,
            case when hash(e.episode_id, 'rc') % 10 < 7 then 'RC9' else 'RC7' end as close_reason,
            'down' as purpose
        from c_episodes as e where e.start_reason = 'step_down_from_social_care'
        union all
        select 'CIN-U' || e.episode_id, e.child_id,
            null, cast(e.end_date as date) + (hash(e.episode_id, 'u') % 5)::integer, null, 'up'
        from c_episodes as e where e.closure_reason = 'step_up_to_social_care'
        """
    )
    # An episode wrongly marked step-up: it ended (not by step-up or transfer) 0-28 days
    # before a CIN referral of its child.
    wrong_up = """
        exists (select 1 from c_episodes as o where o.child_id = cin_candidates.child_id
            and o.closure_reason not in ('step_up_to_social_care', 'transfer')
            and cin_candidates.referral_date between cast(o.end_date as date)
                and cast(o.end_date as date) + 28)
    """
    con.execute(
        f"update cin_candidates set referral_date = close_date where purpose = 'down' and {wrong_up}"
    )
    con.execute(f"delete from cin_candidates where {wrong_up}")
    write(
        "ssd_cin_episodes",
        """
        select id as cine_referral_id, child_id as cine_person_id,
            strftime(referral_date, '%Y-%m-%d') as cine_referral_date,
            'N4' as cine_cin_primary_need_code,
            case when purpose = 'up' then '5D' else '2A' end as cine_referral_source_code,
            case when purpose = 'up' then 'LA SERVICES - early help' else 'SCHOOLS' end
                as cine_referral_source_desc,
            '{"SINGLE_ASSESSMENT_FLAG": "Y"}' as cine_referral_outcome_json,
            'N' as cine_referral_nfa,
            close_reason as cine_close_reason,
            strftime(close_date, '%Y-%m-%d') as cine_close_date,
            'TEAM' || (hash(child_id) % 12)::varchar as cine_referral_team,
            'WKR' || (hash(id) % 500)::varchar as cine_referral_worker_id
        from cin_candidates order by referral_date, id
        """,
    )


def organisation_names(hubs: list[tuple[str, str]]) -> dict[str, str]:
    """hub_id → the organisation name the SSD records: the hub's name, with its id where
    several hubs share a name (the parts of a national sample do)."""
    uses: dict[str, int] = {}
    for _, name in hubs:
        uses[name] = uses.get(name, 0) + 1
    return {hub: name if uses[name] == 1 else f"{name} ({hub})" for hub, name in hubs}


def mapping_text(hubs: list[tuple[str, str]], copied: list[str]) -> str:
    """The sample city's mapping file, commented as an example for councils; `copied` are the
    reference files beside it."""
    from ehts_data.importers.ssd import REFERENCE_FILES

    keys = {name: key for key, name in REFERENCE_FILES.items()}
    files = "\n".join(
        [*(f'{keys[name]} = "{name}"' for name in copied), 'postcodes = "postcodes.csv"']
    )
    organisations = "\n".join(
        f'"{name}" = "{hub_id}"\n"{name}{TARGETED_SUFFIX}" = {{ hub = "{hub_id}", service = "targeted_support" }}'
        for hub_id, name in organisation_names(hubs).items()
    )
    end_reasons, start_reasons = (
        "\n".join(f'"{text}" = "{reason}"' for reason, texts in table.items() for text in texts)
        for table in (END_REASONS, START_REASONS)
    )
    return MAPPING_TEMPLATE.format(
        files=files,
        extract_date=EXTRACT_DATE,
        organisations=organisations,
        end_reasons=end_reasons,
        start_reasons=start_reasons,
    )


MAPPING_TEMPLATE = """\
# How the sample city's Standard Safeguarding Dataset (SSD) extract maps to the EHTS data
# contract. Run:  ehts import ssd SSD_FOLDER --mapping council.toml --out EXTRACT_FOLDER
# Every setting has a default (docs/import-ssd.md); this file states what the city differs in,
# and, commented out, the defaults worth knowing. Paths are relative to this file:
# `ehts sample --format ssd --out DIR` writes it into DIR beside the SSD tables and the
# reference files it names (examples/ssd/council.toml is a copy).
version = 1
council = "Sample City Council"

[extract]
date = {extract_date}        # the day the SSD was run: the address current then is used
# date_format = "auto"      # "auto": YYYY-MM-DD (a time after it is ignored) or dd/mm/yyyy
# encoding = "auto"         # "auto": UTF-8, else Windows-1252

[files]
# The council's own reference files, in the contract's format. SSD has no survey and no early
# help assessments: the city exports its survey separately (episode_id = earl_episode_id for
# assessments.csv, which it does not have).
{files}
# postcodes.csv: postcode,locality_id[,area_code] keyed by full postcode, sector (QA1 2) or
# district (QA1); the city gives each small area a sector of its own.

[persons]
# use_expected_dob = true        # unborn children: birth month from pers_expected_dob
# missing_birth_date = "error"   # or "drop": leave such children out (counted in the report)

[sex]
# Defaults: F/Female/2 = female, M/Male/1 = male, U/Unknown = unknown; empty = unknown.
values = {{ I = "other" }}        # the city records indeterminate sex as I

[ethnicity]
# Defaults: the DfE main codes by family (W… white, M… mixed, A… asian, B… black, OOTH other,
# REFU and NOBT unknown); empty = unknown.
# chinese = "asian"              # CHNE: "asian" (2021 Census) or "other"
# unmapped = "error"             # or "other" / "unknown" for codes not in any family

[families]
# missing = "own"                # a child with no ssd_family row is a family of their own

[addresses]
# types = []                     # address types to use; empty = every type
# unmatched = "error"            # or a locality_id for families whose postcode is not found

[contact_sources]
# Defaults: the CIN source codes (1A family … 10 unknown; docs/import-ssd.md lists them).
values = {{ "8EY" = "early_years" }}   # the city's own code for early years settings

[contact_outcomes]
# The first flag set to Y decides the request's decision; no flag set = undecided.
# The city adds two flags of its own, so it lists the whole order.
[contact_outcomes.flags]
NEW_REFERRAL_FLAG = "social_care"
EXISTING_REFERRAL_FLAG = "social_care"
CP_ENQUIRY_FLAG = "social_care"
OLA_CP_FLAG = "social_care"
EARLY_HELP_FLAG = "early_help"
TARGETED_SUPPORT_FLAG = "targeted_support"
ADVICE_FLAG = "information_advice"
NFA_FLAG = "no_further_action"

[windows]
# request_days = 28              # an episode's request: the child's latest contact up to 28 days before
# step_down_days = 28            # a CIN closure up to 28 days before the start = step-down
# step_down_close_reasons = []   # any close reason; ["RC9"] for "referred to early help" only
# step_up_days = 28              # a CIN referral up to 28 days after the end = step-up
# transfer_gap_days = 1          # another episode ended the same day or the day before = transfer
# transfer_from = "any_end"      # or "transfer_end": only an episode whose end reason maps to transfer

[organisations]
# earl_episode_organisation → hub_id (and service; default early_help)
# unmapped = "error"             # or a hub_id
[organisations.values]
{organisations}

[end_reasons]
# earl_episode_end_reason → closure reason
# unmapped = "error"             # or "other"
[end_reasons.values]
{end_reasons}

[episode_reasons]
# earl_episode_reason → start reason. The city records how each episode began, which settles
# what SSD alone leaves open (a child with a social care closure and a new request in the same
# month). Values not listed are "derive": the [windows] rules above decide.
# unmapped = "derive"
[episode_reasons.values]
{start_reasons}
"""
