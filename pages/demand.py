"""Demand: where requests come from, by locality, hub, catchment, small area, source, age
and decision; a chosen place set against the whole authority."""

import pandas as pd
import streamlit as st

from ehts_data import charts, explore, formatting, metrics, periods, stats, text, ui
from ehts_data.kinds import COUNT, DAYS, PER_10K, SHARE, Col

ui.page_header(
    "Demand",
    "Requests for support received in the period, by the family's locality of residence and "
    "the receiving hub. Click a locality, hub, catchment or small area (on a chart or the "
    "map) to filter the page to it; with a place chosen every chart also shows the whole "
    "authority.",
)
f = ui.filters()
hubs = ui.get(explore.hubs)
group_names = ui.get(explore.group_names)
names, hub_names = group_names["locality"], group_names["hub"]
whole = explore.authority(f.scope)
hub_locality = dict(zip(hubs.hub_id, hubs.locality_id, strict=True))
area_table = ui.get(explore.areas)
area_locality = dict(zip(area_table.area_code, area_table.locality_id, strict=True))
catchment_locality = ui.catchment_localities()
area_name = group_names["area"].get(f.area) if f.area else None
AUTHORITY = charts.AUTHORITY

# Every locality, the chosen one in colour: a locality is seen beside its neighbours. Where
# the data hold one locality only (a coordinator's), its hub catchments are compared instead.
rates = ui.get(metrics.compute, "requests_per_10k", f.period, "locality", whole)
one_locality = (rates["group"] != "unknown").sum() <= 1 and not area_table.empty
# Catchments are where families live: within the locality, whatever the hub filter.
compare_by, compare_scope = (
    ("catchment", metrics.Scope(f.scope.locality, None, f.scope.service))
    if one_locality
    else ("locality", whole)
)
compare_names = hub_names if one_locality else names
compare_title = "Hub catchment" if one_locality else "Locality"
if one_locality:
    rates = ui.get(metrics.compute, "requests_per_10k", f.period, "catchment", compare_scope)
counts = ui.get(metrics.compute, "requests", f.period, compare_by, compare_scope)
authority_rate = ui.get(metrics.compute, "requests_per_10k", f.period, "none", whole)
by_locality = counts[["group", "value"]].merge(
    rates[["group", "denominator", "value"]], on="group", suffixes=("_requests", "_rate")
)
by_locality["locality"] = by_locality["group"].map(
    lambda g: compare_names.get(g, formatting.label(g))
)
authority_row = pd.DataFrame(
    {
        "group": ["all"],
        "value_requests": [authority_rate["numerator"].iloc[0]],
        "denominator": [authority_rate["denominator"].iloc[0]],
        "value_rate": [authority_rate["value"].iloc[0]],
        "locality": [AUTHORITY],
    }
)
by_locality = ui.publish(
    pd.concat([by_locality, authority_row], ignore_index=True),
    {"value_requests": "count", "denominator": "public", "value_rate": "per_10k"},
)
# The authority's rate as published: every reference to it on this page reads this.
centre = by_locality.figure("value_rate", by_locality.frame["group"] == "all")
RATE = (
    Col(
        "locality",
        compare_title,
        axis="Hub catchment (where families live)" if one_locality else "Locality of residence",
    ),
    Col("value_requests", "Requests", COUNT),
    Col("denominator", "Children aged 0-19", COUNT),
    Col(
        "value_rate",
        "Requests per 10,000 children",
        PER_10K,
        axis="Requests per 10,000 children aged 0-19",
    ),
)
shown_localities = ui.publish(
    by_locality.frame[by_locality.frame["group"] != "all"],
    {"value_requests": "count", "denominator": "public", "value_rate": "per_10k"},
)
geo = ui.get(explore.locality_geojson)

PLACE_KINDS = {
    "requests": "count",
    "requests_year_before": "count",
    "population": "public",
    "rate": "per_10k",
    "lower": "per_10k",
    "upper": "per_10k",
    "rate_year_before": "per_10k",
    "change": "per_10k",
}
PLACE = (
    Col("requests", "Requests", COUNT),
    Col("population", "Children aged 0-19", COUNT),
    Col("rate", "Per 10,000", PER_10K, axis="per 10,000"),
    Col("rate_year_before", "Per 10,000 a year before", PER_10K),
    Col("change", "Change on a year before", PER_10K),
    Col("imd_decile", "Deprivation decile"),
)
SMALL_AREA = Col("Small area", "Small area")


