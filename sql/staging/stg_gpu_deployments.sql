-- stg_gpu_deployments — grain: one row per (deployment_id, host).
-- mig_profile: the deployment runs on gpu_count MIG instances of this profile (mig_slices of gpu_slices
-- compute slices each), not on whole GPUs.
CREATE OR REPLACE VIEW stg_gpu_deployments AS
SELECT d.deployment_id, d.cluster, d.gpu_type, d.gpu_count, h.host, d.model, d."precision", d.engine, d.gpu_rate_ref,
    d.tensor_parallel, d.mig_profile, d.mig_slices, d.gpu_slices
FROM gpu_deployments d CROSS JOIN unnest(d.hosts) AS h(host);
