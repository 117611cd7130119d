"""Budget and anomaly alerts: thresholds with hand-computed budgets, exact money, delivery to a real local
webhook (http.server) and SMTP server (aiosmtpd), dedup across runs, retry of a failed channel, dry runs.

No network beyond 127.0.0.1.  The warehouse: budgets loaded through the real contracts ingest, daily spend
given as mart_ledger_daily, and the real mart_spend_tenant_daily / stg_budgets / mart_budget_daily SQL run on it.
"""

import email
import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest
import yaml

from tokenomics.ingest.runner import ingest_paths
from tests.sqlgiven import given, run_model, settings
from tokenomics import alerts
from tokenomics.alerts import AlertError, money, run_alerts
from tokenomics.cli import main
from tokenomics.warehouse import open_warehouse

MARCH = date(2026, 3, 1)
# acme $100.00 every day; beta $80.00 a day but $480.00 on 20 March (a spike: flat 14-day history, change
# $400 ≥ the $25 minimum); delta $41.15 a day; gamma $10.00 a day and no budget (never a budget alert)
BUDGETS = {"acme": "3100.00", "beta": "2000.00", "delta": "1234.56"}


def spend(tenant: str, day: int) -> Decimal:
    return {"acme": Decimal("100.00"), "beta": Decimal("480.00" if day == 20 else "80.00"),
            "delta": Decimal("41.15"), "gamma": Decimal("10.00")}[tenant]


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The March 2026 warehouse, built once; tests that send get a copy of the file."""
    base = tmp_path_factory.mktemp("alerts")
    con = open_warehouse(base / "wh.duckdb")
    (base / "contracts-budgets.yaml").write_text(yaml.safe_dump(
        {"budgets": [{"tenant": t, "month": "2026-03-01", "budget_usd": v} for t, v in BUDGETS.items()]}))
    [loaded] = ingest_paths(con, "contracts", [base / "contracts-budgets.yaml"])
    assert loaded.counts.loaded == 3
    given(con, "mart_ledger_daily", "day DATE, tenant VARCHAR, effective_cost_usd DECIMAL(38, 12), "
          "cost_source VARCHAR, driver VARCHAR, idle_policy VARCHAR",
          [(MARCH + timedelta(days=d - 1), t, spend(t, d), "api", None, None)
           for d in range(1, 32) for t in ("acme", "beta", "delta", "gamma")])
    settings(con)  # anomaly: |robust z| ≥ 3.5 and a change of at least $25
    con.execute("DELETE FROM build_window; INSERT INTO build_window VALUES ('2015-01-01', '2100-01-01')")
    for model in ("marts/mart_spend_tenant_daily.sql", "staging/stg_budgets.sql", "marts/mart_budget_daily.sql"):
        run_model(con, model)
    con.close()
    return base / "wh.duckdb"


@pytest.fixture()
def db(built, tmp_path):
    shutil.copy(built, tmp_path / "wh.duckdb")
    return tmp_path / "wh.duckdb"


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(alerts, "RETRY_PAUSE_S", 0)
    monkeypatch.delenv(alerts.ENV_FILE, raising=False)


@pytest.fixture()
def webhook():
    """A Slack-compatible incoming webhook on 127.0.0.1: records each POSTed JSON body; answers the queued
    statuses first (e.g. [500, 500]), then 200 "ok"."""

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.server.posts.append((self.path, self.headers["Content-Type"], json.loads(body)))
            status = self.server.statuses.pop(0) if self.server.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"server error")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.posts, server.statuses = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/hook"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture()
def smtp():
    """A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, keeping each message it accepts."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
            return "250 Message accepted"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture()
def config(tmp_path, webhook, smtp):
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({
        "slack_webhook": webhook.url, "timeout_s": 5,
        "email": {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "tokenomics@example.test",
                  "to": ["finops@example.test", "cfo@example.test"], "starttls": False}}))
    return path


def keys(report) -> set[str]:
    return {a.key for a in report.alerts}


