"""Outcomes and family voice: how episodes close, how long they last, what families say."""

import pandas as pd
import streamlit as st

from ehts_data import charts, explore, formatting, kinds, metrics, ui
from ehts_data.contract import OUTCOME_AREAS
from ehts_data.kinds import Col

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
    reason, service = Col("Closure reason", "Closure reason"), Col("Service", "Service")
    episodes = Col("episodes", "Episodes closed", kinds.COUNT)
    share = Col("share", "Share", kinds.SHARE, axis="Share of episodes closed (%)")
    ui.chart(
        charts.bar(
            closures,
            reason,
            share if f.place_chosen else episodes,
            title="Episodes closed, by reason" + (" (share)" if f.place_chosen else ""),
            color="Service",
            horizontal=True,
            reference=whole_closures,
        ),
        closures,
        "outcomes_closures",
        columns=(reason, service, episodes, share),
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
    place = Col(where, where)
    days = Col("value", "Median days", kinds.DAYS, axis="Median length (days)")
    ui.chart(
        charts.bar(
            median,
            place,
            days,
            title=f"Median episode length, by {where.lower()}",
            reference=ui.published_value(whole_median, "days"),
            highlight=names[by].get(chosen),
        ),
        median,
        "outcomes_median_days",
        columns=(place, Col("denominator", "Episodes closed", kinds.COUNT), days),
    )

st.subheader("Family survey")
areas = ui.get(explore.survey_agree_by_area, f.period, f.scope)
areas["Hub"] = areas["hub_id"].map(lambda h: names["hub"].get(h, h))
areas["Outcome area"] = formatting.outcome_areas(areas["outcome_area"])
# The last row: the whole authority's agreement in each area.
# (None for a coordinator: their authority-wide queries reach their own locality only.)
whole_areas = ui.whole_authority(explore.survey_agree_by_outcome_area, f.period)
if whole_areas is not None:
    whole_areas = whole_areas.assign(Hub=charts.AUTHORITY)
    whole_areas["Outcome area"] = formatting.outcome_areas(whole_areas["outcome_area"])
areas = ui.publish(
    pd.concat([areas, whole_areas], ignore_index=True)[
        ["Hub", "Outcome area", "agree", "responses", "share"]
    ],
    {"agree": "count", "responses": "denominator", "share": "share"},
    lines=["Hub", "Outcome area"],
)
hub, area = Col("Hub", "Hub", axis="Hub or team"), Col("Outcome area", "Outcome area")
SURVEY = (
    Col("agree", "Agree", kinds.COUNT),
    Col("responses", "Answers", kinds.COUNT),
    Col("share", "Share", kinds.SHARE, axis="Share agreeing (%)"),
)
ui.chart(
    charts.heatmap(
        areas,
        Col("Outcome area", "Outcome area", axis="Outcome framework area"),
        hub,
        Col("share", "Share", kinds.SHARE, axis="Agree"),
        title="Survey agreement by hub and outcome framework area",
        x_order=[f"{a}. {t}" for a, t in OUTCOME_AREAS.items()],
    ),
    areas,
    "outcomes_survey_areas",
    sources=("survey_agree_by_area",),
    columns=(hub, area, Col("agree", "Agree (4 or 5)", kinds.COUNT), *SURVEY[1:]),
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
    rate = Col("value", "Share", kinds.SHARE, axis="Share of answers agreeing (%)")
    ui.chart(
        charts.bar(
            hub_rate,
            hub,
            rate,
            title="Survey agreement by hub (all questions)",
            horizontal=True,
            reference=ui.published_value(whole_rate, "share"),
        ),
        hub_rate,
        "outcomes_survey_hubs",
        sources=("survey_agree_rate",),
        columns=(
            hub,
            Col("numerator", "Agree", kinds.COUNT),
            Col("denominator", "Answers", kinds.COUNT),
            rate,
        ),
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
    month = Col("month", "Month")
    ui.chart(
        charts.line(
            monthly,
            month,
            SURVEY[2],
            title="Monthly engagement question: share agreeing (this period and last)",
            reference=whole_monthly,
            # survey answers have no small area or catchment: the hub's or locality's
            series_name=f.answering_place_name,
        ),
        monthly,
        "outcomes_survey_monthly",
        sources=("survey_monthly_trend",),
        columns=(month, *SURVEY),
    )
