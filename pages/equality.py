"""Equality and families: who is reached and who is not, and the whole-family view."""

import pandas as pd
import streamlit as st

from ehts_data import charts, equality, explore, formatting, kinds, metrics, text, ui
from ehts_data.kinds import Col

ui.page_header(
    "Equality and families",
    "A measure for each group of children by sex, ethnic group, SEND, age band and "
    "deprivation, with 95% intervals and the disparity ratio against all other known groups "
    "together (flagged only when its interval excludes 1). Below, the same service counted "
    "in **families**: one family may have several children.",
)
f = ui.filters()
k = ui.threshold()

measure = st.selectbox(
    "Measure",
    equality.MEASURES,
    format_func=lambda m: metrics.REGISTRY[m].title,
    key="equality_measure",
)
metric = metrics.REGISTRY[measure]
kind = metric.kind
counted = "families" if metric.counts == "families" else "children"
profile = ui.get(equality.profile, measure, f.period, f.scope, k)
whole = ui.get(metrics.compute, measure, f.period, "none", f.scope)
reference = ui.published_value(whole, kind)
# With a place chosen, its own value (dotted) beside the whole authority's (dashed).
authority_value = ui.authority(metrics.compute, measure, f.period, "none")
place_reference = None
if authority_value is not None:
    place_reference = (f"{f.place_name}, all {counted}", reference)
    reference = ui.published_value(authority_value, kind)

st.subheader(f"{metric.title}: groups that differ from the rest")
st.markdown(
    "\n".join(f"- {text.for_markdown(s)}" for s in equality.summary(profile, measure))
    + (f"\n\nRatios resting on a count from 1 to {k - 1} are not shown." if k else "")
    + (
        "\n\nCounted in families: a family has a deprivation decile, but no one sex, ethnic "
        "group, SEND or age, so this measure is compared by deprivation only."
        if counted == "families"
        else ""
    )
)

PROFILE_KINDS = {
    "numerator": "count",
    "denominator": "denominator",
    "value": kind,
    "lower": kind,
    "upper": kind,
    # A ratio sets a group against the sum of the others, so one hidden count in the
    # breakdown could be worked back from it: withheld for the whole breakdown then.
    "ratio": "summary",
    "ratio_lower": "summary",
    "ratio_upper": "summary",
}
per_population = kinds.of(kind).per_population
axis = "Per 10,000 children aged 0-19" if per_population else f"Share of {metric.counts} (%)"
value = Col("value", "Value", kind, axis=f"{axis}, with 95% interval")
PROFILE = (
    Col("Group", "Group"),
    Col("numerator", "Count", kinds.COUNT),
    Col("denominator", "Out of", kinds.COUNT),
    value,
    Col("ratio", "Disparity ratio"),
    Col("ratio_lower", "Ratio from"),
    Col("ratio_upper", "Ratio to"),
    Col("differs", "Differs"),
)
shown = [(by, t) for by, t in equality.BREAKDOWN_TITLES.items() if by in metric.breakdowns]
# One breakdown (a family share's deciles) takes the page's width.
columns = st.columns(2) if len(shown) > 1 else [st.container()]
for i, (by, title) in enumerate(shown):
    part = profile[profile["breakdown"] == by].drop(columns="breakdown")
    if part["value"].isna().all():
        with columns[i % len(columns)]:
            st.markdown(
                f"**{metric.title}, by {title.split(' (')[0].lower()}**: no value for any group "
                + (
                    "(there is no population by this characteristic to divide by)."
                    if per_population
                    else "in this period."
                )
            )
        continue
    part["Group"] = part["group"].map(lambda g, by=by: equality.group_label(by, g))
    part = ui.publish(part, PROFILE_KINDS)
    with columns[i % len(columns)]:
        ui.chart(
            charts.intervals(
                part,
                Col("Group", "Group", axis=title),
                value,
                "lower",
                "upper",
                title=f"{metric.title}, by {title.split(' (')[0].lower()}",
                flag="differs",
                reference=reference,
                reference_label=charts.AUTHORITY if place_reference else f"All {counted}",
                place_reference=place_reference,
            ),
            part,
            f"equality_{by}",
            sources=(measure,),
            columns=PROFILE,
        )

st.subheader("Who is reached: requests beside the population")
shares = ui.get(equality.representation, f.period, f.scope)
if shares.empty:
    st.markdown(
        "No population by sex, ethnic group or age is loaded for this view "
        "(`population_groups.csv`, or a locality filter with the authority's group figures)."
    )
