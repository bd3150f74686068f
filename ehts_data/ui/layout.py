"""Page furniture shared by every page: header, empty state, chart block, headline tiles."""

from __future__ import annotations

import html
import os
import re
from datetime import date

import pandas as pd
import streamlit as st

from ehts_data import charts, disclosure, explore, export, formatting, kinds, text
from ehts_data.kinds import Col
from ehts_data.ui.auth import audit, grant, is_public
from ehts_data.ui.data import current_store, get, has_data
from ehts_data.ui.filters import filters, url_notice


def no_data() -> None:
    """The page shown when there is no store, an empty one or a path that is not a store: what
    is wrong (without the server's paths) and how to load data."""
    problem = current_store().problem
    # The command names the store as the server was told it ($EHTS_DB), not by its full path.
    db = ' --db "$EHTS_DB"' if os.environ.get("EHTS_DB") else ""
    st.title("No data loaded yet")
    if problem:
        st.error(
            f"The store this dashboard is set to read cannot be used: it {problem}. An analyst "
            "can convert an earlier store with `ehts migrate` and load the extract again, or "
            "load an extract into a new folder:"
        )
    else:
        st.info(
            "The store this dashboard reads holds no data yet. Load an extract from the "
            "command line and then reload this page:"
        )
    st.code(
        f"ehts ingest path/to/extract{db}\n\n"
        f"# or the synthetic sample city:\nehts ingest sample_data{db}",
        language="bash",
    )
    st.markdown(
        "The extract is a folder of CSV files in the EHTS data contract format "
        "(`localities.csv`, `hubs.csv`, `population.csv`, `families.csv`, `children.csv`, "
        "`requests.csv`, `episodes.csv`, and optionally assessments, survey responses, "
        "indicators and locality boundaries). `make run` loads the sample automatically."
    )


def require_data() -> None:
    """Stop the page with the empty state when there is nothing to show."""
    if not has_data():
        no_data()
        st.stop()


def page_header(title: str, intro: str) -> None:
    """The page title, what it shows, the filters in force and how current the data is."""
    require_data()
    st.title(title)
    st.markdown(f"{intro}  \nShowing **{text.for_markdown(showing(filters()))}**.")
    for asked in url_notice():
        st.warning(
            f"The link asked for {text.for_markdown(asked)}: not applied; the page shows the "
            "filters in the sidebar instead.",
            icon=":material/link_off:",
        )
    data_currency()


def showing(f) -> str:
    """The filters in force in words, with names rather than codes."""
    return f.describe(get(explore.group_names))


STALE_DAYS = 45  # older than this, the banner is a warning rather than a note


def data_currency(today: date | None = None) -> None:
    """When the data ends and how long ago, and whether the chosen period runs past it."""
    f = filters()
    note = formatting.data_currency(f.period, f.last_day, today or date.today())
    if note.period_past_data:
        st.warning(note.text, icon=":material/event_busy:")
    elif note.days > STALE_DAYS:
        st.info(note.text, icon=":material/history:")
    else:  # plain text: Streamlit's grey caption is too faint for WCAG contrast
        st.markdown(text.for_markdown(note.text))


def threshold() -> int | None:
    """K in publication mode (counts 1 to K-1 are withheld); None when all may be seen."""
    return disclosure.DEFAULT_K if is_public() else None


def publish(df: pd.DataFrame, kinds: dict[str, str], *, lines=((),)) -> disclosure.Published:
    """A frame ready for `chart`: in publication mode, through disclosure.publish (every
    numeric column needs a kind: count, denominator, share, per_10k, days, public, summary)."""
    return disclosure.publish(df, kinds, threshold(), lines=lines)


def published_value(result: pd.DataFrame, kind: str) -> disclosure.Checked | None:
    """A metric result's first value as one published figure (a whole authority's reference
    line), by the tiles' rule: None when it is withheld in publication mode."""
    if result.empty:
        return None
    row = result.iloc[0]
    return disclosure.checked(
        kind, row["value"], row.get("numerator"), row.get("denominator"), threshold()
    )


