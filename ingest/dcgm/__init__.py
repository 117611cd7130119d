"""DCGM exporter telemetry: Prometheus text exposition scraped from dcgm-exporter's /metrics."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from ingest.records import Candidate, validate
from ingest.runner import Counts, LoadContext, Source, quarantine_rows, register
from tokenomics.records import GpuSample

# metric → how it lands in the canonical GpuSample (one sample per GPU per scrape)
METRICS = {
    "DCGM_FI_DEV_GPU_UTIL": "util_gpu_pct",          # %, the nvidia-smi utilization.gpu equivalent
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": "gr_active",    # 0..1 ratio of time the graphics engine was busy
    "DCGM_FI_DEV_MEM_COPY_UTIL": "util_mem_pct",     # %
    "DCGM_FI_DEV_FB_USED": "mem_used_mib",           # MiB
    "DCGM_FI_DEV_FB_FREE": "fb_free",                # MiB (total = used + free)
    "DCGM_FI_DEV_POWER_USAGE": "power_w",            # W
}
_SAMPLE = re.compile(r'^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+(?P<ts>-?\d+))?\s*$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_SCRAPE = re.compile(r"^#\s*scrape(?:d_at)?\s+(\S+)\s*$", re.I)


def _scrape_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"scrape time {text!r} has no time zone")
    return value.astimezone(timezone.utc)


def parse(lines, default_ts: datetime | None) -> tuple[list[Candidate], list[tuple[int, str, str]]]:
    """Group metric samples into one candidate per (scrape time, GPU UUID); bad lines are rejected.

    Scrape time: a sample's own millisecond timestamp, else the latest `# scrape <ISO time>` line
    (what `tokenomics`' documented scrape loop writes), else the ingest's --at time.
    """
    groups: dict[tuple, dict] = defaultdict(dict)
    first_line: dict[tuple, int] = {}
    rejected = []
    current = default_ts
    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            marker = _SCRAPE.match(line)
            if marker:
                try:
                    current = _scrape_time(marker.group(1))
                except ValueError as exc:
                    rejected.append((line_no, line, f"bad scrape marker: {exc}"))
            continue
        match = _SAMPLE.match(line)
        if not match:
            rejected.append((line_no, line[:2000], "not a Prometheus sample line"))
            continue
        if match["name"] not in METRICS:
            continue  # other DCGM fields are valid input we do not use
        labels = dict(_LABEL.findall(match["labels"] or ""))
        ts = (datetime.fromtimestamp(int(match["ts"]) / 1000, timezone.utc) if match["ts"] else current)
        if ts is None:
            rejected.append((line_no, line[:2000], "no scrape time: add '# scrape <ISO time>' or use --at"))
            continue
        if "UUID" not in labels:
            rejected.append((line_no, line[:2000], "sample has no UUID label"))
            continue
        key = (ts, labels["UUID"])
        first_line.setdefault(key, line_no)
        group = groups[key]
        group.setdefault("_labels", labels)
        group.setdefault("_raw", []).append(line)
        group[METRICS[match["name"]]] = match["value"]
    candidates = [Candidate(first_line[key], "\n".join(g["_raw"]), lambda key=key, g=g: [_sample(key, g)])
                  for key, g in sorted(groups.items(), key=lambda kv: first_line[kv[0]])]
    return candidates, rejected


def _number(text: str | None) -> Decimal | None:
    if text is None:
        return None
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(f"{text} is not a finite number")
    return value


def _sample(key: tuple, g: dict) -> GpuSample:
    ts, uuid = key
    labels = g["_labels"]
    util = _number(g.get("util_gpu_pct"))
    if util is None and g.get("gr_active") is not None:
        util = _number(g["gr_active"]) * 100
    if util is None:
        raise ValueError("neither DCGM_FI_DEV_GPU_UTIL nor DCGM_FI_PROF_GR_ENGINE_ACTIVE for this GPU")
    used, free = _number(g.get("mem_used_mib")), _number(g.get("fb_free"))
    mem_util = _number(g.get("util_mem_pct"))
    return GpuSample(
        ts=ts, host=labels.get("Hostname") or labels.get("instance") or "unknown", gpu_uuid=uuid,
        gpu_name=labels.get("modelName", "unknown"), util_gpu_pct=int(util.to_integral_value()),
        util_mem_pct=None if mem_util is None else int(mem_util), mem_used_mib=None if used is None else int(used),
        mem_total_mib=None if used is None or free is None else int(used + free), power_w=_number(g.get("power_w")))


def load(con, path: Path, ctx: LoadContext) -> Counts:
    """One sample per GPU per scrape; duplicates of already-loaded (host, GPU, time) are counted."""
    at = ctx.options.get("at")
    default_ts = _scrape_time(at) if at else None
    with path.open(encoding="utf-8", errors="replace") as handle:
        candidates, rejected = parse(handle, default_ts)
    good, counts = validate(candidates, ctx, con)
    counts.read += len(rejected)
    counts.quarantined += quarantine_rows(con, ctx, rejected)
    for _, (s,) in good:
        exists = con.execute("SELECT count(*) FROM raw_gpu_samples WHERE host = ? AND gpu_uuid = ? AND ts = ?",
                             [s.host, s.gpu_uuid, s.ts]).fetchone()[0]
        if exists:
            counts.duplicate += 1
            continue
        con.execute("INSERT INTO raw_gpu_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [s.ts, s.host, s.gpu_uuid, s.gpu_name, s.util_gpu_pct, s.util_mem_pct, s.mem_used_mib,
                     s.mem_total_mib, s.power_w, s.power_limit_w, ctx.source, ctx.run_id])
        counts.loaded += 1
    return counts


register(Source("dcgm", load, ("*.prom", "dcgm*.txt"),
                "DCGM exporter Prometheus text (/metrics scrapes; '# scrape <ISO time>' lines or --at)"))
