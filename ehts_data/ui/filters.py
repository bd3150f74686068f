"""The shared filter bar: period, locality, small area, hub catchment, hub and service, kept
in the URL.

It is drawn once, in app.py, before the page runs, so its values persist across pages; pages
read them with `filters()`. A chart click asks for a filter with `request_filter`, which the
bar applies at the start of the next run (a widget's value cannot change after it is drawn).
A value in the URL that the data does not have is refused with a notice, never applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from ehts_data import explore, periods, store, text
from ehts_data.contract import Service, codes
from ehts_data.formatting import label
from ehts_data.metrics import Scope
from ehts_data.ui import auth
from ehts_data.ui.data import get, has_data

KINDS = ("Financial year", "Quarter", "Custom dates")
_STATE = "ehts_filters"
_PENDING = "ehts_pending_filter"
_AREA = "ehts_last_area"  # the area of the last run, to tell a new choice from a stale one


@dataclass(frozen=True)
class Filters:
    """What the person has chosen: a period and a scope (locality, small area and hub catchment
    within it, hub, service) that every metric and view follows."""

    period: periods.Period
    scope: Scope
    first_day: date  # the first and last days with data, for trends
    last_day: date
    place_name: str | None = None  # the chosen place's name (area, hub or locality), for legends
    # The same for figures with no small area or catchment (survey answers): hub or locality.
    answering_place_name: str | None = None

    @property
    def area(self) -> str | None:
        """The small area chosen (its code), or None."""
        return self.scope.area

    @property
    def place_chosen(self) -> bool:
        """True when a locality, hub, catchment or area is chosen: charts then show the
        authority too."""
        return bool(self.scope.locality or self.scope.hub or self.scope.catchment or self.area)

    def describe(self, names: dict[str, dict[str, str]] | None = None) -> str:
        """The filters in words; with `names` (explore.group_names), places by name."""
        names = names or {}
        parts = [self.period.label]
        if self.scope.locality:
            locality = names.get("locality", {}).get(self.scope.locality, self.scope.locality)
            parts.append(f"locality {locality}")
        if self.area:
            parts.append(f"area {self.place_name or self.area}")
        if self.scope.catchment:
            catchment = names.get("catchment", {}).get(self.scope.catchment, self.scope.catchment)
            parts.append(f"catchment of {catchment}")
        if self.scope.hub:
            parts.append(f"hub {names.get('hub', {}).get(self.scope.hub, self.scope.hub)}")
        if self.scope.service:
            parts.append(label(self.scope.service))
        return " · ".join(parts)


def request_filter(**values: str | None) -> None:
    """Ask for locality, area, catchment and/or hub filters (e.g. from a chart click) and
    rerun."""
    st.session_state[_PENDING] = values
    st.rerun()


def _clicked(event) -> list:
    """The customdata of the points a click selected (a chart may send several: a hub's ring
    and its marker, say)."""
    points = event.selection.points if event else []
    out = []
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list):  # customdata with several columns: the first is the key
            value = value[0] if value else None
        if value is not None:
            out.append(value)
    return out


def filter_on_click(event, field: str, key: str, allowed) -> None:
    """Filter the page to the locality, hub or small area clicked in a chart (its customdata).

    `field` is 'locality', 'hub', 'catchment' or 'area'; `allowed` the ids that may be chosen
    (for the others than 'locality' a mapping to their locality, which is chosen with them).
    A chart keeps its
    selection across reruns, so only a new click applies; clearing the filter in the sidebar
    afterwards is not undone by the old selection.
    """
    values = [v for v in _clicked(event) if v in allowed]
    value = values[0] if values else None
    memory = f"{key}_last_click"
    if value == st.session_state.get(memory):
        return
    st.session_state[memory] = value
    if value is None:
        return
    f = filters()
    current = getattr(f.scope, field)
    if value == current:
        return
    if field == "locality":
        request_filter(locality=value)
    else:
        # A citywide team has no locality: choosing it clears the locality filter.
        locality = allowed[value] if isinstance(allowed[value], str) else None
        # An area and a catchment are both where families live: choosing one clears the other.
        other = {"area": {"catchment": None}, "catchment": {"area": None}}.get(field, {})
        request_filter(locality=locality, **{field: value}, **other)


def filter_on_map_click(
    event, key: str, field: str, places: dict, hubs: dict, catchments: dict
) -> None:
    """A click on a map: a shape chooses its place (`field` 'locality' or 'area'; `places` those
    that may be chosen, as for filter_on_click), a hub marker that hub's catchment (`catchments`:
    catchment_localities()), each with its locality; a hub with no catchment (an extract
    without small areas, a citywide team) chooses the hub itself."""
    clicked = _clicked(event)
    marked = [v for v in clicked if v in hubs]
    if marked and not any(v in places for v in clicked):
        if marked[0] in catchments:
            filter_on_click(event, "catchment", key, catchments)
        else:
            filter_on_click(event, "hub", key, hubs)
    else:
        filter_on_click(event, field, key, places)


def catchment_localities() -> dict[str, str | None]:
    """The hubs with a catchment (some small area's hub), each with its locality: none for an
    extract without small areas."""
    hub_table, area_table = get(explore.hubs), get(explore.areas)
    with_areas = set(area_table.hub_id.dropna().tolist())
    return {
        h: loc
        for h, loc in zip(hub_table.hub_id.tolist(), hub_table.locality_id.tolist(), strict=True)
        if h in with_areas
    }


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


# A list of more small areas than this (a national extract's 33,264 made 1.2 MB, sent to the
# browser on every run of every page) is offered only within the locality chosen.
AREAS_LISTED_AT_MOST = 2_000
URL_NOTICE = "ehts_url_notice"
FILTER_PARAMS = ("period", "start", "end", "locality", "area", "catchment", "hub", "service")


def _from_url(
    years: list[str],
    quarters: list[str],
    localities: list,
    hubs: dict,
    areas: dict,
    catchments: dict,
    bounds: tuple[date, date],
) -> list[str]:
    """Set the filters from the URL's query parameters; return what was refused, in words
    (the page header says so: url_notice), never silently replaced."""
    qp = st.query_params
    refused = []
    period = qp.get("period")
    if period in years:
        st.session_state.flt_kind, st.session_state.flt_year = KINDS[0], period
    elif period in quarters:
        st.session_state.flt_kind, st.session_state.flt_quarter = KINDS[1], period
    elif qp.get("start") and qp.get("end"):
        try:
            start, end = date.fromisoformat(qp["start"]), date.fromisoformat(qp["end"])
            if start > end:
                refused.append("dates whose start is after their end")
            elif start < bounds[0] or end > bounds[1]:
                refused.append(f"dates {start} to {end} (outside the data's years)")
            else:
                st.session_state.flt_kind = KINDS[2]
                st.session_state.flt_range = (start, end)
        except ValueError:
            refused.append("dates that are not dates (YYYY-MM-DD)")
    elif period:
        refused.append(f"period {period!r} (no data for it)")
    locality = qp.get("locality")
    if locality in localities:
        st.session_state.flt_locality = locality
    elif locality:
        refused.append(f"locality {locality!r} (no such locality)")
        locality = None
    area = qp.get("area")
    if area in areas and locality in (None, areas[area]):
        st.session_state.flt_area = area
        st.session_state.flt_locality = areas[area]
    elif area:
        refused.append(
            f"small area {area!r} (not an area of locality {locality!r})"
            if area in areas
            else f"small area {area!r} (no such small area)"
        )
    catchment = qp.get("catchment")
    if catchment in catchments and st.session_state.get("flt_locality") in (
        None,
        catchments[catchment],
    ):
        st.session_state.flt_catchment = catchment
    elif catchment:
        refused.append(f"catchment {catchment!r} (no hub with a catchment in the locality chosen)")
    hub = qp.get("hub")
    if hub in hubs and st.session_state.get("flt_locality") in (None, hubs[hub]):
        st.session_state.flt_hub = hub
    elif hub:
        refused.append(f"hub {hub!r} (no such hub in the locality chosen)")
    service = qp.get("service")
    if service in codes(Service):
        st.session_state.flt_service = service
    elif service:
        refused.append(f"service {service!r} (no such service)")
    return refused


def _bounds(first_day: date, last_day: date) -> tuple[date, date]:
    """The dates a custom period may run between: a year either side of the data."""
    return date(first_day.year - 1, 1, 1), date(last_day.year + 1, 12, 31)


def url_notice() -> list[str]:
    """What the link this session opened asked for that was not applied (once)."""
    return st.session_state.pop(URL_NOTICE, [])


def kept_in_url(key: str, options: list[str]) -> None:
    """Before an in-page widget is drawn: take its value from the link when it names one of
    `options` (the widget's value ids). Call `keep_in_url` after drawing it."""
    wanted = st.query_params.get(key)
    if key not in st.session_state and wanted is not None:
        if wanted in options:
            st.session_state[key] = wanted
        else:  # said where the widget is: the page header is drawn already
            st.warning(
                f"The link asked for {key.replace('_', ' ')} {text.for_markdown(wanted)}, "
                "which is not one of the choices here; the first choice is shown.",
                icon=":material/link_off:",
            )


def keep_in_url(key: str, value: str) -> None:
    """Write an in-page widget's value into the address, so a copied link reopens it."""
    if st.query_params.get(key) != value:
        st.query_params[key] = value


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
    locality_names = explore.distinct_names(locality_table, "locality_id", "locality_name")
    hub_names = explore.distinct_names(hub_table, "hub_id", "hub_name")
    hub_locality = explore.lookup(hub_table, "hub_id", "locality_id")
    area_table = get(explore.areas)
    area_names = explore.lookup(area_table, "area_code", "area_name")
    area_locality = explore.lookup(area_table, "area_code", "locality_id")
    catchment_locality = catchment_localities()
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
        area = st.query_params.get("area")
        if area is not None and area_locality.get(area) not in grant.localities:
            auth.refuse(f"small area {area} is outside {', '.join(grant.localities)}")
        catchment = st.query_params.get("catchment")
        if catchment is not None and hub_locality.get(catchment) not in grant.localities:
            auth.refuse(f"catchment {catchment} is outside {', '.join(grant.localities)}")
        locality_names = {k: v for k, v in locality_names.items() if k in grant.localities}
        area_locality = {a: loc for a, loc in area_locality.items() if loc in grant.localities}
        area_names = {a: n for a, n in area_names.items() if a in area_locality}
        catchment_locality = {
            h: loc for h, loc in catchment_locality.items() if loc in grant.localities
        }
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
        st.session_state[URL_NOTICE] = _from_url(
            years,
            quarters,
            list(locality_names),
            hub_locality,
            area_locality,
            catchment_locality,
            _bounds(first_day, last_day),
        )
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
        for field in ("hub", "area", "catchment"):
            if field not in pending:
                continue
            if pending[field] is None:
                # Dropped, not set to None: a selectbox set to None shows "Choose an option"
                # instead of its first choice ("Whole locality", say).
                st.session_state.pop(f"flt_{field}", None)
            else:
                st.session_state[f"flt_{field}"] = pending[field]

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
                min_value=_bounds(first_day, last_day)[0],
                max_value=_bounds(first_day, last_day)[1],
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
        # Areas of the chosen locality; with none chosen, every area (choosing one chooses
        # its locality too), unless there are too many to send on every run. No widget for an
        # extract without small areas.
        area_options = [a for a in area_names if locality in (None, area_locality[a])]
        if locality is None and len(area_options) > AREAS_LISTED_AT_MOST:
            area_options = []
            st.caption(
                f"Small area: choose a locality to choose one of its small areas "
                f"({len(area_names):,} in all)."
            )
        if st.session_state.get("flt_area") not in (None, *area_options) or (
            # The locality was cleared while its area stood: the area goes with it.
            locality is None and st.session_state.get("flt_area") == st.session_state.get(_AREA)
        ):
            st.session_state.flt_area = None
        area = None
        if area_options:
            area = st.selectbox(
                "Small area",
                [None, *area_options],
                key="flt_area",
                format_func=lambda v: (
                    ("Whole locality" if locality else "All small areas")
                    if v is None
                    else area_names[v]
                    if locality
                    else f"{area_names[v]} ({locality_names.get(area_locality[v], '')})"
                ),
                help="Every page's measures follow the area (the families living in it); "
                "survey answers have no area. Click an area on the Demand page's map to "
                "choose it.",
            )
            st.session_state[_AREA] = area
            if area and locality is None:
                request_filter(locality=area_locality[area], area=area)
        # Hubs with a catchment in the chosen locality (all, with none chosen), as for hubs.
        catchment_options = [
            h for h in catchment_locality if locality in (None, catchment_locality[h])
        ]
        if st.session_state.get("flt_catchment") not in (None, *catchment_options):
            st.session_state.flt_catchment = None
        catchment = None
        if catchment_options:
            catchment = st.selectbox(
                "Hub catchment",
                [None, *catchment_options],
                key="flt_catchment",
                format_func=lambda v: "All catchments" if v is None else hub_names.get(v, v),
                help="The families living in the small areas a hub serves, whichever hub "
                "received them (that is the hub filter below).",
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
    params |= {
        k: v
        for k, v in (
            ("locality", locality),
            ("area", area),
            ("catchment", catchment),
            ("hub", hub),
            ("service", service),
        )
        if v
    }
    # Only the filter bar's own parameters: a page's widgets keep theirs (keep_in_url).
    if {k: v for k, v in st.query_params.items() if k in FILTER_PARAMS} != params:
        for name in FILTER_PARAMS:
            if name in params:
                st.query_params[name] = params[name]
            elif name in st.query_params:
                del st.query_params[name]
    place = (
        area_names.get(area)
        if area
        else f"{hub_names.get(catchment)} catchment"
        if catchment
        else hub_names.get(hub)
        if hub
        else locality_names.get(locality)
        if locality
        else None
    )
    scope = Scope(locality, hub, service, area, catchment)
    answering = hub_names.get(hub) if hub else locality_names.get(locality) if locality else None
    chosen = Filters(period, scope, first_day, last_day, place, answering)
    st.session_state[_STATE] = chosen
    return chosen
