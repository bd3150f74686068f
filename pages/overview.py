"""Overview: the headline figures for the period, with the change on the period before."""

import streamlit as st

from ehts_data import charts, explore, formatting, metrics, ui

ui.page_header(
    "Overview",
    "Headline figures for early help and targeted support. Requests count requests; episodes "
    "count children's episodes of support; rates per 10,000 use resident children aged 0-19.",
)
f = ui.filters()
heads = ui.get(explore.headlines, f.period, f.scope)
tiles = []
for row in heads.itertuples():
    metric = metrics.REGISTRY[row.metric]
    tiles.append(
        {
            "title": metric.title,
            "value": formatting.headline(row.metric, row.value),
            "delta": formatting.change(metric.kind, row.value, row.previous_value),
            "polarity": metric.polarity,
            "help": f"{metric.description} Change against {row.previous_period}.",
        }
    )
ui.tiles(tiles)

st.subheader("Requests for support by quarter")
trend = ui.get(explore.metric_by_quarter, "requests", f.period.previous(), f.period, f.scope)
ui.chart(
    charts.bar(
        trend,
        "quarter",
        "value",
        title="Requests received per quarter (this period and the one before)",
        x_title="Financial quarter",
        y_title="Requests",
    ),
    trend[["quarter", "value"]].rename(columns={"quarter": "Quarter", "value": "Requests"}),
    "overview_requests_by_quarter",
    formats={"Requests": "count"},
)