def internal_only() -> None:
    """Stop a page that is not part of the published dashboard."""
    if is_public():
        st.info("This page is not part of the published dashboard.")
        st.stop()


def download_name(key: str) -> str:
    f = filters()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"ehts_{key}_{f.describe()}") + ".csv"


SCREEN_FONT_SIZE = 13


def _table_of(data, columns, formats):
    """The table shown and downloaded under a chart: with `columns` (Col specs), those
    columns renamed to their labels, in that order, formatted by their kinds."""
    if columns is None:
        return data, formats or {}
    return data.rename(columns=kinds.renames(columns))[[c.label for c in columns]], {
        **kinds.formats(columns),
        **(formats or {}),
    }


def _column_config(formats: dict[str, str]) -> dict:
    return {
        col: st.column_config.NumberColumn(col, format=kinds.of(kind).table_format)
        for col, kind in formats.items()
    }


def _nothing_to_chart(data: disclosure.Published | pd.DataFrame) -> bool:
    """True when a chart's numbers hold nothing: no row, or every number zero or missing and
    none withheld (a withheld count is a small number, not nothing)."""
    if isinstance(data, disclosure.Published):
        if data.hidden.astype("boolean").fillna(False).to_numpy(dtype=bool).any():
            return False
        data = data.frame
    numbers = data.select_dtypes("number")
    if len(data) and numbers.columns.empty:
        return False
    return not (numbers.astype("float64").fillna(0) != 0).to_numpy().any()


def chart(
    fig,
    data: disclosure.Published | pd.DataFrame,
    key: str,
    *,
    columns: list[Col] | tuple[Col, ...] | None = None,
    formats: dict[str, str] | None = None,
    select: bool = False,
    caption: str | None = None,
    sources: tuple[str, ...] | list[str] = (),
):
    """A chart, with its numbers as a table on request and a CSV download of them.

    `sources`: the queries or metric ids the figure is drawn from; a filter chosen that one
    of them does not follow (requests have no service) is said under the chart.

    `columns`: the table's columns as Col specs (frame column, header, kind), in order;
    `formats` maps table columns to a kind (kinds.KINDS: 'count', 'share', 'per_10k', ...).
    With `select`, clicking a point reruns the page and the selection is returned.
    In publication mode the figure and the table must both come from published frames
    (`publish`): nothing drawn from a raw frame reaches the browser.
    """
    if is_public() and not (
        isinstance(data, disclosure.Published) and data.k and charts.is_published(fig)
    ):
        raise TypeError(
            f"chart {key!r}: in publication mode a chart and its table are drawn from "
            "frames that passed ehts_data.disclosure (ui.publish)"
        )
    if _nothing_to_chart(data):
        # Empty axes (from -1 to 4) say nothing: the chart's title and why it is not drawn.
        title = html.unescape((fig.layout.title.text or "").replace("<br>", " "))
        st.markdown(f"**{text.for_markdown(title)}**")
        st.info(
            f"Nothing to chart for {text.for_markdown(showing(filters()))}: every number is "
            "zero or missing.",
            icon=":material/bar_chart_off:",
        )
        return None
    data, formats = _table_of(data, columns, formats)
    declared = dict(data.kinds) if isinstance(data, disclosure.Published) else {}
    declared |= formats
    if isinstance(data, disclosure.Published):
        data = data.table()
    # On screen, beside Streamlit's own 14 px text and in columns, a size smaller than the
    # printed pack's.
    fig.update_layout(font_size=SCREEN_FONT_SIZE)
    event = st.plotly_chart(
        fig,
        # The figure's own look (charts.py: font, colours, bold title), as in the board pack
        # and snapshots. Streamlit's theme wrapped the title in <b> on every draw of the
        # same figure, so titles came out as "<b><b>…</b></b>".
        theme=None,
        key=key,
        on_select="rerun" if select else "ignore",
        selection_mode="points",
        config={"displaylogo": False, "responsive": True},
    )
    for note in explore.filters_not_applied(sources, filters().scope):
        st.caption(f":material/filter_alt_off: {note}")
    if caption:
        st.markdown(caption)
    column_config = _column_config(formats)
    # One row that wraps: in a narrow column the button moves under the table's expander
    # rather than being cut to "Downloa…".
    row = st.container(horizontal=True, gap="small")
    # The table is sent when it is opened (opening reruns the page, from the cache) and the
    # CSV made when the button is clicked: a grid under every chart, drawn or not, cost the
    # browser about a tenth of a second each, and the CSVs the server's time on every run.
    with row:
        shown = st.expander("Show as table", width="stretch", key=f"{key}_table", on_change="rerun")
    with shown:
        if shown.open:
            st.dataframe(data, hide_index=True, column_config=column_config)
    with row:
        st.download_button(
            "Download data",
            lambda: export.csv_bytes(data, declared),
            file_name=download_name(key),
            mime="text/csv",
            key=f"{key}_download",
            # a download needs no rerun of the page, unless it is audited (signed in)
            on_click="ignore"
            if grant() is None
            else (lambda: audit("download", download_name(key))),
            icon=":material/download:",
            help="The numbers behind this chart, as CSV (numbers as numbers; each column's "
            "name carries its unit)" + (" (publication mode)" if is_public() else ""),
        )
    return event


