"""Real headless Chromium (Debian's) driven by Playwright against `tokenomics serve`."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(demo):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is required for browser tests (apt-get install chromium)")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.browser
def test_overview_shows_a_chart(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(server + "/", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
        assert not page.get_by_text("Page not found").is_visible()
        chart = page.locator(".vega-embed canvas, .vega-embed svg").first
        chart.wait_for(timeout=60_000)
        assert chart.bounding_box()["height"] > 100
        assert page.get_by_text("Unpriced").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
        page.goto(server + "/tenant", wait_until="domcontentloaded")
        page.get_by_text("Spend per day by model").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "tenant.png"), full_page=True)
        browser.close()


@pytest.mark.browser
def test_run_a_whatif_from_a_shared_url(server):
    """A bookmarked what-if URL restores its inputs and shows the Pareto chart and a ranked plan."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    query = "source=Manual&model=llama-3.1-8b&isl=2048&osl=256&rps=3.0&ttft=1500&tpot=40&tier=reserved_1y"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(f"{server}/whatif?{query}", wait_until="domcontentloaded")
        page.get_by_text("Cheapest setups for this traffic").wait_for(timeout=60_000)
        assert page.get_by_label("Input tokens per request").input_value() == "2048"
        assert page.get_by_label("TPOT SLO (ms)").input_value() == "40"
        chart = page.locator(".vega-embed canvas, .vega-embed svg").first
        chart.wait_for(timeout=60_000)
        assert chart.bounding_box()["height"] > 100
        assert page.get_by_text("2,048 input / 256 output tokens").first.is_visible()
        # change the SLO in the UI: the URL follows so the view can be shared
        field = page.get_by_label("TPOT SLO (ms)")
        field.fill("25")
        field.press("Enter")
        page.wait_for_url("**tpot=25**", timeout=30_000)
        page.get_by_text("TPOT ≤ 25 ms").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "whatif.png"), full_page=True)
        browser.close()
