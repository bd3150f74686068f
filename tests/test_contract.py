"""The pydantic models are the contract; the set-based checks are derived from them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ehts_data import contract
from ehts_data.contract import column_specs


def spec(model, name):
    return next(s for s in column_specs(model) if s.name == name)


def test_specs_are_read_off_the_models():
    assert spec(contract.Request, "source").codes == contract.codes(contract.Source)
    assert spec(contract.Request, "hub_id").required_column is False
    assert spec(contract.Request, "decision").required_column is True
    assert spec(contract.Request, "decision").nullable is True
    assert spec(contract.Request, "child_id").references == ("children", "child_id")
    assert spec(contract.Population, "age").kind == "int"
    assert (spec(contract.Population, "age").ge, spec(contract.Population, "age").le) == (0, 19)
    assert spec(contract.Child, "birth_month").pattern
    assert spec(contract.Assessment, "needs").kind == "code_list"
    assert spec(contract.Episode, "episode_id").unique


def test_every_contract_file_has_a_model_in_load_order():
    seen = set()
    for model in contract.MODELS:
        for s in column_specs(model):
            if s.references:
                assert s.references[0] in seen, f"{model.file} refers forward to {s.references}"
        seen.add(contract.table_name(model))
    required = {m.file for m in contract.MODELS if m.required_file}
    assert required == {
        "localities.csv",
        "hubs.csv",
        "population.csv",
        "families.csv",
        "children.csv",
        "requests.csv",
        "episodes.csv",
    }


EPISODE = dict(
    episode_id="E1",
    child_id="C1",
    request_id=None,
    service="early_help",
    hub_id="H1",
    start_date="2024-05-01",
    end_date="2024-06-01",
    start_reason="new_request",
    closure_reason="outcomes_achieved",
)


@pytest.mark.parametrize(
    "change",
    [
        {"end_date": "2024-04-30"},
        {"end_date": None},
        {"closure_reason": None},
        {"service": "social_care"},
        {"start_date": "2024-13-01"},
    ],
)
def test_row_rules_hold_in_the_pydantic_model_too(change):
    contract.Episode.model_validate(EPISODE)
    with pytest.raises(ValidationError):
        contract.Episode.model_validate({**EPISODE, **change})


def test_needs_split_on_semicolons_and_unknown_codes_fail():
    row = dict(
        assessment_id="A",
        episode_id="E",
        completed_date="2024-01-01",
        thrive_group="getting_help",
        needs="domestic_abuse; parenting",
    )
    assert contract.Assessment.model_validate(row).needs == ["domestic_abuse", "parenting"]
    with pytest.raises(ValidationError):
        contract.Assessment.model_validate({**row, "needs": "domestic_abuse;debt"})


def test_every_need_code_has_a_headline_group():
    assert set(contract.NEED_GROUP_OF) == set(contract.NEED_CODES)
    assert len(contract.NEED_GROUPS) == 10


def test_no_code_holds_a_space_or_a_semicolon():
    # Ingest reads a list of codes by splitting on ';' and dropping spaces.
    for model in contract.MODELS:
        for spec in contract.column_specs(model):
            for code in spec.codes:
                assert " " not in code and ";" not in code, (model.file, spec.name, code)


def test_every_need_fits_a_bit_of_need_bits():
    # assessment_facts.need_bits is a 32-bit integer with one bit per need (queries/schema.sql).
    assert len(contract.NEED_CODES) <= 32


def test_version_1_1_files_are_optional_and_refer_back():
    for model in (contract.Area, contract.PopulationArea, contract.PopulationGroup):
        assert model.required_file is False
    assert spec(contract.Family, "area_code").required_column is False
    assert spec(contract.Family, "area_code").references == ("areas", "area_code")
    assert spec(contract.Area, "hub_id").references == ("hubs", "hub_id")
    assert spec(contract.PopulationArea, "area_code").references == ("areas", "area_code")
    assert contract.PopulationArea.key == ("area_code", "year", "age")
    assert contract.PopulationGroup.key == ("year", "dimension", "group")
    assert contract.AREAS_GEOJSON_FILE in contract.KNOWN_FILES


@pytest.mark.parametrize(
    ("dimension", "group", "valid"),
    [
        ("sex", "female", True),
        ("ethnic_group", "asian", True),
        ("sex", "asian", False),
        ("ethnic_group", "male", False),
    ],
)
def test_a_population_group_is_a_code_of_its_dimension_in_the_model_too(dimension, group, valid):
    row = dict(year=2024, dimension=dimension, group=group, population=10)
    if valid:
        contract.PopulationGroup.model_validate(row)
    else:
        with pytest.raises(ValidationError):
            contract.PopulationGroup.model_validate(row)
