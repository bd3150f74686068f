"""Demand: where requests come from, by locality, hub, source, age and decision."""

import streamlit as st

from ehts_data import charts, explore, formatting, metrics, periods, ui

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
event = ui.chart(
    charts.bar(
        by_hub.sort_values("value", ascending=False),
        "hub",
        "value",
        title="Requests by receiving hub or team",
        x_title="Requests",
        y_title="Hub or team",
        horizontal=True,
        customdata="group",
    ),
    by_hub.rename(columns={"hub": "Hub or team", "value": "Requests"})[["Hub or team", "Requests"]],
    "demand_by_hub",
    formats={"Requests": "count"},
    select=True,
)
ui.filter_on_click(event, "hub", "demand_by_hub", hub_names)

st.subheader("Monthly trend")
three_years = periods.custom(
    max(f.first_day, periods.financial_year(f.period.end.year - 3).start), f.period.end
)
monthly = ui.get(explore.requests_monthly, three_years, f.scope)
monthly["Locality"] = monthly["locality_id"].map(lambda g: names.get(g, g))
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
    monthly.rename(columns={"month": "Month", "requests": "Requests"})[
        ["Month", "Locality", "Requests"]
    ],
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
            df.rename(columns={"label": axis, "requests": "Requests"})[[axis, "Requests"]],
            f"demand_by_{dimension}",
            formats={"Requests": "count"},
        )
