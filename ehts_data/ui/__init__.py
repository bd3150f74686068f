"""The only part of EHTS Insight that imports streamlit: connection, caching, filters, layout."""

from ehts_data.ui.blocks import shares_by_group, shares_by_quarter
from ehts_data.ui.data import (
    board_pack,
    commentary,
    current_store,
    get,
    has_data,
    ingest_history,
    save_commentary,
    snapshots_published,
)
from ehts_data.ui.filters import Filters, filter_bar, filter_on_click, filters, request_filter
from ehts_data.ui.layout import chart, download_name, no_data, page_header, require_data, tiles

__all__ = [
    "Filters",
    "board_pack",
    "commentary",
    "chart",
    "current_store",
    "download_name",
    "filter_bar",
    "filter_on_click",
    "filters",
    "get",
    "has_data",
    "ingest_history",
    "no_data",
    "page_header",
    "request_filter",
    "require_data",
    "save_commentary",
    "shares_by_group",
    "shares_by_quarter",
    "snapshots_published",
    "tiles",
]
