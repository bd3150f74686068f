"""EHTS Insight: the dashboard's navigation and the shared filter bar."""

import streamlit as st

from ehts_data import ui

st.set_page_config(page_title="EHTS Insight", page_icon=":material/family_restroom:", layout="wide")

page = st.navigation(
    {
        "Board": [
            st.Page(
                "pages/scorecard.py", title="Scorecard", icon=":material/scoreboard:", default=True
            ),
            st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:"),
        ],
        "Locality demand": [
            st.Page("pages/demand.py", title="Demand", icon=":material/map:"),
        ],
        "Analysis": [
            st.Page("pages/reentry.py", title="Re-entry and re-referral", icon=":material/replay:"),
            st.Page("pages/steps.py", title="Step-up and step-down", icon=":material/swap_vert:"),
            st.Page("pages/needs.py", title="Needs analysis", icon=":material/checklist:"),
            st.Page(
                "pages/outcomes.py", title="Outcomes and family voice", icon=":material/forum:"
            ),
        ],
        "Data": [
            st.Page("pages/data_quality.py", title="Data quality", icon=":material/fact_check:"),
            st.Page("pages/publish.py", title="Publish", icon=":material/publish:"),
        ],
    }
)
ui.filter_bar()
page.run()
