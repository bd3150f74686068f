"""How long each dashboard page takes to compute and render on a store, cold and cached.

    EHTS_DB=data/store .venv/bin/python scripts/time_pages.py

Uses streamlit's AppTest (no browser): cold = caches cleared before the page runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from ehts_data import site

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    print(f"{'page':<14} {'cold (s)':>9} {'cached (s)':>11}")
    for page in site.PAGES:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()  # the entry page, to set up the session and filters
        st.cache_data.clear()
        started = time.perf_counter()
        at.switch_page(page.file).run()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        at.switch_page(page.file).run()
        warm = time.perf_counter() - started
        assert not at.exception, at.exception
        print(f"{page.id:<14} {cold:>9.2f} {warm:>11.2f}")


if __name__ == "__main__":
    main()
