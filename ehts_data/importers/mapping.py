"""The council's mapping file for an SSD import (TOML, validated here).

Every setting has a default stated in this module (and in docs/import-ssd.md); a council's
file only names what differs. Value maps merge the council's values over the defaults;
the contact outcome flags are an ordered list and replace the defaults when given.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ehts_data import contract
from ehts_data.contract import codes

UNMAPPED_ERROR = "error"

# DfE ethnicity main codes (CIN census, school census) by contract group. Codes not listed
# here map by their DfE code family, the first letter (extended codes such as WENG or AIRA
# share the letter of their main code), when `dfe_families` is on.
DFE_ETHNICITY: dict[str, str] = {
    **dict.fromkeys(("WBRI", "WIRI", "WOTH", "WIRT", "WROM"), "white"),
    **dict.fromkeys(("MWBC", "MWBA", "MWAS", "MOTH"), "mixed"),
    **dict.fromkeys(("AIND", "APKN", "ABAN", "AOTH"), "asian"),
    **dict.fromkeys(("BCRB", "BAFR", "BOTH"), "black"),
    "OOTH": "other",
    "REFU": "unknown",
    "NOBT": "unknown",
}
DFE_ETHNICITY_FAMILIES: dict[str, str] = {
    "W": "white",
    "M": "mixed",
    "A": "asian",
    "B": "black",
    "O": "other",
}
# CHNE (Chinese) is a main code of its own in the DfE lists; the 2021 Census puts Chinese in
# the Asian group, so that is the default (setting `ethnicity.chinese`).
DEFAULT_CHINESE = "asian"

# pers_sex: the SSD guidance's F/M/U, and the 1/2 of its sex code list.
DEFAULT_SEX: dict[str, str] = {
    "F": "female",
    "FEMALE": "female",
    "2": "female",
    "M": "male",
    "MALE": "male",
    "1": "male",
    "U": "unknown",
    "UNKNOWN": "unknown",
}
# pers_send_flag: Y/N (has an EHC plan). The SSD code list's 0/1 contradicts its own
# guidance, so numbers are not guessed: a council that uses them maps them.
DEFAULT_SEND: dict[str, str] = {"Y": "true", "YES": "true", "N": "false", "NO": "false"}

# CIN census contact and referral source codes (SSD037) → contract request sources.
DEFAULT_CONTACT_SOURCES: dict[str, str] = {
    "1A": "self_or_family",  # individual: family member, relative or carer
    "1B": "other",  # individual: acquaintance, neighbour, child minder
    "1C": "self_or_family",  # individual: self
    "1D": "other",  # individual: other (strangers, MPs)
    "2A": "school",
    "2B": "school",  # education services
    "3A": "health",
    "3B": "health",
    "3C": "health",
    "3D": "health",
    "3E": "health",
    "3F": "health",
    "4": "housing",
    "5A": "social_care",
    "5B": "other",  # other internal LA services
    "5C": "social_care",  # another local authority's services
    "5D": "other",  # LA early help (the service itself)
    "6": "police",
    "7": "other",  # other legal agency: courts, probation, CAFCASS
    "8": "voluntary_sector",  # children's centres, independent and voluntary organisations
    "9": "other",  # anonymous
    "10": "other",  # unknown
}

# cont_contact_outcome_json flags, in priority order: the first flag set decides.
DEFAULT_OUTCOME_FLAGS: dict[str, str] = {
    "NEW_REFERRAL_FLAG": "social_care",
    "EXISTING_REFERRAL_FLAG": "social_care",
    "CP_ENQUIRY_FLAG": "social_care",
    "OLA_CP_FLAG": "social_care",
    "ADVICE_FLAG": "information_advice",
    "NFA_FLAG": "no_further_action",
}
DEFAULT_YES = ("Y", "YES", "1", "TRUE", "T")

# Code maps: the council's values merge over these defaults (matched trimmed, case-blind).
CODE_MAP_DEFAULTS: dict[str, tuple[dict[str, str], str]] = {
    "sex": (DEFAULT_SEX, "default (SSD sex codes)"),
    "ethnicity": (DFE_ETHNICITY, "default (DfE ethnicity code)"),
    "send": (DEFAULT_SEND, "default (Y/N)"),
    "contact_sources": (DEFAULT_CONTACT_SOURCES, "default (CIN source code list)"),
}

SSD_TABLES = (
    "ssd_person",
    "ssd_family",
    "ssd_address",
    "ssd_contacts",
    "ssd_early_help_episodes",
    "ssd_cin_episodes",
)
CIN_CLOSE_REASONS = tuple(f"RC{i}" for i in range(1, 10))

Days = Annotated[int, Field(ge=0, le=366)]


class MappingError(Exception):
    """The mapping file is missing, not TOML, or a setting is invalid; names file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExtractSettings(_Section):
    date: dt.date | None = None  # default: the latest event date in the SSD tables
    date_format: Literal["auto", "iso", "dmy"] = "auto"
    encoding: Literal["auto", "utf-8", "windows-1252"] = "auto"
    # Cells read as empty: SQL Server exports often write NULL for a missing value.
    empty_values: list[str] = ["", "NULL"]


