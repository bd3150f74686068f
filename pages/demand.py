"""Demand: where requests come from, by locality, hub, source, age and decision."""

import pandas as pd
import streamlit as st

from ehts_data import charts, explore, formatting, metrics, periods, stats, ui

ui.page_header(
    "Demand",
    "Requests for support received in the period, by the family's locality of residence and "
    "the receiving hub. Click a locality or hub bar to filter the page to it.",
)
f = ui.filters()
hubs = ui.get(explore.hubs)
group_names = ui.get(explore.group_names)
names, hub_names = group_names["locality"], group_names["hub"]

counts = ui.get(metrics.compute, "requests", f.period, "locality", f.scope)
rates = ui.get(metrics.compute, "requests_per_10k", f.period, "locality", f.scope)
by_locality = counts[["group", "value"]].merge(
    rates[["group", "denominator", "value"]], on="group", suffixes=("_requests", "_rate")
)
by_locality["locality"] = by_locality["group"].map(lambda g: names.get(g, formatting.label(g)))
by_locality = ui.publish(
    by_locality,
    {"value_requests": "count", "denominator": "public", "value_rate": "per_10k"},
)
table = by_locality.rename(
    columns={
        "locality": "Locality",
        "value_requests": "Requests",
        "denominator": "Children aged 0-19",
        "value_rate": "Requests per 10,000 children",
    }
)[["Locality", "Requests", "Children aged 0-19", "Requests per 10,000 children"]]

left, right = st.columns(2)
with left:
    event = ui.chart(
        charts.bar(
            by_locality,
            "locality",
            "value_rate",
            title="Requests per 10,000 children aged 0-19, by locality",
            x_title="Locality of residence",
            y_title="Requests per 10,000 children aged 0-19",
            customdata="group",
        ),
        table,
        "demand_rate_by_locality",
        formats={
            "Requests": "count",
            "Children aged 0-19": "count",
            "Requests per 10,000 children": "per_10k",
        },
        select=True,
    )
    ui.filter_on_click(event, "locality", "demand_rate_by_locality", names)
with right:
    geo = ui.get(explore.locality_geojson)
    areas = by_locality.rename(columns={"group": "locality_id"})
    ui.chart(
        charts.locality_map(
            geo,
            areas,
            hubs,
            title="Map: requests per 10,000 children aged 0-19, with hubs",
            value="value_rate",
            value_title="per 10,000",
            label_col="locality",
        ),
        table,
        "demand_map",
        formats={
            "Requests": "count",
            "Children aged 0-19": "count",
            "Requests per 10,000 children": "per_10k",
        },
    )

by_hub = ui.get(metrics.compute, "requests", f.period, "hub", f.scope)
by_hub["hub"] = by_hub["group"].map(lambda g: hub_names.get(g, formatting.label(g)))
by_hub = ui.publish(
    by_hub.sort_values("value", ascending=False)[["group", "hub", "value"]], {"value": "count"}
)
event = ui.chart(
    charts.bar(
        by_hub,
        "hub",
        "value",
        title="Requests by receiving hub or team",
        x_title="Requests",
        y_title="Hub or team",
        horizontal=True,
        customdata="group",
    ),
    by_hub.rename({"hub": "Hub or team", "value": "Requests"})[["Hub or team", "Requests"]],
    "demand_by_hub",
    formats={"Requests": "count"},
    select=True,
)
ui.filter_on_click(event, "hub", "demand_by_hub", hub_names)