else:
    # With a place chosen, the whole authority's share of requests in each group (ticks).
    whole_shares = ui.authority(equality.representation, f.period)
    for by, part in shares.groupby("breakdown", sort=False):
        whole_requests = None
        if whole_shares is not None:
            whole_requests = whole_shares[whole_shares["breakdown"] == by].rename(
                columns={"request_share": "share"}
            )
            whole_requests["Group"] = whole_requests["group"].map(
                lambda g, by=by: equality.group_label(by, g)
            )
            whole_requests = ui.publish(
                whole_requests[["Group", "requests", "share"]],
                {"requests": "count", "share": "share"},
            )
        long = part.melt(
            id_vars=["group", "requests", "population"],
            value_vars=["request_share", "population_share"],
            var_name="of",
            value_name="share",
        )
        long["Group"] = long["group"].map(lambda g, by=by: equality.group_label(by, g))
        long["Share of"] = long["of"].map(
            {"request_share": "Requests", "population_share": "Children aged 0-19"}
        )
        long = ui.publish(
            long[["Group", "Share of", "requests", "population", "share"]],
            {"requests": "count", "population": "public", "share": "share"},
            lines=["Share of"],
        )
        share = Col("share", "Share", kinds.SHARE, axis="Share (%)")
        ui.chart(
            charts.bar(
                long,
                Col("Group", "Group", axis=equality.BREAKDOWN_TITLES[by]),
                share,
                title=f"Share of requests and of children aged 0-19, by "
                f"{equality.BREAKDOWN_TITLES[by].lower()}",
                color="Share of",
                stacked=False,
                reference=whole_requests,
                reference_label=f"{charts.AUTHORITY}: share of requests",
            ),
            long,
            f"equality_representation_{by}",
            sources=("requests_per_10k",),
            columns=(
                Col("Group", "Group"),
                Col("Share of", "Share of"),
                Col("requests", "Requests", kinds.COUNT),
                Col("population", "Population", kinds.COUNT),
                share,
            ),
        )

st.header("Families")
st.markdown(
    "Counted in families (a child's family is its family in the extract): families with a "
    "request, families supported (an episode open at some time in the period), children per "
    "family supported, family re-entry within 12 months and families whose assessments list "
    "needs in 3 or more of the 10 Supporting Families headline groups."
)
has_areas = not ui.get(explore.areas).empty
# One locality seen (a coordinator's) is one bar: its catchments and areas compare instead.
one_locality = has_areas and ui.sees_one_locality()
options = [
    *([] if one_locality else ["locality"]),
    *(["catchment", "area"] if has_areas else []),
    "imd_decile",
]
family_by = st.radio(
    "Families by",
    options,
    format_func={
        "locality": "Locality",
        "catchment": "Hub catchment",
        "area": "Small area",
        "imd_decile": "Deprivation decile",
    }.get,
    horizontal=True,
    key="equality_family_by",
)
names = ui.get(explore.group_names)
if family_by == "area":
    # Area names repeat between localities: here every area of the authority is one bar.
    names = {
        **names,
        "area": explore.distinct_names(ui.get(explore.areas), "area_code", "area_name"),
    }
# By locality every locality, the chosen one in colour; by catchment or area, those of the
# locality, the chosen one in colour (a place filter would leave the others at zero); by
# decile, within the filter.
family_scope = (
    explore.authority(f.scope)
    if family_by == "locality"
    else explore.without_places(f.scope)
    if family_by in ("catchment", "area")
    else f.scope
)
chosen_group = {
    "locality": f.scope.locality,
    "catchment": ui.chosen_catchment(),
    "area": f.area,
}.get(family_by)
view = ui.get(equality.family_view, f.period, family_by, family_scope)
view["Group"] = view["group"].map(lambda g: names.get(family_by, {}).get(g, formatting.label(g)))
FAMILY_KINDS = {
    "families_with_requests": "count",
    "families_supported": "count",
    "children_supported": "count",
    "children_per_family": "summary",
    "family_re_entry_12m_rate": "share",
    "families_multiple_needs_rate": "share",
}
published = ui.publish(view.drop(columns="group"), FAMILY_KINDS)
# With a place chosen, the whole authority's average group (locality, catchment or decile).
average = ui.authority(equality.family_view_per_group, f.period, family_by)
if average is not None:
    average = ui.publish(
        average,
        {"families_with_requests": "summary", "families_supported": "summary", "groups": "public"},
    ).figure("families_supported")