def small_area_map() -> pd.DataFrame:
    """Every small area on a map, the chosen locality's in focus (its neighbours are
    context) and the authority's rate marked on the colour bar; with more areas than one
    map can carry, the chosen locality's only (none without a locality). The areas in the
    locality (all, with none chosen) come back for the table of the highest rates."""
    every_area = ui.get(explore.demand_by_place, "area", f.period, whole)
    every_area["Small area"] = every_area["group"].map(lambda g: group_names["area"].get(g, g))
    # A decile is a label, not a count: written as one
    every_area["imd_decile"] = every_area["imd_decile"].map(
        lambda d: "Unknown" if pd.isna(d) else f"Decile {int(d)}"
    )
    known = every_area[every_area["group"] != "unknown"]
    in_locality = (
        known
        if f.scope.locality is None
        else known[known["group"].map(area_locality) == f.scope.locality]
    )
    too_many = len(known) > charts.MAP_AREAS_AT_MOST
    if too_many and f.scope.locality is None:
        st.info(
            f"The authority has {len(known):,} small areas, too many to draw on one map: "
            "choose a locality (or click one on the map) to map its small areas."
        )
        return in_locality
    drawn = in_locality if too_many else known
    mapped = ui.publish(drawn.rename(columns={"group": "area_code"}), PLACE_KINDS)
    event = ui.chart(
        charts.locality_map(
            ui.get(explore.area_geojson),
            mapped,
            # One locality's map: its own hubs (others would float outside it).
            hubs[hubs["locality_id"] == f.scope.locality] if one_locality or too_many else hubs,
            title=f"Small areas of {names.get(f.scope.locality)}: requests per 10,000 children"
            if one_locality or too_many
            else "Small areas: requests per 10,000 children aged 0-19, with hubs (dark dots)"
            + (f" — {names.get(f.scope.locality)} and its neighbours" if f.scope.locality else ""),
            value=PLACE[2],
            label_col="Small area",
            key="area_code",
            focus=list(in_locality["group"]),
            # The chosen area, else the chosen catchment's areas.
            highlight=f.area or list(area_table.area_code[area_table.hub_id == f.scope.catchment]),
            outline=explore.features(geo, "locality_id", f.scope.locality),
            reference=centre if f.place_chosen else None,
        ),
        mapped,
        "demand_area_map",
        sources=("requests_per_10k",),
        columns=(SMALL_AREA, *PLACE),
        caption="Click an area to choose it, or a hub to choose its catchment (outlined). "
        + (
            f"The colours run over {text.for_markdown(f.place_name)}'s areas and the whole "
            "authority's rate (marked on the colour bar)."
            if one_locality
            else f"Only {text.for_markdown(names.get(f.scope.locality))}'s areas are drawn: the "
            f"authority has {len(known):,}, too many for one map."
            if too_many
            else "One colour scale for the whole authority, so a colour means the same rate "
            "everywhere."
        ),
        select=True,
    )
    ui.filter_on_map_click(
        event, "demand_area_map", "area", area_locality, hub_locality, catchment_locality
    )
    return in_locality


left, right = st.columns(2)
with left:
    event = ui.chart(
        charts.bar(
            shown_localities,
            RATE[0],
            RATE[3],
            title="Requests per 10,000 children aged 0-19, by "
            + ("catchment" if one_locality else "locality"),
            # A catchment's name is long: catchments are rows, localities columns.
            horizontal=one_locality,
            customdata="group",
            reference=centre,
            highlight=None if one_locality else names.get(f.scope.locality),
        ),
        by_locality,
        "demand_rate_by_locality",
        sources=("requests_per_10k",),
        columns=RATE,
        select=True,
    )
    if one_locality:
        ui.filter_on_click(event, "catchment", "demand_rate_by_locality", hub_locality)
    else:
        ui.filter_on_click(event, "locality", "demand_rate_by_locality", names)
with right:
    if one_locality:
        in_locality = small_area_map()
    else:
        areas = shown_localities.rename(columns={"group": "locality_id"})
        event = ui.chart(
            charts.locality_map(
                geo,
                areas,
                hubs,
                title="Map: requests per 10,000 children aged 0-19, with hubs",
                value="value_rate",
                value_title="per 10,000",
                label_col="locality",
                highlight=f.scope.locality,
                reference=centre if f.place_chosen else None,
            ),
            by_locality,
            "demand_map",
            sources=("requests_per_10k",),
            columns=RATE,
            select=True,
        )
        ui.filter_on_map_click(
            event, "demand_map", "locality", names, hub_locality, catchment_locality
        )

