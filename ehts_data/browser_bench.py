"""Each page as a person feels it: timed in Chromium, from the request to the last chart drawn.

For `ehts bench`. The app is served from a store; Playwright (a dev dependency) drives Debian's
Chromium. Cold is a page's first visit since the server started (its queries not cached);
warm is a second visit in a new session (cached); each visit is a new browser context, with
nothing in the browser's cache. In the app is how a person moves between pages once the
dashboard is open: each page chosen in the sidebar of one tab (plotly.js already loaded and
the page's queries cached), after a first round through every page. Where the time goes:
until the last message from the server (the page's queries, building its figures and sending
them) and after it (the browser drawing), with the bytes the server sent. The floor: an empty
Streamlit page and one with a single plotly chart (ui/bench_floor.py), timed the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
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


def _listen(page) -> dict:
    """Bytes from the server over the page's websocket, and when the last came."""
    received = {"bytes": 0, "last": None}

    def on_socket(ws) -> None:
        def on_frame(payload) -> None:
            received["bytes"] += len(payload)
            received["last"] = time.perf_counter()

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return received


def _drawn(page, url: str, started: float, received: dict) -> dict:
    """Wait until the page is drawn; seconds since `started` to drawn and to the server's
    last message, and the bytes sent since `received` was last reset."""
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
        raise TimeoutError(f"{url} was not drawn within {TIMEOUT_S:.0f} s")
    last = max(received["last"] or drawn_at, started)
    return {
        "s": round(drawn_at - started, 2),
        "server_s": round(min(last, drawn_at) - started, 2),
        "drawing_s": round(max(drawn_at - last, 0.0), 2),
        "mb": round(received["bytes"] / 1e6, 2),
        "charts": seen[0],
    }


def _new_page(browser):
    # A new browser context: nothing cached in the browser. Tall enough for every chart of
    # the longest page to be on screen (and so drawn).
    return browser.new_page(viewport={"width": 1400, "height": 5000}, accept_downloads=True)


def _visit(browser, url: str) -> dict:
    """Open `url` in a new session; seconds to drawn, to the last server message, and bytes."""
    page = _new_page(browser)
    try:
        received = _listen(page)
        started = time.perf_counter()
        page.goto(url)
        return _drawn(page, url, started, received)
    finally:
        page.close()


def _change_locality(browser, url: str, name: str) -> dict:
    """Open `url`, then choose locality `name` in the sidebar, as a person does: seconds from
    the choice to the page drawn again."""
    page = _new_page(browser)
    try:
        received = _listen(page)
        page.goto(url)
        _drawn(page, url, time.perf_counter(), received)
        page.get_by_role("combobox", name="Locality").click()
        received.update(bytes=0, last=None)
        started = time.perf_counter()
        page.get_by_role("option", name=name, exact=True).click()
        return _drawn(page, url, started, received)
    finally:
        page.close()


def _in_app(browser, base: str, period_label: str) -> dict:
    """Every page chosen from the sidebar in one tab, twice round: the second round's times
    (the first fills the browser's and the server's caches as a person's first clicks do)."""
    page = _new_page(browser)
    try:
        received = _listen(page)
        url = f"{base}/?period={period_label}"
        page.goto(url)
        _drawn(page, url, time.perf_counter(), received)
        timed: dict = {}
        for _ in range(2):
            for target in site.PAGES:
                link = page.locator(
                    f'[data-testid="stSidebarNav"] a[href$="/{target.url_path}"]'
                ).first
                received.update(bytes=0, last=None)
                started = time.perf_counter()
                link.click()
                timed[target.id] = _drawn(page, target.url_path, started, received)
        return timed
    finally:
        page.close()


def _board_pack(browser, url: str) -> dict:
    """Open the page with the board pack's download button (drawn), click it: seconds until
    the pack is downloaded, and its size."""
    page = _new_page(browser)
    try:
        received = _listen(page)
        page.goto(url)
        _drawn(page, url, time.perf_counter(), received)
        button = page.get_by_role("button", name="Download board pack (HTML)")
        button.scroll_into_view_if_needed()
        started = time.perf_counter()
        with page.expect_download(timeout=TIMEOUT_S * 1000) as info:
            button.click()
        path = info.value.path()  # waits for the download to finish
        return {
            "s": round(time.perf_counter() - started, 2),
            "mb": round(path.stat().st_size / 1e6, 2),
        }
    finally:
        page.close()


FLOOR_APP = Path(__file__).resolve().parent / "ui" / "bench_floor.py"


def _floor(browser, db: Path, log: Path) -> dict:
    """An empty Streamlit page and one with a single plotly chart (ui/bench_floor.py), each
    timed three times in a new session: the median seconds to drawn."""
    with serve.running_app(db, log, script=FLOOR_APP) as base:
        _visit(browser, base)  # the server's first session
        out = {}
        for name, url in (("empty", f"{base}/"), ("one_chart", f"{base}/?chart=1")):
            times = sorted(_visit(browser, url)["s"] for _ in range(3))
            out[name] = times[1]
        return out


