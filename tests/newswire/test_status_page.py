"""The status page of `newswire run`, loaded in a real headless browser."""

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import REPO, free_port

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=4000", "--dump-dom",
)  # fmt: skip


def load_in_chromium(url: str, profile: Path) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and every console message it produced."""
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: run `make system-deps`"
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    return result.stdout, [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def figure(dom: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', dom)
    assert match, f"no figure {name} on the page"
    return match.group(1)


def test_status_page_shows_live_figures_without_console_errors(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    run = subprocess.Popen(
        [sys.executable, "-m", "newswire", "run", "--seeds", str(REPO / "seeds")],
        env={**service_env, "NEWSWIRE_STATUS_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        status: dict[str, object] = {}
        while time.monotonic() < deadline and not status.get("recent"):
            time.sleep(1)
            try:
                status = httpx.get(f"{url}status.json", timeout=10).json()
            except httpx.HTTPError:
                continue
        assert status.get("recent"), "the seed was not enriched in time"

        dom, console = load_in_chromium(url, tmp_path / "profile")
        assert console == []
        assert int(figure(dom, "published")) >= 1
        assert int(figure(dom, "enriched")) >= 1
        assert figure(dom, "dead_letters") == "0"
        assert "Turkish President Discusses War In Ukraine" in dom
        assert "Recep Tayyip Erdogan" in dom
        assert '<div class="value ready" id="services">2 / 2</div>' in dom
    finally:
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=20) == 0
