"""Outcomes and family voice: how episodes close, how long they last, what families say."""

import pandas as pd
import streamlit as st

from ehts_data import charts, explore, formatting, metrics, ui
from ehts_data.contract import OUTCOME_AREAS

ui.page_header(
    "Outcomes and family voice",
    "How episodes closed in the period and how long they ran (children's episodes), and "
    "agreement in the Family Hubs survey (share of answers scoring 4 or 5 out of 5).",
)
f = ui.filters()
names = ui.get(explore.group_names)

left, right = st.columns(2)
with left:
    closures = ui.get(explore.closure_reasons, f.period, f.scope)
    closures["Closure reason"] = closures["closure_reason"].map(formatting.label)
    closures["Service"] = closures["service"].map(formatting.label)
    CLOSURE_KINDS = {"episodes": "count", "share": "share"}
    closures = ui.publish(closures, CLOSURE_KINDS, lines=["Closure reason", "Service"])
    # With a place chosen, its closures as shares (by service) and the authority's share.
    whole_closures = ui.authority_mix(
        "closure_reason", "Closure reason", CLOSURE_KINDS, explore.closure_reason_shares, f.period
    )
    ui.chart(
        charts.bar(
            closures,
            "Closure reason",
            "share" if f.place_chosen else "episodes",
            title="Episodes closed, by reason" + (" (share)" if f.place_chosen else ""),
            x_title="Share of episodes closed (%)" if f.place_chosen else "Episodes closed",
            y_title="Closure reason",
            color="Service",
            horizontal=True,
            value_format=".0%" if f.place_chosen else ",.0f",
            reference=whole_closures,
        ),
        closures.rename({"episodes": "Episodes closed", "share": "Share"})[
            ["Closure reason", "Service", "Episodes closed", "Share"]
        ],
        "outcomes_closures",
        formats={"Episodes closed": "count", "Share": "share"},
    )
with right:
    # Every locality (a coordinator's: its catchments), the chosen one in colour, and the whole
    # authority's median.
    whole = explore.authority(f.scope)
    by, scope, chosen = ui.locality_comparison()
    where = {"locality": "Locality", "catchment": "Hub catchment", "hub": "Hub or team"}[by]
    median = ui.get(metrics.compute, "median_episode_days", f.period, by, scope)
    whole_median = ui.get(metrics.compute, "median_episode_days", f.period, "none", whole)
    median[where] = median["group"].map(lambda g: names[by].get(g, formatting.label(g)))
    median = ui.publish(
        median[[where, "denominator", "value"]],
        {"denominator": "denominator", "value": "days"},
    )
    ui.chart(
        charts.bar(
            median,
            where,
            "value",
            title=f"Median episode length, by {where.lower()}",
            x_title=where,
            y_title="Median length (days)",
            reference=whole_median["value"].iloc[0],
            highlight=names[by].get(chosen),
        ),
        median.rename({"denominator": "Episodes closed", "value": "Median days"})[
            [where, "Episodes closed", "Median days"]
        ],
        "outcomes_median_days",
        formats={"Episodes closed": "count", "Median days": "days"},
    )

st.subheader("Family survey")
areas = ui.get(explore.survey_agree_by_area, f.period, f.scope)
areas["Hub"] = areas["hub_id"].map(lambda h: names["hub"].get(h, h))
areas["Outcome area"] = areas["outcome_area"].map(lambda a: f"{a}. {OUTCOME_AREAS[int(a)]}")
# The last row: the whole authority's agreement in each area.
# (None for a coordinator: their authority-wide queries reach their own locality only.)
whole_areas = ui.whole_authority(explore.survey_agree_by_outcome_area, f.period)
if whole_areas is not None:
    whole_areas = whole_areas.assign(Hub=charts.AUTHORITY)
    whole_areas["Outcome area"] = whole_areas["outcome_area"].map(
        lambda a: f"{a}. {OUTCOME_AREAS[int(a)]}"
    )
areas = ui.publish(
    pd.concat([areas, whole_areas], ignore_index=True)[
        ["Hub", "Outcome area", "agree", "responses", "share"]
    ],
    {"agree": "count", "responses": "denominator", "share": "share"},
    lines=["Hub", "Outcome area"],
)
ui.chart(
    charts.heatmap(
        areas,
        "Outcome area",
        "Hub",
        "share",
        title="Survey agreement by hub and outcome framework area",
        x_title="Outcome framework area",
        y_title="Hub or team",
        colorbar_title="Agree",
        x_order=[f"{a}. {t}" for a, t in OUTCOME_AREAS.items()],
    ),
    areas.rename({"agree": "Agree (4 or 5)", "responses": "Answers", "share": "Share"})[
        ["Hub", "Outcome area", "Agree (4 or 5)", "Answers", "Share"]
    ],
    "outcomes_survey_areas",
    sources=("survey_agree_by_area",),
    formats={"Share": "share", "Agree (4 or 5)": "count", "Answers": "count"},
)

left, right = st.columns(2)
with left:
    hub_rate = ui.get(metrics.compute, "survey_agree_rate", f.period, "hub", f.scope)
    hub_rate["Hub"] = hub_rate["group"].map(lambda h: names["hub"].get(h, formatting.label(h)))
    hub_rate = ui.publish(
        hub_rate.sort_values("value", ascending=False)[
            ["Hub", "numerator", "denominator", "value"]
        ],
        {"numerator": "count", "denominator": "denominator", "value": "share"},
    )
    whole_rate = ui.get(
        metrics.compute, "survey_agree_rate", f.period, "none", explore.authority(f.scope)
    )
    ui.chart(
        charts.bar(
            hub_rate,
            "Hub",
            "value",
            title="Survey agreement by hub (all questions)",
            x_title="Share of answers agreeing (%)",
            y_title="Hub or team",
            horizontal=True,
            value_format=".0%",
            reference=whole_rate["value"].iloc[0],
        ),
        hub_rate.rename({"numerator": "Agree", "denominator": "Answers", "value": "Share"})[
            ["Hub", "Agree", "Answers", "Share"]
        ],
        "outcomes_survey_hubs",
        sources=("survey_agree_rate",),
        formats={"Share": "share", "Agree": "count", "Answers": "count"},
    )
with right:
    two_years = f.period.previous()
    span = type(f.period)(two_years.start, f.period.end, f"{two_years.label} to {f.period.label}")
    monthly = ui.get(explore.survey_monthly_trend, span, f.scope)
    MONTHLY_KINDS = {"agree": "count", "responses": "denominator", "share": "share"}
    monthly = ui.publish(monthly, MONTHLY_KINDS)
    whole_monthly = ui.authority(explore.survey_monthly_trend, span)
    if whole_monthly is not None:
        whole_monthly = ui.publish(whole_monthly, MONTHLY_KINDS)
    ui.chart(
        charts.line(
            monthly,
            "month",
            "share",
            title="Monthly engagement question: share agreeing (this period and last)",
            x_title="Month",
            y_title="Share agreeing (%)",
            value_format=".0%",
            reference=whole_monthly,
            # survey answers have no small area or catchment: the hub's or locality's
            series_name=f.answering_place_name,
        ),
        monthly.rename(
            {"month": "Month", "agree": "Agree", "responses": "Answers", "share": "Share"}
        )[["Month", "Agree", "Answers", "Share"]],
        "outcomes_survey_monthly",
        sources=("survey_monthly_trend",),
        formats={"Share": "share", "Agree": "count", "Answers": "count"},
    )
