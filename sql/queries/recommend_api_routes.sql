-- recommend_api_routes — grain: one row per (provider, model) of priced API traffic in [$start, $end]: requests, mean
-- input/output tokens, the busiest hour's and p95 hour's request rate, hours in the period and the effective cost —
-- what a self-hosted deployment of the same model would have to serve.
WITH hourly AS (
    SELECT provider, model, hour, sum(requests) AS requests, sum(prompt_tokens) AS prompt_tokens,
        sum(completion_tokens) AS completion_tokens
    FROM mart_usage_hourly
    WHERE pricing_status = 'priced' AND gateway_cache = 'miss' AND hour >= $start AND hour < $end + INTERVAL 1 DAY
    GROUP BY ALL
),
cost AS (
    SELECT provider, model, sum(effective_cost_usd) AS today_usd
    FROM mart_ledger_daily WHERE cost_source = 'api' AND day BETWEEN $start AND $end GROUP BY ALL
)
SELECT h.provider, h.model, sum(h.requests)::BIGINT AS requests,
    sum(h.prompt_tokens) / sum(h.requests) AS mean_input_tokens,
    sum(h.completion_tokens) / sum(h.requests) AS mean_output_tokens,
    max(h.requests) / 3600.0 AS peak_rps, quantile_cont(h.requests, 0.95) / 3600.0 AS p95_rps,
    (date_diff('day', $start::DATE, $end::DATE) + 1) * 24 AS hours,
    any_value(c.today_usd)::DECIMAL(38, 12) AS today_usd
FROM hourly h JOIN cost c USING (provider, model)
GROUP BY h.provider, h.model
HAVING any_value(c.today_usd) > 0
ORDER BY today_usd DESC
