-- int_request_meters — grain: one row per (day, tenant, provider, model, service_tier, rate_context_tier,
-- rate_valid_from, discount_pct, token_class) for priced API requests with tokens in that class: the disjoint
-- buckets unpivoted with the price they were billed at, so per-class readers (FOCUS meters, vendor
-- reconciliation) share one definition.  Prices are constant within a row (one rate-card row per
-- provider, model, tier, context tier and valid_from), so Σ tokens × price is the list cost exactly.
-- Summed per day before unpivoting: readers never touch single requests.
-- incremental: day by day, summing tokens
-- shadow: day by day
CREATE OR REPLACE TABLE int_request_meters AS
WITH by_price AS (
    SELECT day, tenant, provider, model, service_tier, rate_context_tier, rate_valid_from, discount_pct,
        price_uncached_input, price_cache_read, price_cache_write_5m, price_cache_write_1h, price_output,
        price_reasoning,
        sum(uncached_input_tokens)::BIGINT AS uncached_input_tokens, sum(cache_read_tokens)::BIGINT AS cache_read_tokens,
        sum(cache_write_5m_tokens)::BIGINT AS cache_write_5m_tokens,
        sum(cache_write_1h_tokens)::BIGINT AS cache_write_1h_tokens,
        sum(output_tokens)::BIGINT AS output_tokens, sum(reasoning_tokens)::BIGINT AS reasoning_tokens
    FROM int_request_costs
    WHERE pricing_status = 'priced'
    GROUP BY ALL
)
SELECT r.day, r.tenant, r.provider, r.model, r.service_tier, r.rate_context_tier, r.rate_valid_from,
    r.discount_pct, m.token_class, m.meter, m.tokens, m.price
FROM by_price r
CROSS JOIN LATERAL (VALUES
    ('uncached_input', 'Input Tokens', r.uncached_input_tokens, r.price_uncached_input),
    ('cache_read', 'Cached Input Tokens', r.cache_read_tokens, r.price_cache_read),
    ('cache_write_5m', 'Cache Write Tokens (5m)', r.cache_write_5m_tokens, r.price_cache_write_5m),
    ('cache_write_1h', 'Cache Write Tokens (1h)', r.cache_write_1h_tokens, r.price_cache_write_1h),
    ('output', 'Output Tokens', r.output_tokens, r.price_output),
    ('reasoning', 'Reasoning Tokens', r.reasoning_tokens, r.price_reasoning)
) m(token_class, meter, tokens, price)
WHERE m.tokens > 0;
