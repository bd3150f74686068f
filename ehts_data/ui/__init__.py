"""The only part of EHTS Insight that imports streamlit: connection, caching, filters, layout."""

from ehts_data.ui.blocks import authority, request_mix, shares_by_group, shares_by_quarter
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
from ehts_data.ui.filters import (
    Filters,
    filter_bar,
    filter_on_click,
    filter_on_map_click,
    filters,
    request_filter,
)
from ehts_data.ui.layout import (
    chart,
    download_name,
    internal_only,
    no_data,
    page_header,
    publish,
    require_data,
    table,
    threshold,
    tiles,
)

__all__ = [
    "Filters",
    "authority",
    "board_pack",
    "commentary",
    "chart",
    "current_store",
    "download_name",
    "filter_bar",
    "filter_on_click",
    "filter_on_map_click",
    "filters",
    "get",
    "internal_only",
    "has_data",
    "ingest_history",
    "no_data",
    "page_header",
    "publish",
    "request_filter",
    "request_mix",
    "require_data",
    "save_commentary",
    "shares_by_group",
    "shares_by_quarter",
    "snapshots_published",
    "table",
    "threshold",
    "tiles",
]
