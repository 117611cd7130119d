"""Real headless Chromium (Debian's) driven by Playwright against `tokenomics serve`: the main flows."""

import asyncio
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGES = [("", "Overview"), ("tenant", "Tenant spend"), ("fleet", "GPU fleet"), ("savings", "Cache savings"),
         ("batch", "Batch vs realtime"), ("whatif", "What-if: GPUs, precision and batch size"),
         ("rate-cards", "Rate cards"), ("exports", "Exports"), ("data-health", "Data health"),
         ("statements", "Month close & statements"), ("recommendations", "Recommendations")]
PROXY_SECRET = "browser-test-proxy-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: Path, env: dict | None = None):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is required for browser tests (apt-get install chromium)")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tokenomics.cli", "--db", str(db), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("streamlit did not start")


@pytest.fixture(scope="module")
def server(demo, tmp_path_factory):
    proc, url = _serve(demo["db"], {"TOKENOMICS_EXPORT_DIR": str(tmp_path_factory.mktemp("exports"))})
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _settled(page, timeout=60_000):
    """Wait until Streamlit finished running the script (its running indicator is gone)."""
    page.wait_for_timeout(500)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=timeout)
    page.wait_for_timeout(800)


def _open(browser, url, headers=None, height=1100):
    context = browser.new_context(viewport={"width": 1400, "height": height}, accept_downloads=True,
                                  extra_http_headers=headers or {})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    return context, page


@pytest.mark.browser
@pytest.mark.parametrize("path, title", PAGES)
def test_every_page_renders_and_is_screenshotted(server, browser, path, title):
    context, page = _open(browser, f"{server}/{path}")
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    _settled(page)
    assert not page.get_by_text("Page not found").is_visible()
    assert not page.locator("[data-testid='stException']").count()
    page.screenshot(path=str(ARTIFACTS / f"{path or 'overview'}.png"), full_page=True)
    context.close()


@pytest.mark.browser
def test_overview_filter_to_a_tenant_is_in_the_url(server, browser):
    context, page = _open(browser, server + "/")
    page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
    chart = page.locator(".vega-embed canvas, .vega-embed svg").first
    chart.wait_for(timeout=60_000)
    total = page.get_by_test_id("stMetricValue").first.inner_text()
    page.get_by_label("Tenants").first.click()
    page.get_by_role("option").first.click()
    page.keyboard.press("Escape")
    page.wait_for_url("**tenant=**", timeout=30_000)
    page.wait_for_function("t => document.querySelector('[data-testid=stMetricValue]').innerText !== t", arg=total,
                           timeout=30_000)
    shared = page.url
    context.close()
    # the bookmarked URL restores the same view in a fresh browser
    context, page = _open(browser, shared)
    page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.get_by_test_id("stMetricValue").first.inner_text() != total
    context.close()


@pytest.mark.browser
def test_tenant_csv_download_has_that_tenants_numbers(server, browser):
    context, page = _open(browser, server + "/tenant")
    page.get_by_text("Statement lines").first.wait_for(timeout=60_000)
    _settled(page)
    tenant = page.get_by_role("heading", level=3).first.inner_text().strip()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").first.click()
    download = info.value
    assert tenant in download.suggested_filename
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert rows and {"section", "provider", "model", "list_usd", "discount_usd", "effective_usd"} <= set(rows[0])
    total = sum(Decimal(r["effective_usd"] or 0) for r in rows)
    shown = page.get_by_test_id("stMetricValue").first.inner_text()
    assert total == Decimal(shown.replace("$", "").replace(",", ""))  # the statement lines' cents: equal, not close
    context.close()