# With a place chosen, the share of its requests each hub received beside the authority's
# share (a tick); else the counts.
by_hub, hub_shares = ui.request_mix("hub", lambda g: hub_names.get(g, formatting.label(g)))
MIX = (
    Col("requests", "Requests", COUNT),
    Col("share", "Share", SHARE, axis="Share of requests (%)"),
)
mix = MIX[1] if f.place_chosen else MIX[0]
hub = Col("label", "Hub or team")
event = ui.chart(
    charts.bar(
        by_hub,
        hub,
        mix,
        title="Requests by receiving hub or team"
        + (f": share of {f.place_name}'s requests" if f.place_chosen else ""),
        horizontal=True,
        customdata="category",
        reference=hub_shares,
    ),
    by_hub,
    "demand_by_hub",
    sources=("requests_by_dimension",),
    columns=(hub, *MIX),
    select=True,
)
ui.filter_on_click(event, "hub", "demand_by_hub", hub_locality)

if not area_table.empty:
    st.subheader("Hub catchments and small areas")
    st.markdown(
        "Where families live: each hub's catchment (the small areas it serves) and each small "
        "area, as requests per 10,000 children aged 0-19 living there, with 95% intervals, "
        "against the whole authority's rate and the same period a year before. Where families "
        "live does not depend on the hub that received them: with a hub chosen, its catchment "
        "is ringed. Click a catchment or an area to choose it (the families living there)."
    )
    # Places are where families live: within the locality, whatever the hub filter.
    place_scope = metrics.Scope(f.scope.locality, None, f.scope.service)
    locality_rate = None
    if f.scope.locality:
        mine = ui.get(metrics.compute, "requests_per_10k", f.period, "none", place_scope)
        locality_rate = (
            names.get(f.scope.locality, f.scope.locality),
            ui.published_value(mine, "per_10k"),
        )
    chosen_catchment = ui.chosen_catchment()
    left, right = st.columns(2)
    with left:
        catchments = ui.get(explore.demand_by_place, "catchment", f.period, place_scope)
        catchments["Catchment"] = catchments["group"].map(
            lambda g: hub_names.get(g, formatting.label(g))
        )
        catchments = ui.publish(catchments, PLACE_KINDS)
        event = ui.chart(
            charts.intervals(
                catchments,
                Col("Catchment", "Catchment", axis="Hub catchment"),
                Col(
                    "rate",
                    "Per 10,000",
                    PER_10K,
                    axis="Per 10,000 children aged 0-19 (95% interval)",
                ),
                "lower",
                "upper",
                title="Requests per 10,000 children aged 0-19, by hub catchment",
                reference=centre,
                place_reference=locality_rate,
                highlight=hub_names.get(chosen_catchment),
                customdata="group",
            ),
            catchments,
            "demand_catchments",
            sources=("requests_per_10k",),
            columns=(Col("Catchment", "Catchment"), *PLACE[:5]),
            select=True,
        )
        ui.filter_on_click(event, "catchment", "demand_catchments", hub_locality)
    with right:
        by_area = ui.get(metrics.compute, "requests_per_10k", f.period, "area", place_scope)
        # As on the map: more areas than one chart can carry are plotted a locality at a time.
        areas_in_all = int((by_area["group"] != "unknown").sum())
        if f.scope.locality is None and areas_in_all > charts.MAP_AREAS_AT_MOST:
            st.info(
                f"The authority has {areas_in_all:,} small areas, too many for one funnel "
                "plot: choose a locality to plot its small areas."
            )
        else:
            plot = stats.funnel(by_area, "requests_per_10k", centre, "per_10k")
            points = plot["points"].assign(
                name=plot["points"]["group"].map(lambda g: group_names["area"].get(g, g))
            )
            points = ui.publish(
                points[["group", "name", "numerator", "denominator", "value", "position"]],
                {"numerator": "count", "denominator": "public", "value": "per_10k"},
            ).derived(["position"], "value")
            event = ui.chart(
                charts.funnel(
                    points,
                    plot["limits"],
                    centre,
                    title="Small areas against the whole authority (funnel plot)",
                    x_title="Children aged 0-19 living in the area",
                    y_title="Requests per 10,000 children aged 0-19",
                    kind=PER_10K,
                    customdata="group",
                    highlight=area_name,
                ),
                points,
                "demand_area_funnel",
                sources=("requests_per_10k",),
                columns=(
                    Col("name", "Small area"),
                    Col("numerator", "Requests", COUNT),
                    Col("denominator", "Children aged 0-19", COUNT),
                    Col("value", "Per 10,000", PER_10K),
                    Col("position", "Against the authority"),
                ),
                caption="Areas outside the dashed (95%) or dotted (99.8%) limits differ from the "
                "whole authority by more than chance would explain for an area of that size.",
                select=True,
            )
            ui.filter_on_click(event, "area", "demand_area_funnel", area_locality)
    if not one_locality:
        in_locality = small_area_map()
    # The locality's (or the authority's) top ten, then the locality and the authority.
    top = in_locality.sort_values("rate", ascending=False).head(10)
    references = [
        *(
            [
                ui.get(explore.demand_by_place, "none", f.period, place_scope).assign(
                    **{"Small area": names.get(f.scope.locality)}
                )
            ]
            if f.scope.locality
            else []
        ),
        # The authority's published total (a coordinator's queries reach their locality only).
        by_locality.frame[by_locality.frame["group"] == "all"].rename(
            columns={
                "value_requests": "requests",
                "denominator": "population",
                "value_rate": "rate",
                "locality": "Small area",
            }
        ),
    ]
    top = ui.publish(
        pd.concat([top, *references], ignore_index=True).drop(columns="group"), PLACE_KINDS
    )
    st.markdown(
        "**Small areas with the highest rates** (the ten highest in the filter), then "
        + (f"{text.for_markdown(names.get(f.scope.locality))} and " if f.scope.locality else "")
        + "the whole authority"
    )
    ui.table(top, columns=(SMALL_AREA, *PLACE))

    # Each catchment quarter by quarter (each locality, with none chosen) against the authority.
    trend_by = "catchment" if f.scope.locality else "locality"
    last_quarter = periods.quarters_between(f.period.start, f.period.end)[-1]
    first_quarter = last_quarter.previous().previous().previous()
    trend = ui.get(
        explore.place_rate_by_quarter, trend_by, first_quarter, last_quarter, place_scope
    )
    trend = trend[trend["group"] != "unknown"]
    trend["Where"] = trend["group"].map(lambda g: group_names[trend_by].get(g, g))
    trend = ui.publish(
        trend[["Where", "quarter", "requests", "population", "rate", "rate_year_before", "change"]],
        {k: v for k, v in PLACE_KINDS.items() if k in trend.columns},
    )
    authority_trend = ui.whole_authority(
        explore.place_rate_by_quarter, "none", first_quarter, last_quarter
    )
    if authority_trend is not None:
        authority_trend = ui.publish(authority_trend[["quarter", "rate"]], {"rate": "per_10k"})
    where = "Hub catchment" if trend_by == "catchment" else "Locality"
    TREND = (
        Col("Where", where),
        Col("quarter", "Quarter", axis="Financial quarter"),
        *PLACE[:2],
        Col("rate", "Per 10,000", PER_10K, axis="Requests per 10,000 children aged 0-19"),
        Col("rate_year_before", "Per 10,000 in the same quarter a year before", PER_10K),
        Col("change", "Change on the same quarter a year before", PER_10K),
    )
    ui.chart(
        charts.line(
            trend,
            TREND[1],
            TREND[4],
            title=f"Requests per 10,000 children aged 0-19 by quarter, by {where.lower()}",
            color="Where",
            value_format=",.1f",
            reference=authority_trend,
        ),
        trend,
        "demand_place_trend",
        sources=("requests_per_10k",),
        columns=TREND,
        caption="A quarter's rate is its requests per 10,000 children (not annualised); the "
        "table gives the same quarter a year before and the change on it.",
    )

