"""Who may see what: the access file (access.toml), the role a signed-in person holds, and the
scope that role forces on every figure the dashboard reads.

A person is named in the file by email or by subject (the ID token's `sub`), or reaches a role
through an app role in the ID token's `roles` claim (Entra ID app roles: they do not overflow
the sign-in cookie as group claims do). Nothing the browser sends decides a role.

Roles:
- board: the Board pages and the board pack; every figure suppressed as for publication;
  commentary only on the KPIs whose owner (scorecard.toml) they speak for (`owners`);
- coordinator: the analysis pages, only for their localities (one at a time, bound as the
  `$locality` parameter of every query), authority-wide totals only with small numbers withheld;
- analyst: everything, with Data quality and Publish;
- admin: an analyst's rights and the audit log.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ehts_data import config
from ehts_data.metrics import Scope

Role = Literal["board", "coordinator", "analyst", "admin"]
ROLES: tuple[str, ...] = ("board", "coordinator", "analyst", "admin")
# When a person holds several app roles, the widest one applies.
RANK = {role: rank for rank, role in enumerate(ROLES)}


class AccessFileError(ValueError):
    """access.toml cannot be used; the message names the entry and the field."""


class Refused(PermissionError):
    """A request outside the signed-in person's rights (a page, a locality, a figure)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Grant(_Strict):
    role: Role
    localities: tuple[str, ...] = ()
    # The KPI owners (scorecard.toml's `owner`) a board member speaks for: they may write
    # commentary on those owners' KPIs only. Analysts and admins may comment on every KPI.
    owners: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _localities_for_coordinators(self):
        if self.role == "coordinator" and not self.localities:
            raise ValueError("a coordinator needs localities = [...] (one or more locality ids)")
        if self.role != "coordinator" and self.localities:
            raise ValueError(f"localities apply to coordinators only, not to role {self.role!r}")
        if len(set(self.localities)) != len(self.localities):
            raise ValueError("a locality is listed twice")
        return self

    @model_validator(mode="after")
    def _owners_for_the_board(self):
        if self.owners and self.role != "board":
            raise ValueError(
                f"owners apply to board members only, not to role {self.role!r} "
                "(analysts and admins may comment on every KPI)"
            )
        if any(not owner.strip() for owner in self.owners):
            raise ValueError("an owner is empty")
        if len(set(self.owners)) != len(self.owners):
            raise ValueError("an owner is listed twice")
        return self


class Person(_Grant):
    """One person, named by email (case does not matter) or subject."""

    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    subject: str | None = Field(default=None, min_length=1)
    name: str | None = None

    @model_validator(mode="after")
    def _named(self):
        if not self.email and not self.subject:
            raise ValueError("a person needs an email or a subject")
        return self


class AppRole(_Grant):
    """An app role of the ID token's `roles` claim and the role it gives."""

    name: str = Field(min_length=1)


class AccessFile(_Strict):
    person: tuple[Person, ...] = ()
    app_role: tuple[AppRole, ...] = ()

    @model_validator(mode="after")
    def _no_duplicates(self):
        seen: dict[str, int] = {}
        for i, person in enumerate(self.person):
            for key in filter(None, (_email(person.email), _subject(person.subject))):
                if key in seen:
                    raise ValueError(
                        f"person[{i}] repeats {key.split(':', 1)[1]!r}, already given in "
                        f"person[{seen[key]}]: each person is listed once"
                    )
                seen[key] = i
        names = [r.name for r in self.app_role]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"app role {name!r} is listed twice")
        return self

    def localities(self) -> set[str]:
        return {loc for entry in (*self.person, *self.app_role) for loc in entry.localities}

    def owners(self) -> set[str]:
        return {owner for entry in (*self.person, *self.app_role) for owner in entry.owners}


def _email(value: str | None) -> str | None:
    return f"email:{value.strip().lower()}" if value else None


def _subject(value: str | None) -> str | None:
    return f"subject:{value}" if value else None


def _where(loc: tuple) -> str:
    parts = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "the file"


