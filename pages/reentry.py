"""Re-entry and re-referral within 12 months, by locality, hub and quarter."""

import streamlit as st

from ehts_data import charts, explore, formatting, metrics, ui

ui.page_header(
    "Re-entry and re-referral",
    "Two different rules. **Re-referral**: a request whose child had another request in the 12 "
    "months before it (referral to referral, the DfE Children in Need rule). **Re-entry**: an "
    "episode whose child had another episode *close* in the 12 months before it started "
    "(closure to start). Both count children's requests or episodes, not families.",
)
f = ui.filters()
names = ui.get(explore.group_names)
RULES = {
    "re_entry_12m_rate": ("Re-entry within 12 months (closure to start)", "episodes started"),
    "re_referral_12m_rate": ("Re-referral within 12 months (referral to referral)", "requests"),
}
SHARE_FORMATS = {"Share": "share", "Count": "count", "Out of": "count"}
SHARE_COLUMNS = {"numerator": "Count", "denominator": "Out of", "value": "Share"}

for by, axis in (("locality", "Locality of residence"), ("hub", "Lead or receiving hub")):
    for col, (metric_id, (rule, counted)) in zip(st.columns(2), RULES.items(), strict=True):
        with col:
            df = ui.get(metrics.compute, metric_id, f.period, by, f.scope)
            df[axis] = df["group"].map(lambda g, n=names[by]: n.get(g, formatting.label(g)))
            ui.chart(
                charts.bar(
                    df,
                    axis,
                    "value",
                    title=f"{rule}, by {by}",
                    x_title=f"Share of {counted} (%)",
                    y_title=axis,
                    horizontal=True,
                    value_format=".0%",
                ),
                df.rename(columns=SHARE_COLUMNS)[[axis, "Count", "Out of", "Share"]],
                f"reentry_{metric_id}_{by}",
                formats=SHARE_FORMATS,
            )

st.subheader("Trend by quarter")
trend = ui.get(
    explore.metric_by_quarter, tuple(RULES), f.period.previous().previous(), f.period, f.scope
)
trend["Rule"] = trend["metric"].map(lambda m: RULES[m][0])
ui.chart(
    charts.line(
        trend,
        "quarter",
        "value",
        title="Re-entry and re-referral within 12 months, by quarter",
        x_title="Financial quarter",
        y_title="Share (%)",
        color="Rule",
        value_format=".0%",
    ),
    trend.rename(columns={**SHARE_COLUMNS, "quarter": "Quarter"})[
        ["Rule", "Quarter", "Count", "Out of", "Share"]
    ],
    "reentry_trend",
    formats=SHARE_FORMATS,
)

st.subheader("How the previous episode closed")
prev = ui.get(explore.re_entry_by_previous_closure, f.period, f.scope)
prev["Previous closure"] = prev["previous_closure_reason"].map(formatting.label)
ui.chart(
    charts.bar(
        prev,
        "Previous closure",
        "share",
        title="Share of episodes that are re-entries, by how the previous episode closed",
        x_title="Re-entries within 12 months as a share of episodes started (%)",
        y_title="Previous episode's closure",
        horizontal=True,
        value_format=".0%",
    ),
    prev.rename(columns={"episodes": "Out of", "re_entries": "Count", "share": "Share"})[
        ["Previous closure", "Count", "Out of", "Share"]
    ],
    "reentry_previous_closure",
    formats=SHARE_FORMATS,
    caption="'No earlier episode' are first episodes, so never re-entries. A re-entry is counted "
    "when the previous episode closed no more than 12 months before the new one started.",
)