class Files(_Section):
    """Reference files beside the mapping (paths relative to it) and SSD table file names."""

    localities: str = "localities.csv"
    hubs: str = "hubs.csv"
    population: str = "population.csv"
    postcodes: str = "postcodes.csv"
    indicators: str | None = None
    survey_responses: str | None = None
    assessments: str | None = None
    localities_geojson: str | None = None
    # Contract 1.1 small areas: with `areas`, a postcode lookup's area_code column gives
    # families.area_code.
    areas: str | None = None
    areas_geojson: str | None = None
    population_areas: str | None = None
    population_groups: str | None = None
    # SSD table → file name in the SSD folder, where it is not <table>.csv
    tables: dict[str, str] = {}

    @model_validator(mode="after")
    def _known_tables(self) -> Files:
        for table in self.tables:
            if table not in SSD_TABLES:
                raise ValueError(f"tables: {table!r} is not an SSD table read ({SSD_TABLES})")
        return self


class CodeMap(_Section):
    """Local values → contract codes. `unmapped`: 'error' or a code for values not listed;
    `missing`: the code for an empty cell ('error' to refuse it, '' for an empty cell where
    the contract allows one)."""

    values: dict[str, str] = {}
    unmapped: str = UNMAPPED_ERROR
    missing: str = UNMAPPED_ERROR


class Persons(_Section):
    use_expected_dob: bool = True
    missing_birth_date: Literal["error", "drop"] = "error"


class Ethnicity(CodeMap):
    missing: str = "unknown"
    dfe_families: bool = True
    chinese: contract.EthnicGroup = DEFAULT_CHINESE


class Sex(CodeMap):
    missing: str = "unknown"


class Send(CodeMap):
    missing: str = ""


class Families(_Section):
    # A person with no ssd_family row: a family of their own ('own') or an error.
    missing: Literal["own", "error"] = "own"
    # Which of a person's family ids is the latest (ssd_family rows carry no dates): the one
    # on the row with the highest fami_table_id, or the highest fami_family_id.
    latest_by: Literal["table_id", "family_id"] = "table_id"


class Addresses(_Section):
    types: list[str] = []  # address types used (empty: every type)
    # Families with no address, or whose postcode is not in the lookup: 'error' or a
    # locality_id of localities.csv to put them in (e.g. an "out of area" locality).
    unmatched: str = UNMAPPED_ERROR


class ContactSources(CodeMap):
    missing: str = "other"


class ContactOutcomes(_Section):
    flags: dict[str, contract.Decision] = Field(default_factory=lambda: dict(DEFAULT_OUTCOME_FLAGS))
    yes: list[str] = list(DEFAULT_YES)
    # The decision when no flag is set ('' = undecided, an empty cell).
    none_set: contract.Decision | Literal[""] = ""


class Windows(_Section):
    """The derivations' windows, in days (see docs/import-ssd.md)."""

    request_days: Days = 28
    step_down_days: Days = 28
    step_down_close_reasons: list[str] = []  # empty: any CIN close reason; e.g. ["RC9"]
    step_up_days: Days = 28
    transfer_gap_days: Annotated[int, Field(ge=0, le=7)] = 1
    # 'any_end': a start is a transfer when any other episode of the child ended within the
    # gap; 'transfer_end': only when that episode's end reason maps to transfer (for councils
    # whose end reasons record transfers, so a new request the day after a closure is new).
    transfer_from: Literal["any_end", "transfer_end"] = "any_end"

    @model_validator(mode="after")
    def _known_reasons(self) -> Windows:
        for reason in self.step_down_close_reasons:
            if reason not in CIN_CLOSE_REASONS:
                raise ValueError(
                    f"step_down_close_reasons: {reason!r} is not a CIN close reason (RC1 … RC9)"
                )
        return self