if not ui.get(explore.areas).empty:
    st.subheader("Hub catchments and small areas")
    st.markdown(
        "Where families live: each hub's catchment (the small areas it serves) and each small "
        "area, as requests per 10,000 children aged 0-19 living there, with 95% intervals, "
        "against the whole authority's rate (dashed line) and the same period a year before."
    )
    authority = ui.get(metrics.compute, "requests_per_10k", f.period, "none", metrics.ALL)
    centre = authority["value"].iloc[0]
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
    PLACE_COLUMNS = {
        "requests": "Requests",
        "population": "Children aged 0-19",
        "rate": "Per 10,000",
        "rate_year_before": "Per 10,000 a year before",
        "change": "Change on a year before",
        "imd_decile": "Deprivation decile",
    }
    PLACE_FORMATS = {
        "Requests": "count",
        "Children aged 0-19": "count",
        "Per 10,000": "per_10k",
        "Per 10,000 a year before": "per_10k",
        "Change on a year before": "per_10k",
    }
    left, right = st.columns(2)
    with left:
        catchments = ui.get(explore.demand_by_place, "catchment", f.period, f.scope)
        catchments["Catchment"] = catchments["group"].map(
            lambda g: hub_names.get(g, formatting.label(g))
        )
        catchments = ui.publish(catchments.drop(columns="group"), PLACE_KINDS)
        ui.chart(
            charts.intervals(
                catchments,
                "Catchment",
                "rate",
                "lower",
                "upper",
                title="Requests per 10,000 children aged 0-19, by hub catchment",
                x_title="Per 10,000 children aged 0-19 (95% interval)",
                y_title="Hub catchment",
                reference=centre,
                reference_label="Whole authority",
            ),
            catchments.rename(PLACE_COLUMNS)[["Catchment", *list(PLACE_COLUMNS.values())[:5]]],
            "demand_catchments",
            formats=PLACE_FORMATS,
        )
    with right:
        by_area = ui.get(metrics.compute, "requests_per_10k", f.period, "area", f.scope)
        plot = stats.funnel(by_area, "requests_per_10k", centre, "per_10k")
        points = plot["points"].assign(
            name=plot["points"]["group"].map(lambda g: group_names["area"].get(g, g))
        )
        points = ui.publish(
            points[["name", "numerator", "denominator", "value", "position"]],
            {"numerator": "count", "denominator": "public", "value": "per_10k"},
        )
        ui.chart(
            charts.funnel(
                points,
                plot["limits"],
                centre,
                title="Small areas against the whole authority (funnel plot)",
                x_title="Children aged 0-19 living in the area",
                y_title="Requests per 10,000 children aged 0-19",
                kind="per_10k",
            ),
            points.rename(
                {
                    "name": "Small area",
                    "numerator": "Requests",
                    "denominator": "Children aged 0-19",
                    "value": "Per 10,000",
                    "position": "Against the authority",
                }
            ),
            "demand_area_funnel",
            formats={"Requests": "count", "Children aged 0-19": "count", "Per 10,000": "per_10k"},
            caption="Areas outside the dashed (95%) or dotted (99.8%) limits differ from the "
            "whole authority by more than chance would explain for an area of that size.",
        )
    areas_now = ui.get(explore.demand_by_place, "area", f.period, f.scope)
    areas_now["Small area"] = areas_now["group"].map(lambda g: group_names["area"].get(g, g))
    # A decile is a label, not a count: written as one
    areas_now["imd_decile"] = areas_now["imd_decile"].map(
        lambda d: "Unknown" if pd.isna(d) else f"Decile {int(d)}"
    )
    mapped = ui.publish(
        areas_now[areas_now["group"] != "unknown"].rename(columns={"group": "area_code"}),
        PLACE_KINDS,
    )
    located_hubs = hubs if f.scope.locality is None else hubs[hubs.locality_id == f.scope.locality]
    ui.chart(
        charts.locality_map(
            ui.get(explore.area_geojson),
            mapped,
            located_hubs,
            title="Small areas: requests per 10,000 children aged 0-19, with hubs (white dots)",
            value="rate",
            value_title="per 10,000",
            label_col="Small area",
            key="area_code",
        ),
        mapped.rename(PLACE_COLUMNS)[["Small area", *PLACE_COLUMNS.values()]],
        "demand_area_map",
        formats=PLACE_FORMATS,
    )
    top = areas_now[areas_now["group"] != "unknown"].sort_values("rate", ascending=False)
    top = ui.publish(top.drop(columns="group").head(10), PLACE_KINDS)
    st.markdown("**Small areas with the highest rates** (the ten highest in the filter)")
    ui.table(top.rename(PLACE_COLUMNS)[["Small area", *PLACE_COLUMNS.values()]], PLACE_FORMATS)

