-- mart_spend_daily — grain: one row per (day, tenant, team, provider, model, service_tier, pricing_status).
-- What the overview and tenant pages read for API (per-token) spend and token volumes.
-- incremental: day by day, summing requests, failed_requests, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, total_tokens, list_cost_usd, discount_usd, effective_cost_usd, reported_cost_usd
CREATE OR REPLACE TABLE mart_spend_daily AS
SELECT
    day, tenant, team, provider, model, service_tier, pricing_status,
    count(*) AS requests,
    count(*) FILTER (WHERE status = 'failure') AS failed_requests,
    sum(uncached_input_tokens)::BIGINT AS uncached_input_tokens,
    sum(cache_read_tokens)::BIGINT AS cache_read_tokens,
    sum(cache_write_5m_tokens)::BIGINT AS cache_write_5m_tokens,
    sum(cache_write_1h_tokens)::BIGINT AS cache_write_1h_tokens,
    sum(output_tokens)::BIGINT AS output_tokens,
    sum(reasoning_tokens)::BIGINT AS reasoning_tokens,
    sum(prompt_tokens + completion_tokens)::BIGINT AS total_tokens,
    sum(list_cost_usd)::DECIMAL(38, 12) AS list_cost_usd,
    sum(discount_usd)::DECIMAL(38, 12) AS discount_usd,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS effective_cost_usd,
    sum(reported_cost_usd)::DECIMAL(38, 12) AS reported_cost_usd
FROM int_request_costs
GROUP BY ALL;