class Organisation(_Section):
    hub: str
    service: contract.Service | None = None


class Organisations(_Section):
    """earl_episode_organisation → hub (and service). A value is a hub_id or a table
    {hub = "...", service = "targeted_support"}."""

    values: dict[str, str | Organisation] = {}
    unmapped: str = UNMAPPED_ERROR  # 'error' or a hub_id
    missing: str = UNMAPPED_ERROR
    service: contract.Service = "early_help"  # the service where an organisation names none


class EndReasons(CodeMap):
    pass


DERIVE = "derive"


class EpisodeReasons(CodeMap):
    """earl_episode_reason → start reason, for councils whose reason for involvement records
    step-downs or transfers; 'derive' (the default for every value) leaves the start reason
    to the derivations."""

    unmapped: str = DERIVE
    missing: str = DERIVE


class Mapping(_Section):
    version: Literal[1] = 1
    council: str = ""
    extract: ExtractSettings = ExtractSettings()
    files: Files = Files()
    persons: Persons = Persons()
    sex: Sex = Sex()
    ethnicity: Ethnicity = Ethnicity()
    send: Send = Send()
    families: Families = Families()
    addresses: Addresses = Addresses()
    contact_sources: ContactSources = ContactSources()
    contact_outcomes: ContactOutcomes = ContactOutcomes()
    windows: Windows = Windows()
    organisations: Organisations = Organisations()
    end_reasons: EndReasons = EndReasons()
    episode_reasons: EpisodeReasons = EpisodeReasons()

    # Where the file was read from: reference paths are relative to it.
    base: Path = Path(".")

    @model_validator(mode="after")
    def _codes_are_contract_codes(self) -> Mapping:
        for key, targets in (
            ("sex", codes(contract.Sex)),
            ("ethnicity", codes(contract.EthnicGroup)),
            ("send", codes(contract.TrueFalse)),
            ("contact_sources", codes(contract.Source)),
            ("end_reasons", codes(contract.ClosureReason)),
            ("episode_reasons", (*codes(contract.StartReason), DERIVE)),
        ):
            section: CodeMap = getattr(self, key)
            allowed = ", ".join(targets)
            for local, code in section.values.items():
                if code not in targets:
                    raise ValueError(
                        f"[{key}.values] {local!r} = {code!r}: not a contract code ({allowed})"
                    )
            for setting in ("unmapped", "missing"):
                value = getattr(section, setting)
                empty_ok = setting == "missing" and key == "send"
                if (
                    value != UNMAPPED_ERROR
                    and value not in targets
                    and not (empty_ok and value == "")
                ):
                    raise ValueError(
                        f"[{key}] {setting} = {value!r}: use 'error' or a contract code ({allowed})"
                    )
        return self

    def path(self, name: str) -> Path:
        """A reference file named in [files], resolved against the mapping's folder."""
        return self.base / getattr(self.files, name)

    def code_defaults(self, section: str) -> tuple[dict[str, str], str]:
        """A code map's default values and how the report names them."""
        defaults, label = CODE_MAP_DEFAULTS[section]
        if section == "ethnicity":
            defaults = {**defaults, "CHNE": self.ethnicity.chinese}
        return defaults, label

    def explicit(self, section: str) -> dict[str, str]:
        """The council's own values of a map: codes upper-cased, text trimmed."""
        values = getattr(self, section).values
        if section in CODE_MAP_DEFAULTS:
            return {k.strip().upper(): v for k, v in values.items()}
        return {k.strip(): v for k, v in values.items()}

    def organisation_map(self) -> dict[str, tuple[str, str]]:
        out = {}
        for local, target in self.organisations.values.items():
            if isinstance(target, str):
                out[local.strip()] = (target, self.organisations.service)
            else:
                out[local.strip()] = (target.hub, target.service or self.organisations.service)
        return out


def load(path: str | Path) -> Mapping:
    """Read and validate a mapping file; MappingError names the file and the key."""
    path = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: not a valid TOML file ({exc})") from None
    if "base" in data:
        raise MappingError(f"{path}: base: not a setting of the mapping file")
    try:
        return Mapping(**data, base=path.resolve().parent)
    except ValidationError as exc:
        raise MappingError(f"{path}: " + "; ".join(_describe(e) for e in exc.errors())) from None


def _describe(error: dict) -> str:
    """One pydantic error as 'section.key: message'."""
    loc = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "not a setting of the mapping file (check the spelling)"
    return f"{loc}: {message}" if loc else message
