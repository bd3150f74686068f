"""The access file (access.toml): who may sign in, with which role, and the scope a
coordinator's role forces on every figure read through the dashboard."""

from __future__ import annotations

import pandas as pd
import pytest

from ehts_data import access, explore, metrics, state
from ehts_data.metrics import Scope

GOOD = """
[[person]]
email = "Chair@Council.example"
role = "board"
name = "Board chair"

[[person]]
subject = "sub-analyst-1"
role = "analyst"

[[app_role]]
name = "EHTS.Coordinator.North"
role = "coordinator"
localities = ["NTH"]

[[app_role]]
name = "EHTS.Coordinator.South"
role = "coordinator"
localities = ["WST"]

[[app_role]]
name = "EHTS.Admin"
role = "admin"
"""


def test_a_person_listed_by_email_gets_their_role_whatever_the_case_of_the_address():
    grant = access.resolve(access.parse(GOOD), {"email": "chair@council.example", "sub": "x"})
    assert (grant.role, grant.name, grant.public) == ("board", "Board chair", True)


def test_a_person_listed_by_subject_gets_their_role():
    grant = access.resolve(access.parse(GOOD), {"sub": "sub-analyst-1", "email": "a@b.example"})
    assert grant.role == "analyst" and grant.who == "a@b.example"


def test_app_roles_of_the_token_give_the_widest_role_and_a_coordinators_localities():
    file = access.parse(GOOD)
    both = access.resolve(
        file,
        {"email": "c@x.example", "roles": ["EHTS.Coordinator.North", "EHTS.Coordinator.South"]},
    )
    assert (both.role, both.localities) == ("coordinator", ("NTH", "WST"))
    admin = access.resolve(
        file, {"email": "c@x.example", "roles": ["EHTS.Coordinator.North", "EHTS.Admin"]}
    )
    assert (admin.role, admin.localities) == ("admin", ())


def test_a_person_the_file_does_not_know_gets_no_grant():
    assert (
        access.resolve(access.parse(GOOD), {"email": "who@x.example", "roles": ["Other"]}) is None
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[person]]\nemail = "a@x.example"\nrole = "chief"', "person[0].role"),
        ('[[person]]\nemail = "a@x.example"\nrole = "coordinator"', "coordinator needs localities"),
        (
            '[[person]]\nemail = "a@x.example"\nrole = "board"\nlocalities = ["NTH"]',
            "coordinators only",
        ),
        ('[[person]]\nrole = "board"', "needs an email or a subject"),
        (
            '[[person]]\nemail = "a@x.example"\nrole = "board"\n'
            '[[person]]\nemail = "A@x.example"\nrole = "analyst"',
            "person[1] repeats 'a@x.example', already given in person[0]",
        ),
        (
            '[[app_role]]\nname = "R"\nrole = "board"\n[[app_role]]\nname = "R"\nrole = "admin"',
            "app role 'R' is listed twice",
        ),
        ('[[person]]\nemail = "a@x.example"\nrole = "board"\nteam = "x"', "person[0].team"),
        ("[[person]\n", "not valid TOML"),
    ],
)
def test_a_bad_access_file_is_refused_with_the_entry_and_field_named(text, message):
    with pytest.raises(access.AccessFileError, match=None) as info:
        access.parse(text, source="access.toml")
    assert message in str(info.value) and str(info.value).startswith("access.toml: ")


def test_a_locality_the_store_does_not_have_is_refused(sample_db):
    from ehts_data import store

    with store.connect(sample_db) as con:
        known = list(explore.localities(con).locality_id)
    access.parse(GOOD, known_localities=known)
    with pytest.raises(access.AccessFileError, match="unknown locality XYZ"):
        access.parse(GOOD.replace('"WST"', '"XYZ"'), known_localities=known)


def test_the_access_file_is_read_from_ehts_access_at_call_time(tmp_path, monkeypatch):
    path = tmp_path / "people.toml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("EHTS_ACCESS", str(path))
    assert len(access.load().person) == 2
    monkeypatch.setenv("EHTS_ACCESS", str(tmp_path / "missing.toml"))
    with pytest.raises(access.AccessFileError, match="missing.toml: cannot be read"):
        access.load()


COORDINATOR = access.Grant("c@x.example", "C", "coordinator", ("NTH",))


def test_a_coordinators_scope_must_name_their_own_locality():
    args = ("requests", None, "hub", Scope(locality="NTH"))
    assert access.bind(COORDINATOR, metrics.compute, args, {}) == (args, {}, False)
    with pytest.raises(access.Refused, match="NTH only, not WST"):
        access.bind(COORDINATOR, metrics.compute, ("requests", None, "hub", Scope("WST")), {})
    # A breakdown for every locality (a page's comparison) is narrowed to their own locality.
    narrowed, _, total = access.bind(
        COORDINATOR, metrics.compute, ("requests", None, "hub", Scope(service="early_help")), {}
    )
    assert narrowed[3] == Scope(locality="NTH", service="early_help") and not total
    with pytest.raises(access.Refused):  # an authority total by hub is not a total
        access.bind(COORDINATOR, metrics.compute, ("x", None, "none", Scope(hub="H1")), {})


def test_a_coordinator_reads_an_authority_total_marked_for_withholding_and_no_unscoped_figure():
    _, _, total = access.bind(COORDINATOR, metrics.compute, ("x", None, "none", Scope()), {})
    assert total
    assert access.bind(COORDINATOR, explore.hubs, (), {})[2] is False
    with pytest.raises(access.Refused, match="covers every locality"):
        access.bind(COORDINATOR, explore.table_coverage, (), {})


def test_other_roles_and_local_mode_pass_every_call_unchanged():
    analyst = access.Grant("a@x.example", "A", "analyst")
    for grant in (None, analyst):
        assert access.bind(grant, explore.table_coverage, (1,), {"a": 2}) == ((1,), {"a": 2}, False)
    assert analyst.key() != COORDINATOR.key()


def test_withheld_totals_hide_values_resting_on_one_to_four_cases():
    frame = pd.DataFrame(
        {"numerator": [3, 0, 40], "denominator": [10, 10, 80], "value": [0.3, 0, 0.5]}
    )
    out = access.withhold_small(frame, 5)
    assert out["value"].isna().tolist() == [True, False, False]
    assert out["numerator"].isna().tolist() == [True, False, False]


def test_the_audit_log_keeps_every_entry_and_refuses_changes(tmp_path):
    db = tmp_path / "state.sqlite"
    state.audit(db, "c@x.example", "coordinator", "sign-in", "first")
    state.audit(db, "a@x.example", "analyst", "download", "demand_by_hub")
    log = state.audit_log(db)
    assert list(log["action"]) == ["download", "sign-in"]
    assert list(state.audit_log(db, who="c@x.example")["detail"]) == ["first"]
    import sqlite3

    with state.connect(db) as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("delete from audit_log")
    with pytest.raises(ValueError, match="unknown audit action"):
        state.audit(db, "x", None, "dance")
