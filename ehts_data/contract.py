"""The EHTS data contract (version 1.1): one pydantic model per input file.

These models are the single statement of the contract. Ingest derives its set-based DuckDB
checks from them (see `column_specs`), so a rule is written once, here.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo

# 1.1 adds the optional small areas, hub catchments and population groups; a version 1
# extract is a valid version 1.1 extract.
CONTRACT_VERSION = "1.1"

# ---- code lists: the one source of truth for generator, validation, filters and labels ----
HubType = Literal["family_hub", "satellite_site", "targeted_support_team"]
Sex = Literal["female", "male", "other", "unknown"]
EthnicGroup = Literal["white", "mixed", "asian", "black", "other", "unknown"]
TrueFalse = Literal["true", "false"]
Source = Literal[
    "self_or_family",
    "school",
    "early_years",
    "health",
    "police",
    "social_care",
    "housing",
    "voluntary_sector",
    "other",
]
Decision = Literal[
    "information_advice", "early_help", "targeted_support", "social_care", "no_further_action"
]
Service = Literal["early_help", "targeted_support"]
StartReason = Literal["new_request", "step_down_from_social_care", "transfer"]
ClosureReason = Literal[
    "outcomes_achieved",
    "step_down_to_universal",
    "step_up_to_social_care",
    "transfer",
    "declined_or_disengaged",
    "moved_away",
    "other",
]
ThriveGroup = Literal[
    "thriving", "getting_advice", "getting_help", "getting_more_help", "getting_risk_support"
]
Survey = Literal["annual", "monthly"]
Respondent = Literal["parent_carer", "child_young_person", "professional"]
Unit = Literal["percent", "count", "rate_per_10k", "days", "score"]
PopulationDimension = Literal["sex", "ethnic_group"]

# Need codes grouped by the ten Supporting Families headline outcomes.
NEED_GROUPS: dict[str, tuple[str, ...]] = {
    "education": ("school_attendance", "exclusion_risk", "send_support"),
    "early_years": ("early_development", "speech_language"),
    "health": ("child_mental_health", "parental_mental_health", "physical_health"),
    "substance_use": ("parental_substance_use", "child_substance_use"),
    "relationships": ("parenting", "parental_conflict", "child_behaviour", "young_carer"),
    "safeguarding": ("neglect_risk", "child_exploitation", "missing_episodes", "online_safety"),
    "crime": ("antisocial_behaviour", "youth_offending"),
    "domestic_abuse": ("domestic_abuse",),
    "housing": ("housing_insecurity", "homelessness_risk"),
    "financial": ("debt_or_poverty", "worklessness"),
}
NeedCode = Literal[
    "school_attendance",
    "exclusion_risk",
    "send_support",
    "early_development",
    "speech_language",
    "child_mental_health",
    "parental_mental_health",
    "physical_health",
    "parental_substance_use",
    "child_substance_use",
    "parenting",
    "parental_conflict",
    "child_behaviour",
    "young_carer",
    "neglect_risk",
    "child_exploitation",
    "missing_episodes",
    "online_safety",
    "antisocial_behaviour",
    "youth_offending",
    "domestic_abuse",
    "housing_insecurity",
    "homelessness_risk",
    "debt_or_poverty",
    "worklessness",
]
NEED_CODES: tuple[str, ...] = get_args(NeedCode)
NEED_GROUP_OF: dict[str, str] = {n: g for g, ns in NEED_GROUPS.items() for n in ns}

OUTCOME_AREAS: dict[int, str] = {
    1: "Economic wellbeing and aspiration",
    2: "School readiness",
    3: "Positive relationships and community networks",
    4: "Emotional health and wellbeing",
    5: "Families better informed about services",
    6: "Children and young people at the forefront",
    7: "Supporting parents",
    8: "Physical health",
    9: "Keeping families safe",
}

# population_groups.csv: the groups of each dimension are that column's codes in children.csv.
GROUP_CODES: dict[str, tuple[str, ...]] = {
    "sex": tuple(get_args(Sex)),
    "ethnic_group": tuple(get_args(EthnicGroup)),
}

AGE_BANDS: tuple[str, ...] = ("unborn", "under_1", "1_4", "5_9", "10_15", "16_plus")


def codes(literal: Any) -> tuple[str, ...]:
    """The codes of a Literal type, in contract order."""
    return tuple(get_args(literal))


# ---- field types ----
def _split_needs(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


# Ids and names are shown on pages, in charts and in published files: no control characters
# (a tab, a bell or an escape sequence in a name is never intended, and breaks those writers)
# and not spaces alone (a blank label).
PRINTABLE = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"
Id = Annotated[str, Field(min_length=1, pattern=PRINTABLE)]
Name = Annotated[str, Field(min_length=1, pattern=PRINTABLE)]
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
PERIOD = r"^\d{4}-\d{2}(-Q[1-4])?$"
SNAKE_CASE = r"^[a-z][a-z0-9_]*$"
BirthMonth = Annotated[str, Field(pattern=MONTH)]
PeriodCode = Annotated[str, Field(pattern=PERIOD)]
SnakeCase = Annotated[str, Field(pattern=SNAKE_CASE)]
# Case dates a service could hold, as the population years: a date outside them (0001-01-01,
# 9999-12-31) is a placeholder or a typing slip, and would put periods beyond any calendar.
DATE_RANGE: tuple[date, date] = (date(1990, 1, 1), date(2100, 12, 31))
# What a cell that does not match each format is told, in words (ingest's error report).
FORMAT_REASONS: dict[str, str] = {
    PRINTABLE: "holds a control character or only spaces (ids and names must be printable text)",
    MONTH: "not a month written YYYY-MM, like 2019-09 (a full date of birth is never loaded)",
    PERIOD: "not a financial year like 2024-25 or a quarter like 2024-25-Q1",
    SNAKE_CASE: "not a code of lower-case letters, digits and underscores",
}
NeedList = Annotated[list[NeedCode], BeforeValidator(_split_needs)]


def unique() -> dict:
    return {"unique": True}


def references(table: str, column: str) -> dict:
    return {"references": (table, column)}


@dataclass(frozen=True)
class Rule:
    """A rule across columns of one row, stated as SQL over the typed columns.

    `valid_sql` is true for a valid row; `column` is the column blamed in the message.
    The model's `model_validator` states the same rule for row-by-row use.
    """

    column: str
    reason: str
    valid_sql: str


class ContractModel(BaseModel):
    """A row of an input file. Empty cells arrive as None."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    file: ClassVar[str]
    required_file: ClassVar[bool] = True
    rules: ClassVar[tuple[Rule, ...]] = ()


