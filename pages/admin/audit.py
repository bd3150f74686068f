"""Audit log: who signed in, opened, downloaded, published and wrote what, and when (admins)."""

import streamlit as st

from ehts_data import state, text, ui

ui.page_header(
    "Audit log",
    "Every sign-in, sign-out, page opened (with its filters), download, board pack, snapshot, "
    "commentary and ingest, newest first. Nothing here is ever deleted by the application.",
)
log = ui.audit_log()
people = sorted(log["who"].dropna().unique())
left, right = st.columns(2)
person = left.selectbox("Person", [None, *people], format_func=lambda v: v or "Everyone")
action = right.selectbox(
    "Action", [None, *state.AUDIT_ACTIONS], format_func=lambda v: v or "Every action"
)
shown = ui.audit_log(person, action)
st.markdown(f"{len(shown):,} entries.")
st.dataframe(shown, hide_index=True)
st.download_button(
    "Download the audit log (CSV)",
    text.csv_bytes(shown),
    file_name="ehts_audit_log.csv",
    mime="text/csv",
    icon=":material/download:",
)
