"""Scorecard: the board's KPIs with targets, RAG, trend, benchmarks, locality matrix, funnel
plot, SPC chart, commentary and the printable board pack."""

from datetime import datetime

import streamlit as st

from ehts_data import board, charts, explore, formatting, kinds, scorecard, ui
from ehts_data.kinds import Col

ui.page_header(
    "Scorecard",
    "Is early help working? Each KPI against its target for the period, with the change on "
    "the period before and the last eight quarters. RAG is shown by colour, symbol and word. "
    "Rates carry 95% confidence intervals; published social care benchmarks are labelled as such.",
)
f = ui.filters()
try:
    card = scorecard.load()
except scorecard.RegistryError as exc:
    st.error("The KPI registry cannot be used:")
    st.code(exc.shown_as(scorecard.registry_path()), language=None)
    st.stop()
k = ui.threshold()
results = ui.get(scorecard.evaluate, card, f.period, f.scope)
names = ui.get(explore.group_names)
comments = ui.commentary(f.period)
st.html(board.exceptions_html(results, k, comments))
links = {kpi.id: board.drill_link(kpi, f.period, f.scope) for kpi in card.kpi}
st.html(board.tiles_html(results, k, comments=comments, links=links))
st.markdown("Select a KPI's title to open the analysis behind it with the same filters.")
ui.filters_not_applied({kpi.metric.split(":")[0]: kpi.title for kpi in card.kpi if kpi.metric})
if f.scope != scorecard.ALL:
    st.markdown(
        "Each tile's **Against the authority** compares this selection with the whole "
        "authority: better, similar or worse at 95% (or 99.8%) confidence."
    )

st.header("Against published benchmarks")
spine = board.spine_figure(results, f.period, k)
if spine is not None:
    ui.chart(
        spine,
        ui.publish(
            board.benchmark_table(results, k, numbers=True),
            {
                "This council value (early help)": "public",
                "Benchmark value": "public",
                "Year": "public",
            },
        ),
        "scorecard_spine",
    )
    st.markdown(
        "DfE social care figures show pressure at the front door; they are not early help "
        "figures. DfE rates per 10,000 use children aged 0-17, ours 0-19. Contains public "
        "sector information licensed under the Open Government Licence v3.0."
    )
needs = ui.get(scorecard.needs_beside_dfe, card, f.period, f.scope)
if not needs.empty:
    needs["Need"] = needs["need"].map(formatting.label) + " · " + needs["factor_label"]
    needs = ui.publish(
        needs, {"numerator": "count", "denominator": "denominator", "share": "share"}
    )
    need = Col("Need", "Need", axis="Early help need · DfE assessment factor")
    share = Col("share", "Share", kinds.SHARE, axis="Share of assessments (%)")
    ui.chart(
        charts.bar(
            needs,
            need,
            share,
            color="place",
            horizontal=True,
            stacked=False,
            title="Needs at early help assessment beside factors at social care assessment (DfE)",
        ),
        needs,
        "scorecard_needs_profile",
        columns=(need, Col("place", "Place"), share, Col("year", "Year")),
    )

st.header("Localities")
matrix = board.matrix_published(
    ui.get(scorecard.locality_matrix, card, f.period, scorecard.authority_values(results)),
    k,
    names["locality"],
)
ui.chart(
    board.matrix_figure(matrix, card, names["locality"], f.period),
    board.matrix_download(matrix, card),
    "scorecard_locality_matrix",
)
st.markdown(board.MATRIX_KEY)

st.header("Comparing localities and hubs fairly")
rate_kpis = {kpi.id: kpi for kpi in card.kpi if kpi.metric and kpi.has_interval}
left, right = st.columns([3, 1])
ui.kept_in_url("funnel_kpi", list(rate_kpis))
ui.kept_in_url("funnel_by", ["locality", "hub"])
funnel_kpi = rate_kpis[
    left.selectbox(
        "KPI for the funnel plot",
        list(rate_kpis),
        format_func=lambda i: rate_kpis[i].title,
        key="funnel_kpi",
    )
]
by = right.radio(
    "Compare", ["locality", "hub"], format_func=str.capitalize, horizontal=True, key="funnel_by"
)
ui.keep_in_url("funnel_kpi", funnel_kpi.id)
ui.keep_in_url("funnel_by", by)
if kinds.of(funnel_kpi.kind).per_population and by == "hub":
    st.info("Rates per 10,000 children have no hub population, so they compare localities only.")
else:
    plot = ui.get(scorecard.funnel, funnel_kpi, f.period, by)
    points = board.funnel_points(plot, names[by], matrix, funnel_kpi.id, by)
    if board.funnel_centre(plot, funnel_kpi, points.k) is None or points.empty:
        st.info("No values to compare for this period (or the authority's value is withheld).")
    else:
        ui.chart(
            board.funnel_figure(points, plot, funnel_kpi, by, f.period),
            points,
            "scorecard_funnel",
            columns=(
                Col("name", by.capitalize()),
                Col("numerator", "Count", kinds.COUNT),
                Col("denominator", "Out of", kinds.COUNT),
                Col("value", "Value", funnel_kpi.kind),
                Col("position", "Position"),
            ),
        )
        st.markdown(board.FUNNEL_NOTE)