st.subheader("From request to support, and caseload")
left, right = st.columns(2)
WAIT_KINDS = {
    "episodes": "denominator",
    "within_28_days": "count",
    "share_within_28_days": "share",
    "median_days": "days",
}
with left:
    wait_by = "catchment" if not area_table.empty else "hub"
    waits = ui.get(explore.request_to_start, wait_by, f.period, f.scope)
    waits["Where"] = waits["group"].map(lambda g: hub_names.get(g, formatting.label(g)))
    waits = ui.publish(waits[["Where", *WAIT_KINDS]], WAIT_KINDS)
    authority_wait = ui.whole_authority(explore.request_to_start, "none", f.period)
    if authority_wait is not None:
        authority_wait = ui.publish(authority_wait[list(WAIT_KINDS)], WAIT_KINDS)
    WAITS = (
        Col("Where", "Where", axis="Hub catchment" if wait_by == "catchment" else "Hub or team"),
        Col("episodes", "Episodes from a request", COUNT),
        Col("within_28_days", "Started within 4 weeks", COUNT),
        Col("share_within_28_days", "Share within 4 weeks", SHARE),
        Col(
            "median_days",
            "Median days",
            DAYS,
            axis="Median days, request received to episode start",
        ),
    )
    ui.chart(
        charts.bar(
            waits,
            WAITS[0],
            WAITS[4],
            title="Days from request to support, by "
            + ("catchment" if wait_by == "catchment" else "lead hub"),
            horizontal=True,
            reference=None if authority_wait is None else authority_wait.figure("median_days"),
        ),
        waits,
        "demand_request_to_start",
        columns=WAITS,
        caption="Episodes started in the period that came from a request (transfers and "
        "episodes recorded as starting before their request left out). Dashed line: the whole "
        "authority's median.",
    )
