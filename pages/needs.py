"""Needs analysis: what families present with at assessment."""

import pandas as pd
import streamlit as st

from ehts_data import charts, explore, formatting, metrics, ui
from ehts_data.contract import AGE_BANDS, NEED_CODES, ThriveGroup, codes
from ehts_data.kinds import COUNT, SHARE, Col

ui.page_header(
    "Needs analysis",
    "Needs recorded at early help assessments and reviews completed in the period, as a share "
    "of those assessments (an assessment can list several needs). Headline groups are the ten "
    "Supporting Families outcomes. With a locality, hub or area chosen, the black ticks and "
    "the last column are the whole authority.",
)
f = ui.filters()
group_names = ui.get(explore.group_names)
names = group_names["locality"]
NEED_LABELS = [formatting.label(n) for n in NEED_CODES]
# The numbers under every prevalence chart.
PREVALENCE = (
    Col("assessments_listing", "Assessments listing", COUNT),
    Col("assessments", "Assessments", COUNT),
    Col("share", "Share", SHARE, axis="Share of assessments (%)"),
)
need, group = Col("Need", "Need"), Col("Headline group", "Headline group")
KINDS = {"assessments_listing": "count", "assessments": "denominator", "share": "share"}

overall = ui.get(explore.need_prevalence_by, "all", f.period, f.scope)
overall["Need"] = overall["need"].map(formatting.label)
overall["Headline group"] = overall["need_group"].map(formatting.label)
ranked = ui.publish(overall.sort_values("share", ascending=False), KINDS)
whole_needs = ui.authority_mix("need", "Need", KINDS, explore.need_prevalence_by, "all", f.period)
left, right = st.columns(2)
with left:
    ui.chart(
        charts.bar(
            ranked,
            need,
            PREVALENCE[-1],
            title="Share of assessments listing each need",
            horizontal=True,
            reference=whole_needs,
        ),
        ranked,
        "needs_prevalence",
        columns=(need, group, *PREVALENCE),
    )
with right:
    groups = ui.get(explore.need_group_prevalence, "all", f.period, f.scope)
    groups["Headline group"] = groups["need_group"].map(formatting.label)
    groups = ui.publish(groups, KINDS)
    whole_groups = ui.authority_mix(
        "need_group", "Headline group", KINDS, explore.need_group_prevalence, "all", f.period
    )
    ui.chart(
        charts.bar(
            groups,
            Col("Headline group", "Headline group", axis="Supporting Families outcome"),
            PREVALENCE[-1],
            title="Share of assessments with a need in each headline group",
            horizontal=True,
            reference=whole_groups,
        ),
        groups,
        "needs_groups",
        columns=(group, *PREVALENCE),
    )

st.subheader("Needs by locality, age and deprivation")
dimension = st.segmented_control(
    "Compare by",
    ["locality", "age_band", "imd_decile", "thrive_group"],
    default="locality",
    format_func={
        "locality": "Locality",
        "age_band": "Age band",
        "imd_decile": "IMD decile",
        "thrive_group": "i-THRIVE group",
    }.get,
    key="needs_dimension",
)
dimension = dimension or "locality"
# With a locality chosen, one locality column would compare nothing: its hub catchments (its
# hubs, without small areas) instead, within the locality and service filters.
place_by = None
if dimension == "locality" and f.scope.locality:
    place_by = "hub" if ui.get(explore.areas).empty else "catchment"
    locality_scope = metrics.Scope(f.scope.locality, None, f.scope.service)
    by = ui.get(explore.need_prevalence_by_place, place_by, f.period, locality_scope)
else:
    by = ui.get(explore.need_prevalence_by, dimension, f.period, f.scope)
by["Need"] = by["need"].map(formatting.label)
if dimension == "locality":
    by["Category"] = by["category"].map(
        lambda c: group_names[place_by or "locality"].get(c, formatting.label(c))
    )
    order = None
elif dimension == "imd_decile":
    by["Category"] = by["category"].map(lambda c: c if c == "unknown" else f"Decile {c}")
    order = [f"Decile {d}" for d in range(1, 11)] + ["unknown"]
else:
    by["Category"] = by["category"].map(formatting.label)
    source = AGE_BANDS if dimension == "age_band" else codes(ThriveGroup)
    order = [formatting.label(c) for c in source]
# The last columns: the chosen place in all (with another dimension) and the whole authority.
columns_after = []
if f.place_chosen and (dimension != "locality" or place_by):
    columns_after.append(overall.assign(Category=f"{f.place_name}, all"))
# (None for a coordinator: their authority-wide queries reach their own locality only.)
whole_column = ui.whole_authority(explore.need_prevalence_by, "all", f.period)
if whole_column is not None:
    whole_column["Need"] = whole_column["need"].map(formatting.label)
    columns_after.append(whole_column.assign(Category=charts.AUTHORITY))