def logged(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT dedup_key, channel FROM alert_log ORDER BY ALL").fetchall()
    finally:
        con.close()


def posted_lines(post) -> list[str]:
    return post[2]["text"].splitlines()


# --- what fires ---------------------------------------------------------------------------------------------

# (day of March, the alerts that fire as of that day) — month-to-date spend vs budget, thresholds by
# mtd × 100 ≥ budget × threshold; forecast = mtd + trailing-7-day mean × days left (mart_budget_daily):
THRESHOLD_CASES = [
    # acme 15 × $100 = $1,500 of $3,100 = 48.38 % — nothing; forecast 1,500 + 100 × 16 = $3,100, not over
    # beta 15 × $80 = $1,200 = 60 % → 50; forecast 1,200 + 80 × 16 = $2,480 > $2,000
    # delta 15 × $41.15 = $617.25: 61,725 < 1,234.56 × 50 = 61,728 → 49.99 %, nothing yet;
    #   forecast 617.25 + 41.15 × 16 = $1,275.65 > $1,234.56
    (15, {"budget:beta:2026-03:50", "forecast:beta:2026-03", "forecast:delta:2026-03"}),
    # acme 16 × 100 = $1,600 = 51.61 % → 50; delta 16 × 41.15 = $658.40 = 53.33 % → 50
    (16, {"budget:acme:2026-03:50", "budget:beta:2026-03:50", "forecast:beta:2026-03", "budget:delta:2026-03:50",
          "forecast:delta:2026-03"}),
    # beta 19 × 80 + 480 = $2,000 = 100 % on the spike day → 100 (no forecast alert once at budget), and the
    # spike itself: anomaly on the 20th
    (20, {"budget:acme:2026-03:50", "budget:beta:2026-03:100", "budget:delta:2026-03:50", "forecast:delta:2026-03",
          "anomaly:beta:2026-03-20"}),
    # acme 24 × 100 = $2,400 = 77.41 % → still 50; delta 24 × 41.15 = $987.60 < 80 % of $1,234.56 = $987.648
    # (79.99 %) → still 50.  The drop back to $80 on the 21st is an anomaly too (history flat at $80 but one
    # $480: MAD 0, change $400)
    (24, {"budget:acme:2026-03:50", "budget:beta:2026-03:100", "budget:delta:2026-03:50", "forecast:delta:2026-03",
          "anomaly:beta:2026-03-20", "anomaly:beta:2026-03-21"}),
    # acme 25 × 100 = $2,500 = 80.64 % → 80; delta 25 × 41.15 = $1,028.75 = 83.32 % → 80
    (25, {"budget:acme:2026-03:80", "budget:beta:2026-03:100", "budget:delta:2026-03:80", "forecast:delta:2026-03",
          "anomaly:beta:2026-03-20", "anomaly:beta:2026-03-21"}),
    # delta 30 × 41.15 = $1,234.50 < $1,234.56: 99.99 % → 80, forecast 1,234.50 + 41.15 = $1,275.65 still over;
    # acme $3,000 = 96.77 % → 80; anomalies of the 20th/21st are more than 7 days back
    (30, {"budget:acme:2026-03:80", "budget:beta:2026-03:100", "budget:delta:2026-03:80", "forecast:delta:2026-03"}),
    # the last day: acme $3,100 of $3,100 = 100 % exactly → 100 (forecast = $3,100, not over); delta $1,275.65
    (31, {"budget:acme:2026-03:100", "budget:beta:2026-03:100", "budget:delta:2026-03:100"}),
]


@pytest.mark.parametrize("day, expected", THRESHOLD_CASES)
def test_thresholds_fire_at_the_right_percentages(built, day, expected):
    report = run_alerts(built, now=at(day))  # no channel configured: read-only, nothing sent
    assert (report.month, report.as_of) == (MARCH, date(2026, 3, day))
    assert keys(report) == expected
    assert not any(a.tenant == "gamma" for a in report.alerts)  # no budget, no anomaly


def test_messages_carry_exact_money(built):
    by_key = {a.key: a.message for a in run_alerts(built, now=at(30)).alerts}
    # 1,234.50 / 1,234.56 = 99.9951 %: shown rounded down, never as a 100 % not yet reached
    assert by_key["budget:delta:2026-03:80"] == ("Budget 80 %: delta has spent $1,234.50 of its $1,234.56 budget "
                                                 "for 2026-03 (99.99 %) as of 2026-03-30.")
    assert by_key["forecast:delta:2026-03"] == ("Forecast overrun: delta is on course to spend $1,275.65 in 2026-03, "
                                                "over its $1,234.56 budget ($1,234.50 spent as of 2026-03-30).")
    assert money(Decimal("1234.565")) == "$1,234.57" and money(Decimal("-0.004")) == "$0.00"
    assert money(Decimal("1234567.891")) == "$1,234,567.89" and money(7) == "$7.00"
    with pytest.raises(TypeError):
        money(0.1)


# --- delivery and dedup -------------------------------------------------------------------------------------

ON_THE_20TH = [
    # $2,000 / $3,100 = 64.516 % → 64.51
    "- Budget 50 %: acme has spent $2,000.00 of its $3,100.00 budget for 2026-03 (64.51 %) as of 2026-03-20.",
    "- Budget 100 %: beta has spent $2,000.00 of its $2,000.00 budget for 2026-03 (100.00 %) as of 2026-03-20.",
    # 20 × $41.15 = $823.00; $823.00 / $1,234.56 = 66.663 % → 66.66
    "- Budget 50 %: delta has spent $823.00 of its $1,234.56 budget for 2026-03 (66.66 %) as of 2026-03-20.",
    # $823.00 + $41.15 × 11 days left = $1,275.65
    "- Forecast overrun: delta is on course to spend $1,275.65 in 2026-03, over its $1,234.56 budget ($823.00 spent "
    "as of 2026-03-20).",
    "- Anomaly: beta spent $480.00 on 2026-03-20 (previous day $80.00, trailing median $80.00, flat history).",
]


def test_sent_once_per_channel_then_only_new_alerts(db, config, webhook, smtp):
    first = run_alerts(db, config=config, now=at(20))
    assert [(d.channel, len(d.sent), d.duplicate, d.error) for d in first.deliveries] == [
        ("slack", 5, [], None), ("email", 5, [], None)]
    [(path, content_type, body)] = webhook.posts
    assert path == "/services/T000/B000/hook" and content_type == "application/json" and list(body) == ["text"]
    assert posted_lines(webhook.posts[0]) == ["Tokenomics: 5 alerts", *ON_THE_20TH]
    [(rcpt, mail)] = smtp.messages
    assert rcpt == ["finops@example.test", "cfo@example.test"] and mail["Subject"] == "Tokenomics: 5 alerts"
    assert mail["From"] == "tokenomics@example.test"
    assert mail.get_content().splitlines()[:5] == ON_THE_20TH
    assert len(logged(db)) == 10  # 5 alerts × 2 channels

    again = run_alerts(db, config=config, now=at(20) + timedelta(hours=1))  # the next hourly run
    assert len(webhook.posts) == 1 and len(smtp.messages) == 1
    assert [(d.sent, len(d.duplicate)) for d in again.deliveries] == [([], 5), ([], 5)]

    # five days on: acme reaches 80 % ($2,500 / $3,100 = 80.64 %), delta 80 % (25 × $41.15 = $1,028.75 =
    # 83.33 %), and the drop back on the 21st is an anomaly; what was sent before is not sent again
    later = run_alerts(db, config=config, now=at(25))
    new = ["anomaly:beta:2026-03-21", "budget:acme:2026-03:80", "budget:delta:2026-03:80"]
    assert [sorted(d.sent) for d in later.deliveries] == [new, new]
    assert posted_lines(webhook.posts[1])[0] == "Tokenomics: 3 alerts"
    assert "- Budget 80 %: acme has spent $2,500.00 of its $3,100.00 budget for 2026-03 (80.64 %) as of 2026-03-25." \
        in posted_lines(webhook.posts[1])
    assert len(smtp.messages) == 2 and len(logged(db)) == 16


def test_a_failing_webhook_is_retried_next_run_and_email_still_goes(db, config, webhook, smtp):
    webhook.statuses = [500, 500]  # the first try and its one retry
    first = run_alerts(db, config=config, now=at(20))
    slack, mail = first.deliveries
    assert slack.sent == [] and "500" in slack.error and first.failed
    assert len(mail.sent) == 5 and mail.error is None and len(smtp.messages) == 1
    assert len(webhook.posts) == 2  # tried twice within the run
    assert {c for _, c in logged(db)} == {"email"}  # the webhook's alerts are not marked sent

    second = run_alerts(db, config=config, now=at(20) + timedelta(hours=1))  # the webhook is back
    slack, mail = second.deliveries
    assert len(slack.sent) == 5 and slack.error is None and not second.failed
    assert mail.sent == [] and len(mail.duplicate) == 5 and len(smtp.messages) == 1
    assert posted_lines(webhook.posts[2]) == ["Tokenomics: 5 alerts", *ON_THE_20TH]
    assert len(logged(db)) == 10


def test_an_unreachable_smtp_server_fails_only_email(db, tmp_path, webhook):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"slack_webhook": webhook.url, "timeout_s": 2, "email": {
        "smtp_host": "127.0.0.1", "smtp_port": closed, "from": "a@example.test", "to": "b@example.test",
        "starttls": False}}))
    report = run_alerts(db, config=tmp_path / "a.yaml", now=at(20))
    slack, mail = report.deliveries
    assert len(slack.sent) == 5 and mail.sent == [] and "ConnectionRefusedError" in mail.error
    assert {c for _, c in logged(db)} == {"slack"}