with right:
    caseload = ui.get(explore.caseload_monthly, f.period, f.scope)
    caseload["Hub or team"] = caseload["hub_id"].map(lambda g: hub_names.get(g, g))
    caseload["Month end"] = caseload["month_end"].dt.strftime("%b %Y")
    caseload = ui.publish(
        caseload[["Month end", "Hub or team", "open_episodes"]],
        {"open_episodes": "count"},
        lines=["Month end"],
    )
    per_hub = ui.authority(explore.caseload_per_hub, f.period)
    if per_hub is not None:
        per_hub["Month end"] = per_hub["month_end"].dt.strftime("%b %Y")
        per_hub = ui.publish(
            per_hub[["Month end", "open_episodes", "hubs", "per_hub"]].rename(
                columns={"open_episodes": "all_open", "per_hub": "open_episodes"}
            ),
            {"all_open": "count", "hubs": "public", "open_episodes": "summary"},
        )
    CASELOAD = (
        Col("Month end", "Month end", axis=""),
        Col("Hub or team", "Hub or team"),
        Col("open_episodes", "Open episodes", COUNT),
    )
    ui.chart(
        charts.line(
            caseload,
            CASELOAD[0],
            CASELOAD[2],
            title="Caseload: open episodes at month end, by hub",
            color="Hub or team",
            reference=per_hub,
            reference_label=f"{charts.AUTHORITY}, average per hub",
        ),
        caseload,
        "demand_caseload",
        columns=CASELOAD,
    )

st.subheader("Monthly trend")
three_years = periods.custom(
    max(f.first_day, periods.financial_year(f.period.end.year - 3).start), f.period.end
)
monthly = ui.get(explore.requests_monthly, three_years, f.scope)
monthly["Locality"] = monthly["locality_id"].map(lambda g: names.get(g, g))
if f.area:
    monthly["Locality"] = area_name
# Months and localities both have totals a reader could know: lines both ways.
monthly = ui.publish(monthly, {"requests": "count"}, lines=["Locality", "month"])
per = "area" if f.area else "locality"
average = ui.authority(explore.requests_monthly_per_place, three_years, per=per)
if average is not None:
    average = ui.publish(average, {"requests": "summary"})
MONTHLY = (
    Col("month", "Month", axis="Month received"),
    Col("Locality", "Locality"),
    Col("requests", "Requests", COUNT, axis="Requests per month"),
)
ui.chart(
    charts.line(
        monthly,
        MONTHLY[0],
        MONTHLY[2],
        title="Requests received each month, by locality (up to three years)"
        if not f.area
        else f"Requests received each month from {area_name} (up to three years)",
        color="Locality",
        reference=average,
        reference_label=f"{charts.AUTHORITY}, average per {'small area' if f.area else 'locality'}",
    ),
    monthly,
    "demand_monthly",
    sources=("requests_monthly",),
    columns=MONTHLY,
)

if f.place_chosen:
    st.markdown(
        "Below, as for hubs above, each bar is a share of the requests from "
        f"{text.for_markdown(f.place_name)}; "
        "the black tick is the same share for the whole authority."
    )
cols = st.columns(3)
for col, (dimension, title, axis) in zip(
    cols,
    [
        ("source", "Requests by source", "Source of request"),
        ("age_band", "Requests by age of child", "Age band at request"),
        ("decision", "Requests by decision", "Decision"),
    ],
    strict=True,
):
    with col:
        df, authority_mix = ui.request_mix(dimension, formatting.label)
        category = Col("label", axis)
        ui.chart(
            charts.bar(
                df,
                category,
                mix,
                title=title + (" (share)" if f.place_chosen else ""),
                horizontal=True,
                reference=authority_mix,
            ),
            df,
            f"demand_by_{dimension}",
            sources=("requests_by_dimension",),
            columns=(category, *MIX),
        )
