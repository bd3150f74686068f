"""Step-up and step-down: the flow between early help and children's social care."""

import streamlit as st

from ehts_data import charts, explore, formatting, ui
from ehts_data.kinds import COUNT, SHARE, Col

ui.page_header(
    "Step-up and step-down",
    "**Step-down**: an episode that starts as a step-down from children's social care (share of "
    "episodes started). **Step-up**: an episode closed as a step-up to social care (share of "
    "episodes closed). Transfers between early help and targeted support are left out of both.",
)
f = ui.filters()
RATES = {
    "step_down_rate": ("Step-down share of episodes started", "episodes started"),
    "step_up_rate": ("Step-up share of episodes closed", "episodes closed"),
}

FLOW_KINDS = {"children": "count", "share": "share"}
FLOW = (
    Col("from", "From"),
    Col("to", "To"),
    Col("children", "Requests or episodes", COUNT),
    Col("share", "Share", SHARE, axis="Share of the requests or episodes leaving the step (%)"),
)


def labelled(flow):
    """The links with their nodes named: a service is one node, whether episodes flow into
    it or out of it."""
    flow["from"] = flow["source"].map(formatting.label)
    flow["to"] = flow["target"].map(formatting.label)
    into_episode = (flow.stage == 1) & (flow.target != "no_episode")
    flow.loc[into_episode, "to"] = flow.loc[into_episode, "to"] + " (episode)"
    flow.loc[flow.stage == 2, "from"] = flow.loc[flow.stage == 2, "from"] + " (episode)"
    flow["Step"] = flow["from"] + " → " + flow["to"]
    return flow


flow = labelled(ui.get(explore.episode_flow_shares, f.period, f.scope))
# A node's links in and out add up to what it shows: both are lines.
flow = ui.publish(
    flow[["from", "to", "Step", "children", "share"]], FLOW_KINDS, lines=["from", "to"]
)
ui.chart(
    charts.sankey(
        flow,
        title="From request decision to episode to closure (requests and step-downs in the period)",
        source="from",
        target="to",
        value="children",
    ),
    flow,
    "steps_flow",
    columns=FLOW[:3],
    caption="Left: decisions on requests received in the period, and step-downs from social care "
    "that started in it. Middle: the episode each led to. Right: how it closed, or still open.",
)
# With a place chosen, where each step led as shares, beside the whole authority's (ticks).
whole_flow = ui.authority(explore.episode_flow_shares, f.period)
if whole_flow is not None:
    whole_flow = ui.publish(labelled(whole_flow)[["Step", "share"]], {"share": "share"})
    ui.chart(
        charts.bar(
            flow,
            Col("Step", "Step", axis="From → to"),
            FLOW[3],
            title=f"Where each step led: share of {f.place_name}'s, against the whole authority",
            horizontal=True,
            reference=whole_flow,
        ),
        flow,
        "steps_flow_shares",
        columns=FLOW,
    )

ui.shares_by_group(RATES, "steps")

left, right = st.columns(2)
with left:
    ui.shares_by_quarter(RATES, "Step-down and step-up by quarter", "steps_trend")
with right:
    # With a place chosen, each band's share of its step-ups beside the authority's share.
    TIMING_KINDS = {"step_ups": "count", "share": "share"}
    timing = ui.get(explore.step_up_timing, f.period, f.scope)
    timing = ui.publish(timing[["band", "step_ups", "share"]], TIMING_KINDS)
    whole_timing = ui.authority(explore.step_up_timing, f.period)
    if whole_timing is not None:
        whole_timing = ui.publish(whole_timing[["band", "share"]], {"share": "share"})
    band = Col("band", "Time to step-up", axis="Time from start of episode to step-up")
    step_ups = Col("step_ups", "Episodes stepped up", COUNT)
    share = Col("share", "Share", SHARE, axis="Share of step-ups (%)")
    ui.chart(
        charts.bar(
            timing,
            band,
            share if f.place_chosen else step_ups,
            title="Time from episode start to step-up" + (" (share)" if f.place_chosen else ""),
            reference=whole_timing,
        ),
        timing,
        "steps_timing",
        columns=(band, step_ups, share),
    )
