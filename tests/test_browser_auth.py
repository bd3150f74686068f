"""Sign-in through a real OpenID Connect provider (panva's oidc-provider, tests/oidc, installed
by tests/setup_browser.sh) in a real browser: each role sees its own navigation, a coordinator
reads only their locality, the board never receives a small count, an unknown person sees only
the refusal, and the audit log holds each action with the signed-in identity.

Needs node, Debian's /usr/bin/chromium and tests/oidc/node_modules (`make test` installs them);
fails, never skips, without them.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from ehts_data import explore, state
from ehts_data import store as store_module
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, running_app, settle
from tests.test_browser_public import _number, _small_count

OIDC = ROOT / "tests" / "oidc"
ACCESS = """
[[app_role]]
name = "EHTS.Board"
role = "board"

[[app_role]]
name = "EHTS.Coordinator.North"
role = "coordinator"
localities = ["NTH"]

[[app_role]]
name = "EHTS.Analyst"
role = "analyst"

[[person]]
email = "analyst@council.example"
role = "admin"
"""


@pytest.fixture(scope="module")
def provider_and_app(sample_copy_module, tmp_path_factory):
    node = shutil.which("node")
    assert node, "node is missing: run tests/setup_browser.sh"
    assert (OIDC / "node_modules" / "oidc-provider").is_dir(), "run tests/setup_browser.sh"
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run tests/setup_browser.sh"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path_factory.mktemp("auth")
    op_port, app_port = free_port(), free_port()
    redirect = f"http://127.0.0.1:{app_port}/oauth2callback"
    log = open(ARTIFACTS / f"oidc-{op_port}.log", "w")  # noqa: SIM115
    op = subprocess.Popen(
        [node, "provider.mjs", str(op_port), redirect], cwd=OIDC, stdout=log, stderr=log
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
        (folder / "access.toml").write_text(ACCESS, encoding="utf-8")
        (folder / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "{redirect}"\n'
            'cookie_secret = "a-test-cookie-secret-of-enough-length"\n'
            'client_id = "ehts"\nclient_secret = "test-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
            'client_kwargs = { prompt = "login" }\n',
            encoding="utf-8",
        )
        with (
            running_app(
                sample_copy_module,
                {"EHTS_ACCESS": str(folder / "access.toml")},
                ["--secrets.files", str(folder / "secrets.toml")],
                port=app_port,
            ) as base,
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield base, browser, sample_copy_module
            browser.close()
    finally:
        op.terminate()
        op.wait(10)
        log.close()


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
        names = explore.group_names(con)["locality"]
    # Their locality's records, and the whole authority only as its (published) total.
    assert [r["locality"] for r in rows] == [names["NTH"], "Whole authority"], rows
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
    page = signed_in(base, browser, "board", "overview?start=2025-12-01&end=2025-12-31&hub=NTH-S2")
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


def test_an_admin_reads_the_audit_log_with_every_identity_and_signs_out(provider_and_app):
    base, browser, store = provider_and_app
    page = signed_in(base, browser, "analyst", "audit")
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
        ("analyst@council.example", "admin", "page"),
    } <= seen
    page.get_by_role("button", name="Sign out").click()
    # Streamlit ends the provider's session too: the provider asks, and the person confirms
    page.wait_for_url(lambda url: not url.startswith(base), timeout=30_000)
    page.click("button[name=logout]")
    page.wait_for_url(f"{base}/**", timeout=30_000)
    settle(page)
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert "sign-out" in audit(store, "analyst@council.example")
    page.context.close()