def table(
    data: disclosure.Published,
    formats: dict[str, str] | None = None,
    *,
    columns: list[Col] | tuple[Col, ...] | None = None,
) -> None:
    """A table of published numbers (withheld cells as c), formatted by kind; with `columns`
    (Col specs), those columns under their labels."""
    if not isinstance(data, disclosure.Published):
        raise TypeError("ui.table shows frames that passed ehts_data.disclosure (ui.publish)")
    data, formats = _table_of(data, columns, formats)
    st.dataframe(data.table(), hide_index=True, column_config=_column_config(formats))


def filters_not_applied(figures: dict[str, str]) -> None:
    """Under a group of tiles (source query or metric id → the tile's title): which tiles do
    not follow a filter chosen, and why (explore.filters_not_applied)."""
    by_note: dict[str, list[str]] = {}
    for source, title in figures.items():
        for note in explore.filters_not_applied([source], filters().scope):
            by_note.setdefault(note, []).append(title)
    for note, titles in by_note.items():
        st.caption(f":material/filter_alt_off: {text.for_markdown(', '.join(titles))}: {note}")


def tiles(rows: list[dict], columns: int = 4) -> None:
    """Headline figures: each dict has title, value (text), delta (text or None), help,
    'polarity' ('higher', 'lower' or None: which way is better) to colour the change, and
    'reference' (text or None: the whole authority's value, written under the figure)."""
    # A tile's title is written in full on as many lines as it needs: Streamlit cuts a
    # metric's label to one line ("Requests per 10,000 childre…").
    st.html(
        "<style>[data-testid='stMetricLabel'], [data-testid='stMetricLabel'] * "
        "{ white-space: normal !important; overflow: visible !important; "
        "text-overflow: clip !important; height: auto !important; }</style>"
    )
    for start in range(0, len(rows), columns):
        cols = st.columns(columns)
        for col, row in zip(cols, rows[start : start + columns], strict=False):
            # One bordered box per tile, holding the whole authority's value under the figure
            # when a place is chosen; a row's boxes as tall as its tallest.
            with col, st.container(border=True, height="stretch"):
                polarity = row.get("polarity")
                st.metric(
                    row["title"],
                    row["value"],
                    delta=row.get("delta"),
                    delta_color="normal"
                    if polarity == "higher"
                    else "inverse"
                    if polarity == "lower"
                    else "off",
                    help=row.get("help"),
                    delta_arrow=row.get("delta_arrow", "auto"),
                )
                if row.get("reference"):
                    st.caption(text.for_markdown(row["reference"]))