@pytest.mark.browser
def test_run_a_whatif_from_a_shared_url(server, browser):
    """A bookmarked what-if URL restores its inputs and shows the Pareto chart and a ranked plan."""
    query = "source=Manual&model=llama-3.1-8b&isl=2048&osl=256&rps=3.0&ttft=1500&tpot=40&tier=reserved_1y"
    context, page = _open(browser, f"{server}/whatif?{query}", height=1400)
    page.get_by_text("Cheapest setups for this traffic").wait_for(timeout=60_000)
    assert page.get_by_label("Input tokens per request").input_value() == "2048"
    assert page.get_by_label("TPOT SLO (ms)").input_value() == "40"
    chart = page.locator(".vega-embed canvas, .vega-embed svg").first
    chart.wait_for(timeout=60_000)
    assert chart.bounding_box()["height"] > 100
    assert page.get_by_text("2,048 input / 256 output tokens").first.is_visible()
    field = page.get_by_label("TPOT SLO (ms)")
    field.fill("25")
    field.press("Enter")
    page.wait_for_url("**tpot=25**", timeout=30_000)
    page.get_by_text("TPOT ≤ 25 ms").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "whatif.png"), full_page=True)
    context.close()


@pytest.mark.browser
def test_data_health_shows_a_quarantined_row(server, browser, demo):
    import duckdb

    con = duckdb.connect(str(demo["db"]), read_only=True)
    reason, line = con.execute("SELECT reason, line_no FROM quarantine ORDER BY quarantined_at DESC, "
                               "regexp_extract(uri, '[^/]+$'), line_no LIMIT 1").fetchone()
    con.close()
    context, page = _open(browser, server + "/data-health")
    page.get_by_text("Inspect a quarantined row").wait_for(timeout=60_000)
    detail = page.get_by_text(f"line {line}: {reason}")
    detail.first.wait_for(timeout=30_000)  # the bad input line, its line number and why it was rejected
    assert page.locator("[data-testid='stCode']").first.inner_text().strip()  # the raw line, kept
    context.close()


@pytest.mark.browser
def test_tenant_viewer_behind_a_proxy_sees_only_its_tenant(demo, browser, tmp_path):
    import duckdb

    con = duckdb.connect(str(demo["db"]), read_only=True)
    mine, other = [r[0] for r in con.execute(
        "SELECT tenant FROM mart_ledger_daily WHERE tenant <> '__idle__' GROUP BY 1 ORDER BY sum(effective_cost_usd) "
        "DESC LIMIT 2").fetchall()]
    con.close()
    access = tmp_path / "access.yaml"
    access.write_text(yaml.safe_dump({"users": {"viewer@example.com": {"role": "tenant-viewer", "tenants": [mine]}}}))
    proc, url = _serve(demo["db"], {"TOKENOMICS_AUTH": "proxy", "TOKENOMICS_ACCESS_FILE": str(access),
                                    "TOKENOMICS_PROXY_SECRET": PROXY_SECRET})
    # the identity reaches Streamlit on its WebSocket, where Chromium sends no extra headers: a proxy adds it
    port = int(url.rsplit(":", 1)[1])
    viewer = _AuthProxy(port, {"X-Forwarded-Email": "viewer@example.com", "X-Tokenomics-Proxy-Secret": PROXY_SECRET})
    mallory = _AuthProxy(port, {"X-Forwarded-Email": "mallory@example.com",
                                "X-Tokenomics-Proxy-Secret": PROXY_SECRET})
    try:
        # another tenant asked for in the URL: the page still shows only the viewer's own tenant
        context, page = _open(browser, f"{viewer.url}/tenant?show_tenant={other}")
        page.get_by_text("By team, source and model").wait_for(timeout=60_000)
        assert page.get_by_role("heading", level=3).first.inner_text().strip() == mine
        assert not page.get_by_text(other, exact=True).count()
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "Data health" not in nav and "Exports" not in nav
        page.goto(f"{viewer.url}/data-health", wait_until="domcontentloaded")
        page.wait_for_timeout(3000)
        assert not page.get_by_text("Quarantined rows").count()
        context.close()
        # an unknown user: nothing
        context, page = _open(browser, mallory.url + "/")
        page.get_by_text("has no access to Tokenomics").wait_for(timeout=60_000)
        context.close()
    finally:
        viewer.close()
        mallory.close()
        proc.terminate()
        proc.wait(timeout=20)