# Report groups and published tables name the whole authority 'all' (and 'Total') and a
# missing place 'unknown': a place with one of these ids would be merged with them.
RESERVED_IDS: tuple[str, ...] = ("all", "unknown", "total")


def _reserved_rule(column: str) -> Rule:
    return Rule(
        column,
        f"{column} may not be 'all', 'unknown' or 'total' (in any case): those name the whole"
        " authority, a missing place and totals",
        f"lower(trim({column})) not in ({', '.join(repr(r) for r in RESERVED_IDS)})",
    )


def _check_reserved(value: str, rule: Rule) -> None:
    if value.strip().lower() in RESERVED_IDS:
        raise ValueError(rule.reason)


# ---- reference data ----
class Locality(ContractModel):
    file = "localities.csv"
    locality_id: Id = Field(json_schema_extra=unique())
    locality_name: Name
    rules = (_reserved_rule("locality_id"),)

    @model_validator(mode="after")
    def _id_not_reserved(self) -> Locality:
        _check_reserved(self.locality_id, self.rules[0])
        return self


class Hub(ContractModel):
    file = "hubs.csv"
    hub_id: Id = Field(json_schema_extra=unique())
    hub_name: Name
    hub_type: HubType
    locality_id: Id | None = Field(
        default=..., json_schema_extra=references("localities", "locality_id")
    )
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    rules = (
        Rule(
            "locality_id",
            "locality_id may be empty only for a targeted_support_team",
            "locality_id is not null or hub_type = 'targeted_support_team'",
        ),
        _reserved_rule("hub_id"),
    )

    @model_validator(mode="after")
    def _locality_needed(self) -> Hub:
        if self.locality_id is None and self.hub_type != "targeted_support_team":
            raise ValueError(self.rules[0].reason)
        _check_reserved(self.hub_id, self.rules[1])
        return self


