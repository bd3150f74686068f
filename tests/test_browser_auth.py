"""Sign-in through a real OpenID Connect provider (panva's oidc-provider, tests/oidc, installed
by tests/setup_browser.sh) in a real browser, with the people of tests/access.toml: each role
sees its own navigation, a coordinator reads only their locality, the board never receives a
small count and comments only on the KPIs it owns, an analyst sees every page unsuppressed, an
unknown person sees only the refusal, sign-out and an expired session leave only the sign-in
screen, and the audit log holds each action with the signed-in identity. The tests run in file
order: the admin's reads the entries the others left.

Needs node, Debian's /usr/bin/chromium and tests/oidc/node_modules (`make test` installs them);
fails, never skips, without them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import subprocess
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from ehts_data import access, disclosure, explore, formatting, periods, scorecard, site, state
from ehts_data import store as store_module
from ehts_data.metrics import Scope
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, running_app, settle
from tests.test_browser_places import FIGURES
from tests.test_browser_public import _number, _small_count

OIDC = ROOT / "tests" / "oidc"
# A hub and month with small numbers: the board sees them withheld, an analyst sees them.
SMALL_HUB = "NTH-S2"
SMALL_PERIOD = periods.custom(date(2025, 12, 1), date(2025, 12, 31))
SMALL_NUMBERS = f"start={SMALL_PERIOD.start}&end={SMALL_PERIOD.end}&hub={SMALL_HUB}"
# The longest session of the app the expiry test signs in to (EHTS_SESSION_HOURS, in hours):
# long enough for a sign-in on a loaded machine, short enough to wait out.
LIFETIME_SECONDS = 90


@pytest.fixture(scope="module")
def provider():
    """The OpenID provider (tests/oidc) and the ports of the two apps it serves: the main one
    and the one with a short session lifetime."""
    node = shutil.which("node")
    assert node, "node is missing: run tests/setup_browser.sh"
    assert (OIDC / "node_modules" / "oidc-provider").is_dir(), "run tests/setup_browser.sh"
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run tests/setup_browser.sh"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    op_port, app_ports = free_port(), (free_port(), free_port())
    redirects = [f"http://127.0.0.1:{port}/oauth2callback" for port in app_ports]
    log = open(ARTIFACTS / f"oidc-{op_port}.log", "w")  # noqa: SIM115
    op = subprocess.Popen(
        [node, "provider.mjs", str(op_port), *redirects], cwd=OIDC, stdout=log, stderr=log
    )
    issuer = f"http://127.0.0.1:{op_port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration"):
                    break
            except OSError:
                if time.time() > deadline or op.poll() is not None:
                    raise RuntimeError(
                        f"the OpenID provider did not start; see {log.name}"
                    ) from None
                time.sleep(0.3)
        yield issuer, app_ports
    finally:
        op.terminate()
        op.wait(10)
        log.close()


@contextlib.contextmanager
def app_signing_in(provider, store: Path, access_file: Path, which: int, env: dict | None = None):
    """The app served on the provider's `which` port, signing in through it ([auth] in its
    own secrets.toml) with tests/access.toml; yields its base URL."""
    issuer, ports = provider
    port = ports[which]
    secrets = store.parent / f"secrets-{port}.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-of-enough-length"\n'
        'client_id = "ehts"\nclient_secret = "test-secret"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        'client_kwargs = { prompt = "login" }\n',
        encoding="utf-8",
    )
    with running_app(
        store,
        {"EHTS_ACCESS": str(access_file), **(env or {})},
        ["--secrets.files", str(secrets)],
        port=port,
    ) as base:
        yield base


@pytest.fixture(scope="module")
def provider_and_app(provider, sample_copy_module, access_file):
    with (
        app_signing_in(provider, sample_copy_module, access_file, 0) as base,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield base, browser, sample_copy_module
        browser.close()


@pytest.fixture(scope="module")
def sample_copy_module(sample_db, tmp_path_factory):
    target = tmp_path_factory.mktemp("store") / "store"
    shutil.copytree(sample_db, target)
    return target


def signed_in(base, browser, account: str, path: str = ""):
    """A new browser context signed in as `account` through the provider's own pages."""
    page = browser.new_context(
        viewport={"width": 1400, "height": 2400}, accept_downloads=True
    ).new_page()
    page.goto(base)
    settle(page)
    assert page.locator('[data-testid="stSidebarNav"], .js-plotly-plot').count() == 0
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name=login]", timeout=30_000)
    page.fill("input[name=login]", account)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if not page.url.startswith(base):
        page.click("button[type=submit]")  # the provider's consent page
    page.wait_for_url(f"{base}/**", timeout=30_000)
    settle(page)
    if path:
        page.goto(f"{base}/{path}")
        settle(page)
    return page