def _page_scripts(db: Path, period_label: str) -> dict:
    """Each page's script run without a browser (ehts_data.ui.script_timing, its own process)."""
    done = subprocess.run(
        [sys.executable, "-m", "ehts_data.ui.script_timing", str(db), period_label, str(TIMEOUT_S)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S * 4,
    )
    if done.returncode != 0:
        raise RuntimeError(f"timing the pages' scripts failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_pages(
    db: Path,
    period_label: str,
    log: Path,
    locality: str | None = None,
    locality_name: str | None = None,
) -> dict:
    """Cold and warm times of every page for a period; on the default page, a locality
    chosen in the sidebar (its figures not cached), the same locality opened from a link in
    a new session, and the board pack's download from its button (built when clicked)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a dev dependency: `pip install -e ".[dev]"`
        raise RuntimeError("timing pages in a browser needs playwright (the dev extras)") from exc
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found (Debian's chromium: tests/setup_browser.sh)")
    out: dict = {"pages": {}}
    scripts = _page_scripts(db, period_label)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=[*board.HEADLESS_ARGS, "--disable-quic"]
        )
        try:
            out["floor"] = _floor(browser, db, log.with_name(f"{log.stem}-floor{log.suffix}"))
            with serve.running_app(db, log) as base:
                _time_app(browser, base, period_label, locality, locality_name, out)
        finally:
            browser.close()
    for page_id, script in scripts.items():
        out["pages"][page_id]["script"] = script
    return out


def _time_app(
    browser,
    base: str,
    period_label: str,
    locality: str | None,
    locality_name: str | None,
    out: dict,
) -> None:
    """The dashboard's pages, served at `base`, into out["pages"] and the rest of `out`."""
    _visit(browser, f"{base}/?period={period_label}")  # the server's first session
    for page in site.PAGES:
        url = f"{base}/{page.url_path}?period={period_label}"
        out["pages"][page.id] = {"cold": _visit(browser, url), "warm": _visit(browser, url)}
    for page_id, timed in _in_app(browser, base, period_label).items():
        out["pages"][page_id]["in_app"] = timed
    default = next(p for p in site.PAGES if p.default)
    url = f"{base}/{default.url_path}?period={period_label}"
    if locality and locality_name:
        change = _change_locality(browser, url, locality_name)
        out["locality_change"] = {"page": default.id, "in": "sidebar", **change}
        link = _visit(browser, f"{url}&locality={locality}")
        out["locality_link"] = {"page": default.id, **link}
    out["board_pack"] = {"page": default.id, **_board_pack(browser, url)}


def markdown(result: dict) -> list[str]:
    """The browser timings as markdown table lines."""
    lines = [
        "| page (in Chromium) | cold s | warm s | in the app s | cold: server s "
        "| cold: drawing s | script with queries s | script, queries cached s | MB sent "
        "| charts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page, runs in result["pages"].items():
        cold, warm = runs["cold"], runs["warm"]
        # Not in results written before they were measured.
        in_app = runs.get("in_app", {}).get("s", "")
        script = runs.get("script", {})
        lines.append(
            f"| {page} | {cold['s']} | {warm['s']} | {in_app} | {cold['server_s']} "
            f"| {cold['drawing_s']} | {script.get('with_queries_s', '')} "
            f"| {script.get('figures_s', '')} | {cold['mb']} | {cold['charts']} |"
        )
    change, link = result.get("locality_change"), result.get("locality_link")
    if change or link:
        lines.append("")
    if change and change.get("in") == "sidebar":
        lines.append(
            f"A locality chosen in the sidebar of the {change['page']} page (its figures not "
            f"cached): {change['s']} s to drawn ({change['server_s']} s until the server's "
            "last message)."
        )
    elif change:  # results written before the change was made in the sidebar
        lines.append(
            f"A locality change on the {change['page']} page (its figures not cached): "
            f"{change['s']} s ({change['server_s']} s until the server's last message)."
        )
    if link:
        lines.append(
            f"The same locality from a link, in a new session: {link['s']} s "
            f"({link['server_s']} s until the server's last message)."
        )
    floor = result.get("floor")
    if floor:
        lines.append(
            f"The floor on this machine (ehts_data/ui/bench_floor.py, timed the same way): an empty "
            f"Streamlit page {floor['empty']} s; with one small plotly chart "
            f"{floor['one_chart']} s."
        )
    pack = result.get("board_pack")
    if pack:
        lines.append(
            f"The board pack (HTML, {pack['mb']} MB) from its button on the {pack['page']} "
            f"page to downloaded: {pack['s']} s."
        )
    return lines
