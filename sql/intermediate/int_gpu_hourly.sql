-- int_gpu_hourly — grain: one row per (deployment_id, hour) from the deployment's first to last
-- telemetry hour: the hour's cost (int_gpu_capacity_hourly) and the requests it served.
-- busy_fraction = mean GPU utilisation / 100 from telemetry; without telemetry it is 1 if the hour served
-- requests, else 0 (the idle policy's input).  A MIG deployment's devices are MIG instances (mig_profile):
-- gpu_count counts them and usd_per_device_hour is one instance's slice of the GPU's rate.
-- shadow: hour by day
CREATE OR REPLACE TABLE int_gpu_hourly AS
WITH served AS (
    SELECT deployment, hour, sum(requests)::BIGINT AS requests,
        sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens
    FROM int_self_hosted_hourly
    WHERE gateway_cache = 'miss'
    GROUP BY ALL
)
SELECT
    c.deployment_id, c.hour, c.cluster, c.gpu_type, c.gpu_count, c.model, c."precision", c.engine,
    c.gpu_rate_ref, c.usd_per_gpu_hour, c.rate_kind, c.samples, c.gpus_reporting, c.avg_util_pct, c.avg_power_w,
    c.energy_kwh, c.capacity_cost_usd, c.energy_cost_usd, c.gpu_cost_usd, c.mig_profile, c.usd_per_device_hour,
    CASE WHEN c.avg_util_pct IS NOT NULL THEN least(greatest(c.avg_util_pct / 100.0, 0), 1)
         WHEN coalesce(v.requests, 0) > 0 THEN 1.0 ELSE 0.0 END AS busy_fraction,
    coalesce(v.requests, 0) AS requests,
    coalesce(v.prompt_tokens, 0) AS prompt_tokens,
    coalesce(v.completion_tokens, 0) AS completion_tokens
FROM int_gpu_capacity_hourly c
LEFT JOIN served v ON v.deployment = c.deployment_id AND v.hour = c.hour;
