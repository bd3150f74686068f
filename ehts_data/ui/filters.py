"""The shared filter bar: period, locality, hub and service, kept in the URL.

It is drawn once, in app.py, before the page runs, so its values persist across pages; pages
read them with `filters()`. A chart click asks for a filter with `request_filter`, which the
bar applies at the start of the next run (a widget's value cannot change after it is drawn).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from ehts_data import explore, periods, store
from ehts_data.contract import Service, codes
from ehts_data.formatting import label
from ehts_data.metrics import Scope
from ehts_data.ui import auth
from ehts_data.ui.data import get, has_data

KINDS = ("Financial year", "Quarter", "Custom dates")
_STATE = "ehts_filters"
_PENDING = "ehts_pending_filter"


@dataclass(frozen=True)
class Filters:
    """What the person has chosen: a period and a scope (locality, hub, service)."""

    period: periods.Period
    scope: Scope
    first_day: date  # the first and last days with data, for trends
    last_day: date

    def describe(self) -> str:
        parts = [self.period.label]
        if self.scope.locality:
            parts.append(f"locality {self.scope.locality}")
        if self.scope.hub:
            parts.append(f"hub {self.scope.hub}")
        if self.scope.service:
            parts.append(label(self.scope.service))
        return " · ".join(parts)


def request_filter(**values: str | None) -> None:
    """Ask for locality and/or hub filters (e.g. from a chart click) and rerun the page."""
    st.session_state[_PENDING] = values
    st.rerun()


def filter_on_click(event, field: str, key: str, allowed) -> None:
    """Filter the page to the locality or hub clicked in a chart (its customdata).

    A chart keeps its selection across reruns, so only a new click applies; clearing the
    filter in the sidebar afterwards is not undone by the old selection.
    """
    points = event.selection.points if event else []
    value = points[0].get("customdata") if points else None
    memory = f"{key}_last_click"
    if value == st.session_state.get(memory):
        return
    st.session_state[memory] = value
    if value in allowed and value != getattr(filters().scope, field):
        request_filter(**{field: value})


def filters() -> Filters:
    """The filters chosen in the sidebar for this run."""
    if _STATE not in st.session_state:
        _run_through_app()
    return st.session_state[_STATE]


def _run_through_app() -> None:
    """A link to a page opened as the very first request to a new server is run by
    Streamlit's older `pages/`-folder mode, which skips app.py and so the filter bar. Turn
    that mode off and rerun, so app.py's navigation serves the page; failing that, draw the
    filter bar here."""
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
    filter_bar()


def _from_url(years: list[str], quarters: list[str], localities: list, hubs: list) -> None:
    qp = st.query_params
    period = qp.get("period")
    if period in years:
        st.session_state.flt_kind, st.session_state.flt_year = KINDS[0], period
    elif period in quarters:
        st.session_state.flt_kind, st.session_state.flt_quarter = KINDS[1], period
    elif qp.get("start") and qp.get("end"):
        try:
            start, end = date.fromisoformat(qp["start"]), date.fromisoformat(qp["end"])
            if start <= end:
                st.session_state.flt_kind = KINDS[2]
                st.session_state.flt_range = (start, end)
        except ValueError:
            pass
    if qp.get("locality") in localities:
        st.session_state.flt_locality = qp["locality"]
    if qp.get("hub") in hubs:
        st.session_state.flt_hub = qp["hub"]
    if qp.get("service") in codes(Service):
        st.session_state.flt_service = qp["service"]


def filter_bar() -> Filters | None:
    """Draw the filters in the sidebar and return them (None when there is no data)."""
    if not has_data():
        return None
    ingest = get(store.latest_ingest)
    first_day = pd.Timestamp(ingest["date_from"]).date()
    last_day = pd.Timestamp(ingest["date_to"]).date()
    years = [p.label for p in reversed(periods.years_between(first_day, last_day))]
    quarters = [p.label for p in reversed(periods.quarters_between(first_day, last_day))]
    locality_table = get(explore.localities)
    hub_table = get(explore.hubs)
    locality_names = dict(
        zip(locality_table.locality_id, locality_table.locality_name, strict=True)
    )
    hub_names = dict(zip(hub_table.hub_id, hub_table.hub_name, strict=True))
    hub_locality = dict(zip(hub_table.hub_id, hub_table.locality_id, strict=True))
    grant = auth.grant()
    if grant is not None and grant.scoped:
        # A coordinator sees their own localities only, one at a time: a link naming another
        # is refused, not quietly changed.
        asked = st.query_params.get("locality")
        if asked is not None and asked not in grant.localities:
            auth.refuse(f"your access covers {', '.join(grant.localities)} only, not {asked}")
        hub = st.query_params.get("hub")
        if hub is not None and hub_locality.get(hub) not in grant.localities:
            auth.refuse(f"hub {hub} is outside {', '.join(grant.localities)}")
        locality_names = {k: v for k, v in locality_names.items() if k in grant.localities}
        if st.session_state.get("flt_locality") not in locality_names:
            st.session_state.flt_locality = grant.localities[0]

    if "flt_kind" not in st.session_state:
        # The latest complete financial year, and its last quarter, not a near-empty one.
        opening = get(explore.default_period)
        year = opening.label if opening and opening.label in years else years[0]
        st.session_state.flt_kind = KINDS[0]
        st.session_state.flt_year = year
        st.session_state.flt_quarter = f"{year}-Q4" if f"{year}-Q4" in quarters else quarters[0]
        st.session_state.flt_range = (date.fromisoformat(years[0][:4] + "-04-01"), last_day)
        _from_url(years, quarters, list(locality_names), list(hub_names))
    pending = st.session_state.pop(_PENDING, None)
    if pending:
        if "locality" in pending:
            st.session_state.flt_locality = pending["locality"]
            if (
                st.session_state.get("flt_hub")
                and pending["locality"]
                and hub_locality.get(st.session_state.flt_hub) != pending["locality"]
            ):
                st.session_state.flt_hub = None
        if "hub" in pending:
            st.session_state.flt_hub = pending["hub"]

    with st.sidebar:
        st.header("Filters")
        kind = st.radio("Period", KINDS, key="flt_kind", horizontal=False)
        if kind == KINDS[0]:
            period = periods.parse(st.selectbox("Financial year", years, key="flt_year"))
        elif kind == KINDS[1]:
            period = periods.parse(st.selectbox("Quarter", quarters, key="flt_quarter"))
        else:
            chosen = st.date_input(
                "From and to (inclusive)",
                key="flt_range",
                min_value=date(first_day.year - 1, 1, 1),
                max_value=date(last_day.year + 1, 12, 31),
                format="DD/MM/YYYY",
            )
            start, end = (chosen[0], chosen[-1]) if len(chosen) else (first_day, last_day)
            period = periods.custom(start, end)
        scoped = grant is not None and grant.scoped
        locality = st.selectbox(
            "Locality",
            [*([] if scoped else [None]), *locality_names],
            key="flt_locality",
            format_func=lambda v: "All localities" if v is None else locality_names.get(v, v),
        )
        hub_options = [h for h in hub_names if locality is None or hub_locality[h] == locality]
        if st.session_state.get("flt_hub") not in (None, *hub_options):
            st.session_state.flt_hub = None
        hub = st.selectbox(
            "Hub or team",
            [None, *hub_options],
            key="flt_hub",
            format_func=lambda v: "All hubs and teams" if v is None else hub_names.get(v, v),
        )
        service = st.selectbox(
            "Service",
            [None, *codes(Service)],
            key="flt_service",
            format_func=lambda v: "Early help and targeted support" if v is None else label(v),
            help="Applies to episodes and assessments; requests and survey answers have no service.",
        )
        st.markdown(f"Data from {first_day:%d %b %Y} to {last_day:%d %b %Y}")

    params = (
        {"period": period.label}
        if period.kind != "custom"
        else {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        }
    )
    params |= {k: v for k, v in (("locality", locality), ("hub", hub), ("service", service)) if v}
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)
    chosen = Filters(period, Scope(locality, hub, service), first_day, last_day)
    st.session_state[_STATE] = chosen
    return chosen
