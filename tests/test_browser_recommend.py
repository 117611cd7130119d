"""An architect in real headless Chromium: Recommendations, the top one expanded — the plan, the range, the saving."""

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.test_browser import _open, _settled, browser, server  # noqa: F401 (fixtures)
from tokenomics import recommend


@pytest.mark.browser
def test_architect_expands_the_top_recommendation(demo, server, browser):  # noqa: F811
    con = duckdb.connect(str(demo["db"]), read_only=True)
    month = con.execute("SELECT max(day) FROM mart_ledger_daily").fetchone()[0].strftime("%Y-%m")
    con.close()
    top = recommend.recommend(demo["db"], month)[0]
    context, page = _open(browser, f"{server}/recommendations?month={month}")
    page.get_by_role("heading", name="Recommendations").wait_for(timeout=60_000)
    _settled(page)
    first = page.locator("[data-testid='stExpander']").first
    header = first.locator("summary").inner_text()
    cover = recommend.coverage(demo["db"], month)  # the demo's last month is in progress: "a month" at its rate
    assert cover.partial and top.title in header
    assert f"${cover.per_month(top.saving_usd):,.2f} a month (${top.saving_usd:,.2f} in {cover.span()})" in header
    first.locator("summary").click()
    first.get_by_text("Do:").wait_for(timeout=30_000)
    body = first.inner_text()
    assert top.action in body  # the plan
    assert f"${top.low_usd:,.2f} – ${top.high_usd:,.2f}" in body  # the range
    values = [v.inner_text() for v in first.get_by_test_id("stMetricValue").all()]
    assert values[:3] == [f"${v:,.2f}" for v in (top.today_usd, top.projected_usd, top.saving_usd)]
    assert Decimal(values[0][1:].replace(",", "")) - Decimal(values[1][1:].replace(",", "")) == top.saving_usd
    with page.expect_download() as info:  # the list a finance user takes away: the same rows and cents
        page.get_by_role("button", name="Download recommendations CSV").click()
    download = info.value
    assert download.suggested_filename == f"recommendations-{month}.csv"
    assert Path(download.path()).read_text() == recommend.to_csv(recommend.recommend(demo["db"], month), cover)
    context.close()
