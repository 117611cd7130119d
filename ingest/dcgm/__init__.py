"""DCGM exporter telemetry: Prometheus text exposition scraped from dcgm-exporter's /metrics."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from tokenomics.ingest.records import Candidate, validate
from tokenomics.ingest.runner import Counts, LoadContext, Source, quarantine_rows, register
from tokenomics.records import GpuSample, gpu_mig_slices, mig_profile_slices

# metric → how it lands in the canonical GpuSample (one sample per device per scrape)
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


# the node a sample came from: dcgm-exporter renamed its `Hostname` label to `hostname` (commit d5e5f510,
# "Rename Hostname label to hostname (#655)", 2026-05); older exporters write `Hostname`; Prometheus adds
# `instance` (host:port) when the exporter sends neither
HOST_LABELS = ("hostname", "Hostname", "instance")


def host_of(labels: dict[str, str]) -> str:
    return next((labels[k] for k in HOST_LABELS if labels.get(k)), "unknown")


def parse(lines, default_ts: datetime | None) -> tuple[list[Candidate], list[tuple[int, str, str]]]:
    """Group metric samples into one candidate per (scrape time, GPU UUID, MIG GPU instance id); bad lines
    are rejected.  A MIG-mode GPU's instances share the GPU's UUID and differ by GPU_I_ID: each is a device.

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
        key = (ts, labels["UUID"], labels.get("GPU_I_ID") or None)
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


def _mig(uuid: str, instance: str | None, labels: dict[str, str]) -> dict:
    """The device fields: a whole GPU is its UUID; a MIG instance is "<UUID>/GI<GPU_I_ID>" with its profile
    and its compute slices of the GPU's (NULL when the profile or the GPU model is not one we know)."""
    if instance is None:
        if labels.get("GPU_I_PROFILE"):
            raise ValueError("MIG sample has GPU_I_PROFILE but no GPU_I_ID: its instance is unknown")
        return {"gpu_uuid": uuid, "parent_gpu_uuid": uuid}
    if not instance.isdigit():
        raise ValueError(f"GPU_I_ID {instance!r} is not a MIG GPU instance id")
    profile = labels.get("GPU_I_PROFILE") or ""
    if not profile:
        raise ValueError("MIG sample has GPU_I_ID but no GPU_I_PROFILE: its slice of the GPU is unknown")
    try:
        slices = mig_profile_slices(profile)
    except ValueError:
        slices = None
    return {"gpu_uuid": f"{uuid}/GI{int(instance)}", "parent_gpu_uuid": uuid, "mig_instance_id": int(instance),
            "mig_profile": profile, "mig_slices": slices,
            "gpu_slices": gpu_mig_slices(labels.get("modelName", "")) if slices else None}


def _sample(key: tuple, g: dict) -> GpuSample:
    ts, uuid, instance = key
    labels = g["_labels"]
    util = _number(g.get("util_gpu_pct"))
    gr_active = _number(g.get("gr_active"))
    # DCGM_FI_DEV_GPU_UTIL is not supported for MIG instances (the exporter reports 0 or nothing): an
    # instance's busy time is its graphics-engine ratio whenever the exporter sends it
    if gr_active is not None and (util is None or instance is not None):
        util = gr_active * 100
    if util is None:
        raise ValueError("neither DCGM_FI_DEV_GPU_UTIL nor DCGM_FI_PROF_GR_ENGINE_ACTIVE for this GPU")
    used, free = _number(g.get("mem_used_mib")), _number(g.get("fb_free"))
    mem_util = _number(g.get("util_mem_pct"))
    return GpuSample(
        ts=ts, host=host_of(labels), **_mig(uuid, instance, labels),
        gpu_name=labels.get("modelName", "unknown"), util_gpu_pct=int(util.to_integral_value()),
        util_mem_pct=None if mem_util is None else int(mem_util), mem_used_mib=None if used is None else int(used),
        mem_total_mib=None if used is None or free is None else int(used + free), power_w=_number(g.get("power_w")))


def load(con, path: Path, ctx: LoadContext) -> Counts:
    """One sample per device (GPU or MIG instance) per scrape; duplicates of already-loaded (host, device,
    time) are counted."""
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
        con.execute("INSERT INTO raw_gpu_samples (ts, host, gpu_uuid, gpu_name, util_gpu_pct, util_mem_pct,"
                    " mem_used_mib, mem_total_mib, power_w, power_limit_w, source, run_id, parent_gpu_uuid,"
                    " mig_instance_id, mig_profile, mig_slices, gpu_slices)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [s.ts, s.host, s.gpu_uuid, s.gpu_name, s.util_gpu_pct, s.util_mem_pct, s.mem_used_mib,
                     s.mem_total_mib, s.power_w, s.power_limit_w, ctx.source, ctx.run_id, s.parent_gpu_uuid,
                     s.mig_instance_id, s.mig_profile, s.mig_slices, s.gpu_slices])
        counts.loaded += 1
    return counts


register(Source("dcgm", load, ("*.prom", "dcgm*.txt"),
                "DCGM exporter Prometheus text (/metrics scrapes; '# scrape <ISO time>' lines or --at)"))
