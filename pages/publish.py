"""Publish: preview suppressed tables, generate a snapshot, download it; list past snapshots."""

from functools import partial
from pathlib import Path

import streamlit as st

from ehts_data import charts, disclosure, formatting, snapshot, store, ui
from ehts_data.kinds import COUNT, Col

ui.page_header(
    "Publish a snapshot",
    "A dated, reproducible report (HTML), workbook (Excel), CSV tables and manifest for a "
    "period, with small numbers suppressed: counts from 1 to K-1 become c, with secondary "
    "suppression so no hidden number can be worked out from a total.",
)
ui.internal_only()
f = ui.filters()
left, middle, right = st.columns(3)
audience = left.radio(
    "Audience",
    snapshot.AUDIENCES,
    format_func={"public": "Public (localities)", "partners": "Partners (hubs too)"}.get,
    key="publish_audience",
)
threshold = middle.number_input(
    "Suppression threshold K",
    min_value=2,
    max_value=20,
    value=disclosure.DEFAULT_K,
    help="Counts from 1 to K-1 are suppressed. DfE uses K = 6 (1 to 5 suppressed); some NHS "
    "partners expect K = 8.",
    key="publish_threshold",
)
right.markdown(
    f"**Period:** {f.period.label} ({f.period.start:%d %b %Y} to {f.period.end:%d %b %Y})"
)
right.markdown("Change the period in the sidebar.")

preview, hidden = ui.get(snapshot.preview, f.period, int(threshold), audience)
ingest = ui.get(store.latest_ingest)
# Built from the preview when the button is clicked (seconds at national scale), not each run.
workbook = partial(
    snapshot.preview_workbook, preview, hidden.copy(), f.period, int(threshold), audience, ingest
)
hidden["Step"] = hidden["step"].map(
    {"primary": "Primary (1 to K-1)", "secondary": "Secondary", "rates": "Rates withheld"}
)
hidden["Table"] = hidden["table"].map(formatting.label)
SUPPRESSED = (
    Col("Table", "Table", axis="Published table"),
    Col("Step", "Step"),
    Col("cells", "Cells", COUNT, axis="Cells shown as c"),
)
ui.chart(
    charts.bar(
        hidden,
        SUPPRESSED[0],
        SUPPRESSED[2],
        title=f"Cells suppressed in each table (K = {threshold})",
        color="Step",
        horizontal=True,
    ),
    hidden,
    "publish_suppressed",
    columns=SUPPRESSED,
)
st.subheader("Preview of the published tables")
st.download_button(
    "Download the workbook (Excel)",
    workbook,
    file_name=f"ehts_tables_{f.period.label}_{audience}_K{int(threshold)}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    on_click="ignore",
    help="These tables as the snapshot's tables.xlsx lays them out (cover, contents, notes, "
    "one table per sheet), without publishing a snapshot",
)
for table in preview:
    with st.expander(f"{table.title} ({len(table.frame)} rows)"):
        st.markdown(table.description)
        st.dataframe(table.frame.astype(str), hide_index=True)

if st.button("Generate snapshot", type="primary", icon=":material/publish:"):
    bar = st.progress(0.0, text="Starting")
    try:
        folder = snapshot.publish(
            f.period,
            ui.current_store().path,
            threshold=int(threshold),
            audience=audience,
            who=ui.who(),
            progress=lambda message, fraction: bar.progress(fraction, text=message),
        )
    except snapshot.SnapshotExists as exc:
        bar.empty()
        st.session_state["publish_folder"] = str(exc.folder)
        st.info(
            f"This snapshot ({exc.folder.name}) was already published from the same data; it "
            "is kept as it was and offered for download below."
        )
    except (snapshot.PublishError, OSError) as exc:
        bar.empty()
        # the reason without the server's folders
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        where = str(snapshot.snapshots_dir())
        st.error(
            f"The snapshot could not be written: {reason.replace(where, 'the snapshots folder')}."
        )
    else:
        st.session_state["publish_folder"] = str(folder)
        st.success(f"Snapshot {folder.name} published.")

folder = st.session_state.get("publish_folder")
if folder and Path(folder).is_dir():
    path = Path(folder)
    st.download_button(
        f"Download {path.name}.zip",
        snapshot.zip_folder(path),
        file_name=f"{path.name}.zip",
        mime="application/zip",
        icon=":material/download:",
    )

st.subheader("Snapshots already published")
done = ui.snapshots_published()
if done.empty:
    st.markdown("None yet for this store.")
else:
    st.dataframe(
        done.drop(columns=["path"]).rename(
            columns={
                "folder": "Folder",
                "period": "Period",
                "audience": "Audience",
                "fingerprint": "Data fingerprint",
                "threshold": "K",
                "generated_at": "Generated",
                "suppressed": "Cells suppressed",
            }
        ),
        hide_index=True,
    )
