"""Budget and anomaly alerts, sent once per channel (a Slack-compatible webhook, e-mail over SMTP).

Per tenant with a budget for the month: the highest of 50 / 80 / 100 % of the budget its month-to-date spend
has reached, and a forecast overrun (the month-end forecast above the budget while spend is still below it);
for every tenant: the days the robust z-score flagged (mart_spend_tenant_daily) in the last ANOMALY_DAYS days.
Each alert has a stable dedup key; alert_log holds (key, channel) once a channel accepted it, so an hourly run
sends nothing twice and a channel that failed gets the alert again on the next run.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import smtplib
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from pathlib import Path

import duckdb
import yaml

from tokenomics.config import db_path, sql_dir
from tokenomics.settings import settings
from tokenomics.warehouse import connect, open_warehouse

ENV_FILE = "TOKENOMICS_ALERTS_FILE"
THRESHOLDS = (100, 80, 50)  # % of the budget, highest first: one run reports the highest one reached
ANOMALY_DAYS = 7  # a week back from the as-of day: a late ingest's anomalies still alert, dedup sends each once
RETRY_PAUSE_S = 2.0  # before the one retry of a failed delivery
CENT = Decimal("0.01")
# what a channel that is down or refuses raises: HTTP error statuses, refused connections, timeouts, TLS and SMTP
# errors are OSErrors; a malformed HTTP reply is http.client's own
DELIVERY_ERRORS = (OSError, http.client.HTTPException)


class AlertError(ValueError):
    """A setup problem the user can fix, said as one sentence: a bad config, no warehouse, a writer holds it."""


@dataclass(frozen=True)
class Alert:
    key: str  # stable across runs: what alert_log deduplicates on
    kind: str  # budget | forecast | anomaly
    tenant: str
    message: str


@dataclass(frozen=True)
class Email:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    starttls: bool
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class Channels:
    slack_webhook: str | None = None
    email: Email | None = None
    timeout_s: float = 10.0

    def names(self) -> list[str]:
        return [name for name, on in (("slack", self.slack_webhook), ("email", self.email)) if on]


@dataclass
class Delivery:
    channel: str
    sent: list[str] = field(default_factory=list)  # in a dry run: what would be sent
    duplicate: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Report:
    month: date
    as_of: date
    dry_run: bool
    config: Path | None
    alerts: list[Alert]
    deliveries: list[Delivery]

    @property
    def failed(self) -> bool:
        return any(d.error for d in self.deliveries)

    def as_dict(self) -> dict:
        sent = "would_send" if self.dry_run else "sent"
        return {"month": f"{self.month:%Y-%m}", "as_of": self.as_of.isoformat(), "dry_run": self.dry_run,
                "config": str(self.config) if self.config else None,
                "alerts": [a.__dict__ for a in self.alerts],
                "channels": {d.channel: {sent: d.sent, "duplicate": d.duplicate, "error": d.error}
                             for d in self.deliveries}}


def money(value: Decimal | int) -> str:
    """$1,234.56 — the exact Decimal rounded half-up to the cent; a float is refused, never formatted."""
    if isinstance(value, float):
        raise TypeError("money is a Decimal, never a float")
    cents = Decimal(value).quantize(CENT, ROUND_HALF_UP)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


def percent(part: Decimal, whole: Decimal) -> str:
    """part / whole in %, two places, rounded down: an alert never shows a percentage not yet reached."""
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_DOWN))


def month_start(text: str | None, now: datetime) -> date:
    """--month YYYY-MM as its first day; the month of `now` without one."""
    if not text:
        return now.astimezone(timezone.utc).date().replace(day=1)
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise AlertError(f"--month must be YYYY-MM, got {text!r}") from None


def _query(con: duckdb.DuckDBPyConnection, name: str, **params) -> list[tuple]:
    return con.execute((sql_dir() / "queries" / f"{name}.sql").read_text(), params).fetchall()


def evaluate(con: duckdb.DuckDBPyConnection, month: date, now: datetime) -> tuple[date, list[Alert]]:
    """The alerts the marts raise for a month as of `now` (its last day once the month is over)."""
    last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    as_of = min(now.astimezone(timezone.utc).date(), last)
    alerts: list[Alert] = []
    for tenant, _, day, budget, mtd, forecast in _query(con, "alert_budgets", month=month, as_of=as_of,
                                                        tenants=None):
        alerts += budget_alerts(tenant, month, day, budget, mtd, forecast)
    start = as_of - timedelta(days=ANOMALY_DAYS - 1)
    for day, tenant, spend, previous, median, z in _query(con, "tenant_anomalies", start=start, end=as_of,
                                                          tenants=None):
        alerts.append(anomaly_alert(tenant, day, spend, previous, median, z))
    return as_of, alerts


def budget_alerts(tenant: str, month: date, day: date, budget: Decimal, mtd: Decimal,
                  forecast: Decimal | None) -> list[Alert]:
    """Threshold and forecast alerts for one tenant-month, compared exactly: mtd × 100 ≥ budget × threshold."""
    if not budget or budget <= 0:
        return []
    ym = f"{month:%Y-%m}"
    out = []
    reached = next((t for t in THRESHOLDS if mtd * 100 >= budget * t), None)
    if reached:
        out.append(Alert(f"budget:{tenant}:{ym}:{reached}", "budget", tenant,
                         f"Budget {reached} %: {tenant} has spent {money(mtd)} of its {money(budget)} budget for "
                         f"{ym} ({percent(mtd, budget)} %) as of {day}."))
    if forecast is not None and mtd < budget < forecast:  # once over budget, the 100 % alert says more
        out.append(Alert(f"forecast:{tenant}:{ym}", "forecast", tenant,
                         f"Forecast overrun: {tenant} is on course to spend {money(forecast)} in {ym}, over its "
                         f"{money(budget)} budget ({money(mtd)} spent as of {day})."))
    return out


def anomaly_alert(tenant: str, day: date, spend: Decimal, previous: Decimal | None, median: Decimal | None,
                  z: float | None) -> Alert:
    def usd(v):
        return "n/a" if v is None else money(v)

    score = "flat history" if z is None else f"robust z {z}"
    return Alert(f"anomaly:{tenant}:{day}", "anomaly", tenant,
                 f"Anomaly: {tenant} spent {usd(spend)} on {day} (previous day {usd(previous)}, trailing median "
                 f"{usd(median)}, {score}).")


# --- channels -----------------------------------------------------------------------------------------------

_KEYS = {"slack_webhook", "slack_webhook_env", "email", "timeout_s"}
_EMAIL_KEYS = {"smtp_host", "smtp_port", "from", "to", "starttls", "username_env", "password_env"}


def config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """--config wins, then $TOKENOMICS_ALERTS_FILE; None: no channel configured.  A file named by the variable
    that does not exist counts as none (a deployment sets the variable before anyone writes the file); one
    named by --config must exist."""
    if explicit:
        return Path(explicit)
    chosen = settings().alerts_file
    if chosen and not chosen.exists():
        print(f"note: ${ENV_FILE} names {chosen}, which does not exist: no alert channels", file=sys.stderr)
        return None
    return chosen


def load_channels(path: Path | None) -> Channels:
    """The channels file, checked whole before anything is read or sent."""
    if path is None:
        return Channels()
    if not path.is_file():
        raise AlertError(f"no alerts config at {path} (--config or ${ENV_FILE})")
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise AlertError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise AlertError(f"{path} must be a mapping of slack_webhook / email settings")
    _no_unknown(path, doc, _KEYS, "")
    webhook = doc.get("slack_webhook") or _env(path, doc.get("slack_webhook_env"))
    if webhook and not str(webhook).startswith(("https://", "http://")):
        raise AlertError(f"{path}: slack_webhook must be an http(s):// URL")
    try:
        timeout = float(doc.get("timeout_s", 10))
    except (TypeError, ValueError):
        raise AlertError(f"{path}: timeout_s must be a number of seconds") from None
    return Channels(str(webhook) if webhook else None, _email(path, doc.get("email")), timeout)


def _email(path: Path, doc) -> Email | None:
    if not doc:
        return None
    if not isinstance(doc, dict):
        raise AlertError(f"{path}: email must be a mapping (smtp_host, smtp_port, from, to, starttls)")
    _no_unknown(path, doc, _EMAIL_KEYS, "email.")
    to = doc.get("to")
    to = (to,) if isinstance(to, str) else tuple(to or ())
    if not doc.get("smtp_host") or not doc.get("from") or not to:
        raise AlertError(f"{path}: email needs smtp_host, from and to")
    starttls = bool(doc.get("starttls", True))
    username, password = _env(path, doc.get("username_env")), _env(path, doc.get("password_env"))
    if (username or password) and not starttls:
        raise AlertError(f"{path}: refusing to send SMTP credentials without starttls")
    try:
        port = int(doc.get("smtp_port", 587 if starttls else 25))
    except (TypeError, ValueError):
        raise AlertError(f"{path}: email.smtp_port must be a port number") from None
    return Email(str(doc["smtp_host"]), port, str(doc["from"]), tuple(map(str, to)), starttls, username, password)


def _no_unknown(path: Path, doc: dict, allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(map(str, doc)) - allowed)
    if unknown:
        raise AlertError(f"{path}: unknown key(s) {', '.join(prefix + k for k in unknown)}; "
                         f"allowed: {', '.join(sorted(allowed))}")


def _env(path: Path, name) -> str | None:
    """A secret named by its environment variable, never written in the file."""
    if not name:
        return None
    value = os.environ.get(str(name))
    if not value:
        raise AlertError(f"{path} names the environment variable {name}, which is not set")
    return value


def post_webhook(url: str, text: str, timeout: float) -> None:
    """Slack incoming-webhook format: POST {"text": …} as JSON; an HTTP error status raises."""
    request = urllib.request.Request(url, data=json.dumps({"text": text}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def send_email(cfg: Email, subject: str, body: str, timeout: float) -> None:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, cfg.sender, ", ".join(cfg.to)
    message.set_content(body)
    with smtplib.SMTP(cfg.host, cfg.port, timeout=timeout) as smtp:
        if cfg.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if cfg.username:
            smtp.login(cfg.username, cfg.password or "")
        smtp.send_message(message)


def _deliver(channel: str, channels: Channels, alerts: list[Alert]) -> None:
    """One message per channel and run, every new alert a line of it; one retry after a pause."""
    title = f"Tokenomics: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    lines = "\n".join(f"- {a.message}" for a in alerts)
    if channel == "slack":
        send = lambda: post_webhook(channels.slack_webhook, f"{title}\n{lines}", channels.timeout_s)  # noqa: E731
    else:
        body = f"{lines}\n\nSent by `tokenomics alert`; each alert is sent once.\n"
        send = lambda: send_email(channels.email, title, body, channels.timeout_s)  # noqa: E731
    try:
        send()
    except DELIVERY_ERRORS:
        time.sleep(RETRY_PAUSE_S)
        send()


# --- the run ------------------------------------------------------------------------------------------------

def _open(db, write: bool) -> duckdb.DuckDBPyConnection:
    """The warehouse file itself (alert_log is not in the read snapshot's current state): writable to record."""
    path = db_path(db)
    if not path.exists():
        raise AlertError(f"no warehouse at {path}: ingest and build first, or pass --db")
    try:
        return open_warehouse(path) if write else connect(path, read_only=True, snapshot=False)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise AlertError(f"another process is writing the warehouse {path} (an ingest or build); no alert "
                             "was evaluated or sent — the next run tries again") from None
        raise


def _logged(con: duckdb.DuckDBPyConnection, keys: list[str]) -> set[tuple[str, str]]:
    try:
        return set(con.execute("SELECT dedup_key, channel FROM alert_log WHERE list_contains(?::VARCHAR[], dedup_key)",
                               [keys]).fetchall())
    except duckdb.CatalogException:  # a dry run on a warehouse not yet migrated to 018: nothing was sent
        return set()


def _record(con: duckdb.DuckDBPyConnection, channel: str, alerts: list[Alert]) -> None:
    at = datetime.now(timezone.utc)
    con.executemany("INSERT OR IGNORE INTO alert_log (dedup_key, channel, sent_at, message) VALUES (?, ?, ?, ?)",
                    [[a.key, channel, at, a.message] for a in alerts])


def run_alerts(db=None, *, month: str | None = None, config: str | os.PathLike | None = None,
               dry_run: bool = False, now: datetime | None = None) -> Report:
    """Evaluate, then send each channel the alerts it has not had; a failed channel is reported, not recorded.

    A dry run (or one with no channel configured) opens the warehouse read-only and writes nothing."""
    now = now or datetime.now(timezone.utc)
    first = month_start(month, now)
    source = config_path(config)
    channels = load_channels(source)
    con = _open(db, write=not dry_run and bool(channels.names()))
    try:
        try:
            as_of, alerts = evaluate(con, first, now)
        except duckdb.CatalogException:
            raise AlertError(f"the warehouse {db_path(db)} has no spend and budget marts yet: run "
                             "`tokenomics build` first") from None
        logged = _logged(con, [a.key for a in alerts])
        deliveries = []
        for channel in channels.names():
            done = Delivery(channel, duplicate=[a.key for a in alerts if (a.key, channel) in logged])
            pending = [a for a in alerts if (a.key, channel) not in logged]
            if pending and not dry_run:
                try:
                    _deliver(channel, channels, pending)
                except DELIVERY_ERRORS as exc:
                    done.error = f"{type(exc).__name__}: {exc}"
                    deliveries.append(done)
                    continue
                _record(con, channel, pending)
            done.sent = [a.key for a in pending]
            deliveries.append(done)
    finally:
        con.close()
    return Report(first, as_of, dry_run, source, alerts, deliveries)


def report_text(report: Report) -> str:
    """What fired, and per channel what was sent, skipped as already sent, or failed."""
    lines = [f"{report.month:%Y-%m} as of {report.as_of}: {len(report.alerts)} alert(s)"
             + (" (dry run: nothing sent or recorded)" if report.dry_run else "")]
    width = max((len(a.key) for a in report.alerts), default=0)
    lines += [f"  {a.key:<{width}}  {a.message}" for a in report.alerts]
    if not report.deliveries:
        lines.append(f"no channel configured (--config or ${ENV_FILE}): nothing sent")
    for d in report.deliveries:
        if d.error:
            lines.append(f"{d.channel}: FAILED after one retry ({d.error}); {len(d.duplicate)} already sent — "
                         "nothing recorded, the next run sends again")
        else:
            verb = "would send" if report.dry_run else "sent"
            lines.append(f"{d.channel}: {verb} {len(d.sent)}, {len(d.duplicate)} already sent (skipped)")
    return "\n".join(lines)