def test_dry_run_sends_nothing_and_writes_nothing(db, config, webhook, smtp):
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    report = run_alerts(db, config=config, dry_run=True, now=at(20))
    assert [(d.channel, len(d.sent), d.duplicate) for d in report.deliveries] == [("slack", 5, []), ("email", 5, [])]
    assert report.as_dict()["channels"]["slack"]["would_send"] == [a.key for a in report.alerts]
    assert webhook.posts == [] and smtp.messages == []
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before and logged(db) == []

    run_alerts(db, config=config, now=at(20))  # sent for real: a dry run now sees them as already sent
    report = run_alerts(db, config=config, dry_run=True, now=at(20))
    assert [(d.sent, len(d.duplicate)) for d in report.deliveries] == [([], 5), ([], 5)]


# --- the command --------------------------------------------------------------------------------------------

def test_cli_reports_sends_and_fails_with_exit_codes(db, config, webhook, smtp, capsys, monkeypatch):
    # --month 2026-03 run now (December 2026): as of 31 March — acme $3,100 (100 %), beta 30 × 80 + 480 =
    # $2,880 (144 %), delta 31 × 41.15 = $1,275.65 (103.32 %); no anomaly in 25–31 March
    webhook.statuses = [500, 500]
    assert main(["--db", str(db), "alert", "--month", "2026-03", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert "2026-03 as of 2026-03-31: 3 alert(s)" in out and "email: sent 3, 0 already sent" in out
    assert "slack: FAILED after one retry (HTTPError: HTTP Error 500" in out
    assert "error: alerts to slack failed" in err and webhook.url not in out + err  # the URL is a secret

    monkeypatch.setenv(alerts.ENV_FILE, str(config))  # the scheduler's way: the config from the environment
    assert main(["--db", str(db), "alert", "--month", "2026-03", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["channels"]["slack"]["sent"] == ["budget:acme:2026-03:100", "budget:beta:2026-03:100",
                                                   "budget:delta:2026-03:100"]
    assert report["channels"]["email"] == {"sent": [], "duplicate": report["channels"]["slack"]["sent"],
                                           "error": None}
    assert "beta has spent $2,880.00 of its $2,000.00 budget for 2026-03 (144.00 %)" in report["alerts"][1]["message"]

    assert main(["--db", str(db), "alert", "--month", "March"]) == 2
    assert "--month must be YYYY-MM" in capsys.readouterr().err


def test_a_locked_warehouse_is_a_sentence_and_nothing_is_sent(db, config, webhook, smtp, capsys):
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(AlertError, match="another process is writing the warehouse"):
            run_alerts(db, config=config, now=at(20))
        assert main(["--db", str(db), "alert", "--config", str(config), "--dry-run"]) == 2
        assert "error: another process is writing the warehouse" in capsys.readouterr().err
    finally:
        holder.communicate("", timeout=30)
    assert webhook.posts == [] and smtp.messages == []


@pytest.mark.parametrize("doc, says", [
    ({"slack_webhok": "https://x"}, "unknown key(s) slack_webhok"),
    ({"slack_webhook": "file:///etc/passwd"}, "must be an http(s):// URL"),
    ({"email": {"smtp_host": "h", "from": "a@x"}}, "email needs smtp_host, from and to"),
    ({"email": {"smtp_host": "h", "from": "a@x", "to": "b@x", "password_env": "TOKENOMICS_TEST_UNSET_PW"}},
     "TOKENOMICS_TEST_UNSET_PW, which is not set"),
    ({"email": {"smtp_host": "h", "from": "a@x", "to": "b@x", "starttls": False,
                "username_env": "TOKENOMICS_TEST_SMTP_USER"}}, "without starttls"),
])
def test_bad_configs_are_sentences(db, tmp_path, monkeypatch, doc, says):
    monkeypatch.setenv("TOKENOMICS_TEST_SMTP_USER", "alerts")
    monkeypatch.delenv("TOKENOMICS_TEST_UNSET_PW", raising=False)
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(AlertError, match=re.escape(says)):
        run_alerts(db, config=tmp_path / "bad.yaml", now=at(20))
    with pytest.raises(AlertError, match="no alerts config at"):
        run_alerts(db, config=tmp_path / "missing.yaml", now=at(20))


def test_demo_warehouse_dry_run_agrees_with_the_budget_mart(demo, capsys):
    """On the 20k-request demo: every tenant-month's highest threshold reached, recomputed from the mart."""
    assert main(["--db", str(demo["db"]), "alert", "--month", "2026-11", "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    con = duckdb.connect(str(demo["db"]), read_only=True)
    rows = con.execute("SELECT tenant, budget_usd, mtd_usd FROM mart_budget_daily WHERE month = DATE '2026-11-01' "
                       "QUALIFY row_number() OVER (PARTITION BY tenant ORDER BY day DESC) = 1").fetchall()
    con.close()
    assert rows  # the demo has November budgets
    expected = {f"budget:{t}:2026-11:{next(p for p in (100, 80, 50) if mtd * 100 >= b * p)}"
                for t, b, mtd in rows if mtd * 100 >= b * 50}
    assert {a["key"] for a in report["alerts"] if a["kind"] == "budget"} == expected
    assert report["channels"] == {} and report["dry_run"] is True
