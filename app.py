"""EHTS Insight: sign-in (when configured), the navigation (from the page registry, per role:
site.sections()) and the shared filter bar."""

import streamlit as st

from ehts_data import ui

st.set_page_config(page_title="EHTS Insight", page_icon=":material/family_restroom:", layout="wide")

grant = ui.sign_in()
page = ui.navigation(grant)
chosen = ui.filter_bar()
if chosen is not None:
    ui.page_opened(page.title, chosen.describe())
page.run()
