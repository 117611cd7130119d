-- int_request_meters — grain: one row per (priced API request, token class) with tokens in it: the
-- request's disjoint buckets unpivoted with the price each was billed at, so per-class views (FOCUS
-- meters, vendor reconciliation) share one definition.  A view: its readers aggregate it straight away.
CREATE OR REPLACE VIEW int_request_meters AS
SELECT r.day, r.tenant, r.provider, r.model, r.service_tier, r.rate_context_tier, r.rate_valid_from,
    r.discount_pct, m.token_class, m.meter, m.tokens, m.price
FROM int_request_costs r
CROSS JOIN LATERAL (VALUES
    ('uncached_input', 'Input Tokens', r.uncached_input_tokens, r.price_uncached_input),
    ('cache_read', 'Cached Input Tokens', r.cache_read_tokens, r.price_cache_read),
    ('cache_write_5m', 'Cache Write Tokens (5m)', r.cache_write_5m_tokens, r.price_cache_write_5m),
    ('cache_write_1h', 'Cache Write Tokens (1h)', r.cache_write_1h_tokens, r.price_cache_write_1h),
    ('output', 'Output Tokens', r.output_tokens, r.price_output),
    ('reasoning', 'Reasoning Tokens', r.reasoning_tokens, r.price_reasoning)
) m(token_class, meter, tokens, price)
WHERE r.pricing_status = 'priced' AND m.tokens > 0;