def nav(page, drawn: bool = True) -> list[str]:
    """The navigation's page names; with `drawn`, after waiting for the navigation to appear
    (it is drawn a moment after the run on a loaded machine)."""
    links = page.locator('[data-testid="stPageLink"]')
    if drawn:
        links.first.wait_for(timeout=30_000)
    return [t.strip() for t in links.all_inner_texts()]


def only_the_sign_in_screen(page) -> None:
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    assert nav(page, drawn=False) == []
    assert page.locator('.js-plotly-plot, [data-testid="stDataFrame"]').count() == 0
    assert page.get_by_role("button", name="Sign out").count() == 0


def audit(store: Path, who: str) -> list[str]:
    return list(state.audit_log(state.path_for(store), who=who)["action"])


def test_an_unknown_person_signs_in_and_sees_only_the_refusal(provider_and_app):
    base, browser, store = provider_and_app
    page = signed_in(base, browser, "stranger")
    page.get_by_text("has not been opened to you").wait_for(timeout=30_000)
    assert nav(page, drawn=False) == [] and page.locator(".js-plotly-plot").count() == 0
    page.goto(f"{base}/demand")
    settle(page)
    assert page.locator(".js-plotly-plot").count() == 0
    page.get_by_text("has not been opened to you").wait_for(timeout=30_000)
    page.context.close()


def test_a_coordinator_sees_only_their_locality_and_a_url_for_another_is_refused(
    provider_and_app,
):
    base, browser, store = provider_and_app
    page = signed_in(base, browser, "north", "demand")
    links = nav(page)
    assert any("Demand" in t for t in links) and not any("Scorecard" in t for t in links)
    assert not any("Publish" in t or "Audit" in t for t in links)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "auth-coordinator.png"), full_page=True)
    button = page.locator('[data-testid="stDownloadButton"] button:visible').first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    with store_module.connect(store) as con:
        hubs = explore.hubs(con)
        catchments = set(explore.areas(con).query("locality_id == 'NTH'")["hub_id"])
    names = dict(zip(hubs.hub_id, hubs.hub_name, strict=True))
    # One locality's data: its catchments compared (not one lonely locality bar), and the
    # whole authority only as its (published) total, the last row.
    shown = [r["hub_catchment"] for r in rows]
    assert shown[-1] == "Whole authority", rows
    assert {names[h] for h in catchments} <= set(shown[:-1]) and len(shown) > 2, rows
    figures = page.evaluate(FIGURES)
    assert "demand_map" not in figures  # no map of one locality on a scale of one value
    # The small-area map's colours run over the locality's areas and the authority's rate.
    ticks = figures["demand_area_map"]["ticks"]
    assert any(t.startswith("Whole authority: ") for t in ticks), ticks
    [(low, high)] = figures["demand_area_map"]["ranges"]
    assert high - low > 0.1 * high, (low, high)  # never 1,708.0 to 1,708.8
    assert figures["demand_rate_by_locality"]["names"][-1].startswith("Whole authority: ")
    page.goto(f"{base}/demand?locality=EST")
    settle(page)
    page.get_by_text("Refused: your access covers NTH only, not EST").wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() == 0
    page.goto(f"{base}/publish")
    settle(page)
    page.get_by_text("Refused: your role may not open Publish").wait_for(timeout=30_000)
    actions = audit(store, "north@council.example")
    assert {"sign-in", "page", "download", "refused"} <= set(actions)
    page.context.close()


