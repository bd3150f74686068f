"""EHTS Insight: the dashboard's navigation (from the page registry) and the shared filter bar."""

import streamlit as st

from ehts_data import site, ui

st.set_page_config(page_title="EHTS Insight", page_icon=":material/family_restroom:", layout="wide")

page = st.navigation(
    {
        section: [
            st.Page(p.file, title=p.title, icon=p.icon, default=p.default, url_path=p.url_path)
            for p in pages
        ]
        for section, pages in site.sections().items()
    }
)
ui.filter_bar()
page.run()
