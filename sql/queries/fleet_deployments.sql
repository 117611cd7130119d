-- fleet_deployments — grain: one row per deployment over the period (fleet-wide: admin and finance).
-- Bill, mean utilisation, energy, traffic, output tokens/s per GPU, $/1M tokens, and idle cost
-- (the '__idle__' share under idle policy 'separate').
WITH daily AS (
    SELECT deployment_id, any_value(gpu_type) AS gpu_type, any_value(gpu_count) AS gpu_count,
        any_value(model) AS model, any_value("precision") AS "precision", sum(hours) AS hours,
        sum(gpu_cost_usd) AS gpu_cost_usd, sum(avg_util_pct * hours) / nullif(sum(hours), 0) AS avg_util_pct,
        sum(energy_kwh) AS energy_kwh, sum(requests) AS requests, sum(prompt_tokens) AS prompt_tokens,
        sum(completion_tokens) AS completion_tokens
    FROM mart_gpu_daily WHERE day BETWEEN $start AND $end GROUP BY deployment_id
),
idle AS (
    SELECT deployment_id, sum(allocated_usd) AS idle_usd FROM mart_gpu_allocation_daily
    WHERE day BETWEEN $start AND $end AND tenant = '__idle__' AND driver = 'tokens' AND idle_policy = 'separate'
    GROUP BY ALL
)
SELECT d.deployment_id, d.gpu_type, d.gpu_count, d.model, d."precision", d.hours::BIGINT AS hours,
    d.gpu_cost_usd::DECIMAL(18, 2) AS gpu_cost_usd, coalesce(i.idle_usd, 0)::DECIMAL(18, 2) AS idle_cost_usd,
    round(d.avg_util_pct, 1) AS avg_util_pct, round(d.energy_kwh, 1) AS energy_kwh, d.requests::BIGINT AS requests,
    round(d.completion_tokens / nullif(d.hours * 3600.0 * d.gpu_count, 0), 2) AS output_tok_s_per_gpu,
    (d.gpu_cost_usd * 1000000 / nullif(d.prompt_tokens + d.completion_tokens, 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM daily d LEFT JOIN idle i USING (deployment_id)
ORDER BY d.deployment_id
