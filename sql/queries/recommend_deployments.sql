-- recommend_deployments — grain: one row per self-hosted deployment over [$start, $end]: its GPU bill, hours
-- with no traffic (and what they cost), the load it served (peak and p95 requests per second over its hours,
-- mean input/output tokens per request), its baseline GPUs and the rate it pays — the evidence for rightsizing and
-- committing it.
WITH bill AS (
    SELECT deployment_id, any_value(gpu_type) AS gpu_type, max(gpu_count) AS gpu_count,  -- the most it ran
        sum(hours) AS hours, sum(hours_without_traffic) AS idle_hours,
        sum(gpu_cost_usd) AS bill_usd,
        -- hours with no traffic at the day's mean hourly bill (exact where the rate is constant within a day)
        sum(gpu_cost_usd * hours_without_traffic / hours) AS idle_hours_usd,
        sum(requests) AS requests, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
        -- the commitment's evidence: GPUs up on every day it ran (its baseline), GPU-hours, and the days a
        -- reservation bought for it would be paid for (first to last day seen in the period)
        min(gpu_count) AS baseline_gpus, sum(hours * gpu_count) AS gpu_hours, max(day) - min(day) + 1 AS days
    FROM mart_gpu_daily
    WHERE day BETWEEN $start AND $end
    GROUP BY deployment_id
),
hourly AS (
    SELECT deployment AS deployment_id, hour, sum(requests) AS requests
    FROM mart_usage_hourly
    WHERE pricing_status = 'self_hosted' AND gateway_cache = 'miss'
      AND hour >= $start AND hour < $end + INTERVAL 1 DAY
    GROUP BY ALL
),
load AS (
    SELECT deployment_id, max(requests) / 3600.0 AS peak_rps, quantile_cont(requests, 0.95) / 3600.0 AS p95_rps
    FROM hourly GROUP BY ALL
),
rate AS (
    SELECT d.deployment_id, d.model, d."precision", d.engine, d.tensor_parallel, r.kind AS rate_kind,
        r.usd_per_gpu_hour
    FROM gpu_deployments d
    LEFT JOIN stg_gpu_rates r ON r.rate_ref = d.gpu_rate_ref
        AND in_force($end::TIMESTAMPTZ, r.valid_from, r.valid_to)
)
SELECT b.deployment_id, b.gpu_type, b.gpu_count, r.model, r."precision", r.engine, r.tensor_parallel,
    r.rate_kind, r.usd_per_gpu_hour, b.hours::BIGINT AS hours, b.idle_hours::BIGINT AS idle_hours,
    b.bill_usd::DECIMAL(38, 12) AS bill_usd, b.idle_hours_usd::DECIMAL(38, 12) AS idle_hours_usd,
    b.baseline_gpus::INTEGER AS baseline_gpus, b.gpu_hours::BIGINT AS gpu_hours, b.days::INTEGER AS days,
    b.requests::BIGINT AS requests, b.prompt_tokens::BIGINT AS prompt_tokens,
    b.completion_tokens::BIGINT AS completion_tokens, coalesce(l.peak_rps, 0) AS peak_rps, coalesce(l.p95_rps, 0) AS p95_rps,
    b.prompt_tokens / nullif(b.requests, 0) AS mean_input_tokens,
    b.completion_tokens / nullif(b.requests, 0) AS mean_output_tokens
FROM bill b LEFT JOIN load l USING (deployment_id) LEFT JOIN rate r USING (deployment_id)
ORDER BY b.deployment_id
