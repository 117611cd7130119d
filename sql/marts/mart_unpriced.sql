-- mart_unpriced — grain: one row per (provider, model, service_tier, unpriced_reason).
-- Requests we could not price: shown, counted, never treated as $0.
CREATE OR REPLACE TABLE mart_unpriced AS
SELECT provider, model, service_tier, unpriced_reason,
    sum(requests)::BIGINT AS requests,
    count(DISTINCT tenant) AS tenants,
    sum(total_tokens) AS total_tokens,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen
FROM int_unpriced_daily
GROUP BY ALL;