class _AuthProxy:
    """A tiny reverse proxy standing in for oauth2-proxy: it has "signed in" one user and, on every request,
    drops whatever identity/secret headers the browser sent, adds its own (the user, the shared secret) and
    pipes the bytes both ways, the WebSocket upgrade included.  Other requests get `Connection: close`, so each
    connection carries exactly one request head, and every head is rewritten."""

    def __init__(self, upstream_port: int, inject: dict[str, str]):
        self.upstream_port, self.inject = upstream_port, inject
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        ready.set()
        self.loop.run_forever()

    def close(self):
        async def shutdown():
            self.server.close()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _handle(self, client_r, client_w):
        try:
            head = await client_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_w.close()
            return
        request, *fields = head.decode("latin-1").split("\r\n")[:-2]
        names = [f.split(":", 1)[0].strip().lower() for f in fields]
        upgrade = "upgrade" in names
        drop = {n.lower() for n in self.inject} | {"x-forwarded-email", "x-forwarded-groups", "x-forwarded-user"}
        if not upgrade:
            drop.add("connection")
        kept = [f for f, n in zip(fields, names) if n not in drop]
        added = [f"{k}: {v}" for k, v in self.inject.items()] + ([] if upgrade else ["Connection: close"])
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        up_w.write(("\r\n".join([request, *kept, *added]) + "\r\n\r\n").encode("latin-1"))
        await asyncio.gather(self._pipe(client_r, up_w), self._pipe(up_r, client_w), return_exceptions=True)

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


@pytest.mark.browser
def test_proxy_mode_through_a_real_reverse_proxy(demo, browser, tmp_path):
    """Proxy mode end to end: through the proxy the signed-in user sees the dashboard (the identity headers the
    browser itself sends are dropped by the proxy); straight to Streamlit, without the proxy's secret, the
    browser gets the refusal instead of a dashboard."""
    import duckdb

    con = duckdb.connect(str(demo["db"]), read_only=True)
    mine = con.execute("SELECT tenant FROM mart_ledger_daily WHERE tenant <> '__idle__' GROUP BY 1 "
                       "ORDER BY sum(effective_cost_usd) DESC LIMIT 1").fetchone()[0]
    con.close()
    access = tmp_path / "access.yaml"  # keys compare case-insensitively with what the proxy sends
    access.write_text(yaml.safe_dump({"users": {"Viewer@Example.COM": {"role": "tenant-viewer", "tenants": [mine]},
                                                "admin@example.com": {"role": "admin"}}}))
    proc, url = _serve(demo["db"], {"TOKENOMICS_AUTH": "proxy", "TOKENOMICS_ACCESS_FILE": str(access),
                                    "TOKENOMICS_PROXY_SECRET": PROXY_SECRET})
    proxy = _AuthProxy(int(url.rsplit(":", 1)[1]),
                       {"X-Forwarded-Email": "viewer@example.com", "X-Tokenomics-Proxy-Secret": PROXY_SECRET})
    forged = {"X-Forwarded-Email": "admin@example.com"}
    try:
        context, page = _open(browser, proxy.url + "/tenant", forged)
        page.get_by_text("By team, source and model").wait_for(timeout=60_000)
        assert page.get_by_role("heading", level=3).first.inner_text().strip() == mine
        assert "viewer@example.com" in page.get_by_text("Signed in as").inner_text()
        assert "Data health" not in page.locator("[data-testid='stSidebarNav']").inner_text()
        page.screenshot(path=str(ARTIFACTS / "proxy-mode.png"), full_page=True)
        context.close()
        # the same forgery sent straight to Streamlit, bypassing the proxy
        context, page = _open(browser, url + "/", forged)
        page.get_by_text("X-Tokenomics-Proxy-Secret header is missing").wait_for(timeout=60_000)
        assert not page.get_by_text("Signed in as").count()
        context.close()
    finally:
        proxy.close()
        proc.terminate()
        proc.wait(timeout=20)


# --- issue 21 §8: presentation ------------------------------------------------------------------------

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MY_PAGES = {"fleet", "savings", "batch", "whatif", "rate-cards", "data-health"}  # laid out with ui.metrics
# a headline figure cut off with an ellipsis: its text box is wider than the box that shows it
CUT_OFF = """() => [...document.querySelectorAll('[data-testid=stMetricValue]')]
    .filter(v => { const box = v.firstElementChild || v; return box.scrollWidth > box.clientWidth; })
    .map(v => v.innerText)"""
OVERFLOW = """() => { const main = document.querySelector('[data-testid=stMain]');
    return {page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            main: main.scrollWidth - main.clientWidth}; }"""