class Population(ContractModel):
    file = "population.csv"
    locality_id: Id = Field(json_schema_extra=references("localities", "locality_id"))
    year: Annotated[int, Field(ge=1990, le=2100)]
    age: Annotated[int, Field(ge=0, le=19)]
    population: Annotated[int, Field(ge=0)]
    # One row per locality, year and age.
    key: ClassVar[tuple[str, ...]] = ("locality_id", "year", "age")


# ---- small areas and hub catchments (version 1.1, optional) ----
class Area(ContractModel):
    file = "areas.csv"
    required_file = False
    area_code: Id = Field(json_schema_extra=unique())
    area_name: Name
    locality_id: Id = Field(json_schema_extra=references("localities", "locality_id"))
    # The family hub whose catchment holds the area.
    hub_id: Id | None = Field(default=None, json_schema_extra=references("hubs", "hub_id"))
    imd_decile: Annotated[int, Field(ge=1, le=10)] | None = None
    # Rules across files: a hub that does not exist is the reference check's to report.
    rules = (
        Rule(
            "hub_id",
            "a catchment hub must be a family_hub or satellite_site, never a targeted_support_team",
            "hub_id is null or hub_id not in"
            " (select hub_id from hubs where hub_type = 'targeted_support_team')",
        ),
        Rule(
            "hub_id",
            "the catchment hub is in another locality than the area (hubs.csv locality_id)",
            "hub_id is null or not exists (select 1 from hubs where hubs.hub_id = checked.hub_id"
            " and hubs.hub_type <> 'targeted_support_team'"
            " and hubs.locality_id is distinct from checked.locality_id)",
        ),
        _reserved_rule("area_code"),
    )

    @model_validator(mode="after")
    def _code_not_reserved(self) -> Area:
        _check_reserved(self.area_code, self.rules[2])
        return self


class PopulationArea(ContractModel):
    file = "population_areas.csv"
    required_file = False
    area_code: Id = Field(json_schema_extra=references("areas", "area_code"))
    year: Annotated[int, Field(ge=1990, le=2100)]
    age: Annotated[int, Field(ge=0, le=19)]
    population: Annotated[int, Field(ge=0)]
    # One row per area, year and age.
    key: ClassVar[tuple[str, ...]] = ("area_code", "year", "age")


class PopulationGroup(ContractModel):
    file = "population_groups.csv"
    required_file = False
    year: Annotated[int, Field(ge=1990, le=2100)]
    dimension: PopulationDimension
    group: Id
    population: Annotated[int, Field(ge=0)]
    # One row per year, dimension and group.
    key: ClassVar[tuple[str, ...]] = ("year", "dimension", "group")
    rules = (
        Rule(
            "group",
            "unknown group for its dimension (expected a sex or ethnic_group code of"
            " children.csv: "
            + ", ".join(f"{d}: {'/'.join(c)}" for d, c in GROUP_CODES.items())
            + ")",
            # An unknown dimension is the code check's to report.
            f"dimension not in ({', '.join(repr(d) for d in GROUP_CODES)}) or "
            + " or ".join(
                f"(dimension = '{d}' and \"group\" in ({', '.join(repr(x) for x in c)}))"
                for d, c in GROUP_CODES.items()
            ),
        ),
    )

    @model_validator(mode="after")
    def _group_known(self) -> PopulationGroup:
        if self.group not in GROUP_CODES[self.dimension]:
            raise ValueError(self.rules[0].reason)
        return self


# ---- case data ----
class Family(ContractModel):
    file = "families.csv"
    family_id: Id = Field(json_schema_extra=unique())
    locality_id: Id = Field(json_schema_extra=references("localities", "locality_id"))
    imd_decile: Annotated[int, Field(ge=1, le=10)] | None = None
    # Version 1.1: the family's small area; its decile applies when the family's own is empty.
    area_code: Id | None = Field(default=None, json_schema_extra=references("areas", "area_code"))
    rules = (
        Rule(
            "area_code",
            "the area is in another locality than the family (areas.csv locality_id)",
            "area_code is null or not exists (select 1 from areas where areas.area_code"
            " = checked.area_code and areas.locality_id <> checked.locality_id)",
        ),
    )


# An unborn child's expected birth month may lie ahead, but not by more than a pregnancy.
BIRTH_MONTH_AHEAD_MONTHS = 10


