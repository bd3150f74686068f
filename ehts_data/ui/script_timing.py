"""For `ehts bench`: where the server's time goes on each page, without a browser.

Each page's script is run in Streamlit's AppTest (here because ui/ is the only place that
imports streamlit): first with nothing cached (its queries run), then again (queries cached:
building the figures and tables and the rest of the script). The bench runs it as its own
process (`python -m ehts_data.ui.script_timing DB PERIOD`, JSON on stdout): Streamlit outside
a server logs warnings and keeps state that the bench's process should not carry.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from ehts_data import serve, site


def page_scripts(db: Path, period_label: str, timeout_s: float) -> dict:
    """{page id: {"with_queries_s", "figures_s"}}: seconds of each page's script run."""
    before = os.environ.get("EHTS_DB")
    os.environ["EHTS_DB"] = str(db)
    try:
        at = AppTest.from_file(str(serve.APP), default_timeout=timeout_s)
        at.query_params["period"] = period_label
        at.run()
        timed = {}
        for page in site.PAGES:
            st.cache_data.clear()  # the page's own queries run in its first run
            runs = []
            for _ in range(2):
                started = time.perf_counter()
                at.switch_page(page.file).run()
                runs.append(round(time.perf_counter() - started, 2))
            if at.exception:
                raise RuntimeError(f"{page.id}: {at.exception[0].message}")
            timed[page.id] = {"with_queries_s": runs[0], "figures_s": runs[1]}
        return timed
    finally:
        if before is None:
            os.environ.pop("EHTS_DB", None)
        else:
            os.environ["EHTS_DB"] = before


if __name__ == "__main__":
    print(json.dumps(page_scripts(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]))))
