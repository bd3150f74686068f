"""Data quality: what is loaded, how complete it is, and what the last ingest warned about."""

import json

import streamlit as st

from ehts_data import charts, explore, store, ui

ui.page_header(
    "Data quality",
    "What the store holds: rows and dates per table, how often optional fields are filled in, "
    "and the history of ingests with their warnings.",
)
latest = ui.get(store.latest_ingest)
cols = st.columns(3)
cols[0].metric("Last ingest", f"{latest['ingested_at']:%d %b %Y %H:%M} UTC", border=True)
cols[1].metric("Data from", f"{latest['date_from']:%d %b %Y}", border=True)
cols[2].metric("Data to", f"{latest['date_to']:%d %b %Y}", border=True)
st.markdown(
    f"Source folder: `{latest['source']}` · fingerprint `{latest['fingerprint']}` · "
    f"ingest id `{latest['ingest_id']}`"
)

warnings = json.loads(latest["warnings"] or "[]")
if warnings:
    st.warning(f"The last ingest raised {len(warnings)} warning(s):")
    st.markdown("\n".join(f"- {w}" for w in warnings))
else:
    st.success("The last ingest raised no warnings.")

left, right = st.columns(2)
with left:
    coverage = ui.get(explore.table_coverage)
    ui.chart(
        charts.bar(
            coverage,
            "table_name",
            "rows",
            title="Rows loaded per table",
            x_title="Rows",
            y_title="Table",
            horizontal=True,
        ),
        coverage.rename(
            columns={
                "table_name": "Table",
                "rows": "Rows",
                "first_date": "First date",
                "last_date": "Last date",
            }
        ),
        "quality_rows",
        formats={"Rows": "count"},
    )
with right:
    complete = ui.get(explore.field_completeness)
    complete["Field"] = complete["table_name"] + "." + complete["field"]
    ui.chart(
        charts.bar(
            complete,
            "Field",
            "share",
            title="Optional fields filled in",
            x_title="Share of rows filled in (%)",
            y_title="Table and field",
            horizontal=True,
            value_format=".0%",
        ),
        complete.rename(columns={"filled": "Filled", "rows": "Rows", "share": "Share"})[
            ["Field", "Filled", "Rows", "Share"]
        ],
        "quality_completeness",
        formats={"Filled": "count", "Rows": "count", "Share": "share"},
    )

st.subheader("Ingest history")
history = ui.ingest_history()
st.dataframe(
    history[["ingested_at", "source", "fingerprint", "date_from", "date_to", "ingest_id"]].rename(
        columns={
            "ingested_at": "Loaded (UTC)",
            "source": "Source folder",
            "fingerprint": "Fingerprint",
            "date_from": "Data from",
            "date_to": "Data to",
            "ingest_id": "Ingest id",
        }
    ),
    hide_index=True,
)
