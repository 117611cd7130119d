-- int_gpu_capacity_hourly — grain: one row per (deployment_id, hour) from the deployment's first to last
-- telemetry hour: what the hour costs, from telemetry and GPU rates alone.  The bill is gpu_count ×
-- $/GPU-hour for every hour, whether or not a sample arrived or a request was served (idle hours cost the
-- same); owned GPUs add energy = measured kWh × PUE × $/kWh (rounded to the micro-dollar).  Kept apart from
-- the requests served (int_gpu_hourly adds them) so that models summing over requests can price GPU time
-- without depending on another sum over requests.
CREATE OR REPLACE TABLE int_gpu_capacity_hourly AS
WITH samples AS (
    SELECT d.deployment_id, s.hour,
        count(*) AS samples,
        avg(s.util_gpu_pct) AS avg_util_pct,
        avg(s.power_w) AS avg_power_w,
        count(DISTINCT s.gpu_uuid) AS gpus_reporting
    FROM stg_gpu_samples s
    JOIN stg_gpu_deployments d ON d.host = s.host
    GROUP BY ALL
),
span AS (
    SELECT deployment_id, min(hour) AS first_hour, max(hour) AS last_hour FROM samples GROUP BY ALL
),
hours AS (
    SELECT span.deployment_id, t.hour
    FROM span CROSS JOIN unnest(generate_series(span.first_hour, span.last_hour, INTERVAL 1 HOUR)) AS t(hour)
)
SELECT
    h.deployment_id, h.hour, dep.cluster, dep.gpu_type, dep.gpu_count, dep.model, dep."precision", dep.engine,
    dep.gpu_rate_ref, r.usd_per_gpu_hour, r.kind AS rate_kind,
    coalesce(s.samples, 0) AS samples,
    s.gpus_reporting,
    s.avg_util_pct,
    s.avg_power_w,
    -- energy over the hour from mean power of the GPUs that reported, scaled to all GPUs
    (s.avg_power_w * dep.gpu_count / 1000.0) AS energy_kwh,
    (dep.gpu_count * r.usd_per_gpu_hour)::DECIMAL(38, 6) AS capacity_cost_usd,
    round(coalesce(s.avg_power_w * dep.gpu_count / 1000.0 * r.pue * r.usd_per_kwh, 0), 6)::DECIMAL(38, 6)
        AS energy_cost_usd,
    (dep.gpu_count * r.usd_per_gpu_hour
        + round(coalesce(s.avg_power_w * dep.gpu_count / 1000.0 * r.pue * r.usd_per_kwh, 0), 6))::DECIMAL(38, 6)
        AS gpu_cost_usd
FROM hours h
JOIN gpu_deployments dep USING (deployment_id)
LEFT JOIN stg_gpu_rates r
    ON r.rate_ref = dep.gpu_rate_ref AND h.hour >= r.valid_from AND (r.valid_to IS NULL OR h.hour < r.valid_to)
LEFT JOIN samples s ON s.deployment_id = h.deployment_id AND s.hour = h.hour;