def parse(
    text: str,
    *,
    known_localities: Iterable[str] | None = None,
    known_owners: Iterable[str] | None = None,
    source: str = "",
) -> AccessFile:
    """The access file from its TOML text; AccessFileError names every problem (with
    `known_localities` / `known_owners`: also a locality the store or a KPI owner the
    scorecard registry does not have)."""
    where = f"{source}: " if source else ""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccessFileError(f"{where}not valid TOML: {exc}") from exc
    try:
        access = AccessFile.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            + (f" (got {e['input']!r})" if e["type"] == "literal_error" else "")
            for e in exc.errors()
        ]
        raise AccessFileError(where + "; ".join(problems)) from exc
    for problem in (
        _unknown(
            access.localities(), known_localities, ("locality", "localities"), "the store has"
        ),
        _unknown(
            access.owners(),
            known_owners,
            ("KPI owner", "KPI owners"),
            "the scorecard's owners are",
            show=repr,
        ),
    ):
        if problem:
            raise AccessFileError(where + problem)
    return access


def _unknown(
    named: set[str],
    known: Iterable[str] | None,
    nouns: tuple[str, str],
    holder: str,
    show: Callable[[str], str] = str,
) -> str | None:
    """What the file names that `known` lacks, with what it has; None when all are known (or
    nothing is known to check against)."""
    if known is None:
        return None
    known = set(known)
    unknown = sorted(named - known)
    if not unknown:
        return None
    return (
        f"unknown {nouns[len(unknown) > 1]} {', '.join(map(show, unknown))}: "
        f"{holder} {', '.join(map(show, sorted(known)))}"
    )


def load(
    path: str | Path | None = None,
    *,
    known_localities: Iterable[str] | None = None,
    known_owners: Iterable[str] | None = None,
) -> AccessFile:
    """The access file ($EHTS_ACCESS, else access.toml); AccessFileError if missing or bad."""
    path = Path(path) if path else config.access_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AccessFileError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    return parse(
        text, known_localities=known_localities, known_owners=known_owners, source=path.name
    )


@dataclass(frozen=True)
class Grant:
    """What one signed-in person may do: their role, a coordinator's localities and the KPI
    owners a board member speaks for."""

    who: str  # the email (or subject) the audit log records
    name: str
    role: str
    localities: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()

    @property
    def public(self) -> bool:
        """True when every figure is suppressed as for publication (the board)."""
        return self.role == "board"

    @property
    def scoped(self) -> bool:
        return self.role == "coordinator"

    def may(self, roles: Iterable[str]) -> bool:
        return self.role in roles

    def key(self) -> tuple:
        """The part of every cache key that keeps one role's results from another."""
        return (self.role, self.localities)

    def may_comment(self, owner: str) -> bool:
        """True when this person may write commentary on a KPI with this owner: a board
        member on the KPIs of the owners they speak for, analysts and admins on every KPI."""
        if self.role == "board":
            return owner in self.owners
        return self.role in ("analyst", "admin")

    def check_commentary(self, kpi: str, owner: str) -> None:
        """Refuse commentary on a KPI this person does not own."""
        if not self.may_comment(owner):
            raise Refused(
                f"commentary on {kpi} is for {owner or 'its owner'}; "
                + (
                    f"you speak for {', '.join(self.owners)}"
                    if self.owners
                    else "your access names no KPI owner you speak for"
                )
            )

    def check_locality(self, locality: str | None) -> None:
        """Refuse a locality outside a coordinator's own."""
        if self.scoped and locality not in self.localities:
            raise Refused(
                f"your access covers {', '.join(self.localities)} only"
                + (f", not {locality}" if locality else "")
            )


