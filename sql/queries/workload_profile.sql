-- workload_profile — grain: one row: the shape and load of model-served traffic (gateway cache hits
-- excluded) in the period, for one tenant and/or route or for everything (NULL = no filter).
-- Peak = the busiest clock hour: its request rate and its mean concurrency (Little's law:
-- request-milliseconds in flight / 3,600,000).
WITH scoped AS (
    SELECT *
    FROM mart_usage_hourly
    WHERE hour >= $start AND hour < $end + INTERVAL 1 DAY
      AND gateway_cache = 'miss'
      AND in_scope($tenants, tenant)
      AND ($route IS NULL OR provider || '/' || model = $route)
),
hourly AS (
    SELECT hour, sum(requests) AS requests, sum(latency_ms_sum) AS latency_ms_sum FROM scoped GROUP BY hour
)
SELECT
    (SELECT sum(requests) FROM scoped)::BIGINT AS requests,
    (SELECT sum(prompt_tokens) / sum(requests) FROM scoped) AS mean_input_tokens,
    (SELECT sum(completion_tokens) / sum(requests) FROM scoped) AS mean_output_tokens,
    (SELECT sum(prompt_tokens + completion_tokens) FROM scoped)::BIGINT AS total_tokens,
    (SELECT max(requests) FROM hourly) / 3600.0 AS peak_rps,
    (SELECT max(latency_ms_sum) FROM hourly) / 3600000.0 AS peak_concurrency,
    date_diff('hour', $start::TIMESTAMP, ($end + INTERVAL 1 DAY)::TIMESTAMP) AS period_hours
