"""Start the dashboard on a free localhost port and drive Debian's Chromium with Playwright."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from ehts_data import board, serve
from ehts_data.serve import free_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "tests" / ".vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [*board.HEADLESS_ARGS, "--disable-quic"]


@contextlib.contextmanager
def running_app(
    db: Path, extra_env: dict | None = None, args: list[str] = (), port: int | None = None
):
    """The app served on 127.0.0.1 (ehts_data.serve), its output in tests/artifacts; yields its
    base URL (`args`: more streamlit options)."""
    port = port or free_port()
    log = ARTIFACTS / f"streamlit-{port}.log"
    with serve.running_app(db, log, extra_env, args, port) as base:
        yield base


def settle(page, timeout: float = 60.0) -> None:
    """Wait until Streamlit has finished the run (no 'Running' indicator for a second) and
    painted; fail if it is still running after `timeout` seconds."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout * 1000)
    deadline = time.time() + timeout
    quiet_since = None
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since > 1.0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the page was still running after {timeout:.0f} s: {page.url}")


def non_white_share(png: Path) -> float:
    """The share of a PNG's pixels that are not (near) white: 0 for a blank page."""
    from PIL import Image  # Pillow comes with streamlit

    with Image.open(png) as image:
        counts = image.convert("L").histogram()
    return sum(counts[:240]) / sum(counts)