# resolves after 2 s in a row without Streamlit's running indicator or stale (being re-rendered) elements
CALM = """() => new Promise(done => { let calm = 0; const tick = () => {
    const busy = document.querySelector('[data-testid=stStatusWidget], [data-stale=true]');
    calm = busy ? 0 : calm + 1; if (calm >= 10) done(true); else setTimeout(tick, 200); }; tick(); })"""


def _visit(browser, url, path, title, width, urls=None):
    """Open one page at a viewport width, recording the URL of every request and WebSocket it opens."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    if urls is not None:
        page.on("request", lambda r: urls.append(r.url))
        page.on("websocket", lambda ws: urls.append(ws.url))
    page.goto(f"{url}/{path}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    _settled(page)
    page.wait_for_function(CALM, timeout=90_000)
    return context, page


@pytest.mark.browser
def test_every_page_stays_on_this_server_has_no_deploy_button_and_uncut_figures(server, browser):
    """No asset from the internet (favicon, fonts, icons: a :material/…: favicon is fetched from fonts.gstatic.com),
    no Streamlit "Deploy" button, and no headline figure truncated ("$15,3…") at 1440 px."""
    from urllib.parse import urlparse

    urls = []
    for path, title in PAGES:
        context, page = _visit(browser, server, path, title, 1440, urls)
        assert not page.get_by_role("button", name="Deploy").count(), path
        assert not page.get_by_text("Deploy", exact=True).count(), path
        assert page.evaluate(CUT_OFF) == [], path
        if not path:
            figures = page.get_by_test_id("stMetricValue").all_inner_texts()
            assert len(figures) >= 4 and any(f.startswith("$") for f in figures), figures
            page.screenshot(path=str(ARTIFACTS / "overview-1440.png"), full_page=True)
        context.close()
    assert len(urls) > 20
    outside = sorted({u for u in urls if urlparse(u).scheme not in ("data", "blob")
                      and urlparse(u).hostname not in LOCAL_HOSTS})
    assert not outside, outside


@pytest.mark.browser
def test_every_page_fits_800_px(server, browser):
    """Usable on a small laptop window: nothing wider than the main block, and headline figures wrap to the
    next line instead of being cut off (pages laid out with ui.metrics)."""
    for path, title in PAGES:
        context, page = _visit(browser, server, path, title, 800)
        assert page.evaluate(OVERFLOW) == {"page": 0, "main": 0}, path
        if path in MY_PAGES:
            assert page.evaluate(CUT_OFF) == [], path
        page.screenshot(path=str(ARTIFACTS / f"{path or 'overview'}-800.png"), full_page=True)
        context.close()


@pytest.mark.browser
def test_a_page_the_role_may_not_open_says_so_at_its_url(demo, browser, tmp_path):
    """Exports and Data health are not offered to a tenant viewer, but their URLs say "Not permitted" (and
    whom to ask) instead of silently showing the Overview."""
    access = tmp_path / "access.yaml"
    access.write_text(yaml.safe_dump({"users": {"viewer@example.com": {"role": "tenant-viewer",
                                                                       "tenants": ["some-tenant"]}}}))
    proc, url = _serve(demo["db"], {"TOKENOMICS_AUTH": "proxy", "TOKENOMICS_ACCESS_FILE": str(access),
                                    "TOKENOMICS_PROXY_SECRET": PROXY_SECRET})
    viewer = _AuthProxy(int(url.rsplit(":", 1)[1]),
                        {"X-Forwarded-Email": "viewer@example.com", "X-Tokenomics-Proxy-Secret": PROXY_SECRET})
    try:
        for path, title in [("exports", "Exports"), ("data-health", "Data health")]:
            context, page = _visit(browser, viewer.url, path, title, 1440)
            assert page.url.endswith(f"/{path}")
            page.get_by_text("Not permitted: your role (tenant-viewer) cannot open").wait_for(timeout=30_000)
            assert "admin" in page.get_by_test_id("stAlert").first.inner_text()
            assert title not in page.get_by_test_id("stSidebarNav").inner_text()
            assert not page.get_by_test_id("stDataFrame").count()
            context.close()
    finally:
        viewer.close()
        proc.terminate()
        proc.wait(timeout=20)
