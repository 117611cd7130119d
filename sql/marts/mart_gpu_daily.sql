-- mart_gpu_daily — grain: one row per (day, deployment_id): the self-hosted GPU bill and how busy it was.
CREATE OR REPLACE TABLE mart_gpu_daily AS
SELECT
    hour::DATE AS day, deployment_id, cluster, gpu_type, gpu_count, model, "precision",
    count(*) AS hours,
    count(*) FILTER (WHERE samples = 0) AS hours_without_telemetry,
    count(*) FILTER (WHERE requests = 0) AS hours_without_traffic,
    avg(avg_util_pct) AS avg_util_pct,
    sum(energy_kwh) AS energy_kwh,
    sum(gpu_cost_usd)::DECIMAL(38, 12) AS gpu_cost_usd,
    count(*) FILTER (WHERE usd_per_gpu_hour IS NULL) AS hours_without_rate,
    sum(requests) AS requests,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens
FROM int_gpu_hourly
GROUP BY ALL;