def test_the_board_sees_the_board_pages_and_never_a_count_of_one_to_five(provider_and_app):
    base, browser, store = provider_and_app
    page = signed_in(base, browser, "board", f"overview?{SMALL_NUMBERS}")
    links = nav(page)
    assert [t for t in links if "Scorecard" in t or "Overview" in t] and not [
        t for t in links if "Demand" in t or "Data quality" in t
    ]
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    settle(page)
    tiles = page.locator('[data-testid="stMetricValue"], .ehts-tile .value').all_inner_texts()
    assert tiles and not [t for t in tiles if _small_count(_number(t))]
    plotted = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(p => p.data.flatMap("
        "t => (t.orientation === 'h' ? t.x : t.y) || []))"
    )
    assert not [v for v in plotted if _small_count(_number(v))]
    page.goto(f"{base}/demand")
    settle(page)
    page.get_by_text("Refused: your role may not open Demand").wait_for(timeout=30_000)
    page.context.close()


def test_the_board_comments_only_on_the_kpis_of_the_owners_they_speak_for(
    provider_and_app, access_file
):
    base, browser, store = provider_and_app
    page = signed_in(base, browser, "board")
    form = page.locator('[data-testid="stForm"]')
    form.wait_for(timeout=60_000)
    settle(page)
    # The KPI is chosen above the form: choosing it fills the form with its latest text.
    choice = page.locator('[data-testid="stSelectbox"]').filter(
        has_text="KPI to write commentary on"
    )
    choice.scroll_into_view_if_needed()
    choice.click()
    page.get_by_role("option").first.wait_for(timeout=30_000)
    offered = [t.strip() for t in page.get_by_role("option").all_inner_texts()]
    chair = access.resolve(access.load(access_file), {"email": "chair@council.example"})
    card = scorecard.load()
    owned = [kpi.title for kpi in card.kpi if kpi.owner in chair.owners]
    assert offered == owned and 0 < len(owned) < len(card.kpi)
    page.get_by_role("option", name=owned[-1], exact=True).click()
    settle(page)
    form.locator("textarea").fill("Re-entry is steady; the review is booked.")
    form.get_by_role("button", name="Save commentary").click()
    page.get_by_text(f"Saved commentary on {owned[-1]}").wait_for(timeout=30_000)
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "auth-board-commentary.png"), full_page=True)
    entries = state.commentary_entries(state.path_for(store))
    assert entries.iloc[-1]["author"] == "Board chair <chair@council.example>"
    assert "commentary saved" in audit(store, "chair@council.example")
    page.context.close()


def test_an_analyst_sees_every_page_and_unsuppressed_figures(provider_and_app):
    base, browser, store = provider_and_app
    page = signed_in(base, browser, "analyst", f"overview?{SMALL_NUMBERS}")
    links = nav(page)
    assert [p.title for p in site.PAGES if not any(p.title in t for t in links)] == []
    assert {"Data quality", "Publish"} <= {p.title for p in site.PAGES}
    assert not any("Audit log" in t for t in links)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=30_000)
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "auth-analyst.png"), full_page=True)
    shown = [t.strip() for t in page.locator('[data-testid="stMetricValue"]').all_inner_texts()]
    # The tiles the board would see withheld, the analyst sees with their values.
    with store_module.connect(store) as con:
        heads = explore.headlines(con, SMALL_PERIOD, Scope(hub=SMALL_HUB))
    seen_open = [t["value"] for t in formatting.headline_tiles(heads)]
    seen_published = [t["value"] for t in formatting.headline_tiles(heads, disclosure.DEFAULT_K)]
    withheld = [o for o, p in zip(seen_open, seen_published, strict=True) if p != o]
    assert withheld and "c" not in shown
    assert shown == seen_open
    rows = state.audit_log(state.path_for(store), who="analyst@council.example")
    assert set(rows["role"]) == {"analyst"}
    actions = list(zip(rows["action"], rows["detail"], strict=True))
    assert any(a == "sign-in" for a, _ in actions)
    assert any(a == "page" and d.startswith("Overview") for a, d in actions), actions
    page.context.close()


@pytest.fixture
def expiring_app(provider, sample_copy_module, access_file):
    """A second app on the same store whose sessions last LIFETIME_SECONDS."""
    env = {"EHTS_SESSION_HOURS": str(LIFETIME_SECONDS / 3600)}
    with app_signing_in(provider, sample_copy_module, access_file, 1, env) as base:
        yield base


