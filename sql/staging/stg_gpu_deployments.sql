-- stg_gpu_deployments — grain: one row per (deployment_id, host).
CREATE OR REPLACE VIEW stg_gpu_deployments AS
SELECT deployment_id, cluster, gpu_type, gpu_count, unnest(hosts) AS host, model, "precision", engine, gpu_rate_ref,
    tensor_parallel
FROM gpu_deployments;
