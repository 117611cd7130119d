"""AWS Price List API (EC2 GPU instances) → effective-dated $/GPU-hour rows, from saved pages and from an
HTTP endpoint speaking the API's JSON protocol to real boto3 (paginated)."""

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tokenomics.ingest.runner import ingest_paths

FIXTURE = Path(__file__).parent / "fixtures" / "aws_pricing" / "ec2-gpu.pricelist.json"

# Hand-computed $/GPU-hour = instance $/h ÷ GPUs (+ upfront ÷ term hours), half-even to 6 places.
EXPECTED = {
    ("aws:us-east-1:p5.48xlarge:on-demand", "H100-SXM-80GB", "on_demand"): Decimal("6.880000"),     # 55.04 / 8
    ("aws:us-east-1:p5.48xlarge:1yr-standard-no-upfront", "H100-SXM-80GB", "reserved"): Decimal("4.972500"),  # 39.78 / 8
    # (0 + 334480 / 8760) / 8 = 38.182648… / 8 = 4.7728310502…
    ("aws:us-east-1:p5.48xlarge:1yr-standard-all-upfront", "H100-SXM-80GB", "reserved"): Decimal("4.772831"),
    # (13.20 + 346896 / 26280) / 8 = (13.20 + 13.20) / 8
    ("aws:us-east-1:p5.48xlarge:3yr-standard-partial-upfront", "H100-SXM-80GB", "reserved"): Decimal("3.300000"),
    ("aws:us-east-1:p4d.24xlarge:on-demand", "A100-SXM-40GB", "on_demand"): Decimal("2.744700"),    # 21.9576 / 8
    ("aws:us-east-1:p5en.48xlarge:on-demand", "H200-SXM-141GB", "on_demand"): Decimal("7.912000"),  # 63.296 / 8
    # 10.49261 / 4 = 2.6231525 → a tie at the 7th place rounds to the even 2.623152
    ("aws:us-east-1:g6e.12xlarge:on-demand", "L40S-48GB", "on_demand"): Decimal("2.623152"),
    ("aws:eu-west-1:p5.48xlarge:on-demand", "H100-SXM-80GB", "on_demand"): Decimal("7.225000"),     # 57.80 / 8
}


def _rates(con) -> dict:
    return {(r, g, k): v for r, g, k, v in con.execute(
        "SELECT rate_ref, gpu_type, kind, usd_per_gpu_hour FROM gpu_rates").fetchall()}


def test_saved_pages_give_gpu_hour_rates(warehouse):
    [result] = ingest_paths(warehouse, "aws-pricing", [FIXTURE])
    c = result.counts
    assert (c.read, c.loaded, c.quarantined, c.duplicate) == (7, 5, 2, 0)
    assert _rates(warehouse) == EXPECTED
    reasons = [r for (r,) in warehouse.execute("SELECT reason FROM quarantine ORDER BY reason").fetchall()]
    assert "'m7i.large' is not a GPU instance" in reasons[0]
    assert "operatingSystem': 'Windows'" in reasons[1]
    valid = warehouse.execute("SELECT DISTINCT valid_from::DATE::VARCHAR, valid_to FROM gpu_rates").fetchall()
    assert valid == [("2025-11-01", None)]  # effective-dated from the term's effectiveDate, open-ended


class _PriceListAPI(BaseHTTPRequestHandler):
    """AWSPriceListService.GetProducts over JSON 1.1: TERM_MATCH filters on attributes, one product per page."""

    products: list[str] = []
    calls: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append({"target": self.headers["X-Amz-Target"], **body})
        wanted = {f["Field"]: f["Value"] for f in body.get("Filters", [])}
        matches = [p for p in self.products if body["ServiceCode"] == "AmazonEC2" and all(
            json.loads(p)["product"]["attributes"].get(k) == v for k, v in wanted.items())]
        start = int(body.get("NextToken", "0"))
        page = {"FormatVersion": "aws_v1", "PriceList": matches[start:start + 1]}
        if start + 1 < len(matches):
            page["NextToken"] = str(start + 1)
        data = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def price_list_api(monkeypatch):
    pages = json.loads(FIXTURE.read_text())
    _PriceListAPI.products = [item for page in pages for item in page["PriceList"]]
    _PriceListAPI.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PriceListAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for key, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_port}", "AWS_ACCESS_KEY_ID": "test",
                       "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    yield _PriceListAPI
    server.shutdown()


def test_pull_from_the_api_paginates_and_is_idempotent(warehouse, price_list_api):
    [result] = ingest_paths(warehouse, "aws-pricing", ["awspricing://us-east-1,eu-west-1"])
    assert result.status == "loaded", result.message
    assert (result.counts.loaded, result.counts.quarantined) == (5, 0)  # the API filters out Windows and m7i
    assert _rates(warehouse) == EXPECTED
    calls = price_list_api.calls
    assert {c["target"] for c in calls} == {"AWSPriceListService.GetProducts"}
    assert not any("NextToken" in c for c in calls)  # each filter matches one product: one page each
    asked = {(f["Field"], f["Value"]) for c in calls for f in c["Filters"]}
    assert {("regionCode", "eu-west-1"), ("instanceType", "p5.48xlarge"), ("operatingSystem", "Linux")} <= asked
    [again] = ingest_paths(warehouse, "aws-pricing", ["awspricing://us-east-1,eu-west-1"])
    assert (again.counts.loaded, again.counts.duplicate) == (0, 5)


def test_pull_follows_next_tokens(warehouse, price_list_api):
    # two products answer the same filter (the same instance re-published at a new price from a later date)
    later = json.loads(price_list_api.products[0])
    for term in later["terms"]["OnDemand"].values():
        term["effectiveDate"] = "2026-02-01T00:00:00Z"
        for dim in term["priceDimensions"].values():
            dim["pricePerUnit"]["USD"] = "49.5360000000"
    later["terms"].pop("Reserved")
    price_list_api.products.append(json.dumps(later))
    [result] = ingest_paths(warehouse, "aws-pricing", ["awspricing://us-east-1"])
    assert any(c.get("NextToken") == "1" for c in price_list_api.calls)
    assert result.counts.loaded == 5
    rows = warehouse.execute("SELECT valid_from::DATE::VARCHAR, usd_per_gpu_hour FROM gpu_rates"
                             " WHERE rate_ref = 'aws:us-east-1:p5.48xlarge:on-demand' ORDER BY 1").fetchall()
    assert rows == [("2025-11-01", Decimal("6.880000")), ("2026-02-01", Decimal("6.192000"))]  # 49.536 / 8


def test_a_changed_price_for_the_same_date_is_a_conflict(warehouse, tmp_path):
    ingest_paths(warehouse, "aws-pricing", [FIXTURE])
    pages = json.loads(FIXTURE.read_text())
    pages[0]["PriceList"][1] = pages[0]["PriceList"][1].replace("21.9576000000", "20.0000000000")
    changed = tmp_path / "changed.pricelist.json"
    changed.write_text(json.dumps(pages))
    [r] = ingest_paths(warehouse, "aws-pricing", [changed])
    assert (r.counts.loaded, r.counts.duplicate, r.counts.quarantined) == (0, 4, 3)
    assert warehouse.execute("SELECT count(*) FROM quarantine WHERE reason LIKE '%p4d.24xlarge:on-demand%differs%'"
                             ).fetchone()[0] == 1
