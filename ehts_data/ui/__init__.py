"""The only part of EHTS Insight that imports streamlit: connection, caching, filters, layout."""

from ehts_data.ui.blocks import shares_by_group, shares_by_quarter
from ehts_data.ui.data import board_pack, current_store, get, has_data, release
from ehts_data.ui.filters import Filters, filter_bar, filter_on_click, filters, request_filter
from ehts_data.ui.layout import (
    chart,
    download_name,
    internal_only,
    no_data,
    page_header,
    publish,
    require_data,
    threshold,
    tiles,
)

__all__ = [
    "Filters",
    "board_pack",
    "chart",
    "current_store",
    "download_name",
    "filter_bar",
    "filter_on_click",
    "filters",
    "get",
    "internal_only",
    "has_data",
    "no_data",
    "page_header",
    "publish",
    "release",
    "request_filter",
    "require_data",
    "shares_by_group",
    "shares_by_quarter",
    "threshold",
    "tiles",
]