class Child(ContractModel):
    file = "children.csv"
    child_id: Id = Field(json_schema_extra=unique())
    family_id: Id = Field(json_schema_extra=references("families", "family_id"))
    birth_month: BirthMonth
    sex: Sex
    ethnic_group: EthnicGroup
    send: TrueFalse | None = Field(default=...)
    rules = (
        Rule(
            "birth_month",
            f"birth_month is in the future (more than {BIRTH_MONTH_AHEAD_MONTHS} months after "
            "today, later than an unborn child's expected month)",
            # try_: a cell of the wrong format is the format check's to report (SQL does not
            # stop at the first false condition, so the rule meets that cell too)
            "try_strptime(birth_month || '-01', '%Y-%m-%d')::date"
            f" <= current_date + interval {BIRTH_MONTH_AHEAD_MONTHS} month",
        ),
    )

    @model_validator(mode="after")
    def _not_in_the_future(self) -> Child:
        year, month = (int(part) for part in self.birth_month.split("-"))
        today = date.today()
        # The same as the SQL: the 1st of a month up to 10 months ahead is never after today
        # plus 10 months, and the 1st of the month after that always is.
        ahead = (year - today.year) * 12 + month - today.month
        if ahead > BIRTH_MONTH_AHEAD_MONTHS:
            raise ValueError(self.rules[0].reason)
        return self


class Request(ContractModel):
    file = "requests.csv"
    request_id: Id = Field(json_schema_extra=unique())
    child_id: Id = Field(json_schema_extra=references("children", "child_id"))
    received_date: date
    source: Source
    hub_id: Id | None = Field(default=None, json_schema_extra=references("hubs", "hub_id"))
    decision: Decision | None = Field(default=...)


class Episode(ContractModel):
    file = "episodes.csv"
    episode_id: Id = Field(json_schema_extra=unique())
    child_id: Id = Field(json_schema_extra=references("children", "child_id"))
    request_id: Id | None = Field(
        default=None, json_schema_extra=references("requests", "request_id")
    )
    service: Service
    hub_id: Id = Field(json_schema_extra=references("hubs", "hub_id"))
    start_date: date
    end_date: date | None = Field(default=...)
    start_reason: StartReason
    closure_reason: ClosureReason | None = Field(default=...)
    rules = (
        Rule(
            "end_date",
            "end_date is before start_date",
            "end_date is null or end_date >= start_date",
        ),
        Rule(
            "closure_reason",
            "closure_reason must be empty exactly when end_date is empty",
            "(closure_reason is null) = (end_date is null)",
        ),
    )

    @model_validator(mode="after")
    def _closure_consistent(self) -> Episode:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError(self.rules[0].reason)
        if (self.closure_reason is None) != (self.end_date is None):
            raise ValueError(self.rules[1].reason)
        return self


class Assessment(ContractModel):
    file = "assessments.csv"
    required_file = False
    assessment_id: Id = Field(json_schema_extra=unique())
    episode_id: Id = Field(json_schema_extra=references("episodes", "episode_id"))
    completed_date: date
    thrive_group: ThriveGroup
    needs: NeedList = Field(default=...)


class SurveyResponse(ContractModel):
    file = "survey_responses.csv"
    required_file = False
    response_id: Id = Field(json_schema_extra=unique())
    hub_id: Id = Field(json_schema_extra=references("hubs", "hub_id"))
    response_date: date
    survey: Survey
    respondent: Respondent
    outcome_area: Annotated[int, Field(ge=1, le=9)]
    score: Annotated[int, Field(ge=1, le=5)]


class Indicator(ContractModel):
    file = "indicators.csv"
    required_file = False
    indicator_id: SnakeCase
    period: PeriodCode
    area: Id
    value: float
    unit: Unit
    source: Name
    key: ClassVar[tuple[str, ...]] = ("indicator_id", "period", "area")
    rules = (
        Rule(
            "area",
            "area must be 'all' or a locality_id in localities.csv",
            "area = 'all' or area in (select locality_id from localities)",
        ),
        Rule(
            "period",
            "period must be a financial year like 2024-25 or a quarter like 2024-25-Q1",
            "(try_cast(substr(period, 1, 4) as integer) + 1) % 100"
            " = try_cast(substr(period, 6, 2) as integer)",
        ),
    )


