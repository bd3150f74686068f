"""Data quality: what is loaded, how complete and current it is, and what ingests warned about."""

import json
from datetime import date

import pandas as pd
import streamlit as st

from ehts_data import charts, explore, store, text, ui

ui.page_header(
    "Data quality",
    "What the store holds: rows and dates per table, rows month by month in each file (a "
    "missing month stands out), unknown hubs and areas over time, how often optional fields "
    "are filled in, and the history of ingests with their warnings.",
)
ui.internal_only()
latest = ui.get(store.latest_ingest)
loaded = pd.Timestamp(latest["ingested_at"])
cols = st.columns(3)
cols[0].metric(
    "Last ingest (UTC)",
    f"{loaded:%d %b %Y}",
    help=f"Loaded {loaded:%d %B %Y at %H:%M:%S} UTC",
    border=True,
)
cols[1].metric("Data from", f"{latest['date_from']:%d %b %Y}", border=True)
cols[2].metric("Data to", f"{latest['date_to']:%d %b %Y}", border=True)
st.markdown(
    f"Loaded at {loaded:%H:%M:%S} UTC from source folder {text.for_markdown(latest['source'])} "
    f"· fingerprint {text.for_markdown(latest['fingerprint'])} · ingest id "
    f"{text.for_markdown(latest['ingest_id'])}"
)

warnings = json.loads(latest["warnings"] or "[]")
if warnings:
    st.warning(f"The last ingest raised {len(warnings)} warning(s):")
    st.markdown("\n".join(f"- {text.for_markdown(w)}" for w in warnings))
else:
    st.success("The last ingest raised no warnings.")

st.subheader("How current the data is")
today = date.today()
stale = ui.get(explore.staleness, today)
current = pd.DataFrame(
    [(f"{name}.csv", v["last_date"], v["days"]) for name, v in stale.items()],
    columns=["File", "Last date", "Days before today"],
)
ui.chart(
    charts.bar(
        current,
        "File",
        "Days before today",
        title=f"Days from each file's last record to today ({today:%d %b %Y})",
        x_title="Days",
        y_title="File",
        horizontal=True,
    ),
    current,
    "quality_staleness",
    formats={"Days before today": "count"},
)

st.subheader("Rows month by month")
grid = ui.get(explore.monthly_volume_grid)
grid["Month"] = pd.to_datetime(grid["month"]).dt.strftime("%b %Y")
volumes = charts.heatmap(
    grid,
    "Month",
    "series",
    "of_typical",
    title="Rows per month in each file, against the series' typical (median) month",
    x_title="Month",
    y_title="File and group",
    colorbar_title="Of typical",
    value_format=".0%",
)
# White for an empty month, blue for a usual one; a busy month is not allowed to wash the
# scale out (150% and over all look the same).
volumes.update_traces(
    zmin=0, zmax=1.5, colorscale=[[0, "#FFFFFF"], [0.4, "#9ECAE1"], [1, "#08306B"]]
)
volumes.update_xaxes(dtick=12, tickangle=0)
ui.chart(
    volumes,
    grid.rename(columns={"series": "Series", "rows": "Rows", "of_typical": "Of typical month"})[
        ["Series", "Month", "Rows", "Of typical month"]
    ],
    "quality_monthly_volumes",
    formats={"Rows": "count", "Of typical month": "share"},
    caption="A pale column is a month with few or no rows in a file: a late or partial "
    "extract, or a month a system did not record.",
)
unknown = ui.get(explore.unknown_share_monthly)
unknown["What is unknown"] = unknown["field"].map(
    {"hub": "No receiving hub", "area": "No small area (so no locality)"}
)
ui.chart(
    charts.line(
        unknown,
        "month",
        "share",
        title="Requests with an unknown hub or small area, month by month",
        x_title="Month received",
        y_title="Share of requests (%)",
        color="What is unknown",
        value_format=".1%",
    ),
    unknown.rename(
        columns={"month": "Month", "requests": "Requests", "unknown": "Unknown", "share": "Share"}
    )[["What is unknown", "Month", "Requests", "Unknown", "Share"]],
    "quality_unknown_share",
    formats={"Requests": "count", "Unknown": "count", "Share": "share"},
)

left, right = st.columns(2)
with left:
    coverage = ui.get(explore.table_coverage)
    figure = charts.bar(
        coverage,
        "table_name",
        "rows",
        title="Rows loaded per table (log scale)",
        x_title="Rows (log scale)",
        y_title="Table",
        horizontal=True,
    )
    # A log scale, so a table of ten rows shows beside one of a million.
    figure.update_xaxes(type="log", dtick=1, tickformat=",.0f")
    ui.chart(
        figure,
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
for column in ("date_from", "date_to"):
    history[column] = pd.to_datetime(history[column])
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
    column_config={
        "Loaded (UTC)": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm:ss"),
        "Data from": st.column_config.DateColumn(format="D MMM YYYY"),
        "Data to": st.column_config.DateColumn(format="D MMM YYYY"),
    },
)