def test_a_session_past_its_lifetime_returns_to_the_sign_in_screen_at_the_next_click(
    provider_and_app, expiring_app
):
    _, browser, store = provider_and_app
    base = expiring_app
    page = signed_in(base, browser, "north")  # a coordinator lands on Demand
    assert any("Demand" in t for t in nav(page))
    # The sign-in is recorded with its token's issue time; once the session's lifetime has
    # passed since then, the next click ends it.
    signed = state.audit_log(state.path_for(store), "north@council.example", "sign-in")
    issued = float(signed["detail"].iloc[0].removeprefix("token issued at "))
    time.sleep(max(0.0, issued + LIFETIME_SECONDS + 1 - time.time()))
    page.get_by_role("link", name="Needs analysis").click()
    page.wait_for_url(lambda url: not url.startswith(base), timeout=30_000)
    page.click("button[name=logout]")  # the provider's own sign-out, as at sign-out
    page.wait_for_url(f"{base}/**", timeout=30_000)
    settle(page)
    only_the_sign_in_screen(page)
    page.goto(f"{base}/needs")
    settle(page)
    only_the_sign_in_screen(page)
    rows = state.audit_log(state.path_for(store), who="north@council.example")
    assert rows["action"].iloc[0] == "session expired" and rows["role"].iloc[0] == "coordinator"
    page.context.close()


def test_an_admin_reads_the_audit_log_with_every_identity_and_signs_out(provider_and_app):
    base, browser, store = provider_and_app
    page = signed_in(base, browser, "admin", "audit")
    assert any("Audit log" in t for t in nav(page))
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Download the audit log (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert {"who", "role", "action", "at", "detail"} <= set(rows[0])
    seen = {(r["who"], r["role"], r["action"]) for r in rows}
    assert {
        ("north@council.example", "coordinator", "download"),
        ("north@council.example", "coordinator", "refused"),
        ("chair@council.example", "board", "sign-in"),
        ("chair@council.example", "board", "commentary saved"),
        ("analyst@council.example", "analyst", "page"),
        ("admin@council.example", "admin", "page"),
    } <= seen
    page.get_by_role("button", name="Sign out").click()
    # Streamlit ends the provider's session too: the provider asks, and the person confirms
    page.wait_for_url(lambda url: not url.startswith(base), timeout=30_000)
    page.click("button[name=logout]")
    page.wait_for_url(f"{base}/**", timeout=30_000)
    settle(page)
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert "sign-out" in audit(store, "admin@council.example")
    # Signed out, every address serves the sign-in screen and nothing else.
    for path in ("audit", "demand", ""):
        page.goto(f"{base}/{path}")
        settle(page)
        only_the_sign_in_screen(page)
    page.context.close()


def test_a_coordinators_analysis_pages_compare_their_localitys_catchments_not_one_locality(
    provider_and_app,
):
    base, browser, store = provider_and_app
    with store_module.connect(store) as con:
        hubs = explore.hubs(con)
        catchments = set(explore.areas(con).query("locality_id == 'NTH'")["hub_id"].dropna())
    names = dict(zip(hubs.hub_id, hubs.hub_name, strict=True))
    mine = {names[h] for h in catchments}
    page = signed_in(base, browser, "north", "reentry?period=2025-26")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    settle(page)
    figures = page.evaluate(FIGURES)
    chart = figures["reentry_re_entry_12m_rate_catchment"]
    # The locality's catchments, each a bar, against the authority's total (a metric's total:
    # the one authority figure a coordinator reads) as the dashed line.
    assert "by hub catchment" in chart["title"]
    assert mine <= set(chart["bars"]) and len(mine) > 1
    assert any(n.startswith("Whole authority") for n in chart["names"])
    assert not [k for k in figures if k.endswith("_locality")]
    page.screenshot(path=str(ARTIFACTS / "auth-coordinator-reentry.png"), full_page=True)

    page.goto(f"{base}/outcomes?period=2025-26")
    settle(page)
    page.wait_for_selector(".st-key-outcomes_median_days .js-plotly-plot", timeout=30_000)
    median = page.evaluate(FIGURES)["outcomes_median_days"]
    assert "by hub catchment" in median["title"] and mine <= set(median["bars"])

    page.goto(f"{base}/needs?period=2025-26")
    settle(page)
    page.wait_for_selector(".st-key-needs_by_locality .js-plotly-plot", timeout=30_000)
    heatmap = page.evaluate(FIGURES)["needs_by_locality"]
    # Its catchments and the locality in all; no "Whole authority" column, which would be the
    # coordinator's own locality under the authority's name.
    assert mine <= set(heatmap["labels"]) and "Northgate, all" in heatmap["labels"]
    assert "Whole authority" not in heatmap["labels"]
    page.screenshot(path=str(ARTIFACTS / "auth-coordinator-needs.png"), full_page=True)

    page.goto(f"{base}/equality?period=2025-26")
    settle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    choices = page.locator('[data-testid="stRadio"]').filter(has_text="Families by")
    assert "Hub catchment" in choices.inner_text() and "Locality" not in choices.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.context.close()
