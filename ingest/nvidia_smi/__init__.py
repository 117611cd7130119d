"""nvidia-smi CSV telemetry (`nvidia-smi --query-gpu=... --format=csv -l N`)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ingest.runner import Counts, LoadContext, Source, register
from ingest.sqlscript import run_script

# nvidia-smi header field (units stripped) → canonical column; other fields are read and ignored.
FIELDS: dict[str, str] = {
    "timestamp": "ts_raw",
    "name": "gpu_name",
    "pci.bus_id": "pci_bus_id",
    "uuid": "gpu_uuid",
    "utilization.gpu": "util_gpu_raw",
    "utilization.memory": "util_mem_raw",
    "memory.used": "mem_used_raw",
    "memory.total": "mem_total_raw",
    "power.draw": "power_raw",
    "power.limit": "power_limit_raw",
}
REQUIRED = ("timestamp", "uuid", "utilization.gpu")


def header_names(header: str) -> list[str]:
    """Map each header field ('power.draw [W]') to a canonical column name, or x_<i> if unused."""
    names = []
    for i, field in enumerate(h.strip() for h in header.split(",")):
        base = field.split(" [")[0].strip()
        names.append(FIELDS.get(base, f"x_{i}"))
    missing = [f for f in REQUIRED if FIELDS[f] not in names]
    if missing:
        raise ValueError(f"nvidia-smi header lacks required fields {missing}: {header.strip()[:200]}")
    return names


def load(con, path: Path, ctx: LoadContext) -> Counts:
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    names = header_names(header)
    present = set(names)
    extra = [c for c in FIELDS.values() if c not in present]
    params = {
        "path": str(path),
        "columns": {n: "VARCHAR" for n in names},
        "tz": ctx.options.get("tz", "UTC"),
        "host": ctx.options.get("host") or path.stem,
        "source": ctx.source,
        "run_id": ctx.run_id,
    }
    run_script(con, "ingest/nvidia_smi_read.sql", params)
    for column in extra:  # fields this capture did not query exist as NULL columns
        con.execute(f'ALTER TABLE _gpu_read ADD COLUMN "{column}" VARCHAR')
    run_script(con, "ingest/nvidia_smi.sql", params)
    now = datetime.now(timezone.utc)
    con.execute(
        "INSERT INTO quarantine SELECT ?, ?, ?, line_no, raw, reason, ? FROM _gpu_outcome WHERE outcome = 'quarantined'",
        [ctx.run_id, ctx.source, ctx.uri, now])
    read = con.execute("SELECT count(*) FROM _gpu_rows").fetchone()[0] + con.execute(
        "SELECT count(DISTINCT line) FROM _gpu_errors").fetchone()[0]
    by = dict(con.execute("SELECT outcome, count(*) FROM _gpu_outcome GROUP BY ALL").fetchall())
    counts = Counts(read=read, quarantined=by.get("quarantined", 0), duplicate=by.get("duplicate", 0))
    counts.loaded = con.execute(
        "SELECT count(*) FROM _gpu_rows WHERE len(reasons) = 0 AND line_no NOT IN (SELECT line_no FROM _gpu_outcome)"
    ).fetchone()[0]
    for table in ("_gpu_read", "_gpu_rows", "_gpu_outcome", "_gpu_errors", "_gpu_scans"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return counts


register(Source("nvidia-smi", load, ("*.csv",), "nvidia-smi --query-gpu CSV, one file per host"))
