"""Data quality: what is loaded, how complete and current it is, and what ingests warned about."""

import json
from datetime import date

import pandas as pd
import streamlit as st

from ehts_data import charts, explore, store, text, ui
from ehts_data.kinds import COUNT, SHARE, Col

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
file, days = Col("File", "File"), Col("Days before today", "Days before today", COUNT, axis="Days")
ui.chart(
    charts.bar(
        current,
        file,
        days,
        title=f"Days from each file's last record to today ({today:%d %b %Y})",
        horizontal=True,
    ),
    current,
    "quality_staleness",
    columns=(file, Col("Last date", "Last date"), days),
)

st.subheader("Rows month by month")
grid = ui.get(explore.monthly_volume_grid)
series, month = Col("series", "Series", axis="File and group"), Col("month_name", "Month")
of_typical = Col("of_typical", "Of typical month", SHARE, axis="Of typical")
volumes = charts.heatmap(
    explore.volume_heatmap_rows(grid, hubs_at_most=charts.BARS_AT_MOST),
    month,
    series,
    of_typical,
    title="Rows per month in each file, against the series' typical (median) month",
)
# White for an empty month, blue for a usual one; a busy month is not allowed to wash the
# scale out (150% and over all look the same).
volumes.update_traces(
    zmin=0, zmax=1.5, colorscale=[[0, "#FFFFFF"], [0.4, "#9ECAE1"], [1, "#08306B"]]
)
volumes.update_xaxes(dtick=12, tickangle=0)
ui.chart(
    volumes,
    grid,
    "quality_monthly_volumes",
    columns=(series, month, Col("rows", "Rows", COUNT), of_typical),
    caption="A pale column is a month with few or no rows in a file: a late or partial "
    "extract, or a month a system did not record. Above "
    f"{charts.BARS_AT_MOST} hubs, a file's hubs are one row, each month the lowest hub's; "
    "the table has every hub.",
)
unknown = ui.get(explore.unknown_share_monthly)
unknown["What is unknown"] = unknown["field"].map(
    {"hub": "No receiving hub", "area": "No small area (so no locality)"}
)
month = Col("month", "Month", axis="Month received")
share = Col("share", "Share", SHARE, axis="Share of requests (%)")
ui.chart(
    charts.line(
        unknown,
        month,
        share,
        title="Requests with an unknown hub or small area, month by month",
        color="What is unknown",
        value_format=".1%",
    ),
    unknown,
    "quality_unknown_share",
    columns=(
        Col("What is unknown", "What is unknown"),
        month,
        Col("requests", "Requests", COUNT),
        Col("unknown", "Unknown", COUNT),
        share,
    ),
)

left, right = st.columns(2)
with left:
    coverage = ui.get(explore.table_coverage)
    table = Col("table_name", "Table")
    rows = Col("rows", "Rows", COUNT, axis="Rows (log scale)")
    figure = charts.bar(
        coverage,
        table,
        rows,
        title="Rows loaded per table (log scale)",
        horizontal=True,
    )
    # A log scale, so a table of ten rows shows beside one of a million.
    figure.update_xaxes(type="log", dtick=1, tickformat=",.0f")
    ui.chart(
        figure,
        coverage,
        "quality_rows",
        columns=(table, rows, Col("first_date", "First date"), Col("last_date", "Last date")),
    )
with right:
    complete = ui.get(explore.field_completeness)
    complete["Field"] = complete["table_name"] + "." + complete["field"]
    field = Col("Field", "Field", axis="Table and field")
    share = Col("share", "Share", SHARE, axis="Share of rows filled in (%)")
    ui.chart(
        charts.bar(
            complete,
            field,
            share,
            title="Optional fields filled in",
            horizontal=True,
        ),
        complete,
        "quality_completeness",
        columns=(field, Col("filled", "Filled", COUNT), Col("rows", "Rows", COUNT), share),
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