# Load order: a file's references point only at files before it.
MODELS: tuple[type[ContractModel], ...] = (
    Locality,
    Hub,
    Population,
    Area,
    PopulationArea,
    PopulationGroup,
    Family,
    Child,
    Request,
    Episode,
    Assessment,
    SurveyResponse,
    Indicator,
)
GEOJSON_FILE = "localities.geojson"


def minimal_geojson(features: list, key: str = "locality_id") -> dict:
    """Only each feature's geometry (its type and coordinates) and its key (locality_id, or
    area_code): any other property or member (a contact's name, say) would be sent to every
    browser, public mode included."""
    return {"type": "FeatureCollection", "features": [_minimal_feature(f, key) for f in features]}


def _minimal_feature(feature, key: str) -> dict:
    feature = feature if isinstance(feature, dict) else {}
    geometry, properties = feature.get("geometry"), feature.get("properties")
    value = properties.get(key) if isinstance(properties, dict) else None
    return {
        "type": "Feature",
        "geometry": {"type": geometry.get("type"), "coordinates": geometry.get("coordinates")}
        if isinstance(geometry, dict)
        else None,
        "properties": {key: None if value is None else str(value)},
    }


# Version 1.1: small-area boundaries, features keyed by area_code (only that and the shape kept).
AREAS_GEOJSON_FILE = "areas.geojson"
CSV_FILES: dict[str, type[ContractModel]] = {m.file: m for m in MODELS}
KNOWN_FILES: frozenset[str] = frozenset([*CSV_FILES, GEOJSON_FILE, AREAS_GEOJSON_FILE])


def table_name(model: type[ContractModel]) -> str:
    """The store table a file loads into (the file name without .csv)."""
    return model.file.removesuffix(".csv")


# ---- derivation of column specs for set-based checks ----
@dataclass(frozen=True)
class ColumnSpec:
    """What the contract says about one column, read off the model."""

    name: str
    kind: str  # text | date | int | float | code | code_list
    required_column: bool  # must be present in the header
    nullable: bool  # may be empty
    codes: tuple[str, ...] = ()
    ge: float | None = None
    le: float | None = None
    pattern: str | None = None
    unique: bool = False
    references: tuple[str, str] | None = None

    @property
    def sql_type(self) -> str:
        return {
            "text": "VARCHAR",
            "code": "VARCHAR",
            "date": "DATE",
            "int": "BIGINT",
            "float": "DOUBLE",
            "code_list": "VARCHAR[]",
        }[self.kind]


def _unwrap(annotation: Any) -> tuple[Any, list, bool]:
    """Strip Optional and Annotated: (base type, metadata, nullable)."""
    metadata: list = []
    nullable = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            # Field(ge=…) inside an Optional's Annotated stays a FieldInfo: its constraints are
            # in its own metadata (pydantic folds them in only for a required column).
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(get_args(annotation))
            annotation = args[0]
        else:
            return annotation, metadata, nullable


def column_specs(model: type[ContractModel]) -> list[ColumnSpec]:
    """Every column of a file with its type, codes, bounds and links, from the model."""
    specs = []
    for name, field in model.model_fields.items():
        base, metadata, nullable = _unwrap(field.annotation)
        metadata = [*metadata, *field.metadata]
        extra = field.json_schema_extra or {}
        kind, code_list = "text", ()
        if get_origin(base) is Literal:
            kind, code_list = "code", get_args(base)
        elif get_origin(base) is list:
            kind, code_list = "code_list", get_args(_unwrap(get_args(base)[0])[0])
        elif base is date:
            kind = "date"
        elif base is int:
            kind = "int"
        elif base is float:
            kind = "float"
        ge = le = pattern = None
        for item in metadata:
            if isinstance(item, annotated_types.Ge):
                ge = item.ge
            elif isinstance(item, annotated_types.Le):
                le = item.le
            elif getattr(item, "pattern", None):
                pattern = item.pattern
        specs.append(
            ColumnSpec(
                name=name,
                kind=kind,
                # Optional columns have a default of None; `default=...` marks a column
                # that must be present even though its cells may be empty.
                required_column=field.is_required(),
                nullable=nullable or kind == "code_list",
                codes=tuple(code_list),
                ge=ge,
                le=le,
                pattern=pattern,
                unique=bool(extra.get("unique")),
                references=extra.get("references"),
            )
        )
    return specs
