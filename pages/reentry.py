"""Re-entry and re-referral within 12 months, by locality, hub and quarter."""

import streamlit as st

from ehts_data import charts, explore, formatting, ui
from ehts_data.kinds import COUNT, SHARE, Col

ui.page_header(
    "Re-entry and re-referral",
    "Two different rules. **Re-referral**: a request whose child had another request in the 12 "
    "months before it (referral to referral, the DfE Children in Need rule). **Re-entry**: an "
    "episode whose child had another episode *close* in the 12 months before it started "
    "(closure to start). Both count children's requests or episodes, not families.",
)
f = ui.filters()
RULES = {
    "re_entry_12m_rate": ("Re-entry within 12 months (closure to start)", "episodes started"),
    "re_referral_12m_rate": ("Re-referral within 12 months (referral to referral)", "requests"),
}
ui.shares_by_group(RULES, "reentry")

st.subheader("Trend by quarter")
ui.shares_by_quarter(
    RULES, "Re-entry and re-referral within 12 months, by quarter", "reentry_trend"
)

st.subheader("How the previous episode closed")
prev = ui.get(explore.re_entry_by_previous_closure, f.period, f.scope)
prev["Previous closure"] = prev["previous_closure_reason"].map(formatting.label)
PREV_KINDS = {"re_entries": "count", "episodes": "denominator", "share": "share"}
prev = ui.publish(prev, PREV_KINDS)
whole_prev = ui.authority_mix(
    "previous_closure_reason",
    "Previous closure",
    PREV_KINDS,
    explore.re_entry_by_previous_closure,
    f.period,
)
closure = Col("Previous closure", "Previous closure", axis="Previous episode's closure")
share = Col(
    "share",
    "Share",
    SHARE,
    axis="Re-entries within 12 months as a share of episodes started (%)",
)
ui.chart(
    charts.bar(
        prev,
        closure,
        share,
        title="Share of episodes that are re-entries, by how the previous episode closed",
        horizontal=True,
        reference=whole_prev,
    ),
    prev,
    "reentry_previous_closure",
    columns=(closure, Col("re_entries", "Count", COUNT), Col("episodes", "Out of", COUNT), share),
    caption="'No earlier episode' are first episodes, so never re-entries. A re-entry is counted "
    "when the previous episode closed no more than 12 months before the new one started. "
    "Episodes whose previous episode closed by **transfer** are left out: a transfer hands "
    "the same support on, so the next episode starts at once and would always count (100%); "
    "the re-entry rate itself still counts them (docs/metrics.md).",
)
