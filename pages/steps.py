"""Step-up and step-down: the flow between early help and children's social care."""

import streamlit as st

from ehts_data import charts, explore, formatting, metrics, ui

ui.page_header(
    "Step-up and step-down",
    "**Step-down**: an episode that starts as a step-down from children's social care (share of "
    "episodes started). **Step-up**: an episode closed as a step-up to social care (share of "
    "episodes closed). Transfers between early help and targeted support are left out of both.",
)
f = ui.filters()
names = ui.get(explore.group_names)
RATES = {
    "step_down_rate": ("Step-down share of episodes started", "episodes started"),
    "step_up_rate": ("Step-up share of episodes closed", "episodes closed"),
}
SHARE_FORMATS = {"Share": "share", "Count": "count", "Out of": "count"}
SHARE_COLUMNS = {"numerator": "Count", "denominator": "Out of", "value": "Share"}

flow = ui.get(explore.episode_flow, f.period, f.scope)
flow["from"] = flow["source"].map(formatting.label)
flow["to"] = flow["target"].map(formatting.label)
# Stage 2 node names are suffixed so a service is one node whether it is a target or a source.
flow.loc[flow.stage == 1, "to"] = flow.loc[flow.stage == 1, "to"].map(lambda t: f"{t} (episode)")
flow.loc[flow.stage == 2, "from"] = flow.loc[flow.stage == 2, "from"].map(
    lambda t: f"{t} (episode)"
)
ui.chart(
    charts.sankey(
        flow,
        title="From request decision to episode to closure (requests and step-downs in the period)",
        source="from",
        target="to",
        value="children",
    ),
    flow.rename(columns={"from": "From", "to": "To", "children": "Requests or episodes"})[
        ["From", "To", "Requests or episodes"]
    ],
    "steps_flow",
    formats={"Requests or episodes": "count"},
    caption="Left: decisions on requests received in the period, and step-downs from social care "
    "that started in it. Middle: the episode each led to. Right: how it closed, or still open.",
)

for by, axis in (("locality", "Locality of residence"), ("hub", "Lead hub or team")):
    for col, (metric_id, (title, counted)) in zip(st.columns(2), RATES.items(), strict=True):
        with col:
            df = ui.get(metrics.compute, metric_id, f.period, by, f.scope)
            df[axis] = df["group"].map(lambda g, n=names[by]: n.get(g, formatting.label(g)))
            ui.chart(
                charts.bar(
                    df,
                    axis,
                    "value",
                    title=f"{title}, by {by}",
                    x_title=f"Share of {counted} (%)",
                    y_title=axis,
                    horizontal=True,
                    value_format=".0%",
                ),
                df.rename(columns=SHARE_COLUMNS)[[axis, "Count", "Out of", "Share"]],
                f"steps_{metric_id}_{by}",
                formats=SHARE_FORMATS,
            )

left, right = st.columns(2)
with left:
    trend = ui.get(
        explore.metric_by_quarter, tuple(RATES), f.period.previous().previous(), f.period, f.scope
    )
    trend["Measure"] = trend["metric"].map(lambda m: RATES[m][0])
    ui.chart(
        charts.line(
            trend,
            "quarter",
            "value",
            title="Step-down and step-up by quarter",
            x_title="Financial quarter",
            y_title="Share (%)",
            color="Measure",
            value_format=".0%",
        ),
        trend.rename(columns={**SHARE_COLUMNS, "quarter": "Quarter"})[
            ["Measure", "Quarter", "Count", "Out of", "Share"]
        ],
        "steps_trend",
        formats=SHARE_FORMATS,
    )
with right:
    timing = ui.get(explore.step_up_timing, f.period, f.scope)
    ui.chart(
        charts.bar(
            timing,
            "band",
            "step_ups",
            title="Time from episode start to step-up",
            x_title="Time from start of episode to step-up",
            y_title="Episodes stepped up",
        ),
        timing.rename(columns={"band": "Time to step-up", "step_ups": "Episodes stepped up"})[
            ["Time to step-up", "Episodes stepped up"]
        ],
        "steps_timing",
        formats={"Episodes stepped up": "count"},
    )
