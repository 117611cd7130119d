"""Self-hosted GPU deployments: which hosts serve which model, at which $/GPU-hour rate."""

from __future__ import annotations

from pathlib import Path

import yaml

from tokenomics.ingest.records import Candidate, validate
from tokenomics.ingest.runner import Counts, LoadContext, Source, register
from tokenomics.records import GpuDeployment


def load(con, path: Path, ctx: LoadContext) -> Counts:
    """A deployments file is the current definition: a changed deployment replaces the old one."""
    doc = yaml.safe_load(path.read_text()) or {}
    candidates = [Candidate(None, d, lambda d=d: [GpuDeployment(**d)]) for d in doc.get("deployments") or []]
    good, counts = validate(candidates, ctx, con)
    for _, (dep,) in good:
        values = [dep.deployment_id, dep.cluster, dep.gpu_type, dep.gpu_count, list(dep.hosts), dep.model,
                  dep.precision, dep.engine, dep.gpu_rate_ref, dep.tensor_parallel, dep.mig_profile,
                  dep.mig_slices, dep.compute_slices_per_gpu]
        same = con.execute(
            "SELECT count(*) FROM gpu_deployments WHERE deployment_id = ? AND cluster = ? AND gpu_type = ?"
            " AND gpu_count = ? AND hosts = ? AND model = ? AND \"precision\" = ? AND engine = ? AND gpu_rate_ref = ?"
            " AND tensor_parallel IS NOT DISTINCT FROM ? AND mig_profile IS NOT DISTINCT FROM ?"
            " AND mig_slices IS NOT DISTINCT FROM ? AND gpu_slices IS NOT DISTINCT FROM ?",
            values).fetchone()[0]
        if same:
            counts.duplicate += 1
            continue
        con.execute("DELETE FROM gpu_deployments WHERE deployment_id = ?", [dep.deployment_id])
        con.execute("INSERT INTO gpu_deployments (deployment_id, cluster, gpu_type, gpu_count, hosts, model,"
                    " \"precision\", engine, gpu_rate_ref, tensor_parallel, mig_profile, mig_slices, gpu_slices,"
                    " run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [*values, ctx.run_id])
        counts.loaded += 1
    return counts


register(Source("deployments", load, ("deployments*.yaml", "deployments*.yml"),
                "GPU serving deployments (YAML)"))