group = Col("Group", "Group", axis="")
FAMILIES = (
    group,
    Col("families_with_requests", "Families with a request", kinds.COUNT),
    Col(
        "families_supported",
        "Families supported",
        kinds.COUNT,
        axis="Families with an episode open in the period",
    ),
    Col("children_supported", "Children supported", kinds.COUNT),
    Col("children_per_family", "Children per family"),
    Col("family_re_entry_12m_rate", "Family re-entry", kinds.SHARE),
    Col("families_multiple_needs_rate", "Multiple needs", kinds.SHARE),
)
GROUP_WORDS = {
    "locality": "locality",
    "catchment": "catchment",
    "area": "small area",
    "imd_decile": "decile",
}
left, right = st.columns(2)
with left:
    ui.chart(
        charts.bar(
            published,
            group,
            FAMILIES[2],
            title="Families supported",
            horizontal=True,
            highlight=names.get(family_by, {}).get(chosen_group),
            reference=average,
            reference_label=f"{charts.AUTHORITY}, average per {GROUP_WORDS[family_by]}",
        ),
        published,
        f"equality_families_{family_by}",
        sources=(*equality.FAMILY_MEASURES, "children_supported"),
        columns=FAMILIES,
    )
with right:
    parts = []
    for metric_id in ("family_re_entry_12m_rate", "families_multiple_needs_rate"):
        part = ui.get(metrics.compute, metric_id, f.period, family_by, family_scope)
        parts.append(part.assign(Measure=metrics.REGISTRY[metric_id].title))
    rates = pd.concat(parts, ignore_index=True)
    rates["Group"] = rates["group"].map(
        lambda g: equality.group_label(family_by, g, names.get(family_by))
    )
    RATE_KINDS = {"numerator": "count", "denominator": "denominator", "value": "share"}
    columns = ["Group", "Measure", "numerator", "denominator", "value"]
    rates = ui.publish(rates[columns], RATE_KINDS, lines=["Measure"])
    if f.place_chosen:
        # The whole authority's rates, the last (marked) column: its published totals.
        whole_rates = pd.concat(
            [
                ui.get(
                    metrics.compute, metric_id, f.period, "none", explore.authority(f.scope)
                ).assign(Measure=metrics.REGISTRY[metric_id].title, Group=charts.AUTHORITY)
                for metric_id in ("family_re_entry_12m_rate", "families_multiple_needs_rate")
            ],
            ignore_index=True,
        )
        rates = rates.then(ui.publish(whole_rates[columns], RATE_KINDS))
    share = Col("value", "Share", kinds.SHARE, axis="Share of families (%)")
    ui.chart(
        charts.bar(
            rates,
            group,
            share,
            title="Family re-entry and families with multiple needs",
            color="Measure",
            horizontal=True,
            stacked=False,
        ),
        rates,
        f"equality_family_rates_{family_by}",
        columns=(
            Col("Group", "Group"),
            Col("Measure", "Measure"),
            Col("numerator", "Families", kinds.COUNT),
            Col("denominator", "Out of", kinds.COUNT),
            share,
        ),
    )

st.subheader("Families by quarter")
trend = ui.get(equality.family_trend, f.period.previous().previous(), f.period, f.scope)
trend["Measure"] = trend["metric"].map(lambda m: metrics.REGISTRY[m].title)
counts = trend[trend["metric"].isin(["families_with_requests", "families_supported"])]
counts = ui.publish(
    counts[["Measure", "quarter", "numerator"]], {"numerator": "count"}, lines=["Measure"]
)
# The authority's average locality (average small area, with an area chosen).
per = "area" if f.area else "locality"
average_trend = ui.authority(
    equality.family_trend_per_place, f.period.previous().previous(), f.period, per=per
)
if average_trend is not None:
    average_trend["Measure"] = average_trend["metric"].map(lambda m: metrics.REGISTRY[m].title)
    average_trend = average_trend[average_trend["Measure"].isin(set(counts.frame["Measure"]))]
    average_trend = ui.publish(
        average_trend[["Measure", "quarter", "numerator"]], {"numerator": "summary"}
    )
QUARTERLY = (
    Col("Measure", "Measure"),
    Col("quarter", "Quarter", axis="Financial quarter"),
    Col("numerator", "Families", kinds.COUNT),
)
ui.chart(
    charts.line(
        counts,
        *QUARTERLY[1:],
        title="Families with a request and families supported, by quarter",
        color="Measure",
        reference=average_trend,
        reference_label=f"{charts.AUTHORITY}, average per {'small area' if f.area else 'locality'}",
    ),
    counts,
    "equality_family_trend",
    sources=equality.FAMILY_MEASURES,
    columns=QUARTERLY,
)
