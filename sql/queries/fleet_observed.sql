-- fleet_observed — grain: one row per self-hosted deployment: how it performed in its busiest hours
-- (top 10 % of its hours in the period by generated tokens), for comparison with the what-if model.
-- Concurrency = request-milliseconds in flight per hour / 3,600,000 (Little's law), per replica.
WITH served AS (
    SELECT deployment AS deployment_id, hour,
        sum(requests) AS requests, sum(prompt_tokens) AS prompt_tokens,
        sum(completion_tokens) AS completion_tokens, sum(latency_ms_sum) AS latency_ms_sum,
        sum(requests_with_latency) AS requests_with_latency,
        sum(ttft_ms_sum) AS ttft_ms_sum, sum(requests_with_ttft) AS requests_with_ttft
    FROM mart_usage_hourly
    WHERE pricing_status = 'self_hosted' AND gateway_cache = 'miss'
      AND hour >= $start AND hour < $end + INTERVAL 1 DAY
    GROUP BY ALL
),
busy AS (
    SELECT * FROM (
        SELECT *, percent_rank() OVER (PARTITION BY deployment_id ORDER BY completion_tokens) AS pct FROM served
    ) WHERE pct >= 0.9
),
util AS (
    SELECT g.deployment_id, avg(g.avg_util_pct) AS avg_util_pct
    FROM int_gpu_hourly g JOIN busy b ON b.deployment_id = g.deployment_id AND b.hour = g.hour
    GROUP BY ALL
)
SELECT
    d.deployment_id, d.gpu_type, d.gpu_count, d.model, d."precision", d.engine, d.tensor_parallel,
    count(*) AS busy_hours,
    sum(b.requests)::BIGINT AS requests,
    sum(b.prompt_tokens) / sum(b.requests) AS mean_input_tokens,
    sum(b.completion_tokens) / sum(b.requests) AS mean_output_tokens,
    sum(b.latency_ms_sum) / 3600000.0 / count(*) AS mean_concurrency,
    sum(b.latency_ms_sum) / nullif(sum(b.requests_with_latency), 0) AS mean_latency_ms,
    sum(b.ttft_ms_sum) / nullif(sum(b.requests_with_ttft), 0) AS mean_ttft_ms,
    sum(b.completion_tokens) / (3600.0 * count(*)) / d.gpu_count AS observed_output_tok_s_per_gpu,
    u.avg_util_pct
FROM busy b
JOIN gpu_deployments d USING (deployment_id)
LEFT JOIN util u USING (deployment_id)
GROUP BY d.deployment_id, d.gpu_type, d.gpu_count, d.model, d."precision", d.engine, d.tensor_parallel,
    u.avg_util_pct
ORDER BY d.deployment_id
