"""Each page as a person feels it: timed in Chromium, from the request to the last chart drawn.

For `ehts bench`. The app is served from a store; Playwright (a dev dependency) drives Debian's
Chromium. Cold is a page's first visit since the server started (its queries not cached);
warm is a second visit in a new session (cached). Where the time goes: until the last message
from the server (the page's queries, building its figures and sending them) and after it
(the browser drawing), with the bytes the server sent.
"""

from __future__ import annotations

import time
from pathlib import Path

from ehts_data import board, serve, site

CHROMIUM = "/usr/bin/chromium"
QUIET_S = 1.0  # run finished and nothing changed for this long: the page is drawn
TIMEOUT_S = 300.0

# The page is drawn when Streamlit's script has run (stApp's script state, set by Streamlit's
# frontend), the page's title is there ("notRunning" also shows between the navigation's
# first run and the page's own), no element still waits for its code (Streamlit shows a
# skeleton while a chart's code loads) and every plotly chart has its SVG.
_STATE = """() => ({
    script: document.querySelector('[data-testid="stApp"]')
        ?.getAttribute('data-test-script-state'),
    titled: document.querySelectorAll('[data-testid="stMain"] h1').length > 0,
    loading: document.querySelectorAll('[data-testid="stMain"] [data-testid="stSkeleton"]').length,
    charts: document.querySelectorAll('.js-plotly-plot').length,
    drawn: document.querySelectorAll('.js-plotly-plot .main-svg').length,
})"""


def _visit(browser, url: str) -> dict:
    """Open `url` in a new session; seconds to drawn, to the last server message, and bytes."""
    # Tall enough for every chart of the longest page to be on screen (and so drawn).
    page = browser.new_page(viewport={"width": 1400, "height": 5000})
    received = {"bytes": 0, "last": None}

    def on_socket(ws) -> None:
        def on_frame(payload) -> None:
            received["bytes"] += len(payload)
            received["last"] = time.perf_counter()

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    started = time.perf_counter()
    page.goto(url)
    drawn_at, seen, quiet_since = None, None, None
    while time.perf_counter() - started < TIMEOUT_S:
        state = page.evaluate(_STATE)
        ready = (
            state["script"] == "notRunning"
            and state["titled"]
            and not state["loading"]
            and state["drawn"] >= state["charts"]
        )
        key = (state["charts"], state["drawn"], received["bytes"])
        if not ready or key != seen:
            seen, quiet_since = key, None
            drawn_at = time.perf_counter()
        elif quiet_since is None:
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since >= QUIET_S:
            break
        time.sleep(0.05)
    else:
        page.close()
        raise TimeoutError(f"{url} was not drawn within {TIMEOUT_S:.0f} s")
    charts = seen[0]
    page.close()
    last = received["last"] or drawn_at
    return {
        "s": round(drawn_at - started, 2),
        "server_s": round(min(last, drawn_at) - started, 2),
        "drawing_s": round(max(drawn_at - last, 0.0), 2),
        "mb": round(received["bytes"] / 1e6, 2),
        "charts": charts,
    }


def time_pages(db: Path, period_label: str, log: Path, locality: str | None = None) -> dict:
    """Cold and warm times of every page for a period, and a locality change on the default
    page (a new locality's figures, not cached)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a dev dependency: `pip install -e ".[dev]"`
        raise RuntimeError("timing pages in a browser needs playwright (the dev extras)") from exc
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found (Debian's chromium: tests/setup_browser.sh)")
    out: dict = {"pages": {}}
    with serve.running_app(db, log) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=[*board.HEADLESS_ARGS, "--disable-quic"]
        )
        try:
            _visit(browser, f"{base}/?period={period_label}")  # the server's first session
            for page in site.PAGES:
                url = f"{base}/{page.url_path}?period={period_label}"
                out["pages"][page.id] = {"cold": _visit(browser, url), "warm": _visit(browser, url)}
            if locality:
                default = next(p for p in site.PAGES if p.default)
                url = f"{base}/{default.url_path}?period={period_label}&locality={locality}"
                out["locality_change"] = {"page": default.id, **_visit(browser, url)}
        finally:
            browser.close()
    return out


def markdown(result: dict) -> list[str]:
    """The browser timings as markdown table lines."""
    lines = [
        "| page (in Chromium) | cold s | warm s | cold: server s | cold: drawing s | MB sent "
        "| charts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for page, runs in result["pages"].items():
        cold, warm = runs["cold"], runs["warm"]
        lines.append(
            f"| {page} | {cold['s']} | {warm['s']} | {cold['server_s']} | {cold['drawing_s']} "
            f"| {cold['mb']} | {cold['charts']} |"
        )
    change = result.get("locality_change")
    if change:
        lines += [
            "",
            f"A locality change on the {change['page']} page (its figures not cached): "
            f"{change['s']} s ({change['server_s']} s until the server's last message).",
        ]
    return lines