def session_expired(claims: dict, now: float, max_seconds: float) -> bool:
    """True when a sign-in is past its ID token's expiry (`exp`), or its token was issued
    (`iat`) more than `max_seconds` before `now` (Streamlit itself checks neither)."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, int | float) and now >= exp:
        return True
    return isinstance(iat, int | float) and now - iat > max_seconds


def resolve(access: AccessFile, claims: dict) -> Grant | None:
    """The grant for a signed-in person's ID token claims, or None for a person the file does
    not know. A person listed by email or subject wins; otherwise the widest of their app
    roles applies (a coordinator's localities are those of all their coordinator app roles)."""
    email, subject = _email(claims.get("email")), _subject(claims.get("sub"))
    who = claims.get("email") or claims.get("sub") or ""
    name = claims.get("name") or who
    for person in access.person:
        if (email and _email(person.email) == email) or (
            subject and _subject(person.subject) == subject
        ):
            return Grant(who, person.name or name, person.role, person.localities, person.owners)
    held = claims.get("roles") or []
    if isinstance(held, str):
        held = [held]
    matched = [r for r in access.app_role if r.name in held]
    if not matched:
        return None
    role = max((r.role for r in matched), key=RANK.get)
    localities = tuple(
        dict.fromkeys(loc for r in matched if r.role == role for loc in r.localities)
    )
    owners = tuple(dict.fromkeys(o for r in matched if r.role == role for o in r.owners))
    return Grant(who, name, role, localities, owners)


# Functions that read reference data only (names, boundaries, what is loaded): free to every
# role. Every other function a page reads through must take a Scope, which is checked.
REFERENCE = {
    "ehts_data.explore.localities",
    "ehts_data.explore.hubs",
    "ehts_data.explore.areas",
    "ehts_data.explore.group_names",
    "ehts_data.explore.locality_geojson",
    "ehts_data.explore.area_geojson",
    "ehts_data.explore.default_period",
    "ehts_data.store.latest_ingest",
}
AUTHORITY_TOTAL = "ehts_data.metrics.compute"


def authority_total(fn: Callable, args: tuple) -> bool:
    """True for a metric's total with no breakdown: the one whole-authority figure a
    coordinator may see (with small numbers withheld)."""
    return f"{fn.__module__}.{fn.__qualname__}" == AUTHORITY_TOTAL and "none" in args


def sees_authority(grant: Grant | None, fn: Callable, args: tuple) -> bool:
    """True when this call for the whole authority returns the authority's figures to this
    person: always, but for a coordinator only a metric's total (their other authority-wide
    calls are narrowed to their own locality, which is no reference for it)."""
    return grant is None or not grant.scoped or authority_total(fn, args)


def bind(
    grant: Grant | None, fn: Callable, args: tuple, kwargs: dict, home: str | None = None
) -> tuple[tuple, dict, bool]:
    """The call's arguments as the grant allows them, and whether its result is an
    authority-wide total to be shown with small numbers withheld.

    A coordinator's call must carry a Scope naming one of their localities (it becomes the
    query's bound `$locality`). A Scope for all localities is allowed only for a metric's
    authority total (breakdown 'none', no hub); any other call for all localities (a page's
    whole-authority reference or comparison) is narrowed to the coordinator's locality in the
    filter bar (`home`, else their first), so no other locality's records reach them. A call
    with no Scope must read reference data only."""
    if grant is None or not grant.scoped:
        return args, kwargs, False
    name = f"{fn.__module__}.{fn.__qualname__}"
    if not any(isinstance(v, Scope) for v in (*args, *kwargs.values())):
        if name in REFERENCE:
            return args, kwargs, False
        raise Refused(f"{name.rsplit('.', 1)[-1]} covers every locality")
    own = home if home in grant.localities else grant.localities[0]
    total = False

    def allowed(scope: Scope) -> Scope:
        nonlocal total
        if scope.locality is None and authority_total(fn, args):
            if any(v is not None for v in (scope.hub, scope.area, scope.catchment)):
                raise Refused("an authority-wide total is for the whole authority only")
            total = True
            return scope
        if scope.locality is None:
            return dataclasses.replace(scope, locality=own)
        grant.check_locality(scope.locality)
        return scope

    args = tuple(allowed(v) if isinstance(v, Scope) else v for v in args)
    kwargs = {k: allowed(v) if isinstance(v, Scope) else v for k, v in kwargs.items()}
    return args, kwargs, total


def withhold_small(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """A metric frame with every value resting on a count from 1 to k-1 withheld (None)."""
    out = frame.copy()
    if "numerator" not in out:
        return out
    small = out["numerator"].between(1, k - 1)
    for column in ("numerator", "denominator", "value"):
        if column in out:
            out[column] = out[column].astype("float64").where(~small)
    return out
