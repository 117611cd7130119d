-- mart_usage_for_repricing — grain: one row per (day, tenant, team, provider, model, service_tier,
-- prompt_floor) for API requests that reached a vendor (gateway cache hits excluded).  prompt_floor is
-- the largest context-tier threshold (min_input_tokens of any rate card) at or below the request's
-- prompt size, so any card — past, current or proposed — can re-price the period by a join on token
-- sums, without touching request rows or re-ingesting.
-- incremental: day by day, summing requests, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, list_cost_usd, effective_cost_usd, unpriced_requests
CREATE OR REPLACE TABLE mart_usage_for_repricing AS
WITH floors AS (SELECT list(DISTINCT min_input_tokens) AS floors FROM stg_rate_cards),
req AS (
    -- the largest floor ≤ the prompt, from the handful of floors as one list (a correlated max was a join)
    SELECT r.*, list_max(list_filter(f.floors, x -> x <= r.prompt_tokens)) AS prompt_floor
    FROM int_request_costs r, floors f
    WHERE r.pricing_status IN ('priced', 'unpriced')
)
SELECT day, tenant, coalesce(team, '') AS team, provider, model, service_tier, coalesce(prompt_floor, 0) AS prompt_floor,
    count(*) AS requests,
    sum(uncached_input_tokens)::BIGINT AS uncached_input_tokens, sum(cache_read_tokens)::BIGINT AS cache_read_tokens,
    sum(cache_write_5m_tokens)::BIGINT AS cache_write_5m_tokens, sum(cache_write_1h_tokens)::BIGINT AS cache_write_1h_tokens,
    sum(output_tokens)::BIGINT AS output_tokens, sum(reasoning_tokens)::BIGINT AS reasoning_tokens,
    sum(list_cost_usd)::DECIMAL(38, 12) AS list_cost_usd,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS effective_cost_usd,
    count(*) FILTER (WHERE pricing_status = 'unpriced') AS unpriced_requests
FROM req
GROUP BY ALL;