st.header("Over time: statistical process control")
monthly_kpis = {kpi.id: kpi for kpi in card.kpi if kpi.metric}
ui.kept_in_url("spc_kpi", list(monthly_kpis))
spc_kpi = monthly_kpis[
    st.selectbox(
        "KPI for the SPC chart",
        list(monthly_kpis),
        format_func=lambda i: monthly_kpis[i].title,
        key="spc_kpi",
    )
]
ui.keep_in_url("spc_kpi", spc_kpi.id)
result = ui.get(scorecard.spc, spc_kpi, f.period, f.scope)
if result.chart is None:
    st.info("Fewer than two months with data: no SPC chart for this selection.")
else:
    icons = board.spc_icons_html(result)
    st.html(icons)
    series = ui.publish(result.series[board.SPC_COLUMNS], board.SPC_KINDS)
    ui.chart(
        board.spc_figure(series, result, spc_kpi, f.period),
        series,
        "scorecard_spc",
        sources=(spc_kpi.metric.split(":")[0],),
        formats={"numerator": "count", "denominator": "count"}
        | dict.fromkeys(("value", "mean", "upper", "lower"), spc_kpi.kind),
    )

st.header("Commentary")
titles = {kpi.id: kpi.title for kpi in card.kpi}
if comments.empty:
    st.markdown(f"No commentary for {f.period.label} yet.")
else:
    st.dataframe(board.commentary_table(comments, titles), hide_index=True)
    versions = ui.commentary_versions(f.period)
    with st.expander(f"Every version of the commentary for {f.period.label}"):
        st.dataframe(board.commentary_history_table(versions, titles), hide_index=True)
# The KPI is chosen outside the form so that choosing it fills the form with its latest
# commentary to edit. The form keeps what was typed until it is saved: a failed save loses
# nothing. A saved entry refreshes it by giving the form new widget keys.
round_ = st.session_state.setdefault("commentary_round", 0)
# A board member comments only on the KPIs of the owners they speak for (access.toml).
own = [kpi.id for kpi in ui.commentary_kpis(card)]
if not own:
    st.markdown(
        "Commentary is written for each KPI's owner. Your access does not name you for any "
        "owner, so you cannot add commentary; the council's analyst team can add you."
    )
else:
    kpi_id = st.selectbox(
        "KPI to write commentary on", own, format_func=titles.get, key=f"ckpi{round_}"
    )
    latest = comments.loc[comments["kpi"] == kpi_id, "comment"]
    with st.form("commentary"):
        st.markdown(
            f"{'Edit the' if len(latest) else 'Add'} commentary on **{titles[kpi_id]}** for "
            f"**{f.period.label}**. Each save is a new version kept in the council's own "
            "records with who and when; earlier versions stay in the history."
        )
        text = st.text_area(
            "Commentary",
            value=latest.iloc[0] if len(latest) else "",
            max_chars=scorecard.COMMENT_MAX,
            key=f"ctext{round_}-{kpi_id}",
        )
        author = ui.commentary_author(key=f"cauthor{round_}")
        if st.form_submit_button("Save commentary"):
            try:
                ui.save_commentary(kpi_id, f.period, text, author, card)
            except (ValueError, RuntimeError, PermissionError) as exc:
                st.error(f"Not saved: {exc}. Your text is still in the form.")
            else:
                st.session_state["commentary_round"] = round_ + 1
                st.session_state[f"ckpi{round_ + 1}"] = kpi_id
                st.session_state[f"cauthor{round_ + 1}"] = author
                st.session_state["commentary_saved"] = (
                    f"Saved commentary on {titles[kpi_id]} at {datetime.now():%H:%M}."
                )
                st.rerun()
saved = st.session_state.pop("commentary_saved", None)
if saved:
    st.success(saved)

st.header("Board pack")
st.markdown(
    "A print-ready A4 landscape pack of this scorecard (tiles, table, benchmarks, localities, "
    "definitions) that opens with no network. Figures resting on 1 to 5 cases show c. The "
    "HTML pack is built when you download it; the PDF is printed from it."
)
pack = ui.board_pack(card, f.period)
left, right = st.columns(2)
left.download_button(
    "Download board pack (HTML)",
    pack.html,
    file_name=pack.name,
    mime="text/html",
    key="board_pack_html",
    # a download needs no rerun of the page, unless it is audited (signed in)
    on_click="ignore" if ui.grant() is None else (lambda: ui.audit("board pack", f.period.label)),
    icon=":material/download:",
)
if right.button("Prepare the board pack as PDF", icon=":material/print:"):
    with st.spinner("Printing the board pack to PDF…"):
        st.session_state["board_pack_pdf"] = ui.board_pack_pdf(pack)
pdf = st.session_state.get("board_pack_pdf")
if pdf and pdf["period"] == f.period.label:
    if pdf["pdf"] is not None:
        right.download_button(
            "Download board pack (PDF)", pdf["pdf"], file_name=pdf["name"], mime="application/pdf"
        )
    else:
        right.warning(pdf["error"])
