-- stg_gpu_deployments — grain: one row per (deployment_id, host).
CREATE OR REPLACE VIEW stg_gpu_deployments AS
SELECT d.deployment_id, d.cluster, d.gpu_type, d.gpu_count, h.host, d.model, d."precision", d.engine, d.gpu_rate_ref,
    d.tensor_parallel
FROM gpu_deployments d CROSS JOIN unnest(d.hosts) AS h(host);
