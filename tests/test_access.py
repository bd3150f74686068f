"""The access file (access.toml): who may sign in, with which role, and the scope a
coordinator's role forces on every figure read through the dashboard."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from ehts_data import access, config, explore, ingest, metrics, periods, scorecard, state
from ehts_data.metrics import Scope
from tests.conftest import write_extract


@pytest.fixture
def good(access_file) -> access.AccessFile:
    """The shared sample access file (tests/access.toml), parsed."""
    return access.load(access_file)


def test_a_person_listed_by_email_gets_their_role_whatever_the_case_of_the_address(good):
    grant = access.resolve(good, {"email": "chair@council.example", "sub": "x"})
    assert (grant.role, grant.name, grant.public) == ("board", "Board chair", True)
    assert grant.owners == ("Head of Early Help",)


def test_a_person_listed_by_subject_gets_their_role(good):
    grant = access.resolve(good, {"sub": "sub-analyst-1", "email": "a@b.example"})
    assert grant.role == "analyst" and grant.who == "a@b.example"


def test_app_roles_of_the_token_give_the_widest_role_and_a_coordinators_localities(good):
    file = good
    both = access.resolve(
        file,
        {"email": "c@x.example", "roles": ["EHTS.Coordinator.North", "EHTS.Coordinator.South"]},
    )
    assert (both.role, both.localities) == ("coordinator", ("NTH", "WST"))
    admin = access.resolve(
        file, {"email": "c@x.example", "roles": ["EHTS.Coordinator.North", "EHTS.Admin"]}
    )
    assert (admin.role, admin.localities) == ("admin", ())


def test_a_person_the_file_does_not_know_gets_no_grant(good):
    assert access.resolve(good, {"email": "who@x.example", "roles": ["Other"]}) is None


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
        (
            '[[person]]\nemail = "a@x.example"\nrole = "analyst"\nowners = ["Head of Early Help"]',
            "person[0]: owners apply to board members only, not to role 'analyst'",
        ),
        (
            '[[app_role]]\nname = "B"\nrole = "board"\nowners = ["Head", "Head"]',
            "app_role[0]: an owner is listed twice",
        ),
        ('[[person]]\nemail = "a@x.example"\nrole = "board"\nowners = [" "]', "an owner is empty"),
    ],
)
def test_a_bad_access_file_is_refused_with_the_entry_and_field_named(text, message):
    with pytest.raises(access.AccessFileError, match=None) as info:
        access.parse(text, source="access.toml")
    assert message in str(info.value) and str(info.value).startswith("access.toml: ")


def test_a_locality_the_store_does_not_have_is_refused(sample_db, access_file):
    from ehts_data import store

    with store.connect(sample_db) as con:
        known = list(explore.localities(con).locality_id)
    text = access_file.read_text(encoding="utf-8")
    access.parse(text, known_localities=known)
    with pytest.raises(access.AccessFileError, match="unknown locality XYZ"):
        access.parse(text.replace('"WST"', '"XYZ"'), known_localities=known)


def test_an_owner_the_scorecard_does_not_name_is_refused_with_the_scorecards_owners(
    access_file,
):
    owners = {kpi.owner for kpi in scorecard.load().kpi}
    text = access_file.read_text(encoding="utf-8")
    access.parse(text, known_owners=owners)
    with pytest.raises(access.AccessFileError) as info:
        access.parse(
            text.replace('"Head of Early Help"', '"Head of Early Hlep"'),
            known_owners=owners,
            source="access.toml",
        )
    message = str(info.value)
    assert message.startswith("access.toml: unknown KPI owner 'Head of Early Hlep': ")
    assert all(repr(owner) in message for owner in owners)


def test_board_app_roles_speak_for_the_owners_of_every_board_role_they_hold():
    file = access.parse(
        '[[app_role]]\nname = "Board.EH"\nrole = "board"\nowners = ["Head of Early Help"]\n'
        '[[app_role]]\nname = "Board.PH"\nrole = "board"\nowners = ["Public Health lead"]\n'
        '[[app_role]]\nname = "Board.All"\nrole = "board"\n'
    )
    grant = access.resolve(file, {"email": "b@x.example", "roles": ["Board.EH", "Board.PH"]})
    assert grant.owners == ("Head of Early Help", "Public Health lead")
    reader = access.resolve(file, {"email": "r@x.example", "roles": ["Board.All"]})
    assert reader.owners == () and not reader.may_comment("Head of Early Help")


def test_a_board_member_may_comment_on_their_owners_kpis_and_analysts_and_admins_on_all():
    card = scorecard.load()
    board = access.Grant("b@x.example", "B", "board", owners=("Head of Early Help",))
    owned = [kpi.id for kpi in card.kpi if board.may_comment(kpi.owner)]
    assert owned == [kpi.id for kpi in card.kpi if kpi.owner == "Head of Early Help"]
    assert 0 < len(owned) < len(card.kpi)
    for role in ("analyst", "admin"):
        assert all(access.Grant("a", "A", role).may_comment(kpi.owner) for kpi in card.kpi)
    assert not any(COORDINATOR.may_comment(kpi.owner) for kpi in card.kpi)


@pytest.fixture
def small_store(tmp_path) -> Path:
    """A store (the tests' minimal extract) to keep commentary in."""
    db = tmp_path / "store"
    ingest.ingest(write_extract(tmp_path / "extract"), db)
    return db


def test_saving_commentary_refuses_a_board_member_on_a_kpi_they_do_not_own(small_store):
    card = scorecard.load()
    board = access.Grant("b@x.example", "B", "board", owners=("Head of Early Help",))
    mine = next(kpi for kpi in card.kpi if kpi.owner in board.owners)
    other = next(kpi for kpi in card.kpi if kpi.owner not in board.owners)
    period = periods.parse("2025-26")
    scorecard.add_commentary(small_store, mine.id, period, "On track.", "B", grant=board)
    with pytest.raises(access.Refused, match=f"commentary on {other.id} is for {other.owner}"):
        scorecard.add_commentary(small_store, other.id, period, "Mine now.", "B", grant=board)
    no_owner = dataclasses.replace(board, owners=())
    with pytest.raises(access.Refused, match="names no KPI owner"):
        scorecard.add_commentary(small_store, mine.id, period, "x", "B", grant=no_owner)
    # An analyst writes on any KPI; local mode (no grant) is unchanged.
    analyst = access.Grant("a@x.example", "A", "analyst")
    scorecard.add_commentary(small_store, other.id, period, "Seen.", "A", grant=analyst)
    scorecard.add_commentary(small_store, other.id, period, "Local.", "Me")
    entries = state.commentary_entries(state.path_for(small_store))
    assert list(zip(entries["kpi"], entries["comment"], strict=True)) == [
        (mine.id, "On track."),
        (other.id, "Seen."),
        (other.id, "Local."),
    ]


@pytest.mark.parametrize(
    "claims, expired",
    [
        ({"iat": 1_000, "exp": 5_000}, False),
        ({"iat": 1_000, "exp": 2_000}, True),  # the ID token's expiry has passed
        ({"iat": 2_000 - 3_601, "exp": 9_000}, True),  # older than the longest session
        ({"iat": 2_000 - 3_599}, False),
        ({}, False),  # a token with neither claim gives nothing to judge by
    ],
)
def test_a_session_ends_at_the_tokens_expiry_or_after_the_longest_session(claims, expired):
    assert access.session_expired(claims, now=2_000, max_seconds=3_600) is expired


def test_the_longest_session_is_read_in_hours_fractions_allowed(monkeypatch):
    monkeypatch.setenv("EHTS_SESSION_HOURS", "0.25")
    assert config.session_max_seconds() == 900
    monkeypatch.delenv("EHTS_SESSION_HOURS")
    assert config.session_max_seconds() == config.DEFAULT_SESSION_HOURS * 3600
    for bad in ("0", "-1", "eight", "inf"):
        monkeypatch.setenv("EHTS_SESSION_HOURS", bad)
        with pytest.raises(ValueError, match=f"EHTS_SESSION_HOURS='{bad}'"):
            config.session_max_seconds()


def test_the_access_file_is_read_from_ehts_access_at_call_time(tmp_path, monkeypatch, access_file):
    monkeypatch.setenv("EHTS_ACCESS", str(access_file))
    assert len(access.load().person) == 3
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


def test_a_coordinator_sees_the_authority_only_as_a_metrics_total():
    whole = ("x", None, "none", Scope())
    assert access.sees_authority(COORDINATOR, metrics.compute, whole)
    # Any other authority-wide call is narrowed to their locality: no reference for them.
    assert not access.sees_authority(COORDINATOR, metrics.compute, ("x", None, "hub", Scope()))
    assert not access.sees_authority(COORDINATOR, explore.need_cooccurrence, (None,))
    for grant in (None, access.Grant("a@x.example", "A", "analyst")):
        assert access.sees_authority(grant, explore.need_cooccurrence, (None,))
