"""Overview: the headline figures for the period, with the change on the period before."""

import streamlit as st

from ehts_data import charts, explore, formatting, metrics, scorecard, ui
from ehts_data.kinds import COUNT, Col

ui.page_header(
    "Overview",
    "Headline figures for early help and targeted support. Requests count requests; episodes "
    "count children's episodes of support; rates per 10,000 use resident children aged 0-19.",
)
f = ui.filters()
heads = ui.get(explore.headlines, f.period, f.scope)
try:  # the board's judgement of better and worse, so both pages read a change alike
    polarities = scorecard.polarities(scorecard.load())
except scorecard.RegistryError:
    polarities = {}
# With a place chosen, each tile carries the whole authority's value (a coordinator reads it
# as a metric total, small numbers withheld: access.bind).
whole = {}
for metric_id in heads["metric"] if f.place_chosen else []:
    found = ui.authority(metrics.compute, metric_id, f.period, "none")
    if found is not None and not found.empty:
        whole[metric_id] = found.iloc[0]
ui.tiles(formatting.headline_tiles(heads, ui.threshold(), polarities, whole), columns=3)
ui.filters_not_applied({m: metrics.REGISTRY[m].title for m in heads["metric"]})

st.subheader("Requests for support by quarter")
trend = ui.get(explore.metric_by_quarter, "requests", f.period.previous(), f.period, f.scope)
# Each period's quarters add up to a tile (this period's, or the last one's change).
trend["period"] = trend["quarter_start"].map(lambda d: "this" if d >= f.period.start else "before")
trend = ui.publish(trend[["quarter", "period", "value"]], {"value": "count"}, lines=["period"])
if not (trend.frame["value"].fillna(0) > 0).any():
    st.info("No requests in this period or the one before: nothing to chart.")
    st.stop()
# With a place chosen, the authority's average locality (average small area, with an area
# chosen) in each quarter.
per = "area" if f.area else "locality"
average = ui.authority(
    explore.requests_by_quarter_per_place, f.period.previous(), f.period, per=per
)
if average is not None:
    average = ui.publish(average[["quarter", "value"]], {"value": "summary"})
QUARTERS = (Col("quarter", "Quarter", axis="Financial quarter"), Col("value", "Requests", COUNT))
ui.chart(
    charts.bar(
        trend,
        *QUARTERS,
        title="Requests received per quarter (this period and the one before)",
        reference=average,
        reference_label=f"{charts.AUTHORITY}, average per {'small area' if f.area else 'locality'}",
    ),
    trend,
    "overview_requests_by_quarter",
    sources=("requests",),
    columns=QUARTERS,
)