if order is not None:
    order = [*order, *(c["Category"].iloc[0] for c in columns_after)]
by = pd.concat([by, *columns_after], ignore_index=True)
# A need's counts over the groups add up to its count in the first chart.
by = ui.publish(by, KINDS, lines=["Need"])
ui.chart(
    charts.heatmap(
        by,
        "Category",
        need,
        Col("share", "Share", SHARE),
        title="Share of assessments listing each need, by "
        + {
            "locality": "locality",
            "catchment": f"hub catchment in {names.get(f.scope.locality)}",
            "hub": f"lead hub in {names.get(f.scope.locality)}",
            "age_band": "age band",
            "imd_decile": "IMD decile (1 = most deprived)",
            "thrive_group": "i-THRIVE group",
        }[place_by or dimension],
        x_title={
            "locality": "Locality",
            "catchment": "Hub catchment (where families live)",
            "hub": "Lead hub or team",
            "age_band": "Age band at assessment",
            "imd_decile": "Index of Multiple Deprivation decile",
            "thrive_group": "i-THRIVE group",
        }[place_by or dimension],
        x_order=order,
        y_order=NEED_LABELS,
    ),
    by,
    f"needs_by_{dimension}",
    columns=(need, Col("Category", "Group"), *PREVALENCE),
)

PAIR_KINDS = {
    "assessments_listing_need": "denominator",
    "assessments_listing_both": "count",
    "share": "share",
}
also = Col("Also listed", "Also listed")
PAIR_COLUMNS = (
    need,
    also,
    Col("assessments_listing_need", "Assessments listing", COUNT),
    Col("assessments_listing_both", "Listing both", COUNT),
    Col("share", "Share", SHARE),
)
# With a place chosen, the whole authority's grid under the place's, on the same scale (side
# by side, two grids of every need are too narrow to read).
pair_frames = [
    (f.place_name if f.place_chosen else None, "needs_cooccurrence", f.scope),
    *([(charts.AUTHORITY, "needs_cooccurrence_authority", None)] if f.place_chosen else []),
]
for place, key, scope in pair_frames:
    pairs = (
        ui.get(explore.need_cooccurrence, f.period, scope)
        if scope is not None
        else ui.authority(explore.need_cooccurrence, f.period)
    )
    if pairs is None:  # a coordinator sees no authority-wide grid
        continue
    pairs["Need"] = pairs["need"].map(formatting.label)
    pairs["Also listed"] = pairs["also_need"].map(formatting.label)
    pairs = ui.publish(pairs, PAIR_KINDS, lines=["Need"])
    ui.chart(
        charts.heatmap(
            pairs,
            also,
            need,
            PAIR_COLUMNS[-1],
            title=("" if place is None else f"{place}: ")
            + "needs that appear together: of assessments with the row need, "
            "the share also listing the column need",
            x_order=NEED_LABELS,
            y_order=NEED_LABELS,
            # The place's grid and the authority's: one scale, so a colour means one share.
            z_range=(0.0, 1.0) if f.place_chosen else None,
            name=place,
        ),
        pairs,
        key,
        columns=PAIR_COLUMNS,
    )
thrive = ui.get(explore.thrive_distribution, f.period, f.scope)
thrive["i-THRIVE group"] = thrive["thrive_group"].map(formatting.label)
thrive["Service"] = thrive["service"].map(formatting.label)
order = [formatting.label(c) for c in codes(ThriveGroup)]
thrive = (
    thrive.set_index("i-THRIVE group")
    .loc[[o for o in order if o in set(thrive["i-THRIVE group"])]]
    .reset_index()
)
THRIVE_KINDS = {"assessments": "count", "share": "share"}
thrive = ui.publish(thrive, THRIVE_KINDS, lines=["i-THRIVE group", "Service"])
# With a place chosen, its assessments as shares (by service) and the authority's share.
whole_thrive = ui.authority_mix(
    "thrive_group", "i-THRIVE group", THRIVE_KINDS, explore.thrive_shares, f.period
)
thrive_group, assessments = Col("i-THRIVE group", "i-THRIVE group"), PREVALENCE[1]
ui.chart(
    charts.bar(
        thrive,
        thrive_group,
        PREVALENCE[2] if f.place_chosen else assessments,
        title="i-THRIVE grouping at assessment" + (" (share)" if f.place_chosen else ""),
        color="Service",
        horizontal=True,
        reference=whole_thrive,
    ),
    thrive,
    "needs_thrive",
    columns=(thrive_group, Col("Service", "Service"), assessments, PREVALENCE[2]),
)