st.subheader("From request to support, and caseload")
left, right = st.columns(2)
with left:
    wait_by = "catchment" if not ui.get(explore.areas).empty else "hub"
    waits = ui.get(explore.request_to_start, wait_by, f.period, f.scope)
    waits["Where"] = waits["group"].map(lambda g: hub_names.get(g, formatting.label(g)))
    waits = ui.publish(
        waits[["Where", "episodes", "within_28_days", "share_within_28_days", "median_days"]],
        {
            "episodes": "denominator",
            "within_28_days": "count",
            "share_within_28_days": "share",
            "median_days": "days",
        },
    )
    ui.chart(
        charts.bar(
            waits,
            "Where",
            "median_days",
            title="Days from request to support, by "
            + ("catchment" if wait_by == "catchment" else "lead hub"),
            x_title="Median days, request received to episode start",
            y_title="Hub catchment" if wait_by == "catchment" else "Hub or team",
            horizontal=True,
        ),
        waits.rename(
            {
                "episodes": "Episodes from a request",
                "within_28_days": "Started within 4 weeks",
                "share_within_28_days": "Share within 4 weeks",
                "median_days": "Median days",
            }
        ),
        "demand_request_to_start",
        formats={
            "Episodes from a request": "count",
            "Started within 4 weeks": "count",
            "Share within 4 weeks": "share",
            "Median days": "days",
        },
        caption="Episodes started in the period that came from a request (transfers and "
        "episodes recorded as starting before their request left out).",
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
    ui.chart(
        charts.line(
            caseload,
            "Month end",
            "open_episodes",
            title="Caseload: open episodes at month end, by hub",
            x_title="",
            y_title="Open episodes",
            color="Hub or team",
        ),
        caseload.rename({"open_episodes": "Open episodes"}),
        "demand_caseload",
        formats={"Open episodes": "count"},
    )

st.subheader("Monthly trend")
three_years = periods.custom(
    max(f.first_day, periods.financial_year(f.period.end.year - 3).start), f.period.end
)
monthly = ui.get(explore.requests_monthly, three_years, f.scope)
monthly["Locality"] = monthly["locality_id"].map(lambda g: names.get(g, g))
# Months and localities both have totals a reader could know: lines both ways.
monthly = ui.publish(monthly, {"requests": "count"}, lines=["Locality", "month"])
ui.chart(
    charts.line(
        monthly,
        "month",
        "requests",
        title="Requests received each month, by locality (up to three years)",
        x_title="Month received",
        y_title="Requests per month",
        color="Locality",
    ),
    monthly.rename({"month": "Month", "requests": "Requests"})[["Month", "Locality", "Requests"]],
    "demand_monthly",
    formats={"Requests": "count"},
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
        df = ui.get(explore.requests_by, dimension, f.period, f.scope)
        df["label"] = df["category"].map(formatting.label)
        if dimension == "age_band":
            order = ["unborn", "under_1", "1_4", "5_9", "10_15", "16_plus"]
            df = df.set_index("category").reindex(order).dropna().reset_index()
        df = ui.publish(df, {"requests": "count"})
        ui.chart(
            charts.bar(
                df,
                "label",
                "requests",
                title=title,
                x_title="Requests",
                y_title=axis,
                horizontal=True,
            ),
            df.rename({"label": axis, "requests": "Requests"})[[axis, "Requests"]],
            f"demand_by_{dimension}",
            formats={"Requests": "count"},
        )
